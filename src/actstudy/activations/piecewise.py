"""Fixed and scheduled piecewise-linear activations: LReLU (S1) and DSReLU (S5), as declared
in :mod:`actstudy.activations.builtin.piecewise`, which checks their parameters."""

from __future__ import annotations

import math

import torch
from torch import nn

from actstudy.activations.functional import ScaledLeakyReLU, two_slopes
from actstudy.activations.progress import TrainingProgress

DSRELU_VARIANTS = {
    # The paper: a = tan 85°, b = tan 10°, k = 5.
    "paper": (math.tan(math.radians(85)), math.tan(math.radians(10)), 5.0),
    # The released code: a = tan 75°, b = tan 30°, k = 5.
    "code": (math.tan(math.radians(75)), math.tan(math.radians(30)), 5.0),
}


# How t follows training, by name: the definition is recorded in every run's manifest.
DSRELU_PROGRESS = {
    "paper": (
        "planned epochs: t = optimiser steps done / steps planned over training.epochs, "
        "set before each step on every instance (early stopping ends a run before t = 1)"
    ),
    "code": (
        "released code: t += 1/(batches per epoch) once per epoch, on the model's first "
        "DSReLU only (every other instance stays at t = 0)"
    ),
}


class LReLU(nn.Module):
    """S1: alpha·x for x ≤ 0, beta·x for x > 0, with fixed alpha and beta > 0."""

    def __init__(self, alpha: float = 0.001, beta: float = 0.95) -> None:
        super().__init__()
        self.alpha, self.beta = float(alpha), float(beta)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if torch.compiler.is_compiling():
            return two_slopes(x, self.alpha, self.beta)
        # beta·leaky_relu(x, alpha/beta) equals the definition on both sides.
        return ScaledLeakyReLU.apply(x, self.alpha / self.beta, self.beta)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}, beta={self.beta}"


class DSReLU(nn.Module):
    """S5: f(x; t) = s(t)·x for x > 0, x for x ≤ 0, s(t) = a + (b - a)/(1 + e^(-k(t - 0.5))).

    ``t`` is the training progress in [0, 1], set by the training loop through
    :meth:`drive` (see :mod:`actstudy.activations.progress`). ``variant`` picks the paper's or
    the released code's constants; ``a``, ``b``, ``k`` override them one by one. ``progress``
    picks how t follows training: ``paper`` (before each optimiser step, t = steps done over
    steps planned, on every instance) or ``code`` (the released code: t grows by
    1/(batches per epoch) after each epoch, on the model's first instance only; every other
    instance stays at t = 0). :meth:`describe` records the choice by name and its definition
    (``DSRELU_PROGRESS``) in the run's manifest.

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
        progress: str = "paper",
    ) -> None:
        super().__init__()
        self.progress_mode = progress
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

    def set_progress(self, t: float) -> None:
        self.t = t

    @classmethod
    def drive(cls, modules: list[DSReLU], progress: TrainingProgress) -> None:
        """Before each optimiser step: the paper's t on ``paper`` instances; the released
        code's per-epoch t on the first ``code`` instance (and 0 on the others)."""
        coded = [m for m in modules if m.progress_mode == "code"]
        for module in modules:
            module.t = progress.t if module.progress_mode == "paper" else 0.0
        if coded:
            coded[0].t = min(progress.epoch / progress.steps_per_epoch, 1.0)

    def describe(self) -> dict[str, object]:
        """The paper-or-code choices this instance uses (for the run's manifest)."""
        return {
            "variant": self.variant,
            "a": self.a,
            "b": self.b,
            "k": self.k,
            "progress": self.progress_mode,
            "progress_definition": DSRELU_PROGRESS[self.progress_mode],
        }

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
        return ScaledLeakyReLU.apply(x, 1.0 / slope, slope)

    def extra_repr(self) -> str:
        return (
            f"variant={self.variant}, a={self.a:.4f}, b={self.b:.4f}, k={self.k}, "
            f"progress={self.progress_mode}, t={self.t:.4f}"
        )
