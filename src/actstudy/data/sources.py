"""Dataset sources: name → function that acquires (if needed) and prepares one dataset.

A study config names a dataset by a label and gives its ``source`` and options, e.g.
``digits: {source: digits, size: 32}``. Every source is a function
``prepare(out_dir, resources, **options)`` that writes the prepared-array format
(:mod:`actstudy.data.prepared`) to ``out_dir``, reading or downloading raw files under
``resources``; and optionally ``missing(resources, **options)`` returning one sentence when the raw
files are absent and cannot be fetched, so the workflow stops before any training.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from actstudy import plugins
from actstudy.options import check_types, unknown_options_sentence
from actstudy.registry import Registry, declared_names


@dataclass(frozen=True)
class Source:
    """What a source declares at :func:`register_source`, beside its ``prepare``."""

    missing: Callable[..., str | None] | None = None
    input_size: Callable[..., int | None] | None = None
    dims: int = 2
    channels: int | Callable[..., int] | None = None
    classes: int | None = None
    flip_safe: bool = True


# The modules of this package that register sources (and the heavy libraries they need:
# torchvision, wfdb, scipy) are imported only when one of their sources is used, so that training
# jobs and config validation start fast; their names are read from the modules' text.
_SOURCES: Registry[Callable[..., None], Source] = Registry(
    "dataset source", lazy=lambda: declared_names("actstudy.data", "register_source")
)


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
    job. A built-in source (a module of this package) writes its name out in the call, so that
    it is found without importing the module.
    """
    return _SOURCES.register(
        name,
        extras=Source(missing, input_size, dims, channels, classes, flip_safe),
        source_file=plugins.registering_file(),
    )


def source_names() -> list[str]:
    return _SOURCES.names()


def _accepted(function: Callable[..., Any]) -> dict[str, Any]:
    """The options of a source's ``prepare`` (after out_dir and resources), with defaults."""
    parameters = list(inspect.signature(function).parameters.values())[2:]
    return {p.name: p.default for p in parameters}


def resolved_options(options: dict[str, Any]) -> tuple[Source, dict[str, Any]]:
    """The source of ``options`` and its options with the source's defaults filled in."""
    options = dict(options)
    name = options.pop("source")
    entry = _SOURCES.get(name)
    accepted = _accepted(entry.builder)
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ValueError(
            unknown_options_sentence(f"dataset source {name!r}", list(accepted), unknown)
        )
    check_types(entry.builder, options, f"dataset source {name!r}")
    return entry.extras, {**accepted, **options}


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
    resolved_options(options)  # rejects unknown options with the list of accepted ones
    given = {k: v for k, v in options.items() if k != "source"}
    _SOURCES.get(options["source"]).builder(Path(out_dir), Path(resources), **given)


def missing(options: dict[str, Any], resources: str | Path) -> str | None:
    """One sentence saying what to do when the dataset cannot be had, else None."""
    options = dict(options)
    source = _SOURCES.get(options.pop("source")).extras
    if source.missing is None:
        return None
    return source.missing(Path(resources), **options)


def source_file(name: str) -> str:
    """The file that registers the named source."""
    return _SOURCES.source_file(name)
