"""Whether to ``torch.compile`` the model for an activation, as measured, not guessed.

Filled from ``benchmarks/activations.py`` (one ResNet-20 training step, see
benchmarks/README.md, section "Activations"): True where the compiled step took under 95 % of
the eager one. Measured on CPU only; on a GPU, compilation fuses the same element-wise chains
and is expected to help at least as much, but that is not measured here.
"""

from __future__ import annotations

from collections.abc import Mapping

from actstudy.activations.registry import Spec, parameters_of

RECOMMENDED_COMPILE: dict[str, bool] = {
    # 2026-11-22, torch 2.14.1, CPU (2-core AMD EPYC VM): every compiled step was faster.
    "coslu": True,
    "delu": True,
    "dsrelu": True,
    "eelu": True,
    "eelu_pos": True,
    "eelu_sq": True,
    "elu": True,
    "erf_softplus": True,
    "gelu": True,
    "leaky_relu": True,
    "lrelu": True,
    "mish": True,
    "relu": True,
    "relun": True,
    "sigmoid": True,
    "silu": True,
    "softplus": True,
    "swish": True,
    "tanh": True,
}
"""Registered name → compile the model? Names missing here (not yet measured) run eagerly."""

EXPRESSION_COMPILE = True
"""For ``{expr: ...}`` activations: a chain of eager element-wise ops that compilation fuses."""


def recommended_compile(spec: Spec) -> bool:
    """Whether a model using this activation spec should be compiled (see module docstring).

    A role combination is compiled when any of its activations gains from it.
    """
    if isinstance(spec, Mapping):
        if "roles" in spec:
            parts = [*dict(spec["roles"]).values()]
            if "default" in spec:
                parts.append(spec["default"])
            return any(recommended_compile(part) for part in parts)
        if "expr" in spec:
            return EXPRESSION_COMPILE
        spec = spec["name"]
    parameters_of(spec)  # unknown names fail here with the list of registered ones
    return RECOMMENDED_COMPILE.get(spec, False)
