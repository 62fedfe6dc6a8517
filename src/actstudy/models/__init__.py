"""Model registry: ``create(name, num_classes=..., in_channels=..., act=spec, **options)``
(or ``make_act=`` a ready role → module function instead of ``act``), ``names()``,
``options(name)``, ``roles(name)``, and the input sizes a model takes.

The built-in models are declared in :mod:`actstudy.models.builtin`, whose modules the registry
imports the first time one of their names is asked for; a new module there takes effect without
editing this file. Nothing here imports torch until a model is built.
"""

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
