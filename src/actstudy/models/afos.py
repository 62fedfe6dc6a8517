"""The small CNN that scores candidate activations in AFOS's evolutionary search (S3)."""

from __future__ import annotations

from torch import nn

from actstudy.activations import MakeAct
from actstudy.models.registry import register_model

WIDTHS = (32, 64, 128)
MIN_SIZE = 2 ** len(WIDTHS)


@register_model("afos_cnn", roles=("conv", "fc"), min_size=MIN_SIZE)
def afos_cnn(
    num_classes: int, in_channels: int, make_act: MakeAct, *, input_size: int = 32
) -> nn.Sequential:
    """Three stages of [3x3 conv (linear) → 1x1 conv + activation] twice → 2x2 max pool →
    dropout 0.2, widths 32/64/128; then flatten → dense 128 (linear) → dense 128 + activation
    → dropout 0.2 → dense ``num_classes``.

    Roles: ``"conv"`` (after each 1x1 channel mix) and ``"fc"`` (after the second dense layer).
    The 3x3 convolutions pad by 1 ("same"), so the flattened size is 128·(input_size // 8)².
    """
    if input_size < MIN_SIZE:
        raise ValueError(f"afos_cnn needs input_size of at least {MIN_SIZE}, not {input_size}")
    layers: list[nn.Module] = []
    channels = in_channels
    for width in WIDTHS:
        for _ in range(2):
            layers += [
                nn.Conv2d(channels, width, 3, padding=1),
                nn.Conv2d(width, width, 1),
                make_act("conv"),
            ]
            channels = width
        layers += [nn.MaxPool2d(2), nn.Dropout(0.2)]
    side = input_size // MIN_SIZE
    layers += [
        nn.Flatten(),
        nn.Linear(channels * side * side, 128),
        nn.Linear(128, 128),
        make_act("fc"),
        nn.Dropout(0.2),
        nn.Linear(128, num_classes),
    ]
    return nn.Sequential(*layers)
