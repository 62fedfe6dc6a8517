"""AlexNet as torchvision's single-tower version (Krizhevsky 2014, "one weird trick")."""

from __future__ import annotations

import torch
from torch import nn

from actstudy.activations import MakeAct
from actstudy.options import check_choice

STEMS = ("imagenet", "cifar")


class AlexNet(nn.Module):
    """Five convolutions ``features``, adaptive average pooling to 6x6, three-layer ``classifier``.

    Module names and indices are torchvision's. Activation roles: ``"conv"`` (after every
    convolution) and ``"fc"`` (after the two hidden dense layers).
    """

    def __init__(self, num_classes: int, in_channels: int, make_act: MakeAct, stem: str) -> None:
        super().__init__()
        check_choice("stem", stem, STEMS)
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
