"""Activations: ``create(spec)``, ``check(spec)``, ``factory(spec)``, ``names()``,
``set_progress``, ``recommended_compile(spec)``.

The built-in activations are declared in :mod:`actstudy.activations.builtin` (names,
parameters, checks; no torch) and their modules are imported on first use, so that checking a
study's activations imports no torch. The classes below are imported (with torch) when first
asked for.
"""

from importlib import import_module
from typing import Any

from actstudy.activations.registry import (
    MakeAct,
    Spec,
    check,
    create,
    factory,
    names,
    parameters_of,
    recommended_compile,
    register,
    scope_of,
    source_files,
)

_LAZY = {
    "EELU": "eelu",
    "EELUPositive": "eelu",
    "EELUSquared": "eelu",
    "ErfSoftplus": "eelu",
    "Expression": "expression_module",
    "DSReLU": "piecewise",
    "LReLU": "piecewise",
    "ProgressDriven": "progress",
    "set_progress": "progress",
    "CosLU": "trainable",
    "DELU": "trainable",
    "ReLUN": "trainable",
}


def __getattr__(name: str) -> Any:
    """The torch classes and ``set_progress``, imported on first use."""
    if name in _LAZY:
        return getattr(import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DELU",
    "EELU",
    "CosLU",
    "DSReLU",
    "EELUPositive",
    "EELUSquared",
    "ErfSoftplus",
    "Expression",
    "LReLU",
    "MakeAct",
    "ProgressDriven",
    "ReLUN",
    "Spec",
    "check",
    "create",
    "factory",
    "names",
    "parameters_of",
    "recommended_compile",
    "register",
    "scope_of",
    "set_progress",
    "source_files",
]
