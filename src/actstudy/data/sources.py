"""Dataset sources: name → function that acquires (if needed) and prepares one dataset.

A study config names a dataset by a label and gives its ``source`` and options, e.g.
``digits: {source: digits, size: 32}``. Every source is a function
``prepare(out_dir, resources, **options)`` that writes the prepared-array format
(:mod:`actstudy.data.prepared`) to ``out_dir``, reading or downloading raw files under
``resources``; and optionally ``missing(resources, **options)`` returning one sentence when the raw
files are absent and cannot be fetched, so the workflow stops before any training.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Source:
    prepare: Callable[..., None]
    missing: Callable[..., str | None] | None = None


SOURCES: dict[str, Source] = {}

# The built-in sources and the module that registers each. Their modules (and the heavy libraries
# they need: torchvision, wfdb, scipy) are imported only when a source is used, so that training
# jobs and config validation start fast.
BUILTIN: dict[str, str] = {
    "digits": "digits",
    "cifar10": "torchvision_sets",
    "cifar100": "torchvision_sets",
    "mnist": "torchvision_sets",
    "fashion_mnist": "torchvision_sets",
    "fruits360": "fruits360",
    "mini_imagenet": "mini_imagenet",
    "mitdb": "mitbih",
    "mitbih_kaggle": "mitbih_kaggle",
}


def register_source(name: str, missing: Callable[..., str | None] | None = None):
    """Register ``prepare(out_dir, resources, **options)`` under ``name``."""

    def decorator(prepare: Callable[..., None]) -> Callable[..., None]:
        if name in SOURCES:
            raise ValueError(f"dataset source {name!r} is registered twice")
        SOURCES[name] = Source(prepare, missing)
        return prepare

    return decorator


def source_names() -> list[str]:
    return sorted(set(SOURCES) | set(BUILTIN))


def get_source(name: str) -> Source:
    if name not in SOURCES and name in BUILTIN:
        importlib.import_module(f"actstudy.data.{BUILTIN[name]}")
    try:
        return SOURCES[name]
    except KeyError:
        raise ValueError(
            f"unknown dataset source {name!r}; choose one of {', '.join(source_names())}"
        ) from None


def _check_options(name: str, function: Callable[..., Any], options: dict[str, Any]) -> None:
    accepted = list(inspect.signature(function).parameters)[2:]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ValueError(
            f"dataset source {name!r} takes options {', '.join(accepted) or 'none'}; "
            f"remove {', '.join(unknown)}"
        )


def prepare(options: dict[str, Any], out_dir: str | Path, resources: str | Path) -> None:
    """Prepare the dataset described by ``options`` (which holds its ``source``)."""
    options = dict(options)
    name = options.pop("source")
    source = get_source(name)
    _check_options(name, source.prepare, options)
    source.prepare(Path(out_dir), Path(resources), **options)


def missing(options: dict[str, Any], resources: str | Path) -> str | None:
    """One sentence saying what to do when the dataset cannot be had, else None."""
    options = dict(options)
    source = get_source(options.pop("source"))
    if source.missing is None:
        return None
    return source.missing(Path(resources), **options)
