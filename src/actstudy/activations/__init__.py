"""Activations: ``create(spec)``, ``factory(spec)``, ``names()``, ``set_progress``,
``recommended_compile(spec)``.

Every module of this package is imported here, so the ``@register`` calls in a new module take
effect without editing this file (and without making runs of other activations stale).
"""

import importlib
import pkgutil

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
    source_files,
)

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

from actstudy.activations.eelu import EELU, EELUPositive, EELUSquared, ErfSoftplus  # noqa: E402
from actstudy.activations.expression import Expression  # noqa: E402
from actstudy.activations.piecewise import DSReLU, LReLU  # noqa: E402
from actstudy.activations.progress import ProgressDriven, set_progress  # noqa: E402
from actstudy.activations.trainable import DELU, CosLU, ReLUN  # noqa: E402

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
