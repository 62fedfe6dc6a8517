"""Element-wise kernels that several activations share (two-slope piecewise-linear forms)."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.autograd.function import FunctionCtx
from torch.nn import functional as F


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


class ScaledLeakyReLU(torch.autograd.Function):
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


def _bounded(
    a: torch.Tensor | float,
    b: torch.Tensor | float,
    side: str,
    pairwise: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
) -> torch.Tensor | float:
    """``pairwise(a, b)`` of two tensors, or a clamp (``side``: ``max`` or ``min``) of the
    tensor by the number where one of them is a number."""
    if isinstance(b, float):
        return torch.clamp(a, **{side: b})
    if isinstance(a, float):
        return torch.clamp(b, **{side: a})
    return pairwise(a, b)


def minimum(a: torch.Tensor | float, b: torch.Tensor | float) -> torch.Tensor | float:
    """min(a, b) of a tensor and a tensor or a number."""
    return _bounded(a, b, "max", torch.minimum)


def maximum(a: torch.Tensor | float, b: torch.Tensor | float) -> torch.Tensor | float:
    """max(a, b) of a tensor and a tensor or a number."""
    return _bounded(a, b, "min", torch.maximum)
