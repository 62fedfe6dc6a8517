"""VGG-16 without batch norm (Simonyan & Zisserman 2015, configuration D), as torchvision's."""

from __future__ import annotations

import torch
from torch import nn

from actstudy.activations import MakeAct
from actstudy.models.weight_init import init_weights

CONFIG_D: tuple[int | str, ...] = (
    64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M",
)  # fmt: skip


class VGG(nn.Module):
    """Convolutions ``features``, adaptive average pooling to 7x7, three-layer ``classifier``.

    Module names and indices are torchvision's. Activation roles: ``"conv"`` (after every
    convolution) and ``"fc"`` (after the two hidden dense layers).
    """

    def __init__(self, num_classes: int, in_channels: int, make_act: MakeAct) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = in_channels
        for item in CONFIG_D:
            if item == "M":
                layers.append(nn.MaxPool2d(2))
            else:
                layers += [nn.Conv2d(channels, int(item), 3, padding=1), make_act("conv")]
                channels = int(item)
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(7)
        self.classifier = nn.Sequential(
            nn.Linear(channels * 7 * 7, 4096),
            make_act("fc"),
            nn.Dropout(0.5),
            nn.Linear(4096, 4096),
            make_act("fc"),
            nn.Dropout(0.5),
            nn.Linear(4096, num_classes),
        )
        init_weights(self, linear_std=0.01)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))
