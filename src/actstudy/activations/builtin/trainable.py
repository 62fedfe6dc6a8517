"""S2's activations with trainable parameters (Pishchik 2023); built by
:mod:`actstudy.activations.trainable`. As in the released code, one set of parameters serves the
whole network (``default_scope="network"``); ``scope: layer`` gives every use its own."""

from __future__ import annotations

from typing import TYPE_CHECKING

from actstudy.activations.registry import register

if TYPE_CHECKING:
    from torch import nn


@register("coslu", default_scope="network", compile=True)
def coslu(a: float = 1.0, b: float = 1.0) -> nn.Module:
    """CosLU(x) = sigmoid(x)·(x + a·cos(b·x)) with trainable scalars a and b."""
    from actstudy.activations.trainable import CosLU

    return CosLU(a=a, b=b)


@register("delu", default_scope="network", compile=True)
def delu(n: float = 0.0) -> nn.Module:
    """DELU(x) = SiLU(x) for x ≤ 0, (n + 0.5)·x + |e^-x - 1| for x > 0, with trainable n."""
    from actstudy.activations.trainable import DELU

    return DELU(n=n)


@register("relun", default_scope="network", compile=True)
def relun(n: float = 1.0) -> nn.Module:
    """ReLUN(x) = min(max(0, x), n) with trainable n; d/dn = 1 where x > n, 0 elsewhere."""
    from actstudy.activations.trainable import ReLUN

    return ReLUN(n=n)
