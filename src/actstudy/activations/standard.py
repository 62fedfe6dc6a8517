"""Standard activations, each backed by PyTorch's native single-kernel op in eager mode.

Mish and LeakyReLU switch to a form the compiler fuses better under ``torch.compile``.
"""

from __future__ import annotations

import torch
from torch import nn

from actstudy.activations.functional import two_slopes
from actstudy.activations.registry import register

register("relu", compile=True)(nn.ReLU)
register("tanh", compile=True)(nn.Tanh)
register("sigmoid", compile=True)(nn.Sigmoid)
register("silu", "swish", compile=True)(nn.SiLU)


@register("mish", compile=True)
class Mish(nn.Mish):
    """Mish(x) = x·tanh(softplus(x)): PyTorch's native kernel in eager mode.

    Under ``torch.compile`` it is written x·n/(n + 2) with n = e^x·(e^x + 2), an identity that
    needs one exponential where the compiler's own decomposition of mish evaluates exp, log1p
    and tanh; in a compiled ResNet-20 step that took the cost over ReLU from about 1.5x to 1.0x
    (benchmarks/README.md). It computes in at least float32, so that n stays finite.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not torch.compiler.is_compiling():
            return super().forward(x)
        wide = x.to(torch.promote_types(x.dtype, torch.float32))
        exp = torch.exp(wide.clamp(max=20.0))  # beyond 20, n/(n + 2) is 1 in float32
        n = exp * (exp + 2)
        return (wide * (n / (n + 2))).to(x.dtype)


class LeakyReLU(nn.LeakyReLU):
    """PyTorch's native kernel in eager mode; :func:`two_slopes` under ``torch.compile``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if torch.compiler.is_compiling():
            return two_slopes(x, self.negative_slope, 1.0)
        return super().forward(x)


@register("leaky_relu", compile=True)
def leaky_relu(slope: float = 0.01) -> nn.Module:
    """LeakyReLU with the given negative slope (0.01 as in S5)."""
    return LeakyReLU(negative_slope=slope)


@register("elu", compile=True)
def elu(alpha: float = 1.0) -> nn.Module:
    return nn.ELU(alpha=alpha)


@register("gelu", compile=True)
def gelu(approximate: str = "none") -> nn.Module:
    """GELU, exact (``none``) or with the ``tanh`` approximation."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"approximate must be 'none' or 'tanh', not {approximate!r}")
    return nn.GELU(approximate=approximate)


@register("softplus", compile=True)
def softplus(beta: float = 1.0, threshold: float = 20.0) -> nn.Module:
    return nn.Softplus(beta=beta, threshold=threshold)
