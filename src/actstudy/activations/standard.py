"""Standard activations, each backed by PyTorch's native single-kernel op."""

from __future__ import annotations

from torch import nn

from actstudy.activations.registry import register

register("relu")(nn.ReLU)
register("tanh")(nn.Tanh)
register("sigmoid")(nn.Sigmoid)
register("mish")(nn.Mish)
register("silu", "swish")(nn.SiLU)


@register("leaky_relu")
def leaky_relu(slope: float = 0.01) -> nn.Module:
    """LeakyReLU with the given negative slope (0.01 as in S5)."""
    return nn.LeakyReLU(negative_slope=slope)


@register("elu")
def elu(alpha: float = 1.0) -> nn.Module:
    return nn.ELU(alpha=alpha)


@register("gelu")
def gelu(approximate: str = "none") -> nn.Module:
    """GELU, exact (``none``) or with the ``tanh`` approximation."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"approximate must be 'none' or 'tanh', not {approximate!r}")
    return nn.GELU(approximate=approximate)


@register("softplus")
def softplus(beta: float = 1.0, threshold: float = 20.0) -> nn.Module:
    return nn.Softplus(beta=beta, threshold=threshold)
