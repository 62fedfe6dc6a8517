"""What every figure shares: a new figure, epoch axes, legends outside the data, colours per
activation, metric names in words with their units, and the exception of a skipped figure."""

from __future__ import annotations

import hashlib
import math
import textwrap
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.colors import hsv_to_rgb
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

CASE = ["dataset", "model"]
EPOCH = "epoch (passes over the training fold)"
"""The label of every epoch axis (tests find epoch axes by it)."""


LEGEND_COLUMNS = 5
CASE_COLUMNS = 3
LABEL_WIDTH = 26


class FigureSkipped(Exception):
    """A figure that does not apply to the study; the message says why, in one sentence."""


def new_figure(
    rows: int, columns: int, width: float, height: float, **options: Any
) -> tuple[Figure, np.ndarray]:
    """A figure of rows × columns axes (always a 2-D array), each about width × height inches,
    laid out by matplotlib's constrained layout (which makes room for outside legends). Built
    without pyplot, so nothing global is left to close."""
    figure = Figure(figsize=(width * columns, height * rows), layout="constrained")
    return figure, figure.subplots(rows, columns, squeeze=False, **options)


def per_case(count: int, width: float, height: float) -> tuple[Figure, list[Axes]]:
    """A figure of one axes per case, CASE_COLUMNS to a row (spare axes hidden)."""
    columns = min(count, CASE_COLUMNS)
    figure, axes = new_figure(math.ceil(count / columns), columns, width, height)
    for ax in axes.flat[count:]:
        ax.set_axis_off()
    return figure, list(axes.flat[:count])


def epoch_axis(ax: Axes, epochs: Iterable[float]) -> None:
    """Label ``ax``'s x axis as epochs, with whole-number ticks spanning ``epochs``."""
    last = max([int(e) for e in epochs if np.isfinite(e)], default=1)
    ax.set_xlabel(EPOCH)
    ax.set_xlim(0.5, last + 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))


def legend_outside(owner: Figure | Axes, handles: Sequence[Any], title: str | None = None) -> None:
    """A legend of ``handles`` outside the data: below the whole figure (in rows of up to
    LEGEND_COLUMNS), or right of one axes."""
    labels = [h.get_label() for h in handles]
    if isinstance(owner, Figure):
        columns = min(len(handles), LEGEND_COLUMNS)
        owner.legend(handles, labels, loc="outside lower center", ncols=columns, title=title)
    else:
        owner.legend(
            handles,
            labels,
            loc="upper left",
            bbox_to_anchor=(1.02, 1.0),
            borderaxespad=0,
            title=title,
            fontsize="small",
        )


FIXED_COLORS = {
    "relu": "tab:blue",
    "leaky_relu": "tab:orange",
    "tanh": "tab:green",
    "sigmoid": "tab:red",
    "mish": "tab:purple",
    "lrelu": "tab:brown",
    "dsrelu": "tab:pink",
    "elu": "tab:gray",
    "gelu": "tab:olive",
    "silu": "tab:cyan",
    **dict(
        zip(
            ["swish", "softplus", "coslu", "delu", "eelu", "eelu_pos", "eelu_sq"],
            [colormaps["tab20"](2 * i + 1) for i in range(7)],
            strict=True,
        )
    ),
    "erf_softplus": colormaps["tab20"](17),
    "relun": colormaps["tab20"](19),
}
"""The colour of each built-in activation's name, the same in every study and figure."""


def color(name: str) -> Any:
    """The colour of an activation's name: a built-in's fixed one (:data:`FIXED_COLORS`), any
    other's from a stable hash of the name (the same in every study, run and process)."""
    if name in FIXED_COLORS:
        return FIXED_COLORS[name]
    digest = hashlib.sha256(name.encode()).digest()
    hue, shade = digest[0] / 256, digest[1] / 256
    return tuple(float(v) for v in hsv_to_rgb((hue, 0.55 + 0.35 * shade, 0.85 - 0.3 * shade)))


def colors(names: Iterable[str]) -> dict[str, Any]:
    """One colour per activation name (:func:`color`): adding an activation to a study
    recolours none of the others."""
    return {name: color(name) for name in dict.fromkeys(names)}


def in_order(table: pd.DataFrame, column: str = "activation") -> list[str]:
    """The values of ``column`` in the order they first appear (the tables list the runs in
    the study's order)."""
    return list(dict.fromkeys(table[column]))


def cases(table: pd.DataFrame) -> list[tuple[str, str]]:
    """The (dataset, model) cases of a table, in the order they first appear."""
    return list(dict.fromkeys(zip(table["dataset"], table["model"], strict=True)))


def of_case(table: pd.DataFrame, case: tuple[str, str]) -> pd.DataFrame:
    return table[(table["dataset"] == case[0]) & (table["model"] == case[1])]


def case_words(case: tuple[str, str]) -> str:
    return f"{case[0]} / {case[1]}"


SPLITS = {"train": "training", "val": "validation", "test": "test"}
MEASURES = {
    "accuracy": ("accuracy", "share correct"),
    "f1_macro": ("macro F1", "0–1"),
    "f1_weighted": ("weighted F1", "0–1"),
    "roc_auc": ("one-vs-rest ROC-AUC", "0–1"),
    "loss": ("loss", "nats/sample"),
}
EPOCHS = {
    "best": "at the best epoch",
    "final": "at the final epoch",
    "last3": "mean of the last three epochs",
}


def metric_words(column: str) -> tuple[str, str]:
    """(what, unit) of a runs.csv metric column: ``test_accuracy`` → (``test accuracy``,
    ``share correct``); a column it does not know comes back with its underscores
    as spaces and no unit."""
    split, _, rest = column.partition("_")
    for measure, (words, unit) in MEASURES.items():
        if rest == measure or rest.startswith(f"{measure}_"):
            at = rest.removeprefix(measure).removeprefix("_")
            what = f"{SPLITS.get(split, split)} {words}"
            return (f"{what}, {EPOCHS[at]}" if at in EPOCHS else what), unit
    return column.replace("_", " "), ""


def axis_words(column: str, prefix: str = "", suffix: str = "") -> str:
    """An axis label for a metric column, ``test accuracy (share correct)``, wrapped to lines
    of at most LABEL_WIDTH characters (a long y label would run past its axes)."""
    what, unit = metric_words(column)
    return wrapped(f"{prefix}{what}{suffix}" + (f" ({unit})" if unit else ""))


def wrapped(label: str) -> str:
    """``label`` in lines of at most LABEL_WIDTH characters, a closing ``(unit)`` on a line of
    its own."""
    if len(label) <= LABEL_WIDTH:
        return label
    what, bracket, unit = label.rpartition(" (")
    lines = [*textwrap.wrap(what, LABEL_WIDTH), bracket.strip() + unit] if bracket else []
    return "\n".join(lines or textwrap.wrap(label, LABEL_WIDTH))


def mean_and_std(values: pd.Series) -> tuple[float, float]:
    """Mean and sample standard deviation of the finite values (no std from one value, so no
    error bar is drawn)."""
    values = values.astype(float)
    values = values[np.isfinite(values)]
    if values.empty:
        return math.nan, math.nan
    return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else math.nan
