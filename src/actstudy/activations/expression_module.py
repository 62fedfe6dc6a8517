"""The activation module of a formula in x (``{expr: "..."}``), parsed and checked by
:mod:`actstudy.activations.expression`."""

from __future__ import annotations

import torch
from torch import nn

from actstudy.activations.expression import parse


class Expression(nn.Module):
    """An activation given by a formula in x; see :mod:`actstudy.activations.expression` for
    the grammar."""

    def __init__(self, formula: str) -> None:
        super().__init__()
        self._term = parse(formula)
        self.formula = formula.strip()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._term(x)

    def extra_repr(self) -> str:
        return self.formula
