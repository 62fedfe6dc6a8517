"""Per-sample test predictions of a run (``test_predictions.csv`` in its folder): the index of
each sample in the test split, its label and the class the kept weights predict. McNemar's test
(actstudy.evaluation.statistics) compares two activations on them."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from actstudy.io import read_csv, write_text

PREDICTIONS_FILE = "test_predictions.csv"


def save_predictions(
    run_dir: str | os.PathLike[str], predictions: dict[str, np.ndarray] | None
) -> None:
    """Write ``{"label": ..., "predicted": ...}`` as the run's predictions, or, given None,
    remove the file an earlier run of the folder may have left (a stale file must not speak
    for this run)."""
    path = Path(run_dir) / PREDICTIONS_FILE
    if predictions is None:
        path.unlink(missing_ok=True)
        return
    write_text(path, pd.DataFrame(predictions).rename_axis("sample").to_csv())


def read_predictions(run_dir: str | os.PathLike[str]) -> pd.DataFrame | None:
    """The run's predictions indexed by sample, or None where it scored no test split."""
    path = Path(run_dir) / PREDICTIONS_FILE
    return read_csv(path, index_col="sample") if path.exists() else None
