"""The activation gallery: f and f′ of every activation of a study over [−5, 5], drawn from
its activation_curves.csv (:mod:`actstudy.evaluation.activation_curves`, which builds each module
from the activation registry and reads what each run kept from its best.pt)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from actstudy.evaluation.figures.style import in_order, legend_outside, new_figure

COLUMNS_AT_MOST = 4
F_GID, SLOPE_GID = "f", "slope"
"""The gids of a curve's f line and f′ line (``f:<curve>``, ``slope:<curve>``), for tests."""


def _curve_name(row: pd.Series, cases: int) -> str:
    """A learned curve's legend entry: ``fold 2: a = 1.02, b = 0.97`` (the case first, where the
    study has several)."""
    where = f"{row['dataset']} / {row['model']}, " if cases > 1 else ""
    return f"{where}fold {int(row['fold'])}: {row['curve']}"


def activation_gallery(curves: pd.DataFrame, order: Sequence[str] | None = None) -> Figure:
    """One axes per activation (in ``order``, default the table's): f(x) solid and f′(x)
    dashed, as configured (black; grey where runs learned or scheduled their own) and as each
    run kept it (one colour per run and instance, its values in the legend beside the axes)."""
    names = list(order) if order is not None else in_order(curves)
    columns = min(COLUMNS_AT_MOST, len(names))
    rows = math.ceil(len(names) / columns)
    figure, axes = new_figure(rows, columns, 4.4, 3.2)
    cases = curves.dropna(subset=["fold"])[["dataset", "model"]].drop_duplicates()
    for ax, name in zip(axes.flat, names, strict=False):
        table = curves[curves["activation"] == name]
        learned = table[table["learned"].astype(bool)]
        configured = table[~table["learned"].astype(bool)]
        plain = configured["curve"].nunique() == 1 and learned.empty
        handles = []
        groups = list(configured.groupby("curve", sort=False))
        shades = colormaps["Dark2"]
        for i, (curve, points) in enumerate(groups):
            color = "black" if len(groups) == 1 else shades(i % shades.N)
            if not learned.empty:
                color = "grey"
            _draw(ax, points, color, curve, handles)
        keys = ["dataset", "model", "fold", "curve"]
        palette = colormaps["tab10"]
        for i, (_, points) in enumerate(learned.groupby(keys, sort=False)):
            _draw(
                ax, points, palette(i % palette.N), _curve_name(points.iloc[0], len(cases)), handles
            )
        ax.axhline(0, color="lightgrey", linewidth=0.6, zorder=0)
        ax.axvline(0, color="lightgrey", linewidth=0.6, zorder=0)
        ax.set_title(name)
        ax.set_xlabel("input x (pre-activation, no unit)")
        ax.set_ylabel("f(x) solid, f′(x) dashed")
        if not plain:
            legend_outside(ax, handles)
    for ax in list(axes.flat)[len(names) :]:
        ax.set_axis_off()
    figure.suptitle("Activation functions f (solid) and their slopes f′ (dashed) over [−5, 5]")
    legend_outside(
        figure,
        [
            Line2D([], [], color="black", label="f(x)"),
            Line2D([], [], color="black", linestyle="--", label="f′(x), by autograd"),
        ],
    )
    return figure


def _draw(ax, points: pd.DataFrame, color, label: str, handles: list) -> None:
    """One curve's f (solid) and f′ (dashed); its legend entry appended to ``handles``."""
    (line,) = ax.plot(points["x"], points["f"], color=color, linewidth=1.4, label=label)
    line.set_gid(f"{F_GID}:{label}")
    (slope,) = ax.plot(points["x"], points["slope"], color=color, linewidth=1.0, linestyle="--")
    slope.set_gid(f"{SLOPE_GID}:{label}")
    handles.append(line)
