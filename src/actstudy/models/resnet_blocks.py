"""Residual blocks for the ImageNet, CIFAR and 1-D ResNets, with torchvision's attribute names.

Each block asks its ``make_act`` for a fresh activation (role ``"block"``) at every use:
after the first convolution(s) and after the residual addition. A :class:`Variant` says how the
blocks are built: torchvision's (ResNet v1.5, the default) or Keras' ``ResNet50`` (v1).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F

from actstudy.activations import MakeAct

CONV: dict[int, type[nn.Module]] = {1: nn.Conv1d, 2: nn.Conv2d}
NORM: dict[int, type[nn.Module]] = {1: nn.BatchNorm1d, 2: nn.BatchNorm2d}


@dataclass(frozen=True)
class Variant:
    """How a ResNet's convolutions, batch norms and bottlenecks are built."""

    name: str
    stride_in_reduce: bool
    """A downsampling bottleneck strides its first 1-wide convolution (v1), else its 3-wide
    one (v1.5)."""
    conv_bias: bool
    """Convolutions have a bias (Keras' Conv2D default) or none (torchvision)."""
    bn_momentum: float
    """PyTorch's convention: the weight of the new batch statistics, 1 − Keras' momentum."""
    bn_eps: float
    pool_zero_padding: bool
    """The stem's max pooling pads with zeros (Keras' ZeroPadding2D) or with −∞ (PyTorch)."""

    def norm(self, dims: int, channels: int) -> nn.Module:
        """A batch norm with this variant's momentum and eps."""
        return NORM[dims](channels, eps=self.bn_eps, momentum=self.bn_momentum)

    def describe(self) -> dict[str, object]:
        """The variant's choices, for a run's manifest."""
        return asdict(self)


VARIANTS = {
    "torchvision_v1_5": Variant("torchvision_v1_5", False, False, 0.1, 1e-5, False),
    "keras_v1": Variant("keras_v1", True, True, 0.01, 1.001e-5, True),
}
"""torchvision's ResNet (v1.5: stride in the 3×3 convolution, bias-free convolutions, PyTorch's
batch norm defaults) and Keras' ``keras.applications.ResNet50`` (v1: stride in the first 1×1
convolution, convolutions with bias, BatchNormalization momentum 0.99 and eps 1.001e-5)."""
TORCHVISION = VARIANTS["torchvision_v1_5"]


def conv(
    dims: int, in_channels: int, out_channels: int, kernel: int, stride: int = 1, bias: bool = False
) -> nn.Module:
    """A convolution with "same" padding (before striding), bias-free unless ``bias``."""
    return CONV[dims](
        in_channels, out_channels, kernel, stride=stride, padding=kernel // 2, bias=bias
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
        variant: Variant = TORCHVISION,
    ) -> None:
        super().__init__()
        bias = variant.conv_bias
        self.conv1 = conv(dims, in_channels, width, 3, stride, bias)
        self.bn1 = variant.norm(dims, width)
        self.act1 = make_act("block")
        self.conv2 = conv(dims, width, width, 3, bias=bias)
        self.bn2 = variant.norm(dims, width)
        self.downsample = downsample
        self.act2 = make_act("block")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.act1(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += identity
        return self.act2(out)


class Bottleneck(nn.Module):
    """1-wide reduce, 3-wide and 1-wide expand convolutions (ResNet-50); a downsampling block
    strides the 3-wide one (v1.5) or, in Keras' v1, the 1-wide reduce."""

    expansion = 4

    def __init__(
        self,
        in_channels: int,
        width: int,
        stride: int,
        downsample: nn.Module | None,
        make_act: MakeAct,
        dims: int = 2,
        variant: Variant = TORCHVISION,
    ) -> None:
        super().__init__()
        bias, v1 = variant.conv_bias, variant.stride_in_reduce
        self.conv1 = conv(dims, in_channels, width, 1, stride if v1 else 1, bias)
        self.bn1 = variant.norm(dims, width)
        self.act1 = make_act("block")
        self.conv2 = conv(dims, width, width, 3, 1 if v1 else stride, bias)
        self.bn2 = variant.norm(dims, width)
        self.act2 = make_act("block")
        self.conv3 = conv(dims, width, width * self.expansion, 1, bias=bias)
        self.bn3 = variant.norm(dims, width * self.expansion)
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


def projection_shortcut(
    dims: int, in_channels: int, out_channels: int, stride: int, variant: Variant = TORCHVISION
) -> nn.Module:
    """Option-B shortcut: strided 1-wide convolution and batch norm (torchvision's downsample)."""
    return nn.Sequential(
        conv(dims, in_channels, out_channels, 1, stride, variant.conv_bias),
        variant.norm(dims, out_channels),
    )
