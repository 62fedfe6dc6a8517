"""Figures that compare activations: within each case against the control (the differences, and
the Bayesian probabilities where a rope is set), across cases (the critical-difference diagram),
and against a paper's reported numbers. The numbers come from statistics.csv and
paper_vs_ours.csv as :mod:`actstudy.evaluation.statistics` and
:mod:`actstudy.evaluation.paper_vs_ours` wrote them; nothing here tests anything again."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scikit_posthocs
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from actstudy.evaluation.figures.style import (
    FigureSkipped,
    axis_words,
    legend_outside,
    new_figure,
)
from actstudy.evaluation.paper_vs_ours import measurement
from actstudy.evaluation.statistics import ACROSS, MIN_BLOCKS

Case = tuple[str, str]


def _p(value: float) -> str:
    return "no p" if not np.isfinite(value) else f"p_Holm = {value:.2g}"


def control_comparison(statistics: pd.DataFrame, rope: float | None) -> Figure:
    """Per dataset × model (rows), each comparison within the case: the mean difference a − b
    of the statistics' metric over the folds, with its interval from the corrected resampled
    t-test (a dot without a bar for McNemar's hold-out comparisons, which give none), a dashed
    line at 0 and, with a ``rope``, the region of practical equivalence shaded."""
    rows = statistics[statistics["test"] == "corrected_t"]
    paired = "corrected resampled t-test over the folds"
    if rows.empty:
        rows = statistics[statistics["test"].str.startswith("mcnemar")]
        paired = "hold-out runs on the same test samples (McNemar's test gives no interval)"
    if rows.empty:
        raise FigureSkipped(
            "No case has two folds or more or per-sample test predictions, so no activation "
            "was compared with another within a case."
        )
    names = list(dict.fromkeys(rows["case"]))
    sizes = [int((rows["case"] == case).sum()) for case in names]
    figure = Figure(figsize=(8.5, 1.2 + sum(0.45 * n + 0.9 for n in sizes)), layout="constrained")
    axes = figure.subplots(len(names), 1, squeeze=False, height_ratios=sizes)[:, 0]
    metric = rows["metric"].iloc[0]
    for ax, case in zip(axes, names, strict=True):
        chosen = rows[rows["case"] == case]
        y = np.arange(len(chosen))
        difference = chosen["mean_difference"].to_numpy(dtype=float)
        low = (difference - chosen["ci_low"].to_numpy(dtype=float)).clip(min=0)
        high = (chosen["ci_high"].to_numpy(dtype=float) - difference).clip(min=0)
        ax.errorbar(difference, y, xerr=[low, high], fmt="o", color="black", capsize=4)
        ax.axvline(0, color="grey", linestyle="--", linewidth=0.8)
        if rope:
            ax.axvspan(-rope, rope, color="tab:green", alpha=0.15, linewidth=0)
        labels = [
            f"{a} − {b} ({_p(p)}, n = {int(n)})"
            for a, b, p, n in zip(
                chosen["a"], chosen["b"], chosen["p_holm"], chosen["n"], strict=True
            )
        ]
        ax.set_yticks(y, labels)
        ax.set_ylim(len(chosen) - 0.5, -0.5)
        ax.set_ylabel("comparison")
        what = "test accuracy" if metric == "test predictions" else axis_words(metric)
        ax.set_xlabel(f"difference in {what}, first minus second activation".replace("\n", " "))
        ax.set_title(f"{case}: {paired}")
    handles = [
        Line2D([], [], marker="o", color="black", label="mean difference and interval"),
        Line2D([], [], color="grey", linestyle="--", label="no difference"),
    ]
    if rope:
        handles.append(Patch(color="tab:green", alpha=0.15, label=f"practically equal (±{rope:g})"))
    legend_outside(figure, handles)
    first = rows["a"].iloc[0]
    whom = f"{first} against each other activation" if (rows["a"] == first).all() else "each pair"
    figure.suptitle(f"Within each case: {whom}")
    return figure


BAYES = [
    ("p_better", "first better by more than the rope", "tab:blue"),
    ("p_equivalent", "within the rope (practically equal)", "tab:green"),
    ("p_worse", "second better by more than the rope", "tab:orange"),
]


def bayesian_probabilities(statistics: pd.DataFrame, rope: float | None) -> Figure:
    """Per dataset × model (rows), each comparison's posterior probabilities from the Bayesian
    correlated t-test (statistics.csv's ``bayesian_correlated_t`` rows): the first activation
    better by more than the rope, the two within it, the second better, as one stacked bar."""
    rows = statistics[statistics["test"] == "bayesian_correlated_t"]
    if not rope or rows.empty:
        raise FigureSkipped(
            "The study sets no rope (statistics.rope), so no Bayesian test was run and there "
            "are no probabilities to draw."
        )
    names = list(dict.fromkeys(rows["case"]))
    sizes = [int((rows["case"] == case).sum()) for case in names]
    figure = Figure(figsize=(8.5, 1.2 + sum(0.4 * n + 0.9 for n in sizes)), layout="constrained")
    axes = figure.subplots(len(names), 1, squeeze=False, height_ratios=sizes)[:, 0]
    for ax, case in zip(axes, names, strict=True):
        chosen = rows[rows["case"] == case]
        y = np.arange(len(chosen))
        left = np.zeros(len(chosen))
        for column, _, color in BAYES:
            width = chosen[column].to_numpy(dtype=float)
            ax.barh(y, width, left=left, color=color, height=0.6)
            for yi, (x, w) in enumerate(zip(left, width, strict=True)):
                if w >= 0.08:
                    ax.text(x + w / 2, yi, f"{w:.2f}", ha="center", va="center", fontsize=8)
            left += width
        ax.set_yticks(y, [f"{a} vs {b}" for a, b in zip(chosen["a"], chosen["b"], strict=True)])
        ax.set_ylim(len(chosen) - 0.5, -0.5)
        ax.set_xlim(0, 1)
        ax.axvline(0.95, color="black", linestyle=":", linewidth=0.8)
        ax.set_xlabel("posterior probability (0–1)")
        ax.set_ylabel("comparison (first vs second)")
        ax.set_title(f"{case}: {chosen['metric'].iloc[0]}, rope ±{rope:g}")
    handles = [Patch(color=color, label=label) for _, label, color in BAYES]
    handles.append(Line2D([], [], color="black", linestyle=":", label="0.95"))
    legend_outside(figure, handles)
    figure.suptitle("Bayesian correlated t-test: where the difference lies, against the rope")
    return figure


def critical_difference_diagram(statistics: pd.DataFrame, alpha: float) -> Figure:
    """Demšar's critical-difference diagram from statistics.csv's comparisons across cases:
    the activations' mean ranks, a bar joining those Nemenyi's test does not tell apart at
    ``alpha``, and the critical difference; skipped (FigureSkipped) with fewer cases than the
    test needs (:data:`~actstudy.evaluation.statistics.MIN_BLOCKS`)."""
    across = statistics[statistics["case"] == ACROSS]
    ranks = across[across["test"] == "mean_rank"].set_index("a")["statistic"].astype(float)
    if ranks.empty:
        reason = across["detail"].dropna()
        why = reason.iloc[0] if len(reason) else "the study compared no activations across cases"
        raise FigureSkipped(f"No critical-difference diagram: {why}.")
    cases_ = int(across[across["test"] == "mean_rank"]["n"].iloc[0])
    nemenyi = across[across["test"] == "nemenyi"]
    if cases_ < MIN_BLOCKS or nemenyi["p_value"].isna().any():
        raise FigureSkipped(
            f"No critical-difference diagram: {cases_} cases (datasets × models) ran every "
            f"activation, fewer than the {MIN_BLOCKS} that the Friedman–Nemenyi test needs "
            "(Demšar 2006); read the mean ranks in statistics.csv instead."
        )
    p = pd.DataFrame(1.0, index=ranks.index, columns=ranks.index)
    for a, b, value in zip(nemenyi["a"], nemenyi["b"], nemenyi["p_value"], strict=True):
        p.loc[a, b] = p.loc[b, a] = float(value)
    cd = float(across[across["test"] == "critical_difference"]["statistic"].iloc[0])
    figure = Figure(figsize=(9, 1.6 + 0.3 * len(ranks)), layout="constrained")
    ax = figure.add_subplot()
    scikit_posthocs.critical_difference_diagram(ranks, p, cd=cd, alpha=alpha, ax=ax)
    ax.set_xlabel(f"mean rank over {cases_} cases (1 = best)")
    ax.xaxis.set_label_position("top")
    ax.set_ylabel("activation")
    detail = str(nemenyi["detail"].iloc[0])
    post_hoc = detail[detail.find("post hoc") :] if "post hoc" in detail else "post hoc"
    figure.suptitle(
        f"Critical-difference diagram: a bar joins activations that Nemenyi's test (α = {alpha:g}) "
        f"does not tell apart; CD = {cd:.2f}\n(Nemenyi's test is {post_hoc})"
    )
    return figure


PAPER_COLUMNS = [
    "dataset",
    "model",
    "activation",
    "metric",
    "split",
    "at",
    "paper_fold",
    "paper",
    "ours_mean",
    "ci_low",
    "ci_high",
    "difference",
    "paper_inside_interval",
    "status",
    "matched_with",
]
"""The columns of paper_vs_ours.csv the notebook shows."""


def paper_vs_ours(table: pd.DataFrame | None, runs: pd.DataFrame) -> Figure:
    """One panel per dataset and reported measurement (x: model / activation): our folds
    (points), our mean and 95 % interval (black bar), the paper's value(s) (red diamonds);
    ``table``: paper_vs_ours.csv, None for a study that names no paper's numbers."""
    if table is None:
        raise FigureSkipped(
            "This study names no paper's reported numbers (its file has no reported: section), "
            "so there is nothing to set beside ours."
        )
    compared = table[table["status"] == "compared"].copy()
    if compared.empty:
        raise FigureSkipped("None of the paper's reported numbers could be set beside ours.")
    runs = runs[runs["status"] != "diverged"]
    compared["run"] = compared["model"].astype(str) + " / " + compared["activation"].astype(str)
    ours = runs["model"].astype(str) + " / " + runs["activation"].astype(str)
    study_order = list(dict.fromkeys([*ours, *compared["run"]]))  # the study's order
    panels = list(compared.groupby(["dataset", "metric", "split", "at"], dropna=False))
    columns = max(1, min(3, len(panels)))
    rows = -(-len(panels) // columns)
    figure, axes = new_figure(rows, columns, 5.5, 4.0)
    for ax, ((dataset, metric, split, at), group) in zip(axes.flat, panels, strict=False):
        column, _ = measurement(metric, split, at)
        order = sorted(group["run"].unique(), key=study_order.index)
        for x, name in enumerate(order):
            model, activation = name.split(" / ")
            mask = (runs["dataset"] == dataset) & (runs["model"] == model)
            folds = runs[mask & (runs["activation"] == activation)]
            if column in folds:
                ax.scatter([x] * len(folds), folds[column], color="tab:blue", alpha=0.6, s=18)
            ours = group[group["run"] == name].iloc[0]
            ax.errorbar(
                x,
                ours["ours_mean"],
                yerr=[[ours["ours_mean"] - ours["ci_low"]], [ours["ci_high"] - ours["ours_mean"]]],
                fmt="_",
                color="black",
                capsize=6,
                markersize=14,
            )
            paper = group[group["run"] == name]["paper"]
            ax.scatter([x] * len(paper), paper, marker="D", color="tab:red", s=30, zorder=3)
        ax.set_xticks(range(len(order)), order, rotation=30, ha="right")
        ax.set_xlabel("model / activation")
        ax.set_ylabel(axis_words(column) if column else f"{split} {metric}")
        ax.set_title(f"{dataset}: {split} {metric} ({at or 'as reported'})", fontsize=10)
    for ax in list(axes.flat)[len(panels) :]:
        ax.set_axis_off()
    legend_outside(
        figure,
        [
            Line2D([], [], marker="o", linestyle="none", color="tab:blue", label="our folds"),
            Line2D(
                [], [], marker="_", color="black", markersize=14, label="our mean, 95 % interval"
            ),
            Line2D([], [], marker="D", linestyle="none", color="tab:red", label="the paper"),
        ],
    )
    figure.suptitle("The paper's reported numbers beside ours")
    return figure
