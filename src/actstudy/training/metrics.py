"""Classification metrics from scikit-learn: accuracy, F1 (macro, weighted), ROC-AUC (OvR)."""

from __future__ import annotations

import math

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, roc_auc_score

METRIC_NAMES = ("loss", "accuracy", "f1_macro", "f1_weighted", "roc_auc")


def roc_auc_ovr_macro(labels: np.ndarray, probs: np.ndarray) -> float:
    """One-vs-rest ROC-AUC on softmax outputs, averaged over the classes present in ``labels``.

    A validation fold may lack a class; averaging over the classes that have both positives and
    negatives is the macro OvR definition restricted to what can be measured (NaN if none).
    """
    scores = [
        roc_auc_score(labels == c, probs[:, c])
        for c in range(probs.shape[1])
        if 0 < np.count_nonzero(labels == c) < len(labels)
    ]
    return float(np.mean(scores)) if scores else math.nan


def classification_metrics(labels: np.ndarray, probs: np.ndarray, loss: float) -> dict[str, float]:
    """All per-epoch metrics for one split, given softmax probabilities N×C."""
    predicted = probs.argmax(axis=1)
    classes = np.arange(probs.shape[1])
    finite = bool(np.isfinite(probs).all())
    return {
        "loss": float(loss),
        "accuracy": float(accuracy_score(labels, predicted)),
        "f1_macro": float(
            f1_score(labels, predicted, labels=classes, average="macro", zero_division=0)
        ),
        "f1_weighted": float(
            f1_score(labels, predicted, labels=classes, average="weighted", zero_division=0)
        ),
        "roc_auc": roc_auc_ovr_macro(labels, probs) if finite else math.nan,
    }


def confusion(labels: np.ndarray, probs: np.ndarray) -> list[list[int]]:
    matrix = confusion_matrix(labels, probs.argmax(axis=1), labels=np.arange(probs.shape[1]))
    return matrix.tolist()
