"""Residual blocks for the ImageNet, CIFAR and 1-D ResNets, with torchvision's attribute names.

Each block asks its ``make_act`` for a fresh activation (role ``"block"``) at every use:
after the first convolution(s) and after the residual addition.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from actstudy.activations import MakeAct

CONV: dict[int, type[nn.Module]] = {1: nn.Conv1d, 2: nn.Conv2d}
NORM: dict[int, type[nn.Module]] = {1: nn.BatchNorm1d, 2: nn.BatchNorm2d}


def conv(dims: int, in_channels: int, out_channels: int, kernel: int, stride: int = 1) -> nn.Module:
    """A bias-free convolution with "same" padding (before striding)."""
    return CONV[dims](
        in_channels, out_channels, kernel, stride=stride, padding=kernel // 2, bias=False
    )


class BasicBlock(nn.Module):
    """Two 3-wide convolutions (He et al. 2016, ResNet-18/34 and the CIFAR ResNets)."""

    expansion = 1

    def __init__(
        self,
        in_channels: int,
        width: int,
        stride: int,
        downsample: nn.Module | None,
        make_act: MakeAct,
        dims: int = 2,
    ) -> None:
        super().__init__()
        self.conv1 = conv(dims, in_channels, width, 3, stride)
        self.bn1 = NORM[dims](width)
        self.act1 = make_act("block")
        self.conv2 = conv(dims, width, width, 3)
        self.bn2 = NORM[dims](width)
        self.downsample = downsample
        self.act2 = make_act("block")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.act1(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += identity
        return self.act2(out)


class Bottleneck(nn.Module):
    """1-wide reduce, 3-wide (strided) and 1-wide expand convolutions (ResNet-50, v1.5)."""

    expansion = 4

    def __init__(
        self,
        in_channels: int,
        width: int,
        stride: int,
        downsample: nn.Module | None,
        make_act: MakeAct,
        dims: int = 2,
    ) -> None:
        super().__init__()
        self.conv1 = conv(dims, in_channels, width, 1)
        self.bn1 = NORM[dims](width)
        self.act1 = make_act("block")
        self.conv2 = conv(dims, width, width, 3, stride)
        self.bn2 = NORM[dims](width)
        self.act2 = make_act("block")
        self.conv3 = conv(dims, width, width * self.expansion, 1)
        self.bn3 = NORM[dims](width * self.expansion)
        self.downsample = downsample
        self.act3 = make_act("block")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.act1(self.bn1(self.conv1(x)))
        out = self.act2(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        out += identity
        return self.act3(out)


class PadShortcut(nn.Module):
    """He et al.'s option-A shortcut: stride-2 identity with zero channels appended (no weights)."""

    def __init__(self, extra_channels: int) -> None:
        super().__init__()
        self.extra_channels = extra_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, 0, self.extra_channels))

    def extra_repr(self) -> str:
        return f"extra_channels={self.extra_channels}"


def projection_shortcut(dims: int, in_channels: int, out_channels: int, stride: int) -> nn.Module:
    """Option-B shortcut: strided 1-wide convolution and batch norm (torchvision's downsample)."""
    return nn.Sequential(conv(dims, in_channels, out_channels, 1, stride), NORM[dims](out_channels))
