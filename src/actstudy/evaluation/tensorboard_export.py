"""A study's training histories as TensorBoard event files: one folder per run
(``<dataset>/<model>/<activation>/fold<k>``), one scalar per column of its ``history.csv``,
grouped as ``loss/train``, ``loss/val``, ``accuracy/train`` … and indexed by epoch."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from actstudy import layout

SPLITS = ("train_", "val_")


def tag(column: str) -> str:
    """``train_loss`` → ``loss/train``, so that TensorBoard draws train and val in one group;
    other columns (``lr``, ``epoch_seconds`` …) as they are."""
    for split in SPLITS:
        if column.startswith(split):
            return f"{column.removeprefix(split)}/{split.rstrip('_')}"
    return column


def run_histories(study_dir: Path) -> list[Path]:
    """Every run's ``history.csv`` under the study folder ``results/<study>``, sorted."""
    depth = layout.RUN_ID.count("/") + 1
    return sorted((study_dir / "runs").glob("/".join(["*"] * depth) + "/history.csv"))


def export_tensorboard(study_dir: Path, out: Path | None = None) -> int:
    """Write every run's history under ``out`` (default ``<study_dir>/tensorboard``), replacing
    what an earlier export wrote there; the number of runs written."""
    from tensorboardX import SummaryWriter

    out = study_dir / "tensorboard" if out is None else out
    histories = run_histories(study_dir)
    if not histories:
        raise FileNotFoundError(
            f"{study_dir} holds no trained runs (no runs/*/*/*/fold*/history.csv); give the "
            "folder of a study that has run, results/<study>"
        )
    for history in histories:
        run_name = history.parent.relative_to(study_dir / "runs")
        folder = out / run_name
        for old in folder.glob("events.out.tfevents.*"):
            old.unlink()
        table = pd.read_csv(history)
        with SummaryWriter(str(folder)) as writer:
            for row in table.to_dict("records"):
                epoch = int(row.pop("epoch"))
                for column, value in row.items():
                    if isinstance(value, int | float) and math.isfinite(value):
                        writer.add_scalar(tag(column), float(value), epoch)
    return len(histories)
