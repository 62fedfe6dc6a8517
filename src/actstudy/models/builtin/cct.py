"""The Compact Convolutional Transformer (S3); built by :mod:`actstudy.models.cct`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from actstudy.models.registry import register_model

if TYPE_CHECKING:
    from torch import nn

    from actstudy.activations import MakeAct


@register_model("cct", roles=("tokenizer", "mlp"))
def cct(
    num_classes: int,
    in_channels: int,
    make_act: MakeAct,
    *,
    input_size: int = 32,
    depth: int = 2,
    heads: int = 2,
    dim: int = 128,
    mlp_ratio: float = 1.0,
    conv_layers: int = 2,
    kernel_size: int = 3,
) -> nn.Module:
    """CCT (S3). The default is the small CCT-2/3x2 (0.28 M parameters on CIFAR-10).

    CCT-L/KxC has L = ``depth`` encoder layers and C = ``conv_layers`` tokenizer convolutions of
    size K = ``kernel_size``. The paper's CIFAR model CCT-7/3x1 (3.76 M) is ``depth=7, heads=4,
    dim=256, mlp_ratio=2, conv_layers=1``. Fixed as in the paper: attention dropout 0.1,
    stochastic depth up to 0.1, tokenizer inner width 64. The positional embedding is learnt for
    one ``input_size``.
    """
    from actstudy.models.cct import CCT

    return CCT(
        num_classes,
        in_channels,
        make_act,
        input_size=input_size,
        depth=depth,
        heads=heads,
        dim=dim,
        mlp_ratio=mlp_ratio,
        conv_layers=conv_layers,
        kernel_size=kernel_size,
    )
