"""Model registry: ``create(name, num_classes=..., in_channels=..., act=spec, **options)``
(or ``make_act=`` a ready role → module function instead of ``act``), ``names()``,
``options(name)``, ``roles(name)``, and the input sizes a model takes.

Every module of this package is imported here, so the ``@register_model`` calls in a new module
take effect without editing this file.
"""

import importlib
import pkgutil

from actstudy.models.registry import (
    check,
    check_input,
    create,
    input_size,
    min_input_size,
    names,
    normalization,
    options,
    options_for_input,
    register_model,
    roles,
    source_file,
    spatial_dims,
)

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = [
    "check",
    "check_input",
    "create",
    "input_size",
    "min_input_size",
    "names",
    "normalization",
    "options",
    "options_for_input",
    "register_model",
    "roles",
    "source_file",
    "spatial_dims",
]
