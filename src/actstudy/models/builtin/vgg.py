"""VGG-16 (S3); built by :mod:`actstudy.models.vgg`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from actstudy.models.registry import register_model

if TYPE_CHECKING:
    from torch import nn

    from actstudy.activations import MakeAct


@register_model("vgg16", roles=("conv", "fc"), min_size=32)
def vgg16(num_classes: int, in_channels: int, make_act: MakeAct) -> nn.Module:
    """VGG-16 (S3): 13 convolutions in five pooled stages, 138 M parameters at 1000 classes.

    Five 2x2 poolings need inputs of at least 32 pixels (28-pixel MNIST must be resized).
    """
    from actstudy.models.vgg import VGG

    return VGG(num_classes, in_channels, make_act)
