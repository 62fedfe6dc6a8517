"""Piecewise-linear activations: LReLU (S1) and DSReLU (S5), with their variants; built by
:mod:`actstudy.activations.piecewise`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from actstudy.activations.registry import register
from actstudy.options import check_choice

if TYPE_CHECKING:
    from torch import nn

DSRELU_VARIANTS = ("paper", "code")
"""The names of :data:`actstudy.activations.piecewise.DSRELU_VARIANTS` (tested): the paper's
constants and the released code's."""
DSRELU_PROGRESS = ("paper", "code")
"""The names of :data:`actstudy.activations.piecewise.DSRELU_PROGRESS` (tested): how t follows
training."""


def check_lrelu(*, beta: float, **_: object) -> None:
    """beta > 0."""
    if beta <= 0:
        raise ValueError(f"beta must be positive, not {beta}")


@register("lrelu", compile=True, check=check_lrelu)
def lrelu(alpha: float = 0.001, beta: float = 0.95) -> nn.Module:
    """S1: alpha·x for x ≤ 0, beta·x for x > 0, with fixed alpha and beta > 0."""
    from actstudy.activations.piecewise import LReLU

    return LReLU(alpha=alpha, beta=beta)


def check_dsrelu(*, variant: str, progress: str, **_: object) -> None:
    """A variant and a progress mode by name (:data:`DSRELU_VARIANTS`, :data:`DSRELU_PROGRESS`)."""
    check_choice("variant", variant, DSRELU_VARIANTS)
    check_choice("progress", progress, DSRELU_PROGRESS)


@register("dsrelu", compile=True, check=check_dsrelu)
def dsrelu(
    variant: str = "paper",
    a: float | None = None,
    b: float | None = None,
    k: float | None = None,
    progress: str = "paper",
) -> nn.Module:
    """S5: f(x; t) = s(t)·x for x > 0, x for x ≤ 0, s(t) = a + (b - a)/(1 + e^(-k(t - 0.5))).

    ``t`` is the training progress in [0, 1], set by the training loop. ``variant`` picks the
    paper's or the released code's constants (``DSRELU_VARIANTS``); ``a``, ``b``, ``k`` override
    them one by one. ``progress`` picks how t follows training (``DSRELU_PROGRESS``): ``paper``
    (before each optimiser step, t = steps done over steps planned, on every instance) or
    ``code`` (the released code: t grows by 1/(batches per epoch) after each epoch, on the
    model's first instance only). The run's manifest records both choices.
    """
    from actstudy.activations.piecewise import DSReLU

    return DSReLU(variant=variant, a=a, b=b, k=k, progress=progress)
