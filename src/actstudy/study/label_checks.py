"""Checks across keys that the schema cannot make: labels that name what the study defines,
names and options the registries know, overrides that match a run, the reported files, and
evaluation, statistics and job packing that fit together."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from actstudy.evaluation.reported import load_claims, load_reported
from actstudy.notes import reported_study
from actstudy.study.grid import (
    case_pack_problem,
    model_options,
    model_runs,
    run_cases,
    source_options,
    study_labels,
)
from actstudy.study.recipes import matches_a_case


def source_problems(config: Mapping[str, Any]) -> list[str]:
    """Datasets whose source is unknown, or whose options it refuses."""
    from actstudy import data

    problems = []
    for label in config["datasets"]:
        options = source_options(config, label)
        if options["source"] not in data.source_names():
            problems.append(
                f"config key 'datasets.{label}.source' names the unknown dataset "
                f"{options['source']!r}; allowed: {', '.join(data.source_names())}"
            )
            continue
        try:
            data.check_options(options)
        except ValueError as error:
            problems.append(f"config key 'datasets.{label}': {error}")
    return problems


def model_problems(config: Mapping[str, Any]) -> list[str]:
    """Models that are unknown, limited to labels the study does not define, or given options
    their builder refuses."""
    from actstudy import models

    problems = []
    for label, entry in config["models"].items():
        if entry["name"] not in models.names():
            problems.append(
                f"config key 'models.{label}.name' names the unknown model {entry['name']!r}; "
                f"allowed: {', '.join(models.names())}"
            )
            continue
        runs = model_runs(config, label)
        for key in ("datasets", "activations"):
            defined = getattr(study_labels(config), key)
            unknown = sorted(set(getattr(runs, key)) - set(defined))
            if unknown:
                problems.append(
                    f"config key 'models.{label}.{key}' names {', '.join(unknown)}, which the "
                    f"study does not define; allowed: {', '.join(defined)}"
                )
        try:
            models.check(entry["name"], **model_options(config, label))
        except (ValueError, FileNotFoundError) as error:
            problems.append(f"config key 'models.{label}': {error.args[0]}")
    return problems


def activation_problems(config: Mapping[str, Any]) -> list[str]:
    """Activations the registry cannot build, and role combinations that do not fit a model
    they run in."""
    from actstudy import activations

    problems = []
    for label, spec in config["activations"].items():
        try:
            activations.check(spec)
        except ValueError as error:
            problems.append(f"config key 'activations.{label}': {error}")
            continue
        if isinstance(spec, Mapping) and "roles" in spec:
            problems += role_problems(config, label, spec)
    return problems


def _did_you_mean(word: str, choices: list[str]) -> str:
    """' (did you mean X?)' for the closest of ``choices``, or nothing."""
    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def role_problems(config: Mapping[str, Any], label: str, spec: Mapping[str, Any]) -> list[str]:
    """A role combination's roles against each model the activation runs in: a role no such
    model declares (a typo a ``default`` would silently cover), or, without a ``default``, a
    declared role it leaves without an activation."""
    from actstudy import models

    problems = []
    for model, entry in config["models"].items():
        if (
            label not in model_runs(config, model).activations
            or entry["name"] not in models.names()
        ):
            continue
        declared = list(models.roles(entry["name"]))
        allowed = ", ".join(declared)
        for role in spec["roles"]:
            if role not in declared:
                problems.append(
                    f"config key 'activations.{label}.roles' names the role {role!r}, which "
                    f"model '{model}' ({entry['name']}) does not have; use one of its roles, "
                    f"{allowed}{_did_you_mean(role, declared)}"
                )
        missing = [role for role in declared if role not in spec["roles"]]
        if "default" not in spec and missing:
            problems.append(
                f"config key 'activations.{label}' gives no activation for the role "
                f"{missing[0]!r} of model '{model}' ({entry['name']}); add it under 'roles' "
                "or give a 'default'"
            )
    return problems


def reported_problems(config: Mapping[str, Any]) -> list[str]:
    """The study's reported results and claims files: each row's format, and labels the study
    defines (see actstudy.evaluation.reported)."""
    files = config.get("reported") or {}
    problems = []
    for key, load in (
        ("results", lambda path: load_reported(path, config)),
        ("claims", lambda path: load_claims(path, reported_study(config), config)),
    ):
        if key in files:
            try:
                load(files[key])
            except ValueError as error:
                problems += [f"config key 'reported.{key}': {s}" for s in str(error).splitlines()]
    return problems


def override_problems(config: Mapping[str, Any]) -> list[str]:
    """``overrides`` entries that name labels the study does not define, or match no run."""
    problems = []
    cases = run_cases(config)
    for index, entry in enumerate(config["overrides"]):
        unknown = False
        for kind in ("datasets", "models", "activations"):
            missing = [label for label in entry.get(kind, []) if label not in config[kind]]
            if missing:
                unknown = True
                problems.append(
                    f"config key 'overrides.{index}.{kind}' names {', '.join(missing)}, which the "
                    f"study does not define; allowed: {', '.join(config[kind])}"
                )
        if not unknown and not matches_a_case(entry, cases):
            problems.append(
                f"config key 'overrides.{index}' matches no run (a model limited to other "
                "datasets or activations?); correct its lists or remove it"
            )
    return problems


def pack_problems(config: Mapping[str, Any]) -> list[str]:
    """``jobs.pack: case`` where it cannot group the runs (:func:`case_pack_problem`)."""
    problem = case_pack_problem(config) if config["jobs"]["pack"] == "case" else None
    return [f"config key 'jobs.pack': {problem}; use pack: folds"] if problem else []


def evaluation_problems(config: Mapping[str, Any]) -> list[str]:
    """A test part nobody scores, and statistics that name what the study does not have."""
    evaluation, statistics = config["evaluation"], config["statistics"]
    problems = []
    if evaluation["test_fraction"] > 0 and not evaluation["test"]:
        problems.append(
            "config key 'evaluation.test_fraction' holds out a test part that evaluation.test: "
            "false never scores; set test: true or test_fraction: 0"
        )
    if statistics["metric"].startswith("test_") and not evaluation["test"]:
        problems.append(
            f"config key 'statistics.metric' is {statistics['metric']}, but evaluation.test is "
            "false; set test: true or choose a val_ or train_ metric"
        )
    if statistics["control"] is not None and statistics["control"] not in config["activations"]:
        problems.append(
            f"config key 'statistics.control' names {statistics['control']!r}, which the study "
            f"does not define; allowed: {', '.join(config['activations'])}"
        )
    return problems
