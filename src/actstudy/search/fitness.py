"""S3's fitness of a trained candidate, from the files its run wrote (metrics.json, history.csv,
manifest.json; see :mod:`actstudy.training.loop`), and the sanity gate on the reference functions
(:func:`gate`).

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
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from actstudy.io import read_csv
from actstudy.search.canonical import canonical
from actstudy.search.probe import Probe, function_key

_FINISHED = {"completed": "trained", "early_stopped": "trained", "stopped_below": "low_accuracy"}


@dataclass(frozen=True)
class Fitness:
    """A candidate's score and how it came about."""

    fitness: float
    status: str
    reason: str = ""
    epochs: int = 0
    seconds: float = 0.0
    accuracy: float = 0.0


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
        reason = f"loss not finite in epoch {epochs}"
        return Fitness(0.0, "nan_loss", reason, epochs, seconds, accuracy)
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
    return Fitness(_ratio(accuracy, loss), status, reason, epochs, seconds, accuracy)


class GateError(ValueError):
    """The sanity gate stopped a search: its reference function did not learn."""


def chance(run_dir: str | Path) -> float:
    """Chance accuracy of a run's classes (1 / their number, from its prepared data)."""
    manifest = json.loads((Path(run_dir) / "manifest.json").read_text(encoding="utf-8"))
    prepared = Path(manifest["prepared_manifest"])
    return 1.0 / len(json.loads(prepared.read_text(encoding="utf-8"))["classes"])


def check_gate(run_dir: str | Path, label: str, search: Mapping[str, Any]) -> float:
    """The sanity gate: the reference ``label``'s validation accuracy (its run in
    ``run_dir``) when it is at least chance + ``search.gate_margin`` (or the margin is None);
    else GateError, one sentence naming the fitness set-up."""
    from actstudy.study.search_options import fitness_setup

    fitness, level = fitness_of(run_dir), chance(run_dir)
    if search["gate_margin"] is not None and fitness.accuracy < level + search["gate_margin"]:
        raise GateError(
            f"the search stopped before training its candidates: the reference {label} "
            f"reached a validation accuracy of {fitness.accuracy:.4f}, not above chance "
            f"({level:.4f}) by search.gate_margin ({search['gate_margin']}), so the fitness "
            f"set-up, {fitness_setup(search)}, would rank candidates on noise; fix the set-up "
            "(search.init, search.inputs, search.lr, search.epochs)"
        )
    return fitness.accuracy


def reference_functions(options: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The reference functions of a search (``references``): label, formula, cache key."""
    probe = Probe.from_options(options["probe"])
    return [
        {"label": label, "expression": canonical(formula), "key": function_key(formula, probe)}
        for label, formula in options["references"].items()
    ]


def gate(options: Mapping[str, Any], results: Path) -> dict[str, Any]:
    """The sanity gate on the references' runs in ``results/<key>/`` (the first must learn,
    :func:`check_gate`): each reference's fitness and accuracy."""
    references = reference_functions(options)
    first = references[0]
    check_gate(results / first["key"], first["label"], options)
    return {
        reference["label"]: {**reference, **vars(fitness_of(results / reference["key"]))}
        for reference in references
    }
