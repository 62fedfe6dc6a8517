"""CIFAR ResNet-n of He et al. (2016, section 4.2), as declared in
:mod:`actstudy.models.builtin.cifar_resnet`: depth 6n + 2, 16/32/64 channels, option-A shortcuts."""

from __future__ import annotations

from actstudy.activations import MakeAct
from actstudy.models.resnet import ResNet
from actstudy.models.resnet_blocks import BasicBlock

WIDTHS = (16, 32, 64)


def cifar_resnet(depth: int, num_classes: int, in_channels: int, make_act: MakeAct) -> ResNet:
    """CIFAR ResNet-``depth``: (depth - 2)/6 BasicBlocks in each of three stages."""
    blocks = (depth - 2) // 6
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
