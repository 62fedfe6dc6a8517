"""``validate_config``: a study checked in order, each problem one sentence naming the key and
the fix; and ``load_config``, a study file read and validated."""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from actstudy.errors import ConfigError
from actstudy.plugins import load_plugins
from actstudy.schema import schema
from actstudy.study.grid import run_cases
from actstudy.study.input_checks import data_problems, input_problems
from actstudy.study.label_checks import (
    activation_problems,
    evaluation_problems,
    model_problems,
    override_problems,
    pack_problems,
    reported_problems,
    source_problems,
)
from actstudy.study.recipes import training_for
from actstudy.study.schema_errors import check_schema
from actstudy.study.search_options import search_problems
from actstudy.study.yaml_file import read_config

KFOLD_KEYS = ("folds",)
"""Evaluation keys that only k-fold reads."""


def _non_finite(node: Any, path: str = "") -> list[str]:
    """Every NaN or infinite number in a config (YAML reads .nan and .inf), and every integer
    too large for a float (10**400 would overflow in the job), by key."""
    if isinstance(node, float) and not math.isfinite(node):
        return [f"config key '{path}' must be a finite number (got {node})"]
    if isinstance(node, int) and abs(node) > sys.float_info.max:
        digits = int(node.bit_length() * math.log10(2))
        return [f"config key '{path}' must be a finite number (got about 10^{digits})"]
    items: Iterable[tuple[Any, Any]] = ()
    if isinstance(node, Mapping):
        items = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    return [p for k, v in items for p in _non_finite(v, f"{path}.{k}" if path else str(k))]


def _kfold_keys_given(evaluation_given: Any) -> list[str]:
    """The k-fold-only evaluation keys a study gives with other than their default value (a
    resolved config, as validate --show prints it, carries the defaults: that is fine)."""
    if not isinstance(evaluation_given, Mapping):
        return []
    properties = schema()["properties"]["evaluation"]["properties"]
    return [
        key
        for key in KFOLD_KEYS
        if evaluation_given.get(key, properties[key]["default"]) != properties[key]["default"]
    ]


def _raise(problems: list[str]) -> None:
    """Raise ConfigError with one problem a line, if there are any."""
    if problems:
        raise ConfigError("\n".join(problems))


def validate_config(config: dict[str, Any], resources: str | Path | None = None) -> dict[str, Any]:
    """Check a study and fill in the schema's defaults, in place; return it.

    Raises ConfigError with one sentence per problem (on its own line), each naming the key and
    the fix: first the schema's, then everything the registries can tell before any job runs
    (unknown names and options, plugins, missing pretrained weights, input sizes, the
    reported results and claims files) and, with ``resources``, the datasets that are neither
    prepared nor placed there nor downloadable: all of these in one round.
    """
    _raise(_non_finite(config))
    kfold_given = _kfold_keys_given(config.get("evaluation"))
    check_schema(config, schema())
    _raise(override_problems(config))
    for dataset in config["datasets"]:
        training_for(config, dataset)
        for model in config["models"]:
            training_for(config, dataset, model)
    for dataset, model, activation in run_cases(config):
        training_for(config, dataset, model, activation)
    if config["evaluation"]["mode"] == "holdout" and kfold_given:
        raise ConfigError(
            f"config key 'evaluation.{kfold_given[0]}' applies to mode kfold; remove it or set "
            "mode: kfold"
        )
    _raise(evaluation_problems(config) + pack_problems(config))
    try:
        load_plugins(config["plugins"])
    except (ValueError, FileNotFoundError) as error:
        raise ConfigError(f"config key 'plugins': {error}") from None
    problems = source_problems(config) + model_problems(config) + activation_problems(config)
    problems += reported_problems(config) + search_problems(config)
    data = [] if resources is None else data_problems(config, resources)
    _raise((problems or input_problems(config)) + data)  # input checks need known names
    return config


def load_config(path: str | Path) -> dict[str, Any]:
    """Read and validate a study file (for use outside Snakemake); defaults filled in."""
    return validate_config(read_config(path))
