"""The EELU family found by the AFOS search (S3); built by :mod:`actstudy.activations.eelu`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from actstudy.activations.registry import register

if TYPE_CHECKING:
    from torch import nn


@register("eelu", compile=True)
def eelu() -> nn.Module:
    """EELU(x) = -x·erf(e^-x), the function AFOS reported best."""
    from actstudy.activations.eelu import EELU

    return EELU()


@register("eelu_pos", compile=True)
def eelu_pos() -> nn.Module:
    """x·erf(e^x): EELU mirrored, EELU(-x); minimum ≈ -0.3985 at x ≈ -1.08."""
    from actstudy.activations.eelu import EELUPositive

    return EELUPositive()


@register("eelu_sq", compile=True)
def eelu_sq() -> nn.Module:
    """x·erf(e^x)², the square applying to erf(e^x)."""
    from actstudy.activations.eelu import EELUSquared

    return EELUSquared()


@register("erf_softplus", compile=True)
def erf_softplus() -> nn.Module:
    """erf(x)·softplus(x), with PyTorch's overflow-safe softplus."""
    from actstudy.activations.eelu import ErfSoftplus

    return ErfSoftplus()
