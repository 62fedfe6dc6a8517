"""Fixed and scheduled piecewise-linear activations: LReLU (S1) and DSReLU (S5)."""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from actstudy.activations.registry import register


@register("lrelu")
class LReLU(nn.Module):
    """S1: α·x for x ≤ 0, β·x for x > 0, with fixed α and β > 0."""

    def __init__(self, alpha: float = 0.001, beta: float = 0.95) -> None:
        super().__init__()
        if beta <= 0:
            raise ValueError(f"beta must be positive, not {beta}")
        self.alpha, self.beta = float(alpha), float(beta)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # β·leaky_relu(x, α/β) equals the definition on both sides and uses the native op.
        return F.leaky_relu(x, self.alpha / self.beta) * self.beta

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}, beta={self.beta}"


DSRELU_VARIANTS = {
    # The paper: a = tan 85°, b = tan 10°, k = 5.
    "paper": (math.tan(math.radians(85)), math.tan(math.radians(10)), 5.0),
    # The released code: a = tan 75°, b = tan 30°, k = 5.
    "code": (math.tan(math.radians(75)), math.tan(math.radians(30)), 5.0),
}


class _ScaledIdentityNegative(torch.autograd.Function):
    """y = s·x for x > 0, x for x ≤ 0, with one saved tensor and in-place scaling."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, slope: float) -> torch.Tensor:
        ctx.save_for_backward(x)
        ctx.slope = slope
        return F.leaky_relu(x, 1.0 / slope).mul_(slope)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        (x,) = ctx.saved_tensors
        slope = ctx.slope
        grad_x = torch.ops.aten.leaky_relu_backward(grad, x, 1.0 / slope, False).mul_(slope)
        return grad_x, None


@register("dsrelu")
class DSReLU(nn.Module):
    """S5: f(x; t) = s(t)·x for x > 0, x for x ≤ 0, s(t) = a + (b − a)/(1 + e^(−k(t − 0.5))).

    ``t`` is the training progress in [0, 1]; the training loop sets it on every instance
    (see :func:`actstudy.activations.set_progress`). ``variant`` picks the paper's or the
    released code's constants; ``a``, ``b``, ``k`` override them one by one.
    """

    def __init__(
        self,
        variant: str = "paper",
        a: float | None = None,
        b: float | None = None,
        k: float | None = None,
    ) -> None:
        super().__init__()
        if variant not in DSRELU_VARIANTS:
            raise ValueError(f"variant must be one of {', '.join(DSRELU_VARIANTS)}, not {variant!r}")
        default_a, default_b, default_k = DSRELU_VARIANTS[variant]
        self.variant = variant
        self.a = float(default_a if a is None else a)
        self.b = float(default_b if b is None else b)
        self.k = float(default_k if k is None else k)
        self.t = 0.0

    def slope(self) -> float:
        return self.a + (self.b - self.a) / (1.0 + math.exp(-self.k * (self.t - 0.5)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        slope = self.slope()
        if slope <= 0:  # only reachable with user constants; keep the exact definition
            return torch.where(x > 0, x * slope, x)
        return _ScaledIdentityNegative.apply(x, slope)

    def extra_repr(self) -> str:
        return f"variant={self.variant}, a={self.a:.4f}, b={self.b:.4f}, k={self.k}, t={self.t:.4f}"


def set_progress(model: nn.Module, t: float) -> int:
    """Set the training progress t ∈ [0, 1] on every DSReLU in ``model``; returns how many."""
    if not 0.0 <= t <= 1.0:
        raise ValueError(f"training progress must lie in [0, 1], not {t}")
    count = 0
    for module in model.modules():
        if isinstance(module, DSReLU):
            module.t = float(t)
            count += 1
    return count
