"""CIFAR ResNet-n of He et al. (2016, section 4.2): depth 6n + 2 (S2); built by
:mod:`actstudy.models.cifar_resnet`.

A 3x3 convolution with 16 channels, three stages of n BasicBlocks with 16/32/64 channels
(the second and third halve the resolution), global average pooling and a linear head.
Shortcuts are option A: strided identity plus zero channels, no parameters. ResNet-20 has
0.27 M and ResNet-56 0.85 M parameters at 10 classes, as published.
Activation roles: ``"stem"`` and ``"block"``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from actstudy.models.builtin.resnet import ROLES
from actstudy.models.registry import register_model

if TYPE_CHECKING:
    from torch import nn

    from actstudy.activations import MakeAct


def _depth(depth: int) -> Callable[..., nn.Module]:
    def build(num_classes: int, in_channels: int, make_act: MakeAct) -> nn.Module:
        from actstudy.models.cifar_resnet import cifar_resnet

        return cifar_resnet(depth, num_classes, in_channels, make_act)

    build.__doc__ = (
        f"CIFAR ResNet-{depth}: {(depth - 2) // 6} BasicBlocks per stage, option-A shortcuts."
    )
    return build


register_model("resnet8", roles=ROLES, min_size=4)(_depth(8))
register_model("resnet14", roles=ROLES, min_size=4)(_depth(14))
register_model("resnet20", roles=ROLES, min_size=4)(_depth(20))
register_model("resnet26", roles=ROLES, min_size=4)(_depth(26))
register_model("resnet32", roles=ROLES, min_size=4)(_depth(32))
register_model("resnet44", roles=ROLES, min_size=4)(_depth(44))
register_model("resnet56", roles=ROLES, min_size=4)(_depth(56))
register_model("resnet110", roles=ROLES, min_size=4)(_depth(110))
