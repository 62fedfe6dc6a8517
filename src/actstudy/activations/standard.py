"""Standard activations (declared in :mod:`actstudy.activations.builtin.standard`), each backed by
PyTorch's native single-kernel op in eager mode.

Mish and LeakyReLU switch to a form the compiler fuses better under ``torch.compile``.
"""

from __future__ import annotations

import torch
from torch import nn

from actstudy.activations.functional import two_slopes


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
