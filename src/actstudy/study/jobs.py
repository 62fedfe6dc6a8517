"""What the Snakefile asks of a study at start-up, kept out of the rules: validation, the run
grid, and the short params each job gets (a run's spec, a code digest, prepared-folder names)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from actstudy import layout
from actstudy.errors import ConfigError
from actstudy.provenance import fingerprint
from actstudy.run_code import digest, run_files
from actstudy.search import results as search_results
from actstudy.study import grid
from actstudy.study.command_line import read_command_line_values
from actstudy.study.search_options import search_evaluation, search_run_spec
from actstudy.study.validate import validate_config
from actstudy.study.yaml_file import read_config

TRAINING_RULES = {"train", "search_train"}
ALL_RUNS = "*"


def _absolute(path: str | os.PathLike[str]) -> Path:
    """``path`` made absolute with ``..`` folded in, without following links."""
    return Path(os.path.abspath(path))


class StudyError(Exception):
    """A study that cannot start; the message is what Snakemake prints before it exits, and
    ``sentences`` its sentences without the heading (what ``actstudy validate`` prints)."""

    def __init__(self, message: str, sentences: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.sentences = list(sentences) or [message]


def _refused(heading: str, sentences: Sequence[str]) -> StudyError:
    """The StudyError of a study refused at start-up: a heading, then a sentence a line."""
    return StudyError(f"{heading}:\n  " + "\n  ".join(sentences), sentences)


LABEL_SECTIONS = ("datasets", "models", "activations")
"""Sections that Snakemake merges label by label when it extends one config file by another."""


def merged_into(
    config: Mapping[str, Any],
    read: Mapping[Path, Mapping[str, Any]],
    workflow_config: str | Path,
    given: Sequence[str | Path] = (),
) -> str | None:
    """The sentence for a study file that Snakemake merged into the workflow's config file
    (``--configfile`` without ``--replace-workflow-config``): what of the config came from the
    workflow's file alone (a key or a label no study file gives), or None. Where the workflow's
    file is itself among the files ``given`` with --configfile, the layering is the user's own
    (a study extended by files of overrides): None."""
    default = Path(workflow_config).resolve()
    if default in {Path(path).resolve() for path in given}:
        return None
    studies = {path: given for path, given in read.items() if path.resolve() != default}
    own = next((given for path, given in read.items() if path.resolve() == default), None)
    if own is None or not studies:
        return None
    leaked = [key for key in own if key in config and not any(key in s for s in studies.values())]
    for section in LABEL_SECTIONS:
        if isinstance(own.get(section), Mapping) and isinstance(config.get(section), Mapping):
            given = {label for s in studies.values() for label in (s.get(section) or {})}
            leaked += [
                f"{section}.{label}"
                for label in own[section]
                if label in config[section] and label not in given
            ]
    if not leaked:
        return None
    names = ", ".join(map(str, studies))
    return (
        f"Snakemake merged {names} into {workflow_config} (its {', '.join(leaked[:5])} came from "
        f"{workflow_config}); add --replace-workflow-config after --configfile so that the study "
        "file alone is the config"
    )


class Study:
    """A validated study config (defaults filled in, in place) and what its jobs need."""

    def __init__(
        self,
        config: dict[str, Any],
        files: Sequence[str | Path] = (),
        resources: str | Path = "resources",
        workflow_config: str | Path | None = None,
        given: Sequence[str | Path] = (),
        command_line: Mapping[str, Any] | None = None,
    ) -> None:
        """``files``: the config files Snakemake read (checked for keys given twice);
        ``workflow_config``: the Snakefile's own config file, which a study file given with
        --configfile must replace, not extend (:func:`merged_into`); ``given``: the files given
        with --configfile; ``command_line``: the values given with --config, whose nested texts
        are read as YAML (:mod:`actstudy.study.command_line`)."""
        read_command_line_values(config, command_line or {})
        try:
            read = {Path(file): read_config(file) for file in files}
            if workflow_config is not None and (
                merged := merged_into(config, read, workflow_config, given)
            ):
                raise ConfigError(merged)
            validate_config(config, resources=resources)
        except ConfigError as error:
            raise _refused("Invalid study configuration", str(error).splitlines()) from None
        self.config = config
        self.resources = Path(resources)
        self.runs = grid.run_grid(config)
        self._prepared = {label: grid.prepared_name(config, label) for label in config["datasets"]}
        self._evaluated_cache: tuple[tuple, tuple[dict, dict]] | None = None
        self._check_paths()

    def _check_paths(self) -> None:
        """Every folder the study writes stays under results/<study>/ or resources/prepared/
        (the label patterns make this so; this proves it before any job). Paths are compared as
        written, not resolved: a study or prepared folder may be a link to another disk."""
        results = _absolute(layout.RESULTS)
        study = _absolute(layout.fill(layout.STUDY, study=self.config["study"]))
        prepared_root = _absolute(layout.PREPARED_ROOT)
        folders = [(study, results)]
        folders += [
            (_absolute(layout.fill(layout.PREPARED, prepared=name)), prepared_root)
            for name in self._prepared.values()
        ]
        folders += [
            (_absolute(layout.run_dir(self.config["study"], **run).parent), study)
            for run in self.runs
        ]
        for folder, root in folders:
            if folder == root or not folder.is_relative_to(root):
                raise _refused(
                    "Invalid study configuration",
                    [f"the output folder {folder} would lie outside {root}; rename the study"],
                )

    def prepared_names(self) -> list[str]:
        return sorted(set(self._prepared.values()))

    def prepared_name(self, dataset: str) -> str:
        return self._prepared[dataset]

    def _label_of(self, prepared: str) -> str:
        return next(label for label, name in self._prepared.items() if name == prepared)

    def prepare_options(self, prepared: str) -> str:
        options = grid.source_options(self.config, self._label_of(prepared))
        return json.dumps(options, sort_keys=True)

    def prepare_plugins(self, prepared: str) -> list[str]:
        return grid.source_plugins(self.config, self._label_of(prepared))

    def fold_options(self) -> str:
        options = {k: v for k, v in grid.evaluation(self.config).items() if k != "test"}
        return json.dumps(options, sort_keys=True)

    def statistics_options(self) -> str:
        """The study's ``statistics`` section (control, metric, rope, alpha) as JSON; a smoke
        variant's adds ``smoke_of`` (the study it stands in for: its tables say so)."""
        options = dict(self.config["statistics"])
        if self.config["smoke_of"]:
            options["smoke_of"] = self.config["smoke_of"]
        return json.dumps(options, sort_keys=True)

    def timing_options(self) -> str:
        """The study's ``timing`` section (rounds, steps, warmup) as JSON."""
        return json.dumps(self.config["timing"], sort_keys=True)

    def timing_cases(self) -> list[dict[str, str]]:
        """Every (dataset, model) the study trains, once, as wildcard dicts."""
        cases = dict.fromkeys((d, m) for d, m, _ in grid.run_cases(self.config))
        return [{"dataset": d, "model": m} for d, m in cases]

    def timing_activations(self, dataset: str, model: str) -> list[str]:
        """The activations a dataset × model trains (not the search's best functions, found
        while the workflow runs), in the study's order."""
        return [a for d, m, a in grid.run_cases(self.config) if (d, m) == (dataset, model)]

    def spec(self, run: dict[str, Any]) -> dict[str, Any]:
        """A run's spec; a searched function's records where it came from (``origin``)."""
        label = run["activation"]
        config, origin = self.config, None
        if label in self.searched_labels():
            config, origins = self._evaluated()
            if label not in origins:
                raise StudyError(
                    f"{label} is one of the functions the study's search finds, but "
                    f"{', '.join(map(str, self._winners_files()))} does not name it yet (the "
                    "search has not finished, or found fewer functions); run the whole study, "
                    "or `snakemake search_all` first"
                )
            origin = origins[label]
        spec = grid.run_spec(config, run["dataset"], run["model"], label, int(run["fold"]))
        if origin is not None:
            spec["activation"]["origin"] = origin
        return spec

    def spec_json(self, run: dict[str, Any]) -> str:
        """A run's spec as JSON: the content of its spec file (written by the rule ``spec``)."""
        return spec_text(self.spec(run))

    def spec_digest(self, run: dict[str, Any]) -> str:
        """The fingerprint of a run's spec as its file holds it: the train job refuses a spec
        file whose content has another (edited by hand, or written for another config)."""
        return fingerprint(json.loads(self.spec_json(run)))

    # The activation search (workflow/rules/search.smk)

    def search_methods(self) -> list[str]:
        """The searches the study runs: its method, and the random baseline when asked for."""
        return search_results.methods(self.config["search"])

    def search_label(self, method: str) -> str:
        """The label prefix of a search's best functions (``searched``; ``random``)."""
        return search_results.label_prefix(self.config["search"], method)

    # The search's best functions in the evaluation (search.evaluate_top)

    def evaluated_methods(self) -> list[str]:
        """The searches whose best functions the evaluation trains."""
        return search_results.evaluated_methods(self.config["search"])

    def searched_labels(self) -> list[str]:
        """The labels those functions may take, known before the search runs."""
        return search_results.searched_labels(self.config["search"])

    def winners_file(self, method: str) -> Path:
        """The best functions of a search that the evaluation trains (the checkpoint
        search_winners writes it)."""
        return layout.fill(layout.SEARCH_WINNERS, study=self.config["study"], method=method)

    def _winners_files(self) -> list[Path]:
        return [self.winners_file(method) for method in self.evaluated_methods()]

    def _evaluated(self) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        """The config with the searched functions found so far among its activations, and each
        one's origin (read again whenever a winners file changes)."""
        versions = tuple(
            (str(path), path.stat().st_mtime_ns) for path in self._winners_files() if path.exists()
        )
        if self._evaluated_cache is None or self._evaluated_cache[0] != versions:
            entries: dict[str, dict[str, Any]] = {}
            for path, _ in versions:
                try:
                    entries |= search_results.read_winners(path, self.searched_labels())
                except ValueError as error:
                    raise StudyError(str(error)) from None
            config = {
                **self.config,
                "activations": {
                    **self.config["activations"],
                    **{label: {"expr": entry["formula"]} for label, entry in entries.items()},
                },
            }
            origins = {label: search_results.origin(entry) for label, entry in entries.items()}
            self._evaluated_cache = (versions, (config, origins))
        return self._evaluated_cache[1]

    def searched_runs(self) -> list[dict[str, Any]]:
        """The evaluation's runs of the searched functions found so far (wildcard dicts, as
        :attr:`runs` holds the study's own)."""
        config, origins = self._evaluated()
        return [run for run in grid.run_grid(config) if run["activation"] in origins]

    def search_fold_options(self) -> dict[str, Any]:
        """The hold-out that scores the candidates, as the folds step takes it."""
        split = search_evaluation(self.config["search"])
        return {k: v for k, v in split.items() if k != "test"}

    def search_options(self, method: str) -> str:
        """The search section a search's generations are made with (JSON), without what only
        the workflow uses (a changed ``top`` reruns no generation)."""
        options = {
            k: v
            for k, v in self.config["search"].items()
            if k not in search_results.WORKFLOW_OPTIONS
        }
        return json.dumps({**options, "method": method}, sort_keys=True)

    def search_budget_method(self, method: str) -> str | None:
        """The search whose trainings a search's generations match (the random baseline: the
        GA's), or None."""
        return search_results.budget_method(self.config["search"], method)

    def search_first(self, method: str) -> dict[str, str]:
        """Generation 0's candidates to train (key → formula), known before any job runs (the
        random baseline's from the GA's)."""
        budget = None
        if (matched := self.search_budget_method(method)) is not None:
            from actstudy.search.budget import state_trainings

            budget = state_trainings(_first_generation(self.search_options(matched), None))
        return dict(_first_generation(self.search_options(method), budget)["train"])

    def search_state_dir(self, method: str) -> Path:
        return layout.fill(layout.SEARCH_METHOD, study=self.config["study"], method=method)

    def search_formula(self, key: str) -> str:
        """The formula a search trains as ``key`` (generation 0's, or from the newest state)."""
        for method in self.search_methods():
            if key in (first := self.search_first(method)):
                return first[key]
        states = [
            p for m in self.search_methods() for p in self.search_state_dir(m).glob("gen*.json")
        ]
        formula = search_results.formula_of(key, [p for p in states if p.name[3:-5].isdigit()])
        if formula is None:
            raise StudyError(
                f"no search state names the candidate {key}; run the search from its first "
                "generation (snakemake search_all) rather than a candidate's files"
            )
        return formula

    def search_spec_json(self, key: str) -> str:
        """A candidate's run spec as JSON (written by the rule ``search_spec``)."""
        return spec_text(search_run_spec(self.config, key, self.search_formula(key)))

    def search_code_digest(self) -> str:
        """Digest of the code a candidate's run executes (the same for every formula)."""
        return _code_digest(self.config["search"]["model"], json.dumps({"expr": "x"}))

    def code_digest(self, run: dict[str, Any]) -> str:
        model = self.config["models"][run["model"]]["name"]
        label = run["activation"]
        # a searched function is an expression activation: the code of any formula is its code
        spec = (
            {"expr": "x"} if label in self.searched_labels() else self.config["activations"][label]
        )
        return _code_digest(model, json.dumps(spec, sort_keys=True))

    def fresh_runs(self, forced: Iterable[str], everything: bool) -> str:
        """The value of ``ACTSTUDY_FRESH_RUNS`` (actstudy.training.run_cache) for what the user
        forced (``--forcerun`` rules and files, forced targets; ``everything``: ``--forceall``):
        every run where a training rule is forced, else the run folders of the forced files."""
        forced = set(forced)
        if everything or forced & TRAINING_RULES:
            return ALL_RUNS
        study = _absolute(layout.fill(layout.STUDY, study=self.config["study"]))
        folders = {_absolute(os.path.dirname(path)) for path in forced}
        return os.pathsep.join(sorted(str(f) for f in folders if f.is_relative_to(study)))


@cache
def _first_generation(options_json: str, budget: int | None) -> dict[str, Any]:
    """Generation 0's state of a search (``budget``: the random baseline's, the GA's
    trainings in its generation 0)."""
    from actstudy.search.state import search_next

    return search_next(json.loads(options_json), None, None, budget)


@cache
def _code_digest(model: str, activation_json: str) -> str:
    spec = {"model": {"name": model}, "activation": {"spec": json.loads(activation_json)}}
    return digest(run_files(spec))


def spec_text(spec: dict[str, Any]) -> str:
    """A spec as the JSON its file holds (keys sorted, as the run's fingerprint reads it)."""
    return json.dumps(spec, sort_keys=True, default=str)
