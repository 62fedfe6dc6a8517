"""Residual networks of He et al. (2016): ResNet-18/34/50 (images) and a 1-D ResNet-34 (signals),
as declared in :mod:`actstudy.models.builtin.resnet`.

Activation roles: ``"stem"`` (after the first convolution) and ``"block"`` (every activation
inside the residual blocks). Module and parameter names are torchvision's, so its ImageNet
state dicts load directly (activations with parameters add keys of their own). ResNet-50 has
two variants (option ``variant``, :data:`~actstudy.models.resnet_blocks.VARIANTS`):
torchvision's v1.5 (the default) and Keras' ``ResNet50`` v1, which S1's report trained.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from actstudy.activations import MakeAct
from actstudy.models.resnet_blocks import (
    CONV,
    TORCHVISION,
    VARIANTS,
    BasicBlock,
    Bottleneck,
    PadShortcut,
    Variant,
    projection_shortcut,
)
from actstudy.models.weight_init import init_weights
from actstudy.options import check_choice

STEMS = ("imagenet", "cifar")
SHORTCUTS = ("projection", "pad")
_MAXPOOL: dict[int, type[nn.Module]] = {1: nn.MaxPool1d, 2: nn.MaxPool2d}
_AVGPOOL: dict[int, type[nn.Module]] = {1: nn.AdaptiveAvgPool1d, 2: nn.AdaptiveAvgPool2d}
_ZEROPAD: dict[int, type[nn.Module]] = {1: nn.ConstantPad1d, 2: nn.ConstantPad2d}


def _stem_pool(dims: int, zero_padding: bool) -> nn.Module:
    """3-wide stride-2 max pooling, its border padded with −∞ (PyTorch) or with zeros (Keras'
    ZeroPadding2D before MaxPooling2D: differs where the stem's activation is negative)."""
    if not zero_padding:
        return _MAXPOOL[dims](3, stride=2, padding=1)
    return nn.Sequential(_ZEROPAD[dims](1, 0.0), _MAXPOOL[dims](3, stride=2))


class ResNet(nn.Module):
    """Stem, stages ``layer1``… of residual blocks, global average pooling, linear head ``fc``.

    ``stem="imagenet"``: 7-wide stride-2 convolution and 3-wide stride-2 max pooling;
    ``stem="cifar"``: 3-wide stride-1 convolution, no pooling (for 32-pixel inputs).
    ``shortcut="projection"`` uses torchvision's 1x1 convolution + batch norm where the shape
    changes (option B); ``shortcut="pad"`` the parameter-free option A (2-D only).
    The first stage keeps the resolution, every later one halves it. ``variant`` builds the
    convolutions, batch norms and bottlenecks as torchvision (v1.5) or Keras (v1) do.
    """

    def __init__(
        self,
        block: type[BasicBlock | Bottleneck],
        depths: Sequence[int],
        widths: Sequence[int],
        num_classes: int,
        in_channels: int,
        make_act: MakeAct,
        *,
        stem: str = "imagenet",
        shortcut: str = "projection",
        dims: int = 2,
        variant: Variant = TORCHVISION,
    ) -> None:
        super().__init__()
        self.variant = variant
        check_choice("stem", stem, STEMS)
        check_choice("shortcut", shortcut, SHORTCUTS)
        imagenet = stem == "imagenet"
        self.conv1 = CONV[dims](
            in_channels,
            widths[0],
            7 if imagenet else 3,
            stride=2 if imagenet else 1,
            padding=3 if imagenet else 1,
            bias=variant.conv_bias,
        )
        self.bn1 = variant.norm(dims, widths[0])
        self.act = make_act("stem")
        self.maxpool = _stem_pool(dims, variant.pool_zero_padding) if imagenet else nn.Identity()
        channels = widths[0]
        self._stages: list[str] = []
        for index, (depth, width) in enumerate(zip(depths, widths, strict=True), start=1):
            blocks = []
            for position in range(depth):
                stride = 2 if index > 1 and position == 0 else 1
                out_channels = width * block.expansion
                downsample = None
                if stride != 1 or channels != out_channels:
                    downsample = (
                        PadShortcut(out_channels - channels)
                        if shortcut == "pad"
                        else projection_shortcut(dims, channels, out_channels, stride, variant)
                    )
                blocks.append(block(channels, width, stride, downsample, make_act, dims, variant))
                channels = out_channels
            self._stages.append(f"layer{index}")
            self.add_module(f"layer{index}", nn.Sequential(*blocks))
        self.avgpool = _AVGPOOL[dims](1)
        self.fc = nn.Linear(channels, num_classes)
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.act(self.bn1(self.conv1(x))))
        for stage in self._stages:
            x = getattr(self, stage)(x)
        return self.fc(torch.flatten(self.avgpool(x), 1))

    def describe(self) -> dict[str, object]:
        """How it was built (torchvision's v1.5 or Keras' v1), for a run's manifest."""
        return self.variant.describe()


IMAGENET_WIDTHS = (64, 128, 256, 512)

IMAGENET_DEPTHS: dict[str, tuple[type[BasicBlock | Bottleneck], tuple[int, ...]]] = {
    "resnet18": (BasicBlock, (2, 2, 2, 2)),
    "resnet34": (BasicBlock, (3, 4, 6, 3)),
    "resnet50": (Bottleneck, (3, 4, 6, 3)),
}


def imagenet_resnet(
    name: str,
    num_classes: int,
    in_channels: int,
    make_act: MakeAct,
    *,
    stem: str = "imagenet",
    variant: str = "torchvision_v1_5",
    dims: int = 2,
) -> ResNet:
    """ResNet-18/34/50 by name (blocks and widths of ImageNet's), as declared in
    :mod:`actstudy.models.builtin.resnet`."""
    block, depths = IMAGENET_DEPTHS[name]
    return ResNet(
        block,
        depths,
        IMAGENET_WIDTHS,
        num_classes,
        in_channels,
        make_act,
        stem=stem,
        dims=dims,
        variant=VARIANTS[variant],
    )
