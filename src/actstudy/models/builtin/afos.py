"""The small CNN that scores candidate activations in AFOS's search (S3); built by
:mod:`actstudy.models.afos`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from actstudy.models.registry import register_model
from actstudy.options import check_choice

if TYPE_CHECKING:
    from torch import nn

    from actstudy.activations import MakeAct

WIDTHS = (32, 64, 128)
MIN_SIZE = 2 ** len(WIDTHS)
INITS = ("keras", "pytorch")  # the first is the default
"""``keras``: the released code's (``fitness.py``) initialisation; ``pytorch``: PyTorch's
default initialisation of every layer."""


def _check(*, init: str, **_: object) -> None:
    check_choice("init", init, INITS)


@register_model("afos_cnn", roles=("conv", "fc"), min_size=MIN_SIZE, check=_check)
def afos_cnn(
    num_classes: int,
    in_channels: int,
    make_act: MakeAct,
    *,
    input_size: int = 32,
    init: str = INITS[0],
) -> nn.Module:
    """Three stages of [3x3 conv (linear) → 1x1 conv + activation] twice → 2x2 max pool →
    dropout 0.2, widths 32/64/128; then flatten → dense 128 (linear) → dense 128 + activation
    → dropout 0.2 → dense ``num_classes``.

    Roles: ``"conv"`` (after each 1x1 channel mix) and ``"fc"`` (after the second dense layer).
    The 3x3 convolutions pad by 1 ("same"), so the flattened size is 128·(input_size // 8)².
    ``init``: one of :data:`INITS` (the released code's by default: with PyTorch's the network
    stays at chance for an epoch at the search's learning rate).
    """
    from actstudy.models import afos

    return afos.afos_cnn(num_classes, in_channels, make_act, input_size=input_size, init=init)
