"""Activation registry: ``create(spec)``, ``factory(spec)``, ``names()``, ``set_progress``."""

from actstudy.activations import piecewise, standard  # noqa: F401  (registers)
from actstudy.activations.piecewise import DSReLU, LReLU, set_progress
from actstudy.activations.registry import (
    ActFactory,
    Spec,
    create,
    factory,
    names,
    parameters_of,
    register,
    scope_of,
)

__all__ = [
    "ActFactory",
    "DSReLU",
    "LReLU",
    "Spec",
    "create",
    "factory",
    "names",
    "parameters_of",
    "register",
    "scope_of",
    "set_progress",
]
