"""Seeded fold assignments: (repeated) stratified k-fold, or (repeated) stratified hold-out splits;
optionally grouped, so that all samples of a group (the beats of one patient) fall in the same
fold; optionally with a stratified test part that no fold trains or selects on.

A fold file stores, for every repeat and every training sample, the fold in which the sample is
validated: 0..k−1 for k-fold (0 for the hold-out validation part), ``NOT_VALIDATED`` (−1) for the
rest of a hold-out split and ``HELD_OUT`` (−2) for the test part. Run ``r·k + f`` (the run
grid's fold index) validates on fold ``f`` of repeat ``r``; a hold-out split has k = 1, so run
``r`` validates on the hold-out of repeat ``r``, drawn with its own split seed
(:func:`holdout_seeds`; the test part, if any, is drawn once and is the same in every repeat).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import numpy as np

from actstudy.data.prepared import Prepared, Split
from actstudy.io import read_json, write_json
from actstudy.provenance import fingerprint

NOT_VALIDATED = -1
HELD_OUT = -2
DIGEST_KEY = "sha256"  # of the file's other keys (provenance.fingerprint)
FORMAT = "actstudy-folds/2"
"""The fold file's format: a param of the rule ``folds``, so that a new format redraws (the
same) folds instead of refusing the files an earlier version wrote."""
SEED_RANGE = 2**32  # scikit-learn's random_state and NumPy's RandomState take seeds below this


def holdout_seeds(seed: int, repeats: int) -> list[int]:
    """The split seed of each repeat of a repeated hold-out: ``seed``, ``seed`` + 1, ..
    (modulo 2³²), so that repeat 0 is the single hold-out split of the same ``seed``."""
    return [(seed + repeat) % SEED_RANGE for repeat in range(repeats)]


def _grouped_parts(
    labels: np.ndarray, groups: np.ndarray, splits: int, rng: np.random.RandomState, what: str
) -> Iterator[np.ndarray]:
    """The validation indices of ``splits`` stratified grouped folds."""
    from sklearn.model_selection import StratifiedGroupKFold  # see assign_folds

    count = len(np.unique(groups))
    if count < splits:
        raise ValueError(
            f"grouped {what} needs at least {splits} groups but the data has {count}; "
            "lower evaluation.folds (or raise val_fraction or test_fraction), or set "
            "evaluation.grouped: false"
        )
    splitter = StratifiedGroupKFold(n_splits=splits, shuffle=True, random_state=rng)
    for _, part in splitter.split(labels, labels, groups):
        yield part


def _one_part(
    labels: np.ndarray, fraction: float, seed: int, groups: np.ndarray | None, what: str
) -> np.ndarray:
    """The indices of one stratified part of about ``fraction`` of the samples (for grouped
    data: the first of round(1/fraction) grouped folds)."""
    from sklearn.model_selection import train_test_split  # see assign_folds

    if groups is not None:
        splits = max(2, round(1 / fraction))
        rng = np.random.RandomState(seed)
        return next(_grouped_parts(labels, groups, splits, rng, what))
    _, part = train_test_split(
        np.arange(len(labels)), test_size=fraction, random_state=seed, stratify=labels
    )
    return part


def _kfold_parts(
    labels: np.ndarray, folds: int, repeats: int, seed: int, groups: np.ndarray | None
) -> Iterator[tuple[int, int, np.ndarray]]:
    """(repeat, fold, validation indices) of repeated stratified k-fold: scikit-learn's
    RepeatedStratifiedKFold, or StratifiedGroupKFold repeated with one random state as it
    does."""
    from sklearn.model_selection import RepeatedStratifiedKFold  # see assign_folds

    if groups is not None:
        rng = np.random.RandomState(seed)
        for repeat in range(repeats):
            for fold, part in enumerate(_grouped_parts(labels, groups, folds, rng, "kfold")):
                yield repeat, fold, part
        return
    counts = np.bincount(labels)
    smallest = counts[counts > 0].min()
    if smallest < folds:
        raise ValueError(
            f"{folds}-fold cross-validation needs at least {folds} samples per class, but the "
            f"smallest class has {smallest}; lower evaluation.folds"
        )
    splitter = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=seed)
    for index, (_, part) in enumerate(splitter.split(np.zeros(len(labels)), labels)):
        yield *divmod(index, folds), part


def assign_folds(
    labels: np.ndarray,
    mode: str,
    folds: int | None = None,
    val_fraction: float | None = None,
    *,
    seed: int,
    repeats: int,
    test_fraction: float,
    groups: np.ndarray | None = None,
) -> np.ndarray:
    """Fold index per repeat and sample, repeats × samples (see module docstring); ``folds``
    for kfold, ``val_fraction`` for holdout, ``repeats`` for both, as ``evaluation`` of a
    validated config gives them; ``test_fraction`` > 0 first holds out a stratified test part
    (seeded with ``seed``, the same in every repeat).

    Its helpers import scikit-learn when they run: training jobs only read fold files, and
    scikit-learn takes a second to load."""
    labels = np.asarray(labels)
    if mode not in ("kfold", "holdout"):
        raise ValueError(f"evaluation mode must be kfold or holdout, not {mode!r}")
    assignment = np.full((repeats, len(labels)), NOT_VALIDATED, dtype=np.int64)
    pool = np.arange(len(labels))
    if test_fraction > 0:
        test = _one_part(labels, test_fraction, seed, groups, "test_fraction")
        assignment[:, test] = HELD_OUT
        pool = np.setdiff1d(pool, test)
    pool_groups = None if groups is None else groups[pool]
    if mode == "kfold":
        for repeat, fold, part in _kfold_parts(labels[pool], folds, repeats, seed, pool_groups):
            assignment[repeat, pool[part]] = fold
    else:
        for repeat, split_seed in enumerate(holdout_seeds(seed, repeats)):
            part = _one_part(labels[pool], val_fraction, split_seed, pool_groups, "holdout")
            assignment[repeat, pool[part]] = 0
    return assignment


def write_folds(path: str | os.PathLike[str], assignment: np.ndarray, **meta: Any) -> None:
    """A fold file: ``meta`` (the evaluation options), the sample count, the assignment and the
    digest of all three (checked when read, with the assignment's shape: see ``_assignment``)."""
    content = {
        **meta,
        "format": FORMAT,
        "n": assignment.shape[1],
        "assignment": assignment.tolist(),
    }
    write_json(path, {**content, DIGEST_KEY: fingerprint(content)})


def _refuse(path: str | os.PathLike[str], what: str) -> ValueError:
    return ValueError(
        f"{path} {what}; delete it (or run `snakemake --forcerun folds`) and run again, which "
        "draws the folds again"
    )


def _check_parts(path: str | os.PathLike[str], assignment: np.ndarray, meta: dict) -> None:
    """Every value a fold or a marker, every fold of every repeat present, as many folds and
    repeats as the options say, and one test part, the same in every repeat, where there is one."""
    if assignment.ndim != 2 or assignment.shape[1] != meta.get("n"):
        raise _refuse(path, f"holds an assignment of shape {assignment.shape}, not repeats × n")
    folds = _per_repeat(assignment)
    expected = {"kfold": meta.get("folds"), "holdout": 1}.get(meta.get("mode"))
    if assignment.min(initial=0) < HELD_OUT or (expected is not None and folds != expected):
        values = sorted(set(np.unique(assignment).tolist()))
        raise _refuse(path, f"assigns folds {values}, not {HELD_OUT}..{(expected or folds) - 1}")
    if "repeats" in meta and len(assignment) != meta["repeats"]:
        raise _refuse(path, f"has {len(assignment)} repeats, not {meta['repeats']}")
    for repeat, row in enumerate(assignment):
        missing = sorted(set(range(folds)) - set(np.unique(row).tolist()))
        if missing:
            raise _refuse(path, f"validates on no sample in fold(s) {missing} of repeat {repeat}")
    test = assignment == HELD_OUT
    if not (test == test[:1]).all():
        raise _refuse(path, "holds out another test part in each repeat")
    if "test_fraction" in meta and bool(meta["test_fraction"]) != bool(test[:1].any()):
        has = "holds out no test part" if meta["test_fraction"] else "holds out a test part"
        raise _refuse(path, f"{has} although its test_fraction is {meta['test_fraction']}")


def _assignment(path: str | os.PathLike[str], samples: int | None = None) -> np.ndarray:
    """The repeats × samples assignment of a fold file, checked against its digest and its
    options (and against the number of training ``samples`` where given)."""
    content = read_json(path)
    if (
        not isinstance(content, dict)
        or content.get("format") != FORMAT
        or DIGEST_KEY not in content
    ):
        raise _refuse(path, f"is not a fold file of format {FORMAT} (an earlier version's?)")
    recorded = content.pop(DIGEST_KEY)
    if fingerprint(content) != recorded:
        raise _refuse(path, "was changed after the 'folds' rule wrote it (its digest differs)")
    assignment = np.asarray(content["assignment"], dtype=np.int64)
    _check_parts(path, assignment, content)
    if samples is not None and assignment.shape[1] != samples:
        raise _refuse(path, f"assigns {assignment.shape[1]} samples, but the data has {samples}")
    return assignment


def _per_repeat(assignment: np.ndarray) -> int:
    """Validation folds per repeat: k for k-fold, 1 for a hold-out split."""
    return max(1, int(assignment.max()) + 1)


def _split(assignment: np.ndarray, fold: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, validation) indices of run ``fold`` of an assignment."""
    repeat, part = divmod(fold, _per_repeat(assignment))
    row = assignment[repeat]
    return np.flatnonzero((row != part) & (row != HELD_OUT)), np.flatnonzero(row == part)


def fold_indices(
    path: str | os.PathLike[str], fold: int, samples: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(train indices, validation indices) of run ``fold``, from a fold file (of ``samples``
    training samples, where given)."""
    assignment = _assignment(path, samples)
    if not 0 <= fold < len(assignment) * _per_repeat(assignment):
        raise ValueError(f"fold {fold} does not exist in {path}; run the 'folds' rule again")
    return _split(assignment, fold)


def fold_sizes(path: str | os.PathLike[str]) -> dict[int, tuple[int, int]]:
    """(training samples, validation samples) of every run fold of a fold file."""
    assignment = _assignment(path)
    runs = range(len(assignment) * _per_repeat(assignment))
    return {fold: tuple(len(part) for part in _split(assignment, fold)) for fold in runs}


def with_held_out_test(prepared: Prepared, path: str | os.PathLike[str]) -> Prepared:
    """``prepared`` whose test split is the fold file's held-out part, where it has one (a
    dataset with an official test split has none: see ``cmd_folds``)."""
    test = np.flatnonzero(_assignment(path, len(prepared.train.y))[0] == HELD_OUT)
    if len(test) == 0:
        return prepared
    train = prepared.train
    part = Split(train.x[test], train.y[test], None if train.groups is None else train.groups[test])
    return replace(prepared, splits={**prepared.splits, "test": part})
