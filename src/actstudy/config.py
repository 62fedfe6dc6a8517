"""Study configuration: schema validation with one-sentence errors, and per-run specs."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"

TRAINING_DEFAULTS: dict[str, Any] = {
    "seed": 0,
    "schedule": {"name": "none"},
    "loss": {"label_smoothing": 0.0},
    "early_stopping": None,
    "select": "val_loss",
    "augmentation": "none",
    "pad": 4,
    "dsrelu_progress": "paper",
    "device": "auto",
    "precision": "auto",
    "compile": False,
    "channels_last": True,
}
EVALUATION_DEFAULTS: dict[str, Any] = {
    "folds": 5,
    "val_fraction": 0.1,
    "seed": 0,
    "test": True,
    "grouped": False,
}


class ConfigError(ValueError):
    """A study configuration that cannot run; the message is one sentence naming the fix."""


@cache
def schema() -> dict[str, Any]:
    return yaml.safe_load(SCHEMA_PATH.read_text(encoding="utf-8"))


def _key(path: list[Any], prefix: str = "") -> str:
    parts = [prefix] if prefix else []
    parts += [str(p) for p in path]
    return ".".join(parts) or "(top level)"


def _sentence(error: jsonschema.ValidationError, prefix: str) -> str:
    key = _key(list(error.absolute_path), prefix)
    value = error.instance
    match error.validator:
        case "required":
            missing = [k for k in error.validator_value if k not in error.instance]
            where = "" if key == "(top level)" else f"under '{key}' "
            return f"config is missing the key '{missing[0]}' {where}; add it".replace(" ;", ";")
        case "additionalProperties":
            allowed = sorted(error.schema.get("properties", {}))
            extra = sorted(set(value) - set(allowed))
            return (
                f"config key '{key}' has the unknown key '{extra[0]}'; "
                f"allowed keys are {', '.join(allowed)}"
            )
        case "enum":
            options = ", ".join(str(v) for v in error.validator_value)
            return f"config key '{key}' must be one of {options} (got {value!r})"
        case "minimum" | "exclusiveMinimum" | "maximum" | "exclusiveMaximum":
            sign = {
                "minimum": "≥",
                "exclusiveMinimum": ">",
                "maximum": "≤",
                "exclusiveMaximum": "<",
            }[error.validator]
            return f"config key '{key}' must be {sign} {error.validator_value} (got {value!r})"
        case "type":
            return f"config key '{key}' must be of type {error.validator_value} (got {value!r})"
        case "minProperties":
            return f"config key '{key}' must name at least one entry"
        case "pattern":
            return f"config key '{key}' must match {error.validator_value} (got {value!r})"
        case "oneOf" | "anyOf":
            choices = " or ".join(_describe(option) for option in error.validator_value)
            return f"config key '{key}' must be {choices} (got {value!r})"
        case "const":
            return f"config key '{key}' must be {error.validator_value!r} (got {value!r})"
        case _:
            return f"config key '{key}' is invalid: {error.message}"


def _describe(option: Mapping[str, Any]) -> str:
    """A short phrase for one alternative of a oneOf/anyOf schema."""
    if "const" in option:
        return repr(option["const"])
    if "enum" in option:
        return " or ".join(repr(v) for v in option["enum"])
    if option.get("type") == "object" and "required" in option:
        return f"a mapping with {', '.join(option['required'])}"
    kind = option.get("type", "a value")
    return {"boolean": "true/false", "string": "a name", "object": "a mapping"}.get(kind, kind)


def _validate(instance: Any, sub_schema: Mapping[str, Any], prefix: str = "") -> None:
    validator = jsonschema.Draft202012Validator(sub_schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
    if error is not None:
        raise ConfigError(_sentence(error, prefix))


def training_for(
    config: Mapping[str, Any], dataset: str, model: str | None = None
) -> dict[str, Any]:
    """The study's training recipe with defaults, then the dataset's and the model's overrides."""
    recipe = copy.deepcopy(TRAINING_DEFAULTS)
    recipe.update(copy.deepcopy(dict(config["training"])))
    recipe.update(copy.deepcopy(dict(config["datasets"][dataset].get("training", {}))))
    if model is not None:
        recipe.update(copy.deepcopy(dict(config["models"][model].get("training", {}))))
    return recipe


def source_options(config: Mapping[str, Any], dataset: str) -> dict[str, Any]:
    """The dataset's source and its preparation options (not normalisation or training)."""
    options = config["datasets"][dataset]
    return {k: v for k, v in options.items() if k not in ("normalize", "training")}


def evaluation(config: Mapping[str, Any]) -> dict[str, Any]:
    return {**EVALUATION_DEFAULTS, **dict(config["evaluation"])}


def fold_ids(config: Mapping[str, Any]) -> list[int]:
    ev = evaluation(config)
    return list(range(ev["folds"])) if ev["mode"] == "kfold" else [0]


def _check_names(config: Mapping[str, Any]) -> None:
    from actstudy import activations, data, models

    for label, options in config["datasets"].items():
        if options["source"] not in data.source_names():
            raise ConfigError(
                f"config key 'datasets.{label}.source' names the unknown dataset "
                f"{options['source']!r}; allowed: {', '.join(data.source_names())}"
            )
    for label, options in config["models"].items():
        if options["name"] not in models.names():
            raise ConfigError(
                f"config key 'models.{label}.name' names the unknown model {options['name']!r}; "
                f"allowed: {', '.join(models.names())}"
            )
        for key in ("datasets", "activations"):
            unknown = sorted(set(options.get(key, [])) - set(config[key]))
            if unknown:
                raise ConfigError(
                    f"config key 'models.{label}.{key}' names {', '.join(unknown)}, which the "
                    f"study does not define; allowed: {', '.join(config[key])}"
                )
    for label, spec in config["activations"].items():
        try:
            activations.factory(spec)
        except ValueError as error:
            raise ConfigError(f"config key 'activations.{label}': {error}") from None


def validate_config(config: Mapping[str, Any]) -> None:
    """Raise ConfigError with one sentence naming the key and the fix, or return."""
    _validate(config, schema())
    training_schema = {**schema()["$defs"]["training"], "$defs": schema()["$defs"]}
    for dataset in config["datasets"]:
        _validate(training_for(config, dataset), training_schema, f"datasets.{dataset}.training")
    for model in config["models"]:
        for dataset in config["datasets"]:
            _validate(
                training_for(config, dataset, model), training_schema, f"models.{model}.training"
            )
    ev = evaluation(config)
    if ev["mode"] == "holdout" and "folds" in config["evaluation"]:
        raise ConfigError(
            "config key 'evaluation.folds' applies to mode kfold; remove it or set mode: kfold"
        )
    _check_names(config)


def run_grid(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every (dataset, model, activation, fold) the study runs, as wildcard dicts.

    A model crosses every dataset and activation unless its entry lists the ``datasets`` or
    ``activations`` it is limited to (e.g. a 1-D ECG model, or a pretrained ReLU baseline).
    """
    grid = []
    for model, options in config["models"].items():
        for dataset in options.get("datasets", config["datasets"]):
            for activation in options.get("activations", config["activations"]):
                for fold in fold_ids(config):
                    grid.append(
                        {"dataset": dataset, "model": model, "activation": activation, "fold": fold}
                    )
    return grid


MODEL_KEYS = ("datasets", "activations", "training")  # not options of the model builder


def run_spec(
    config: Mapping[str, Any], dataset: str, model: str, activation: str, fold: int
) -> dict[str, Any]:
    """Everything one training run depends on; its JSON goes through the rule's ``params``."""
    ds = dict(config["datasets"][dataset])
    return {
        "study": config["study"],
        "dataset": {
            "label": dataset,
            "normalize": ds.get("normalize", "fold"),
        },
        "model": {
            "label": model,
            **{k: v for k, v in config["models"][model].items() if k not in MODEL_KEYS},
        },
        "activation": {"label": activation, "spec": config["activations"][activation]},
        "evaluation": {**evaluation(config), "fold": fold},
        "training": training_for(config, dataset, model),
    }


def load_config(path: str | Path) -> dict[str, Any]:
    """Read and validate a study file (for use outside Snakemake)."""
    config = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    validate_config(config)
    return config
