"""A run's training recipe: the study's, then the dataset's, the model's and the matching
``overrides``, each step checked against the schema."""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Iterable, Mapping
from typing import Any

from actstudy.schema import training_schema
from actstudy.study.schema_errors import check_schema


def _merged(recipe: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``recipe`` with ``overrides`` merged in key by key: a mapping merges into the recipe's
    mapping unless it names another ``name`` (another optimiser, schedule or loss), which
    replaces it whole, as does any other value."""
    merged = dict(recipe)
    for key, value in overrides.items():
        base = merged.get(key)
        if (
            isinstance(value, Mapping)
            and isinstance(base, Mapping)
            and value.get("name", base.get("name")) == base.get("name")
        ):
            merged[key] = _merged(dict(base), value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _matches(entry: Mapping[str, Any], **labels: str | None) -> bool:
    """Whether an ``overrides`` entry applies to these labels: each list it gives holds the
    label (a label not given, None, matches no list)."""
    return all(kind not in entry or label in entry[kind] for kind, label in labels.items())


def matches_a_case(entry: Mapping[str, Any], cases: Iterable[tuple[str, str, str]]) -> bool:
    """Whether an ``overrides`` entry applies to some (dataset, model, activation) of ``cases``."""
    return any(_matches(entry, datasets=d, models=m, activations=a) for d, m, a in cases)


@functools.lru_cache(maxsize=4096)
def _checked_text(recipe: str, prefix: str) -> str:
    """A recipe (JSON) checked against the training schema, its defaults filled in: each
    distinct recipe once per process (a study of hundreds of runs has a handful)."""
    checked = json.loads(recipe)
    check_schema(checked, training_schema(), prefix)
    return json.dumps(checked)


def _checked(recipe: dict[str, Any], prefix: str) -> dict[str, Any]:
    return json.loads(_checked_text(json.dumps(recipe, sort_keys=True), prefix))


def training_for(
    config: Mapping[str, Any],
    dataset: str,
    model: str | None = None,
    activation: str | None = None,
) -> dict[str, Any]:
    """The study's training recipe, then the dataset's and the model's overrides (each key
    given replaces the recipe's), then every matching entry of ``overrides`` in order (merged
    key by key, see ``_merged``), with the schema's defaults filled in. Each step is validated
    on its own, so that a mistake is named by the key that made it."""
    recipe = copy.deepcopy(dict(config["training"]))
    steps: list[tuple[str, Mapping[str, Any], bool]] = [
        (f"datasets.{dataset}.training", config["datasets"][dataset].get("training", {}), False)
    ]
    if model is not None:
        steps.append(
            (f"models.{model}.training", config["models"][model].get("training", {}), False)
        )
    steps += [
        (f"overrides.{index}.training", entry["training"], True)
        for index, entry in enumerate(config["overrides"])
        if _matches(entry, datasets=dataset, models=model, activations=activation)
    ]
    validated = False
    for prefix, overrides, merge in steps:
        if not overrides:
            continue
        if merge:
            recipe = _merged(recipe, overrides)
        else:
            recipe.update(copy.deepcopy(dict(overrides)))
        recipe = _checked(recipe, prefix)
        validated = True
    return recipe if validated else _checked(recipe, "training")
