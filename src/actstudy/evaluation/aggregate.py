"""Collect every run of a study into tidy tables: runs, per-epoch histories, activation
diagnostics (per epoch and site, :mod:`actstudy.training.diagnostics`), a summary."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

from actstudy.evaluation.improvement import METRIC, with_improvement_column
from actstudy.io import InvalidJSON, read_csv, read_json, write_text

T = TypeVar("T")
KEYS = ["dataset", "model", "activation"]
SUMMARY_METRICS = ["val_accuracy", "val_loss", "val_f1_macro", "val_f1_weighted", "val_roc_auc"]
LAST_EPOCHS = 3  # S4 reports training accuracy and loss as the mean of the last three epochs
TRAIN_METRICS = ("accuracy", "loss", "f1_macro", "f1_weighted", "roc_auc")


def _val_max(history: pd.DataFrame) -> dict[str, float]:
    """The largest validation accuracy, F1 and ROC-AUC over a run's epochs (``val_<metric>_max``):
    the "best validation" S5's paper reports (docs/studies.md#s5: a maximum over epochs, not
    the metric of the kept weights)."""
    return {
        f"val_{metric}_max": history[f"val_{metric}"].max()
        for metric in TRAIN_METRICS
        if metric != "loss" and f"val_{metric}" in history
    }


def _train_at(history: pd.DataFrame, best_epoch: int | None) -> dict[str, float]:
    """Training metrics of the best and of the final epoch, as a paper may report them."""
    row: dict[str, float] = {}
    best = history[history["epoch"] == best_epoch]
    for metric in TRAIN_METRICS:
        column = f"train_{metric}"
        row[f"{column}_final"] = history[column].iloc[-1]
        row[f"{column}_best"] = best[column].iloc[0] if len(best) else np.nan
    return row


SCORE = re.compile(
    r"(?:val|test|train)_(accuracy|f1_macro|f1_weighted|roc_auc|loss)(?:_final|_best|_last3|_max)?"
)
"""A runs.csv column that scores a run: a metric of a split, at an epoch (group 1: the metric)."""
WORST = {"accuracy": 0.0, "f1_macro": 0.0, "f1_weighted": 0.0, "roc_auc": 0.0, "loss": math.inf}


def with_divergence_policy(runs: pd.DataFrame) -> pd.DataFrame:
    """``runs`` under the study's one divergence policy: a diverged run keeps its row, and each
    of its scores (accuracy, F1, ROC-AUC and loss, of any split and epoch: :data:`SCORE`) is
    the worst value, 0 (+inf for a loss), so that it ranks last in the summary and in every
    statistical test, and counts the same in both."""
    runs = runs.copy()
    diverged = runs["status"] == "diverged"
    for column in runs.columns:
        if match := SCORE.fullmatch(column):
            runs[column] = runs[column].astype(float).mask(diverged, WORST[match[1]])
    return runs


def run_labels(manifest: dict) -> dict:
    """The dataset, model, activation and fold of a run, from its manifest."""
    spec = manifest["spec"]
    return {
        "dataset": spec["dataset"]["label"],
        "model": spec["model"]["label"],
        "activation": spec["activation"]["label"],
        "fold": spec["evaluation"]["fold"],
    }


def _flatten(metrics: dict) -> dict:
    row = {k: metrics[k] for k in ("status", "best_epoch", "epochs_run", "diverged_epoch")}
    row["select"] = metrics.get("select")  # which epoch's weights were kept (BestEpoch)
    # the training progress t of the kept weights, where the model has progress-driven modules
    row["progress_t_at_best"] = metrics.get("progress_t_at_best", np.nan)
    for split in ("val", "test"):
        for name, value in metrics.get(split, {}).items():
            row[f"{split}_{name}"] = value
    return row


def _run_file(path: Path, read: Callable[[Path], T]) -> T:
    """``read(path)`` of one of a run's files; a file cut short or edited (JSON or CSV that does
    not parse, a key or column missing) is one sentence naming it and the fix."""
    try:
        return read(path)
    except (ValueError, KeyError, TypeError, IndexError) as error:  # JSON, CSV errors included
        reason = (
            f"not valid JSON: {error.where}"
            if isinstance(error, InvalidJSON)
            else f"{type(error).__name__}: {next(iter(str(error).splitlines()), '')}"
        )
        raise ValueError(
            f"{path} is damaged ({reason}); delete it and run the workflow again, which trains "
            "its run again (the tables wait for it)"
        ) from None


def _history(path: Path) -> pd.DataFrame:
    history = read_csv(path)
    needed = ["epoch", *(f"train_{metric}" for metric in TRAIN_METRICS), "epoch_seconds"]
    if missing := [column for column in needed if column not in history]:
        raise KeyError(f"no column {', '.join(missing)}")
    return history


def _metrics_row(path: Path) -> dict:
    return _flatten(read_json(path))


def _manifest(path: Path) -> tuple[dict, dict]:
    manifest = read_json(path)
    return manifest, run_labels(manifest)


def collect(
    run_dirs: Iterable[str | os.PathLike[str]],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(runs, histories, diagnostics) from run folders; each row of runs names its folder
    (``run_dir``), so that readers of the table never rebuild the path."""
    runs, histories, diagnostics = [], [], []
    for run_dir in map(Path, run_dirs):
        manifest, labels = _run_file(run_dir / "manifest.json", _manifest)
        history = _run_file(run_dir / "history.csv", _history)
        metrics = _run_file(run_dir / "metrics.json", _metrics_row)
        train = _train_at(history, metrics["best_epoch"])
        runs.append(
            {
                **labels,
                **metrics,
                **train,
                **_val_max(history),
                "loss": manifest["spec"]["training"]["loss"]["name"],
                "train_minus_test_accuracy": train["train_accuracy_best"]
                - metrics.get("test_accuracy", np.nan),
                "train_accuracy_last3": history["train_accuracy"].tail(LAST_EPOCHS).mean(),
                "train_loss_last3": history["train_loss"].tail(LAST_EPOCHS).mean(),
                "mean_epoch_seconds": history["epoch_seconds"].mean(),
                "parameters": manifest["parameters"],
                "device": manifest["device"]["device"],
                "run_dir": run_dir.as_posix(),
            }
        )
        histories.append(history.assign(**labels))
        diagnostics.append(_run_file(run_dir / "diagnostics.csv", read_csv).assign(**labels))
    return pd.DataFrame(runs), _labels_first(histories, labels), _labels_first(diagnostics, labels)


def _labels_first(tables: list[pd.DataFrame], labels: dict) -> pd.DataFrame:
    """The runs' tables one below the other, the run's labels as the first columns."""
    table = pd.concat(tables, ignore_index=True)
    return table[[*labels, *[c for c in table.columns if c not in labels]]]


COST = ["parameters", "trainable_parameters", "forward_flops_per_sample"]
"""What each model costs (timing.csv, :mod:`actstudy.evaluation.model_cost`), in the summary."""


def summarize(runs: pd.DataFrame, timing: pd.DataFrame | None = None) -> pd.DataFrame:
    """Mean and std over folds per dataset × model × activation, every run counted: a diverged
    run counts with the worst scores (see :func:`with_divergence_policy`, the policy the
    statistics follow) and is counted in ``diverged``. Each row also has its fold-mean
    validation accuracy's improvement over the best other activation of its dataset × model
    (docs/studies.md#s5: "improvement over the second best", see
    :mod:`actstudy.evaluation.improvement`), and what its model costs: parameters (all and
    trainable) and forward FLOPs per sample, from the timing table where given (else the
    parameters the runs' manifests count)."""
    extra = ["test_accuracy", "train_accuracy_last3", "train_loss_last3", "mean_epoch_seconds"]
    extra.append("progress_t_at_best")
    metrics = [m for m in [*SUMMARY_METRICS, *extra] if m in runs]
    rows = []
    for key, group in with_divergence_policy(runs).groupby(KEYS, sort=False):
        row = dict(zip(KEYS, key, strict=True))
        row["folds"] = len(group)
        row["diverged"] = int((group["status"] == "diverged").sum())
        if "parameters" in group:
            row["parameters"] = group["parameters"].iloc[0]
        for metric in metrics:
            values = group[metric].astype(float)
            row[f"{metric}_mean"] = values.mean()
            spread = len(values) > 1 and not np.isinf(values).any()  # a diverged run's loss
            row[f"{metric}_std"] = values.std(ddof=1) if spread else np.nan
        rows.append(row)
    summary = pd.DataFrame(rows)
    if timing is not None and len(summary):
        cost = timing[[*KEYS, *COST]].drop_duplicates(KEYS)
        summary = summary.drop(columns="parameters", errors="ignore")
        summary = summary.merge(cost, on=KEYS, how="left")
        order = [*KEYS, "folds", "diverged", *COST]
        summary = summary[[*order, *[c for c in summary.columns if c not in order]]]
    if METRIC in summary:
        summary = with_improvement_column(summary)
    return summary.sort_values([*KEYS[:2], "val_accuracy_mean"], ascending=[True, True, False])


def aggregate(
    run_dirs: Iterable[str | os.PathLike[str]],
    runs_csv: str | os.PathLike[str],
    histories_csv: str | os.PathLike[str],
    summary_csv: str | os.PathLike[str],
    diagnostics_csv: str | os.PathLike[str],
    timing_csv: str | os.PathLike[str] | None = None,
) -> None:
    runs, histories, diagnostics = collect(run_dirs)
    timing = pd.read_csv(timing_csv) if timing_csv else None
    write_text(runs_csv, runs.to_csv(index=False))
    write_text(histories_csv, histories.to_csv(index=False))
    write_text(diagnostics_csv, diagnostics.to_csv(index=False))
    write_text(summary_csv, summarize(runs, timing).to_csv(index=False))
