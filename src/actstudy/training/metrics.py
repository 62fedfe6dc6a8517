"""Classification metrics of one split: accuracy, F1 (macro, weighted), ROC-AUC (OvR).

Computed every epoch for the training and validation parts, so they are written with NumPy
from the confusion matrix and per-class rank sums: scikit-learn's versions validate their
inputs on every call, which cost about a third of a small model's epoch (and importing
scikit-learn a second of every job). The tests check each against scikit-learn's.
"""

from __future__ import annotations

import math

import numpy as np


def _average_ranks(scores: np.ndarray) -> np.ndarray:
    """1-based ranks of ``scores``, ties sharing their average rank."""
    order = np.argsort(scores, kind="stable")
    _, first, counts = np.unique(scores[order], return_index=True, return_counts=True)
    ranks = np.empty(len(scores))
    ranks[order] = np.repeat(first + (counts + 1) / 2, counts)
    return ranks


def roc_auc_ovr_macro(labels: np.ndarray, probs: np.ndarray) -> float:
    """One-vs-rest ROC-AUC on softmax outputs, averaged over the classes present in ``labels``.

    Each class's AUC is the Mann–Whitney statistic of its scores (ties count one half). A
    validation fold may lack a class; averaging over the classes that have both positives and
    negatives is the macro OvR definition restricted to what can be measured (NaN if none).
    """
    scores = []
    for c in range(probs.shape[1]):
        positive = labels == c
        n_pos = int(np.count_nonzero(positive))
        n_neg = len(labels) - n_pos
        if n_pos and n_neg:
            rank_sum = _average_ranks(probs[:, c])[positive].sum()
            scores.append((rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
    return float(np.mean(scores)) if scores else math.nan


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray, classes: int) -> np.ndarray:
    """Counts C×C: row = true class, column = predicted class."""
    flat = np.asarray(labels, dtype=np.int64) * classes + np.asarray(predicted, dtype=np.int64)
    return np.bincount(flat, minlength=classes * classes).reshape(classes, classes)


def f1_scores(matrix: np.ndarray) -> tuple[float, float]:
    """Macro and support-weighted F1 over the classes present in the split's labels.

    A class absent from the labels has no F1 to count (scikit-learn's ``zero_division=nan``
    restricted to the labels present), so a fold that lacks a class is not marked down for it;
    a present class that is never predicted correctly counts 0."""
    true_positive = np.diag(matrix).astype(float)
    support = matrix.sum(axis=1)
    predicted = matrix.sum(axis=0)
    present = support > 0
    if not present.any():
        return math.nan, math.nan
    f1 = 2 * true_positive[present] / (support[present] + predicted[present])
    return float(f1.mean()), float(np.average(f1, weights=support[present]))


def classification_metrics(labels: np.ndarray, probs: np.ndarray, loss: float) -> dict[str, float]:
    """All per-epoch metrics for one split, given softmax probabilities N×C."""
    predicted = probs.argmax(axis=1)
    matrix = confusion_matrix(labels, predicted, probs.shape[1])
    f1_macro, f1_weighted = f1_scores(matrix)
    finite = bool(np.isfinite(probs).all())
    return {
        "loss": float(loss),
        "accuracy": float(np.trace(matrix) / len(labels)) if len(labels) else math.nan,
        "f1_macro": f1_macro,
        "f1_weighted": f1_weighted,
        "roc_auc": roc_auc_ovr_macro(labels, probs) if finite else math.nan,
    }


def confusion(labels: np.ndarray, probs: np.ndarray) -> list[list[int]]:
    return confusion_matrix(labels, probs.argmax(axis=1), probs.shape[1]).tolist()
