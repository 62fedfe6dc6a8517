"""Activations: ``create(spec)``, ``factory(spec)``, ``names()``, ``set_progress``,
``recommended_compile(spec)``."""

from actstudy.activations import standard  # noqa: F401  (registers the native-op activations)
from actstudy.activations.eelu import EELU, EELUPositive, EELUSquared, ErfSoftplus
from actstudy.activations.expression import Expression
from actstudy.activations.piecewise import DSReLU, LReLU, set_progress
from actstudy.activations.registry import (
    MakeAct,
    Spec,
    create,
    factory,
    names,
    parameters_of,
    recommended_compile,
    register,
    scope_of,
)
from actstudy.activations.trainable import DELU, CosLU, ReLUN

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
    "ReLUN",
    "Spec",
    "create",
    "factory",
    "names",
    "parameters_of",
    "recommended_compile",
    "register",
    "scope_of",
    "set_progress",
]
