"""CIFAR ResNet-n of He et al. (2016, section 4.2): depth 6n + 2 (S2).

A 3x3 convolution with 16 channels, three stages of n BasicBlocks with 16/32/64 channels
(the second and third halve the resolution), global average pooling and a linear head.
Shortcuts are option A: strided identity plus zero channels, no parameters. ResNet-20 has
0.27 M and ResNet-56 0.85 M parameters at 10 classes, as published.
Activation roles: ``"stem"`` and ``"block"``.
"""

from __future__ import annotations

from collections.abc import Callable

from actstudy.activations import MakeAct
from actstudy.models.registry import register_model
from actstudy.models.resnet import ROLES, ResNet
from actstudy.models.resnet_blocks import BasicBlock

DEPTHS = (8, 14, 20, 26, 32, 44, 56, 110)
WIDTHS = (16, 32, 64)


def _builder(depth: int) -> Callable[..., ResNet]:
    blocks = (depth - 2) // 6

    def build(num_classes: int, in_channels: int, make_act: MakeAct) -> ResNet:
        return ResNet(
            BasicBlock,
            (blocks,) * 3,
            WIDTHS,
            num_classes,
            in_channels,
            make_act,
            stem="cifar",
            shortcut="pad",
        )

    build.__doc__ = f"CIFAR ResNet-{depth}: {blocks} BasicBlocks per stage, option-A shortcuts."
    return build


for _depth in DEPTHS:
    register_model(f"resnet{_depth}", roles=ROLES, min_size=4)(_builder(_depth))
