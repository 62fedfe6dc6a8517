"""The study schema (``workflow/schemas/config.schema.yaml``): the one place that names every
config key, its default and its allowed values."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"


@cache
def schema() -> dict[str, Any]:
    return yaml.safe_load(SCHEMA_PATH.read_text(encoding="utf-8"))


def training_schema() -> dict[str, Any]:
    """The schema of one training recipe (``training`` and its per-dataset/model overrides)."""
    return {**schema()["$defs"]["training"], "$defs": schema()["$defs"]}


def allowed(*path: str) -> list[Any]:
    """The names the schema allows for a key, e.g. ``allowed("training", "augmentation")``;
    ``*`` stands for any label (``allowed("datasets", "*", "normalize")``), and the names of
    every alternative of a ``oneOf`` count."""
    properties = {**schema()["properties"], "training": training_schema()}
    node: Mapping[str, Any] = {"properties": properties}
    for key in path:
        node = node["additionalProperties"] if key == "*" else node["properties"][key]
    alternatives = node.get("oneOf", [node])
    return [value for option in alternatives for value in option.get("enum", [])]
