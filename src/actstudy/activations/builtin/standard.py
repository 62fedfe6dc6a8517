"""Standard activations, PyTorch's own modules (Mish and LeakyReLU in the forms of
:mod:`actstudy.activations.standard`, which fuse better under ``torch.compile``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from actstudy.activations.registry import register
from actstudy.options import check_choice

if TYPE_CHECKING:
    from torch import nn

GELU_APPROXIMATIONS = ("none", "tanh")


@register("relu", compile=True)
def relu(inplace: bool = False) -> nn.Module:
    """ReLU(x) = max(0, x)."""
    from torch import nn

    return nn.ReLU(inplace=inplace)


@register("tanh", compile=True)
def tanh() -> nn.Module:
    """Tanh(x) = (e^x - e^-x)/(e^x + e^-x)."""
    from torch import nn

    return nn.Tanh()


@register("sigmoid", compile=True)
def sigmoid() -> nn.Module:
    """Sigmoid(x) = 1/(1 + e^-x)."""
    from torch import nn

    return nn.Sigmoid()


@register("silu", "swish", compile=True)
def silu(inplace: bool = False) -> nn.Module:
    """SiLU(x) = x·sigmoid(x), also called Swish."""
    from torch import nn

    return nn.SiLU(inplace=inplace)


@register("mish", compile=True)
def mish() -> nn.Module:
    """Mish(x) = x·tanh(softplus(x))."""
    from actstudy.activations.standard import Mish

    return Mish()


@register("leaky_relu", compile=True)
def leaky_relu(slope: float = 0.01) -> nn.Module:
    """LeakyReLU with the given negative slope (0.01 as in S5)."""
    from actstudy.activations.standard import LeakyReLU

    return LeakyReLU(negative_slope=slope)


@register("elu", compile=True)
def elu(alpha: float = 1.0) -> nn.Module:
    """ELU(x) = x for x > 0, alpha·(e^x - 1) for x ≤ 0."""
    from torch import nn

    return nn.ELU(alpha=alpha)


def _check_gelu(*, approximate: str) -> None:
    check_choice("approximate", approximate, GELU_APPROXIMATIONS)


@register("gelu", compile=True, check=_check_gelu)
def gelu(approximate: str = "none") -> nn.Module:
    """GELU, exact (``none``) or with the ``tanh`` approximation."""
    from torch import nn

    return nn.GELU(approximate=approximate)


@register("softplus", compile=True)
def softplus(beta: float = 1.0, threshold: float = 20.0) -> nn.Module:
    """Softplus(x) = log(1 + e^(beta·x))/beta, linear above ``threshold``."""
    from torch import nn

    return nn.Softplus(beta=beta, threshold=threshold)
