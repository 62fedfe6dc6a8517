"""The EELU family found by the AFOS search (S3), as fixed activations.

Three of the four are z·erf(e^z)^p with z = ±x: EELU = -x·erf(e^-x) is z·erf(e^z) at z = -x.
They run as one custom autograd Function that saves only x and recomputes e^z and erf in its
in-place backward: as fast as autograd through the formula, at under half its peak memory
(benchmarks/README.md).

Inside, e^z takes its exponent clamped at ``_EXP_ARG_MAX``: erf(e^8) is 1 in float64, so no
value changes, but e^z stays finite for any input, where the plain formula (for example the
expression ``-x*erf(exp(-x))``) overflows below x ≈ -88 in float32 and its gradient becomes
0·inf = NaN.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.autograd.function import FunctionCtx
from torch.nn import functional as F

_EXP_ARG_MAX = 8.0
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _exp_of(x: torch.Tensor, sign: float) -> torch.Tensor:
    """e^z for z = sign·x, with z clamped at ``_EXP_ARG_MAX``: a new tensor."""
    return torch.mul(x, sign).clamp_(max=_EXP_ARG_MAX).exp_()


class _SignedErfExpPower(torch.autograd.Function):
    """y = z·erf(e^z)^p with z = sign·x, sign = ±1, p = 1 or 2."""

    @staticmethod
    def forward(ctx: FunctionCtx, x: torch.Tensor, sign: float, power: int) -> torch.Tensor:
        ctx.save_for_backward(x)
        ctx.sign, ctx.power = sign, power
        out = _exp_of(x, sign).erf_()
        if power == 2:
            out.square_()
        return out.mul_(x) if sign > 0 else out.mul_(x).neg_()

    @staticmethod
    def backward(ctx: FunctionCtx, grad: torch.Tensor):
        (x,) = ctx.saved_tensors
        sign, power = ctx.sign, ctx.power
        exp_z = _exp_of(x, sign)
        erf = torch.erf(exp_z)
        # dy/dx = sign·dy/dz = sign·E^p + x·p·E^(p-1)·(2/√π)·e^z·e^(-e^(2z)), E = erf(e^z),
        # as sign·z = x.
        derivative = exp_z.square().neg_().exp_().mul_(exp_z).mul_(x)
        derivative.mul_(power * _TWO_OVER_SQRT_PI)
        if power == 2:
            derivative.mul_(erf)
            erf.square_()
        if sign > 0:
            derivative.add_(erf)
        else:
            derivative.sub_(erf)
        return derivative.mul_(grad), None, None


class EELU(nn.Module):
    """EELU(x) = -x·erf(e^-x), the function AFOS reported best."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _SignedErfExpPower.apply(x, -1.0, 1)


class EELUPositive(nn.Module):
    """x·erf(e^x): EELU mirrored, EELU(-x); minimum ≈ -0.3985 at x ≈ -1.08."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _SignedErfExpPower.apply(x, 1.0, 1)


class EELUSquared(nn.Module):
    """x·erf(e^x)², the square applying to erf(e^x)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _SignedErfExpPower.apply(x, 1.0, 2)


class ErfSoftplus(nn.Module):
    """erf(x)·softplus(x), with PyTorch's overflow-safe softplus."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.erf(x) * F.softplus(x)
