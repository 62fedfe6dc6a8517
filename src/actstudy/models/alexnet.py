"""AlexNet as torchvision's single-tower version (Krizhevsky 2014, "one weird trick")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from actstudy.activations import MakeAct
from actstudy.models.registry import register_model

STEMS = ("imagenet", "cifar")


class AlexNet(nn.Module):
    """Five convolutions ``features``, adaptive average pooling to 6x6, three-layer ``classifier``.

    Module names and indices are torchvision's. Activation roles: ``"conv"`` (after every
    convolution) and ``"fc"`` (after the two hidden dense layers).
    """

    def __init__(self, num_classes: int, in_channels: int, make_act: MakeAct, stem: str) -> None:
        super().__init__()
        if stem not in STEMS:
            raise ValueError(f"stem must be one of {', '.join(STEMS)}, not {stem!r}")
        first = (
            nn.Conv2d(in_channels, 64, 11, stride=4, padding=2)
            if stem == "imagenet"
            else nn.Conv2d(in_channels, 64, 3, padding=1)
        )
        self.features = nn.Sequential(
            first,
            make_act("conv"),
            nn.MaxPool2d(3, stride=2),
            nn.Conv2d(64, 192, 5, padding=2),
            make_act("conv"),
            nn.MaxPool2d(3, stride=2),
            nn.Conv2d(192, 384, 3, padding=1),
            make_act("conv"),
            nn.Conv2d(384, 256, 3, padding=1),
            make_act("conv"),
            nn.Conv2d(256, 256, 3, padding=1),
            make_act("conv"),
            nn.MaxPool2d(3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d(6)
        self.classifier = nn.Sequential(
            nn.Dropout(0.5),
            nn.Linear(256 * 6 * 6, 4096),
            make_act("fc"),
            nn.Dropout(0.5),
            nn.Linear(4096, 4096),
            make_act("fc"),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


def _min_size(options: Mapping[str, Any]) -> int:
    return 63 if options["stem"] == "imagenet" else 15


@register_model("alexnet", roles=("conv", "fc"), min_size=_min_size)
def alexnet(
    num_classes: int, in_channels: int, make_act: MakeAct, *, stem: str = "imagenet"
) -> AlexNet:
    """AlexNet (S3), 61.1 M parameters at 1000 classes.

    ``stem="imagenet"``: torchvision's 11x11 stride-4 first convolution, which needs inputs of
    at least 63 pixels. ``stem="cifar"``: a 3x3 stride-1 first convolution instead, for 32-pixel
    inputs (any size from 15); the rest of the network is unchanged.
    """
    return AlexNet(num_classes, in_channels, make_act, stem)
