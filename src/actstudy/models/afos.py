"""The small CNN that scores candidate activations in AFOS's evolutionary search (S3), as
declared in :mod:`actstudy.models.builtin.afos`."""

from __future__ import annotations

from torch import nn

from actstudy.activations import MakeAct

WIDTHS = (32, 64, 128)
MIN_SIZE = 2 ** len(WIDTHS)
INITS = ("keras", "pytorch")  # the first is the default
"""``keras``: the released code's (``fitness.py``) initialisation; ``pytorch``: PyTorch's
default initialisation of every layer."""


def keras_init(model: nn.Sequential) -> None:
    """The released code's initialisation: ``he_uniform`` on every 3x3 convolution and on the
    first dense layer, Keras' default ``glorot_uniform`` on the 1x1 channel mixes and the other
    dense layers, every bias zero (Keras' default)."""
    linears = [m for m in model if isinstance(m, nn.Linear)]
    for module in model:
        if not isinstance(module, nn.Conv2d | nn.Linear):
            continue
        he = module is linears[0] or (
            isinstance(module, nn.Conv2d) and module.kernel_size != (1, 1)
        )
        if he:  # Keras' he_uniform: U(±sqrt(6 / fan_in))
            nn.init.kaiming_uniform_(module.weight, mode="fan_in", nonlinearity="relu")
        else:  # glorot_uniform: U(±sqrt(6 / (fan_in + fan_out)))
            nn.init.xavier_uniform_(module.weight)
        nn.init.zeros_(module.bias)


def afos_cnn(
    num_classes: int, in_channels: int, make_act: MakeAct, *, input_size: int, init: str
) -> nn.Sequential:
    """The AFOS fitness CNN as declared (and described) in :mod:`actstudy.models.builtin.afos`."""
    if input_size < MIN_SIZE:
        raise ValueError(f"afos_cnn needs input_size of at least {MIN_SIZE}, not {input_size}")
    if init not in INITS:
        raise ValueError(f"afos_cnn's init is {init!r}; use one of {', '.join(INITS)}")
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
    model = nn.Sequential(*layers)
    if init == "keras":
        keras_init(model)
    return model
