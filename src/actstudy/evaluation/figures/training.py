"""Figures of how the runs trained: curves per epoch, the learning-rate schedule, the kept
against the final epoch, the validation and test accuracy per fold, seconds per epoch."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from actstudy.evaluation.figures.style import (
    CASE,
    FigureSkipped,
    axis_words,
    case_words,
    cases,
    colors,
    epoch_axis,
    in_order,
    legend_outside,
    mean_and_std,
    metric_words,
    new_figure,
    of_case,
    per_case,
    wrapped,
)


def _activation_handles(names: list[str]) -> list[Line2D]:
    palette = colors(names)
    return [Line2D([], [], color=palette[name], label=name) for name in names]


def _per_epoch(runs: pd.DataFrame, column: str) -> pd.DataFrame:
    """Mean and std over folds of ``column`` per epoch (a loss of a diverged epoch, +inf or
    NaN, left out)."""
    values = runs[["epoch", column]].replace([np.inf, -np.inf], np.nan)
    return values.groupby("epoch")[column].agg(["mean", "std"]).reset_index()


def _band(ax, table: pd.DataFrame, color, label: str) -> None:
    ax.plot(table["epoch"], table["mean"], color=color, label=label, marker=".")
    ax.fill_between(
        table["epoch"],
        table["mean"] - table["std"],
        table["mean"] + table["std"],
        color=color,
        alpha=0.2,
        linewidth=0,
    )


CURVE_GRID = [["train_loss", "val_loss"], ["train_accuracy", "val_accuracy"]]
RUNNING_MEAN = "training metrics: running means over each epoch's batches"


def training_curves(histories: pd.DataFrame) -> Figure:
    """Training and validation loss (top) and accuracy (bottom) per epoch, a 2 × 2 grid per
    dataset × model, one line per activation (mean over folds) with a band of ± one standard
    deviation. The training metrics are running means over the epoch's batches (taken while
    the weights change), the validation metrics are measured after the epoch."""
    names = in_order(histories)
    palette = colors(names)
    rows = cases(histories)
    figure, axes = new_figure(2 * len(rows), 2, 4.6, 3.4)
    for number, case in enumerate(rows):
        table = of_case(histories, case)
        grid = axes[2 * number : 2 * number + 2].flat
        for ax, column in zip(grid, [c for row in CURVE_GRID for c in row], strict=True):
            for name in names:
                _band(
                    ax, _per_epoch(table[table["activation"] == name], column), palette[name], name
                )
            if column.endswith("loss"):
                ax.set_yscale("log")
            log = ", log scale" if column.endswith("loss") else ""
            ax.set_ylabel(axis_words(column, suffix=log))
            running = " (running mean)" if column.startswith("train_") else ""
            ax.set_title(f"{case_words(case)}: {metric_words(column)[0]}{running}")
            epoch_axis(ax, table["epoch"])
    figure.suptitle(
        f"Training curves: mean over folds, band ± one standard deviation\n({RUNNING_MEAN};"
        " validation metrics: measured after each epoch)"
    )
    legend_outside(figure, _activation_handles(names), title="activation")
    return figure


def per_fold(runs: pd.DataFrame, column: str = "val_accuracy") -> Figure:
    """``column`` (a runs.csv metric of each run's kept weights) in the study's activation
    order: a point per fold, the mean ± std over folds, and a red cross at 0 for each diverged
    run (scored 0, as in the statistics)."""
    if column not in runs or runs[column].isna().all():
        raise FigureSkipped(
            f"No run has a {metric_words(column)[0]} (the study scores no test part), so "
            "none is drawn."
        )
    rows = cases(runs)
    names = in_order(runs)
    figure, axes = per_case(len(rows), max(5.0, 0.9 * len(names)), 4.0)
    palette = colors(names)
    for ax, case in zip(axes, rows, strict=True):
        table = of_case(runs, case)
        ok = table[table["status"] != "diverged"]
        order = [name for name in names if name in set(table["activation"])]
        for x, name in enumerate(order):
            folds = ok[ok["activation"] == name][column].to_numpy(dtype=float)
            offsets = np.linspace(-0.15, 0.15, len(folds)) if len(folds) > 1 else np.zeros(1)
            ax.scatter(x + offsets[: len(folds)], folds, color=palette[name], alpha=0.7, s=24)
            mean, std = mean_and_std(pd.Series(folds))
            ax.errorbar(x, mean, yerr=std, fmt="D", color="black", capsize=5, zorder=3)
            bad = int((table[table["activation"] == name]["status"] == "diverged").sum())
            if bad:
                ax.scatter([x] * bad, [0.0] * bad, marker="x", color="red", s=40, zorder=3)
        ax.set_xticks(range(len(order)), order, rotation=30, ha="right")
        ax.set_xlabel("activation (the study's order)")
        ax.set_ylabel(axis_words(column))
        ax.set_title(case_words(case))
    handles = [
        Line2D([], [], marker="o", linestyle="none", color="grey", label="one fold"),
        Line2D([], [], marker="D", color="black", label="mean ± std over folds"),
    ]
    if (runs["status"] == "diverged").any():
        handles.append(
            Line2D([], [], marker="x", linestyle="none", color="red", label="diverged (0)")
        )
    what = metric_words(column)[0]
    figure.suptitle(f"{what[0].upper()}{what[1:]} of the kept weights (each run's best epoch)")
    legend_outside(figure, handles)
    return figure


def validation_accuracy(runs: pd.DataFrame) -> Figure:
    """Validation accuracy at each run's best epoch, per fold (:func:`per_fold`)."""
    return per_fold(runs, "val_accuracy")


def test_accuracy(runs: pd.DataFrame) -> Figure:
    """Test accuracy of each run's kept weights, per fold (:func:`per_fold`)."""
    return per_fold(runs, "test_accuracy")


def learning_rate(histories: pd.DataFrame) -> Figure:
    """The learning rate of every epoch (history.csv's ``lr``), one axes per dataset × model,
    one line per activation (the mean over folds; the folds share their schedule)."""
    if "lr" not in histories or histories["lr"].isna().all():
        raise FigureSkipped("The runs' histories record no learning rate, so none is drawn.")
    names = in_order(histories)
    palette = colors(names)
    rows = cases(histories)
    figure, axes = per_case(len(rows), 5.0, 3.4)
    for ax, case in zip(axes, rows, strict=True):
        table = of_case(histories, case)
        for name in names:
            mean = _per_epoch(table[table["activation"] == name], "lr")
            ax.plot(mean["epoch"], mean["mean"], color=palette[name], marker=".", label=name)
        rates = table["lr"].astype(float)
        if rates.min() > 0 and rates.max() / rates.min() >= 10:
            ax.set_yscale("log")
        ax.set_ylabel("learning rate (per step)")
        ax.set_title(f"{case_words(case)}: learning rate of each epoch")
        epoch_axis(ax, table["epoch"])
    figure.suptitle("Learning-rate schedule: the rate each epoch trained at (history.csv's lr)")
    legend_outside(figure, _activation_handles(names), title="activation")
    return figure


def _final_epoch(histories: pd.DataFrame) -> pd.DataFrame:
    """Each run's last history row."""
    return histories.sort_values("epoch").groupby([*CASE, "activation", "fold"]).tail(1)


BEST_VS_FINAL = [
    ("val_accuracy", "validation, best epoch (kept)", "o"),
    ("final_val_accuracy", "validation, final epoch", "s"),
    ("train_accuracy_last3", "training, mean of the last three epochs", "^"),
]


def best_vs_final(runs: pd.DataFrame, histories: pd.DataFrame) -> Figure:
    """Per dataset × model: left, the validation accuracy of the kept (best-epoch) weights
    beside that of the final epoch and the training accuracy of the last three epochs (mean ±
    std over folds; each activation's mean best epoch under its name); right, the training
    minus the validation accuracy per epoch (mean ± std over folds)."""
    names = in_order(runs)
    palette = colors(names)
    final = _final_epoch(histories).rename(columns={"val_accuracy": "final_val_accuracy"})
    keys = [*CASE, "activation", "fold"]
    table = runs[runs["status"] != "diverged"].merge(
        final[[*keys, "final_val_accuracy"]], on=keys, how="left"
    )
    gaps = histories.assign(gap=histories["train_accuracy"] - histories["val_accuracy"])
    rows = cases(runs)
    figure, axes = new_figure(len(rows), 2, max(5.5, 1.1 * len(names)), 4.0)
    for (left, right), case in zip(axes, rows, strict=True):
        chosen = of_case(table, case)
        ticks = []
        for x, name in enumerate(names):
            folds = chosen[chosen["activation"] == name]
            for shift, (column, _, marker) in zip((-0.22, 0, 0.22), BEST_VS_FINAL, strict=True):
                mean, std = mean_and_std(folds[column])
                left.errorbar(x + shift, mean, yerr=std, fmt=marker, color=palette[name], capsize=3)
            ticks.append(f"{name}\n({folds['best_epoch'].mean():.1f})")
        left.set_xticks(range(len(names)), ticks, fontsize="small")
        left.set_xlabel("activation (mean best epoch over folds)")
        left.set_ylabel("accuracy (share correct)")
        left.set_title(f"{case_words(case)}: kept weights against the final epoch")
        case_gaps = of_case(gaps, case)
        for name in names:
            _band(
                right,
                _per_epoch(case_gaps[case_gaps["activation"] == name], "gap"),
                palette[name],
                name,
            )
        right.axhline(0, color="grey", linewidth=0.8, linestyle="--")
        right.set_ylabel(wrapped("training − validation accuracy (share correct)"))
        right.set_title(f"{case_words(case)}: training–validation gap")
        epoch_axis(right, case_gaps["epoch"])
    measures = [
        Line2D([], [], marker=m, color="grey", label=label) for _, label, m in BEST_VS_FINAL
    ]
    legend_outside(figure, measures + _activation_handles(names))
    figure.suptitle(
        "Best-epoch against final-epoch accuracy, and the gap between training and validation"
    )
    return figure


def measured_on(timing: pd.DataFrame) -> pd.Series:
    """Where and how busy each timing row was measured: 'cpu: <CPU>, 2 cores, 1 thread(s),
    load 1.9 → 2.3' (the 1-minute load average before and after)."""
    return (
        timing["device"].astype(str)
        + ", "
        + timing["threads"].astype(str)
        + " thread(s), load "
        + timing["load_before"].map("{:.1f}".format)
        + " → "
        + timing["load_after"].map("{:.1f}".format)
    )


def epoch_seconds_table(timing: pd.DataFrame) -> pd.DataFrame:
    """Per dataset × model × activation, from the timing table (actstudy.evaluation.timing):
    seconds per training epoch (the median step × the steps of one epoch), how far the fastest
    and the slowest round lie below and above it (``below``, ``above``), the ratio to the case's
    ReLU (``ratio``, NaN without one) and where it was measured (``measured``)."""
    steps = timing["steps_per_epoch"]
    return pd.DataFrame(
        {
            **{key: timing[key] for key in [*CASE, "activation"]},
            "seconds": timing["epoch_seconds"],
            "below": timing["epoch_seconds"] - timing["step_seconds_min"] * steps,
            "above": timing["step_seconds_max"] * steps - timing["epoch_seconds"],
            "ratio": timing["ratio_to_relu"],
            "reference": timing["reference"].fillna("").astype(str),
            "measured": measured_on(timing),
        }
    )


def _bars(
    table: pd.DataFrame, column: str, error: tuple[str, str] | None, ylabel: str, title: str
) -> Figure:
    """Bars of ``column`` per activation (from ``error``'s columns below to above), one axes
    per dataset × model titled with where it was measured; a ratio (no ``error``) with a dashed
    line at 1 and each value written above its bar."""
    rows = cases(table)
    palette = colors(table["activation"])
    figure, axes = per_case(len(rows), max(5.0, 0.8 * table["activation"].nunique()), 4.0)
    for ax, case in zip(axes, rows, strict=True):
        chosen = of_case(table, case)
        x = np.arange(len(chosen))
        values = chosen[column].to_numpy(dtype=float)
        bars = ax.bar(
            x,
            values,
            yerr=None if error is None else chosen[list(error)].to_numpy(dtype=float).T,
            capsize=5,
            color=[palette[name] for name in chosen["activation"]],
        )
        if error is None:
            ax.axhline(1.0, color="black", linestyle="--", linewidth=0.8)
            ax.bar_label(bars, labels=[f"{v:.2f}×" for v in values], fontsize="small")
            ax.set_ylim(0, max(1.0, np.nanmax(values)) * 1.15)
        ax.set_xticks(x, chosen["activation"], rotation=30, ha="right")
        ax.set_xlabel("activation")
        ax.set_ylabel(ylabel)
        measured = "; ".join(dict.fromkeys(chosen["measured"]))
        ax.set_title(wrapped(f"{case_words(case)}, on {measured}"), fontsize="small")
    figure.suptitle(title)
    return figure


def epoch_seconds(timing: pd.DataFrame) -> Figure:
    """Seconds per training epoch per activation, from the timing step: the median step × the
    steps of one epoch, bars from the fastest to the slowest round (device, threads and load
    in each axes' title)."""
    return _bars(
        epoch_seconds_table(timing),
        "seconds",
        ("below", "above"),
        "seconds per epoch (s)",
        "Seconds per training epoch, timed in alternating rounds: median, fastest to slowest round",
    )


def epoch_seconds_ratio(timing: pd.DataFrame) -> Figure:
    """Each activation's median training step over the case's ReLU's, from the timing step,
    per dataset × model; a dashed line at 1 (as fast), the ratio written above each bar."""
    table = epoch_seconds_table(timing)
    table = table[table["reference"] != ""]
    if table.empty:
        raise FigureSkipped(
            "The study runs no ReLU, so there is no ratio of seconds per epoch to ReLU's to draw."
        )
    references = ", ".join(dict.fromkeys(table["reference"]))
    return _bars(
        table,
        "ratio",
        None,
        wrapped(f"seconds per step ÷ {references}'s (ratio)"),
        f"Seconds per training step as a ratio to {references}'s, timed in alternating rounds",
    )
