"""Seeded fold assignments: stratified k-fold, or one stratified hold-out split.

A fold file stores, for every training sample, the fold in which it is validated
(0..k−1 for k-fold; 0 for the hold-out validation part and −1 for the rest in hold-out mode).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from sklearn.model_selection import StratifiedKFold, train_test_split

from actstudy.io import read_json, write_json


def assign_folds(
    labels: np.ndarray, mode: str, folds: int = 5, val_fraction: float = 0.1, seed: int = 0
) -> np.ndarray:
    """Fold index per sample (see module docstring)."""
    labels = np.asarray(labels)
    counts = np.bincount(labels)
    present = counts[counts > 0]
    assignment = np.full(len(labels), -1, dtype=np.int64)
    if mode == "kfold":
        if present.min() < folds:
            raise ValueError(
                f"{folds}-fold cross-validation needs at least {folds} samples per class, but the "
                f"smallest class has {present.min()}; lower evaluation.folds"
            )
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        for fold, (_, val) in enumerate(splitter.split(np.zeros(len(labels)), labels)):
            assignment[val] = fold
    elif mode == "holdout":
        _, val = train_test_split(
            np.arange(len(labels)), test_size=val_fraction, random_state=seed, stratify=labels
        )
        assignment[val] = 0
    else:
        raise ValueError(f"evaluation mode must be kfold or holdout, not {mode!r}")
    return assignment


def write_folds(path: str | os.PathLike[str], assignment: np.ndarray, **meta: Any) -> None:
    write_json(path, {**meta, "n": len(assignment), "assignment": assignment.tolist()})


def fold_indices(path: str | os.PathLike[str], fold: int) -> tuple[np.ndarray, np.ndarray]:
    """(train indices, validation indices) of one fold, from a fold file."""
    assignment = np.asarray(read_json(path)["assignment"], dtype=np.int64)
    val = np.flatnonzero(assignment == fold)
    if len(val) == 0:
        raise ValueError(f"fold {fold} does not exist in {path}; run the 'folds' rule again")
    return np.flatnonzero(assignment != fold), val
