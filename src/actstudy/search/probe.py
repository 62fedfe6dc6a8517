"""What a candidate formula is, before any training: its cache key, its canonical form and its
pre-screen, all from one probe grid of x (``search.probe``: ``points`` values from ``low`` to
``high``).

Two levels of sameness, both through the expression activation's own parser:

- :func:`~actstudy.search.canonical.canonical` is structural: the parsed formula with the
  operands of every chain of ``+``, ``*``, ``max`` or ``min`` flattened and sorted, so B(U1, U2)
  and B(U2, U1) of a commutative B read the same. It is the formula a key's candidate trains with.
- :func:`function_key` is the fitness cache's key: a digest of the function's values on the grid
  (float64, rounded to :data:`DIGITS` significant digits, magnitudes below :data:`FLUSH` as 0),
  so algebraically identical chromosomes share it even where no reordering relates them
  (``x * exp(-x)`` reached as mul(x, e^-x) and as mul_exp(x, −x)). Functions equal to that
  precision on the whole grid are one function for this search; a rounding difference can only
  split one function into two keys (one more training), never merge two.

:func:`prescreen` gives the reason a candidate earns fitness 0 without training: a value or
gradient that is not finite, a constant, or a gradient that is zero everywhere on the grid
(evaluated in float32, as training does).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from actstudy.activations.expression import parse
from actstudy.search.probe_cache import remembered

if TYPE_CHECKING:
    import torch

DIGITS = 6
FLUSH = 1e-9


@dataclass(frozen=True)
class Probe:
    """The grid of x that keys and screens candidates."""

    low: float
    high: float
    points: int

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> Probe:
        """From a validated ``search.probe`` ({low, high, points})."""
        return cls(float(options["low"]), float(options["high"]), int(options["points"]))

    def grid(self, dtype: torch.dtype) -> torch.Tensor:
        """The grid's values (computed in float64) in ``dtype``."""
        import torch

        return torch.linspace(self.low, self.high, self.points, dtype=torch.float64).to(dtype)


def function_key(formula: str, probe: Probe) -> str:
    """The fitness cache's key of a formula: ``f`` and 16 hex digits of its values' digest
    (kept in the probe's store, :mod:`actstudy.search.probe_cache`)."""
    return remembered(
        "function_key", formula, asdict(probe), [__file__], lambda: _key(formula, probe)
    )


def _key(formula: str, probe: Probe) -> str:
    import torch

    with torch.no_grad():
        return _values_key(parse(formula)(probe.grid(torch.float64)).numpy())


def activation_key(spec: Any, probe: Probe) -> str | None:
    """The key of a study's activation (its spec, at its initial parameters), to tell a found
    function that equals it; None when it cannot be evaluated on the grid alone (kept in the
    probe's store with the activation's code)."""
    from actstudy.activations import source_files

    try:
        code = [__file__, *source_files(spec)]
    except (ValueError, KeyError, TypeError):
        return None
    return remembered(
        "activation_key", spec, asdict(probe), code, lambda: _activation_key(spec, probe)
    )


def _activation_key(spec: Any, probe: Probe) -> str | None:
    import torch

    from actstudy.activations import create

    try:
        module = create(spec).double().eval()
        with torch.no_grad():
            values = module(probe.grid(torch.float64).view(1, -1)).reshape(-1).numpy()
    except (RuntimeError, ValueError, TypeError):
        return None
    return _values_key(values)


def listed_keys(activations: Mapping[str, Any], search: Mapping[str, Any]) -> dict[str, str]:
    """Key → label of the functions a study already evaluates or trains as a reference
    (``activations``, ``search.references``): a found function of one of these keys is not
    new."""
    probe = Probe.from_options(search["probe"])
    keys = {function_key(f, probe): label for label, f in search["references"].items()}
    for label, spec in activations.items():
        if (key := activation_key(spec, probe)) is not None:
            keys[key] = label
    return keys


def _values_key(values: np.ndarray) -> str:
    values = np.where(np.abs(values) < FLUSH, 0.0, values) + 0.0  # + 0.0: no negative zero
    text = ",".join(map(f"{{:.{DIGITS}g}}".format, values.tolist()))
    return "f" + hashlib.sha256(text.encode()).hexdigest()[:16]


def prescreen(formula: str, probe: Probe) -> str | None:
    """Why the formula earns fitness 0 without training, or None when it must be trained (kept
    in the probe's store)."""
    return remembered(
        "prescreen", formula, asdict(probe), [__file__], lambda: _prescreen(formula, probe)
    )


def _prescreen(formula: str, probe: Probe) -> str | None:
    import torch

    x = probe.grid(torch.float32).requires_grad_()
    values = parse(formula)(x)  # a formula always depends on x, so it is a tensor like x
    (gradient,) = torch.autograd.grad(values.sum(), x)
    values, gradient = values.detach().numpy(), gradient.numpy()
    grid = x.detach().numpy()
    for what, array in (("value", values), ("gradient", gradient)):
        bad = ~np.isfinite(array)
        if bad.any():
            return f"{what} not finite at x = {grid[bad.argmax()]:.4g}"
    if (values == values[0]).all():
        return f"constant ({values[0] + 0.0:.4g}) on the probe grid"  # + 0.0: not -0
    if not gradient.any():
        return "zero gradient everywhere on the probe grid"
    return None
