"""Seeded fold assignments: stratified k-fold, or one stratified hold-out split; optionally
grouped, so that all samples of a group (the beats of one patient) fall in the same fold.

A fold file stores, for every training sample, the fold in which it is validated
(0..k−1 for k-fold; 0 for the hold-out validation part and −1 for the rest in hold-out mode).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from actstudy.io import read_json, write_json


def assign_folds(
    labels: np.ndarray,
    mode: str,
    folds: int | None = None,
    val_fraction: float | None = None,
    *,
    seed: int,
    groups: np.ndarray | None = None,
) -> np.ndarray:
    """Fold index per sample (see module docstring); ``folds`` for kfold, ``val_fraction`` for
    holdout, as ``evaluation`` of a validated config gives them."""
    # imported here: training jobs only read fold files, and scikit-learn takes a second to load
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, train_test_split

    labels = np.asarray(labels)
    assignment = np.full(len(labels), -1, dtype=np.int64)
    if mode not in ("kfold", "holdout"):
        raise ValueError(f"evaluation mode must be kfold or holdout, not {mode!r}")
    if groups is not None:
        # hold-out: the first of round(1/fraction) grouped folds is the validation part
        splits = folds if mode == "kfold" else max(2, round(1 / val_fraction))
        count = len(np.unique(groups))
        if count < splits:
            raise ValueError(
                f"grouped {mode} needs at least {splits} groups but the data has {count}; "
                "lower evaluation.folds (or raise val_fraction), or set evaluation.grouped: false"
            )
        splitter = StratifiedGroupKFold(n_splits=splits, shuffle=True, random_state=seed)
        for fold, (_, val) in enumerate(splitter.split(labels, labels, groups)):
            if mode == "kfold" or fold == 0:
                assignment[val] = fold
        return assignment
    if mode == "kfold":
        counts = np.bincount(labels)
        smallest = counts[counts > 0].min()
        if smallest < folds:
            raise ValueError(
                f"{folds}-fold cross-validation needs at least {folds} samples per class, but the "
                f"smallest class has {smallest}; lower evaluation.folds"
            )
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        for fold, (_, val) in enumerate(splitter.split(np.zeros(len(labels)), labels)):
            assignment[val] = fold
    else:
        _, val = train_test_split(
            np.arange(len(labels)), test_size=val_fraction, random_state=seed, stratify=labels
        )
        assignment[val] = 0
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
