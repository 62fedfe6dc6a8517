"""Best-epoch selection and early stopping: small objects whose state rides in the resume
checkpoint as plain values."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class BestEpoch:
    """Keeps the epoch whose validation ``select`` metric (val_loss or val_accuracy) was best;
    with ``select`` ``last`` every epoch considered becomes the best, so the run reports its
    final epoch (as S1's report did)."""

    select: str
    epoch: int | None = None
    score: float = math.inf  # lower is better: the loss, or minus the accuracy

    def consider(self, epoch: int, val_metrics: dict[str, float]) -> bool:
        """Whether ``epoch`` (1-based) is the best so far; it becomes the best if so."""
        if self.select == "last":
            self.epoch, self.score = epoch, math.inf  # any later epoch replaces it
            return True
        score = val_metrics["loss"] if self.select == "val_loss" else -val_metrics["accuracy"]
        if not (math.isfinite(score) and score < self.score):
            return False
        self.epoch, self.score = epoch, score
        return True

    def state_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class EarlyStopping:
    """Stop after ``patience`` epochs whose validation loss is not below every earlier one by
    more than ``min_delta``; ``patience`` None never stops."""

    patience: int | None
    min_delta: float
    lowest: float = math.inf
    waited: int = 0

    @classmethod
    def from_recipe(cls, spec: dict[str, Any] | None) -> EarlyStopping:
        """From ``training.early_stopping`` ({patience, min_delta} or null)."""
        if spec is None:
            return cls(None, 0.0)  # never stops: the threshold is not used
        return cls(spec["patience"], spec["min_delta"])

    def should_stop(self, val_loss: float) -> bool:
        improved = val_loss < self.lowest - self.min_delta
        self.lowest = min(self.lowest, val_loss)
        self.waited = 0 if improved else self.waited + 1
        return self.patience is not None and self.waited >= self.patience

    def state_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class StopBelow:
    """Stop after epoch ``epoch`` when its validation accuracy is below ``val_accuracy``
    (S3's search ends a poor candidate after one epoch); ``epoch`` None never stops."""

    epoch: int | None
    val_accuracy: float

    @classmethod
    def from_recipe(cls, spec: dict[str, Any] | None) -> StopBelow:
        """From ``training.stop_below`` ({epoch, val_accuracy} or null)."""
        if spec is None:
            return cls(None, math.nan)  # never stops: the threshold is not used
        return cls(spec["epoch"], spec["val_accuracy"])

    def should_stop(self, epoch: int, val_metrics: dict[str, float]) -> bool:
        """Whether to stop after ``epoch`` (1-based) with these validation metrics."""
        return epoch == self.epoch and val_metrics["accuracy"] < self.val_accuracy
