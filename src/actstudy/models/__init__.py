"""Model registry: ``create(name, num_classes=..., in_channels=..., act=spec, **options)``
(or ``make_act=`` a ready role → module function instead of ``act``), ``names()``,
``options(name)``, ``roles(name)``, and the input sizes a model takes."""

from actstudy.models import (  # noqa: F401  (registers)
    afos,
    alexnet,
    cct,
    cifar_resnet,
    lenet,
    mobilenet,
    resnet,
    transfer,
    vgg,
)
from actstudy.models.registry import (
    create,
    input_size,
    min_input_size,
    names,
    options,
    register_model,
    roles,
    spatial_dims,
)

__all__ = [
    "create",
    "input_size",
    "min_input_size",
    "names",
    "options",
    "register_model",
    "roles",
    "spatial_dims",
]
