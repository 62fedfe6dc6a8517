"""S3's fitness of a trained candidate, from the files its run wrote (metrics.json, history.csv,
manifest.json; see :mod:`actstudy.training.loop`).

fitness = validation accuracy / validation loss of the run's last epoch (the weights the search
ends with); the recipe (:func:`actstudy.study.search_options.search_recipe`) stops a candidate
after its first epoch when that epoch's accuracy is below the threshold (status
``stopped_below``), and a loss that is not finite ends it as ``diverged``. Statuses of a scored
candidate:

- ``trained``: it ran its epochs (or stopped early by the recipe's early stopping);
- ``low_accuracy``: stopped below the threshold; fitness accuracy / loss of that epoch;
- ``nan_loss``: its loss was not finite; fitness 0;
- ``prescreened``: never trained (:func:`actstudy.search.probe.prescreen`); fitness 0.

A loss of exactly 0 gives fitness infinity (a perfect fit ranks first).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from actstudy.io import read_csv

_FINISHED = {"completed": "trained", "early_stopped": "trained", "stopped_below": "low_accuracy"}


@dataclass(frozen=True)
class Fitness:
    """A candidate's score and how it came about."""

    fitness: float
    status: str
    reason: str = ""
    epochs: int = 0
    seconds: float = 0.0


def _ratio(accuracy: float, loss: float) -> float:
    return accuracy / loss if loss > 0 else math.inf


def fitness_of(run_dir: str | Path) -> Fitness:
    """The fitness of the finished run in ``run_dir``."""
    run = Path(run_dir)
    if not (run / "manifest.json").is_file():
        raise ValueError(
            f"{run} holds no finished run (no manifest.json); train the candidate to the end first"
        )
    metrics = json.loads((run / "metrics.json").read_text(encoding="utf-8"))
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    last = read_csv(run / "history.csv").iloc[-1]
    epochs, seconds = int(metrics["epochs_run"]), float(manifest["seconds"])
    accuracy, loss = float(last["val_accuracy"]), float(last["val_loss"])
    if metrics["status"] == "diverged" or not math.isfinite(loss):
        return Fitness(0.0, "nan_loss", f"loss not finite in epoch {epochs}", epochs, seconds)
    if metrics["status"] not in _FINISHED:
        raise ValueError(
            f"the run in {run} ended with status {metrics['status']!r}, which the search cannot "
            "score; train it again with the search's recipe"
        )
    status = _FINISHED[metrics["status"]]
    reason = ""
    if status == "low_accuracy":
        threshold = manifest["spec"]["training"]["stop_below"]["val_accuracy"]
        reason = f"validation accuracy {accuracy:.4f} < {threshold} after epoch {epochs}"
    return Fitness(_ratio(accuracy, loss), status, reason, epochs, seconds)
