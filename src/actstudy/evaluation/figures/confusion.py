"""Confusion matrices on the test samples: every activation of each dataset × model, its role
in the comparison (the control, the best baseline, a rank), classes by name where known."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from actstudy.evaluation.aggregate import with_divergence_policy
from actstudy.evaluation.figures.style import CASE, FigureSkipped, case_words, new_figure
from actstudy.evaluation.statistics import read_run_predictions
from actstudy.io import read_json
from actstudy.training.metrics import confusion_matrix

Case = tuple[str, str]
ANNOTATE_UP_TO = 20
"""Confusion matrices with at most this many classes have their counts written in the cells."""


def confusion_choice(
    runs: pd.DataFrame, metric: str, control: str | None
) -> dict[Case, list[tuple[str, str]]]:
    """Per dataset × model, every activation in the study's order, each with its role: the
    control, the best other activation by fold-mean ``metric`` (diverged runs scored 0; the
    best and the runner-up without a control in the case), and the rest by rank."""
    chosen = {}
    for case, group in with_divergence_policy(runs).groupby(CASE, sort=False):
        means = group.groupby("activation", sort=False)[metric].mean()
        ranked = means.sort_values(ascending=False, kind="stable").index.tolist()
        if control in ranked:
            others = [name for name in ranked if name != control]
            roles = {control: "control", **{o: "best baseline" for o in others[:1]}}
        else:
            roles = dict(zip(ranked[:2], ["best", "runner-up"], strict=False))
        rank = {name: i + 1 for i, name in enumerate(ranked)}
        chosen[case] = [(name, roles.get(name, f"rank {rank[name]}")) for name in means.index]
    return chosen


def class_names(runs: pd.DataFrame) -> dict[str, list[str]]:
    """Each dataset's class names, from the prepared data's manifest its runs name (a
    dataset whose manifest cannot be read is left out: its classes are then shown by index)."""
    names: dict[str, list[str]] = {}
    for dataset, folder in zip(runs["dataset"], runs["run_dir"], strict=True):
        if dataset in names:
            continue
        try:
            prepared = read_json(Path(folder) / "manifest.json")["prepared_manifest"]
            names[dataset] = [str(c) for c in read_json(Path(prepared))["classes"]]
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return names


def saved_predictions(runs: pd.DataFrame) -> dict[tuple[str, str, str], pd.DataFrame]:
    """Every run's saved test predictions (:func:`actstudy.evaluation.statistics.
    read_run_predictions`), per dataset × model × activation, the folds one below the other
    (column ``fold``)."""
    folders = [Path(folder) for folder in runs["run_dir"]]
    found = read_run_predictions(folder for folder in folders if folder.is_dir())
    grouped: dict[tuple[str, str, str], list[pd.DataFrame]] = {}
    for (dataset, model, activation, fold), table in found.items():
        grouped.setdefault((dataset, model, activation), []).append(table.assign(fold=fold))
    return {key: pd.concat(tables) for key, tables in grouped.items()}


def confusion_counts(predictions: pd.DataFrame, classes: int) -> np.ndarray:
    """Counts C×C (row: true class, column: predicted) over every row of ``predictions``
    (columns ``label``, ``predicted``): every fold's predictions summed."""
    return confusion_matrix(predictions["label"], predictions["predicted"], classes)


CONFUSION_COLUMNS = 4


def _class_ticks(ax, classes: int, names: Sequence[str] | None) -> None:
    if names is not None and len(names) == classes and classes <= ANNOTATE_UP_TO:
        ax.set_xticks(range(classes), names, rotation=90 if max(map(len, names)) > 3 else 0)
        ax.set_yticks(range(classes), names)
        ax.set_xlabel("predicted class")
        ax.set_ylabel("true class")
        return
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(MaxNLocator(integer=True, nbins=min(classes, 10)))
    ax.set_xlabel("predicted class (index)")
    ax.set_ylabel("true class (index)")


def confusion_matrices(
    predictions: Mapping[tuple[str, str, str], pd.DataFrame],
    chosen: Mapping[Case, Sequence[tuple[str, str]]],
    classes_of: Mapping[str, Sequence[str]] | None = None,
) -> Figure:
    """The confusion matrix on the test samples of each chosen activation
    (:func:`confusion_choice`: every one, in the study's order) per dataset × model, counts
    summed over folds, CONFUSION_COLUMNS to a row; classes by name (``classes_of``, per
    dataset: :func:`class_names`) where known."""
    shown = [
        (case, name, role)
        for case, pairs in chosen.items()
        for name, role in pairs
        if (*case, name) in predictions
    ]
    if not shown:
        raise FigureSkipped(
            "No run saved per-sample test predictions (the study scores no test split), so "
            "there is no confusion matrix to draw."
        )
    columns = min(len(shown), CONFUSION_COLUMNS)
    figure, axes = new_figure(-(-len(shown) // columns), columns, 4.4, 4.0)
    for ax in axes.flat[len(shown) :]:
        ax.set_axis_off()
    for ax, (case, name, role) in zip(axes.flat, shown, strict=False):
        table = predictions[(*case, name)]
        same_case = [predictions[(*case, n)] for c, n, _ in shown if c == case]
        classes = 1 + int(max(max(t["label"].max(), t["predicted"].max()) for t in same_case))
        counts = confusion_counts(table, classes)
        image = ax.imshow(counts, cmap="Blues")
        figure.colorbar(image, ax=ax, label="test samples (count)", shrink=0.8)
        if classes <= ANNOTATE_UP_TO:
            for (i, j), count in np.ndenumerate(counts):
                dark = count > counts.max() / 2
                ax.text(
                    j,
                    i,
                    str(count),
                    ha="center",
                    va="center",
                    fontsize=6,
                    color="white" if dark else "black",
                )
        _class_ticks(ax, classes, (classes_of or {}).get(case[0]))
        folds = table["fold"].nunique()
        ax.set_title(
            f"{case_words(case)}: {name} ({role})\n{folds} fold(s) × {len(table) // folds} "
            "test samples",
            fontsize="medium",
        )
    figure.suptitle("Confusion matrices on the test samples, counts summed over folds")
    return figure
