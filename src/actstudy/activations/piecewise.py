"""Fixed and scheduled piecewise-linear activations: LReLU (S1) and DSReLU (S5)."""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.autograd.function import FunctionCtx
from torch.nn import functional as F

from actstudy.activations.registry import register


def two_slopes(
    x: torch.Tensor, below: torch.Tensor | float, above: torch.Tensor | float
) -> torch.Tensor:
    """below·x for x ≤ 0, above·x for x > 0, written ((above + below)·x + (above - below)·|x|)/2.

    The form used under ``torch.compile``: its backward needs sign(x), not the boolean mask
    that the compiler saves for leaky_relu or where, which was slow to store on the CPU measured
    (a compiled ResNet-20 step with leaky_relu took 1.8x the time of this form; see
    benchmarks/README.md).
    """
    return (above + below) / 2 * x + (above - below) / 2 * x.abs()


class _ScaledLeakyReLU(torch.autograd.Function):
    """y = scale·leaky_relu(x, negative_slope), scale > 0, scaled in place.

    The passes of autograd through ``leaky_relu(x) * scale``, without its second output-sized
    buffer in each direction.
    """

    @staticmethod
    def forward(
        ctx: FunctionCtx, x: torch.Tensor, negative_slope: float, scale: float
    ) -> torch.Tensor:
        ctx.save_for_backward(x)
        ctx.negative_slope, ctx.scale = negative_slope, scale
        return F.leaky_relu(x, negative_slope).mul_(scale)

    @staticmethod
    def backward(ctx: FunctionCtx, grad: torch.Tensor) -> tuple[torch.Tensor, None, None]:
        (x,) = ctx.saved_tensors
        grad_x = torch.ops.aten.leaky_relu_backward(grad, x, ctx.negative_slope, False)
        return grad_x.mul_(ctx.scale), None, None


@register("lrelu", compile=True)
class LReLU(nn.Module):
    """S1: alpha·x for x ≤ 0, beta·x for x > 0, with fixed alpha and beta > 0."""

    def __init__(self, alpha: float = 0.001, beta: float = 0.95) -> None:
        super().__init__()
        if beta <= 0:
            raise ValueError(f"beta must be positive, not {beta}")
        self.alpha, self.beta = float(alpha), float(beta)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if torch.compiler.is_compiling():
            return two_slopes(x, self.alpha, self.beta)
        # beta·leaky_relu(x, alpha/beta) equals the definition on both sides.
        return _ScaledLeakyReLU.apply(x, self.alpha / self.beta, self.beta)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}, beta={self.beta}"


DSRELU_VARIANTS = {
    # The paper: a = tan 85°, b = tan 10°, k = 5.
    "paper": (math.tan(math.radians(85)), math.tan(math.radians(10)), 5.0),
    # The released code: a = tan 75°, b = tan 30°, k = 5.
    "code": (math.tan(math.radians(75)), math.tan(math.radians(30)), 5.0),
}


@register("dsrelu", compile=True)
class DSReLU(nn.Module):
    """S5: f(x; t) = s(t)·x for x > 0, x for x ≤ 0, s(t) = a + (b - a)/(1 + e^(-k(t - 0.5))).

    ``t`` is the training progress in [0, 1]; the training loop sets it on every instance
    (see :func:`actstudy.activations.set_progress`). ``variant`` picks the paper's or the
    released code's constants; ``a``, ``b``, ``k`` override them one by one.

    Eager mode passes s(t) to the native leaky-ReLU kernels as a Python number. Under
    ``torch.compile`` it reads t from the buffer ``progress`` instead, so that a new t does
    not make the compiled graph recompile, and uses :func:`two_slopes`.
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
            raise ValueError(
                f"variant must be one of {', '.join(DSRELU_VARIANTS)}, not {variant!r}"
            )
        default_a, default_b, default_k = DSRELU_VARIANTS[variant]
        self.variant = variant
        self.a = float(default_a if a is None else a)
        self.b = float(default_b if b is None else b)
        self.k = float(default_k if k is None else k)
        self.register_buffer("progress", torch.zeros(()), persistent=False)
        self.t = 0.0

    @property
    def t(self) -> float:
        """Training progress in [0, 1]."""
        return self._t

    @t.setter
    def t(self, value: float) -> None:
        self._t = float(value)
        self.progress.fill_(self._t)

    def get_extra_state(self) -> dict[str, float]:
        """t travels with the weights: weights saved at t are evaluated at t when loaded."""
        return {"t": self.t}

    def set_extra_state(self, state: dict[str, float]) -> None:
        self.t = state["t"]

    def slope(self) -> float:
        return self.a + (self.b - self.a) / (1.0 + math.exp(-self.k * (self.t - 0.5)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if torch.compiler.is_compiling():
            slope = self.a + (self.b - self.a) * torch.sigmoid(self.k * (self.progress - 0.5))
            return two_slopes(x, 1.0, slope.to(x.dtype))
        slope = self.slope()
        if slope <= 0:  # only reachable with user constants; leaky_relu needs a positive scale
            return two_slopes(x, 1.0, slope)
        return _ScaledLeakyReLU.apply(x, 1.0 / slope, slope)

    def extra_repr(self) -> str:
        return f"variant={self.variant}, a={self.a:.4f}, b={self.b:.4f}, k={self.k}, t={self.t:.4f}"


def set_progress(model: nn.Module, t: float) -> int:
    """Set the training progress t ∈ [0, 1] on every DSReLU in ``model``; returns how many."""
    if not 0.0 <= t <= 1.0:
        raise ValueError(f"training progress must lie in [0, 1], not {t}")
    count = 0
    for module in model.modules():
        if isinstance(module, DSReLU):
            module.t = t
            count += 1
    return count
