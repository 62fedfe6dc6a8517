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

from actstudy import plugins
from actstudy.options import check_types, unknown_options_sentence


@dataclass(frozen=True)
class Source:
    prepare: Callable[..., None]
    missing: Callable[..., str | None] | None = None
    input_size: Callable[..., int | None] | None = None
    dims: int = 2
    channels: int | Callable[..., int] | None = None
    classes: int | None = None
    source_file: str = ""
    flip_safe: bool = True


SOURCES: dict[str, Source] = {}

# The built-in sources and the module that registers each. Their modules (and the heavy libraries
# they need: torchvision, wfdb, scipy) are imported only when a source is used, so that training
# jobs and config validation start fast.
BUILTIN: dict[str, str] = {
    "digits": "digits",
    "synthetic_images": "synthetic",
    "synthetic_signals": "synthetic",
    "cifar10": "torchvision_sets",
    "cifar100": "torchvision_sets",
    "mnist": "torchvision_sets",
    "fashion_mnist": "torchvision_sets",
    "fruits360": "fruits360",
    "mini_imagenet": "mini_imagenet",
    "mitdb": "mitbih",
    "mitbih_kaggle": "mitbih_kaggle",
}


def register_source(
    name: str,
    missing: Callable[..., str | None] | None = None,
    *,
    input_size: Callable[..., int | None] | None = None,
    dims: int = 2,
    channels: int | Callable[..., int] | None = None,
    classes: int | None = None,
    flip_safe: bool = True,
):
    """Register ``prepare(out_dir, resources, **options)`` under ``name``.

    ``missing(resources, **options)`` says in one sentence why the raw files cannot be had;
    ``input_size(**options)`` gives the side length (or 1-D length) of the prepared samples
    (default: the ``size`` option, where the source has one); ``dims`` is 2 for images N×H×W×C
    and 1 for signals N×1×L; ``channels`` the number of channels of its samples (or a function
    of its options), where known (checked against a study's ``normalize`` before any job);
    ``classes`` its number of classes, where fixed (smoke variants generate data that matches);
    ``flip_safe`` False where a mirrored sample can belong to another class or none
    (handwritten digits), so that a study refuses horizontal-flip augmentation on it before any
    job.
    """

    registering_file = plugins.registering_file()

    def decorator(prepare: Callable[..., None]) -> Callable[..., None]:
        if name in SOURCES:
            raise ValueError(f"dataset source {name!r} is registered twice")
        SOURCES[name] = Source(
            prepare, missing, input_size, dims, channels, classes, registering_file, flip_safe
        )
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


def _accepted(function: Callable[..., Any]) -> dict[str, Any]:
    """The options of a source's ``prepare`` (after out_dir and resources), with defaults."""
    parameters = list(inspect.signature(function).parameters.values())[2:]
    return {p.name: p.default for p in parameters}


def resolved_options(options: dict[str, Any]) -> tuple[Source, dict[str, Any]]:
    """The source of ``options`` and its options with the source's defaults filled in."""
    options = dict(options)
    name = options.pop("source")
    source = get_source(name)
    accepted = _accepted(source.prepare)
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ValueError(
            unknown_options_sentence(f"dataset source {name!r}", list(accepted), unknown)
        )
    check_types(source.prepare, options, f"dataset source {name!r}")
    return source, {**accepted, **options}


def check_options(options: dict[str, Any]) -> None:
    """Raise ValueError with one sentence when the source is unknown or an option misspelt."""
    resolved_options(options)


def input_channels(options: dict[str, Any]) -> int | None:
    """The channels of the prepared samples, where the source declares them."""
    source, resolved = resolved_options(options)
    return source.channels(**resolved) if callable(source.channels) else source.channels


def source_of(options: dict[str, Any]) -> Source:
    """The registered source that ``options`` names."""
    return resolved_options(options)[0]


def flip_safe(options: dict[str, Any]) -> bool:
    """Whether a horizontal flip keeps every sample's class (False for handwritten digits)."""
    return resolved_options(options)[0].flip_safe


def input_shape(options: dict[str, Any]) -> tuple[int, int | None]:
    """(dims, size) of the prepared samples: 2 and the side of images, or 1 and the length of
    signals; size None where the source cannot tell before preparing."""
    source, resolved = resolved_options(options)
    if source.input_size is not None:
        return source.dims, source.input_size(**resolved)
    size = resolved.get("size")
    return source.dims, size if isinstance(size, int) else None


def prepare(options: dict[str, Any], out_dir: str | Path, resources: str | Path) -> None:
    """Prepare the dataset described by ``options`` (which holds its ``source``)."""
    source, _ = resolved_options(options)
    given = {k: v for k, v in options.items() if k != "source"}
    source.prepare(Path(out_dir), Path(resources), **given)


def missing(options: dict[str, Any], resources: str | Path) -> str | None:
    """One sentence saying what to do when the dataset cannot be had, else None."""
    options = dict(options)
    source = get_source(options.pop("source"))
    if source.missing is None:
        return None
    return source.missing(Path(resources), **options)


def source_file(name: str) -> str:
    """The file that registers the named source."""
    return get_source(name).source_file
