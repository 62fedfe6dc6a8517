"""MobileNetV2 (Sandler et al. 2018), width 1.0, as torchvision's ``mobilenet_v2``; MobileNet v1
(Howard et al. 2017), width multiplier 1."""

from __future__ import annotations

import torch
from torch import nn

from actstudy.activations import MakeAct
from actstudy.models.weight_init import init_weights
from actstudy.options import check_choice

# (expansion t, output channels c, repeats n, first stride s), from the paper's Table 2.
SETTINGS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
            (6, 160, 3, 2), (6, 320, 1, 1))  # fmt: skip
STEM_WIDTH = 32
HEAD_WIDTH = 1280


def conv_bn_act(
    in_channels: int, out_channels: int, kernel: int, stride: int, groups: int, act: nn.Module
) -> nn.Sequential:
    """Bias-free convolution, batch norm, activation (torchvision's Conv2dNormActivation)."""
    return nn.Sequential(
        nn.Conv2d(
            in_channels,
            out_channels,
            kernel,
            stride=stride,
            padding=(kernel - 1) // 2,
            groups=groups,
            bias=False,
        ),
        nn.BatchNorm2d(out_channels),
        act,
    )


class InvertedResidual(nn.Module):
    """1x1 expansion, 3x3 depthwise, linear 1x1 projection; identity shortcut when shapes match."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        stride: int,
        expansion: int,
        make_act: MakeAct,
    ) -> None:
        super().__init__()
        hidden = in_channels * expansion
        layers: list[nn.Module] = []
        if expansion != 1:
            layers.append(conv_bn_act(in_channels, hidden, 1, 1, 1, make_act("block")))
        layers += [
            conv_bn_act(hidden, hidden, 3, stride, hidden, make_act("block")),
            nn.Conv2d(hidden, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels),
        ]
        self.conv = nn.Sequential(*layers)
        self.use_residual = stride == 1 and in_channels == out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(x) if self.use_residual else self.conv(x)


class MobileNetV2(nn.Module):
    """Module names are torchvision's. Activation roles: ``"stem"`` (first convolution),
    ``"block"`` (expansion and depthwise convolutions), ``"head"`` (last 1x1 convolution);
    the paper's ReLU6 is whatever the spec gives."""

    def __init__(self, num_classes: int, in_channels: int, make_act: MakeAct) -> None:
        super().__init__()
        layers: list[nn.Module] = [conv_bn_act(in_channels, STEM_WIDTH, 3, 2, 1, make_act("stem"))]
        channels = STEM_WIDTH
        for expansion, width, repeats, stride in SETTINGS:
            for index in range(repeats):
                layers.append(
                    InvertedResidual(
                        channels, width, stride if index == 0 else 1, expansion, make_act
                    )
                )
                channels = width
        layers.append(conv_bn_act(channels, HEAD_WIDTH, 1, 1, 1, make_act("head")))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(HEAD_WIDTH, num_classes))
        init_weights(self, linear_std=0.01)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = nn.functional.adaptive_avg_pool2d(self.features(x), 1)
        return self.classifier(torch.flatten(x, 1))


# MobileNet v1 (Howard et al. 2017, Table 1): (output channels, stride) of the 13
# depthwise-separable blocks after the 32-channel stride-2 first convolution.
V1_BLOCKS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), *((512, 1),) * 5,
             (1024, 2), (1024, 1))  # fmt: skip
V1_STEMS = ("imagenet", "cifar")


class MobileNetV1(nn.Module):
    """MobileNet v1 at width multiplier 1: a 3x3 convolution, 13 depthwise-separable blocks
    (3x3 depthwise then 1x1 pointwise, each with batch norm and activation), global average
    pooling and one fully connected layer. Activation roles: ``"stem"`` (first convolution),
    ``"block"`` (every depthwise and pointwise convolution); the paper's ReLU is whatever the
    spec gives."""

    def __init__(self, num_classes: int, in_channels: int, make_act: MakeAct, stem: str) -> None:
        super().__init__()
        check_choice("stem", stem, V1_STEMS)
        first_stride = 2 if stem == "imagenet" else 1
        layers: list[nn.Module] = [
            conv_bn_act(in_channels, STEM_WIDTH, 3, first_stride, 1, make_act("stem"))
        ]
        channels = STEM_WIDTH
        for width, stride in V1_BLOCKS:
            layers += [
                conv_bn_act(channels, channels, 3, stride, channels, make_act("block")),
                conv_bn_act(channels, width, 1, 1, 1, make_act("block")),
            ]
            channels = width
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(channels, num_classes)
        init_weights(self, linear_std=0.01)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = nn.functional.adaptive_avg_pool2d(self.features(x), 1)
        return self.classifier(torch.flatten(x, 1))
