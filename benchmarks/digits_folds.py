"""The data the training benchmarks share: the default study's digits, prepared, and 5 folds."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from actstudy.data import load_prepared, prepare
from actstudy.training.folds import assign_folds, write_folds


def prepare_digits(workdir: Path) -> np.ndarray:
    """scikit-learn's digits at 32×32 in ``workdir/prepared`` and a seeded 5-fold assignment in
    ``workdir/folds.json``; returns the labels."""
    prepare({"source": "digits", "size": 32}, workdir / "prepared", workdir / "resources")
    labels = load_prepared(workdir / "prepared").train.y
    write_folds(workdir / "folds.json", assign_folds(labels, "kfold", 5, seed=0), mode="kfold")
    return labels
