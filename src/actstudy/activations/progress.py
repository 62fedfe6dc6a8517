"""Modules that change with training progress (DSReLU today), driven by the training loop
without it knowing their type.

A *progress-driven* module has ``set_progress(t)`` (t ∈ [0, 1], the share of training done),
a ``t`` it currently uses, and ``describe()`` (a JSON-able dict for the run's manifest). Its
class may define ``drive(modules, progress)`` to decide itself how the instances of one model
follow the progress (e.g. a released code's per-epoch schedule); by default every instance is
set to ``progress.t`` before each optimiser step.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from torch import nn


@dataclass(frozen=True)
class TrainingProgress:
    """Where training stands before an optimiser step (all counts 0-based)."""

    epoch: int
    step: int
    steps_per_epoch: int
    epochs: int

    @property
    def t(self) -> float:
        """Steps done over steps planned, in [0, 1]."""
        done = self.epoch * self.steps_per_epoch + self.step
        return min(done / (self.steps_per_epoch * self.epochs), 1.0)


@runtime_checkable
class ProgressDriven(Protocol):
    t: float

    def set_progress(self, t: float) -> None: ...

    def describe(self) -> dict[str, Any]: ...


def progress_modules(model: nn.Module) -> list[nn.Module]:
    """The model's progress-driven modules, in module order (shared instances once)."""
    return [m for m in model.modules() if isinstance(m, ProgressDriven)]


def drive(modules: Iterable[nn.Module], progress: TrainingProgress) -> None:
    """Give every progress-driven module the progress, through its class's ``drive`` if any."""
    by_class: dict[type, list[nn.Module]] = {}
    for module in modules:
        by_class.setdefault(type(module), []).append(module)
    for cls, group in by_class.items():
        if hasattr(cls, "drive"):
            cls.drive(group, progress)
        else:
            for module in group:
                module.set_progress(progress.t)


def set_progress(model: nn.Module, t: float) -> int:
    """Set the training progress t ∈ [0, 1] on every progress-driven module of ``model``;
    returns how many (for evaluating a model at a chosen t by hand)."""
    if not 0.0 <= t <= 1.0:
        raise ValueError(f"training progress must lie in [0, 1], not {t}")
    modules = progress_modules(model)
    for module in modules:
        module.set_progress(t)
    return len(modules)


def describe_modules(model: nn.Module) -> dict[str, dict[str, Any]]:
    """``describe()`` of the first instance of each class that has one, by class name."""
    described: dict[str, dict[str, Any]] = {}
    for module in model.modules():
        name = type(module).__name__
        if name not in described and callable(getattr(module, "describe", None)):
            described[name] = module.describe()
    return described
