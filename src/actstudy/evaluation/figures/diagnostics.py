"""The activation diagnostics figure: every quantity the runs measured on their probe batch
(:mod:`actstudy.training.diagnostics`) that varies, per activation site, over the epochs."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from actstudy.evaluation.figures.style import (
    CASE,
    FigureSkipped,
    colors,
    epoch_axis,
    in_order,
    legend_outside,
    new_figure,
    wrapped,
)

QUANTITIES = {
    "dead_fraction": "share of dead units (0–1)",
    "saturated_fraction": "share of saturated entries, |f′| < 0.01 (0–1)",
    "preact_mean": "pre-activation mean",
    "preact_std": "pre-activation standard deviation",
    "grad_norm": "gradient norm at the site's output (L2)",
}
"""The quantities every site has, in the order drawn, with their axis words; a trainable
activation's ``param_<name>`` rows follow."""
FLAT = 1e-9
"""A quantity whose values span less than this, over every run, site and epoch, is not drawn."""
SITE_COLUMNS = 6
"""Up to this many sites, one column each; a deeper model (ResNet-20: 19 sites, more with a
shared module's calls) is drawn by depth instead (:func:`_by_depth`)."""


def varying(diagnostics: pd.DataFrame) -> list[str]:
    """The quantities whose values vary (more than :data:`FLAT`) in ``diagnostics``: those of
    :data:`QUANTITIES`, then the trainable parameters, in the order they first appear."""
    values = diagnostics.assign(value=diagnostics["value"].replace([np.inf, -np.inf], np.nan))
    spans = values.groupby("quantity", sort=False)["value"].agg(lambda v: v.max() - v.min())
    moving = [q for q, span in spans.items() if span > FLAT]
    known = [q for q in QUANTITIES if q in moving]
    return known + [q for q in moving if q not in QUANTITIES]


def _axis_words(quantity: str) -> str:
    if quantity in QUANTITIES:
        return wrapped(QUANTITIES[quantity])
    return wrapped(f"trainable parameter {quantity.removeprefix('param_')}")


def activation_diagnostics(diagnostics: pd.DataFrame) -> Figure:
    """One row per quantity that varies (dead and saturated shares, pre-activation statistics,
    gradient norms, trainable parameters), one column per activation site by the name the
    model gives it (the ``site`` of diagnostics.csv, nearest the input first; by depth where
    there are more than :data:`SITE_COLUMNS` sites), one line per activation in its colour:
    the mean over folds and dataset × model cases after each epoch."""
    quantities = varying(diagnostics)
    if diagnostics.empty or not quantities:
        raise FigureSkipped("The runs recorded no activation diagnostic that varies: none drawn.")
    sites = in_order(diagnostics, "site")
    names = in_order(diagnostics)
    palette = colors(names)
    keys = ["activation", "quantity", "site", "epoch"]
    table = diagnostics[diagnostics["quantity"].isin(quantities)]
    table = table.groupby(keys, sort=False, as_index=False)["value"].mean()
    cases = diagnostics[CASE].drop_duplicates()
    if len(sites) > SITE_COLUMNS:
        figure, how, columns = _by_depth(table, quantities, palette), "by depth", 2
    else:
        figure, how, columns = _per_site(table, quantities, sites, palette), "per site", len(sites)
    title = (
        f"Activation diagnostics {how} on a fixed probe batch, after each epoch: mean over "
        f"folds and {len(cases)} case(s); quantities flat for every run left out"
    )
    figure.suptitle(textwrap.fill(title, 40 * min(columns, 4)))
    handles = [Line2D([], [], color=palette[name], label=name) for name in names]
    legend_outside(figure, handles, title="activation")
    return figure


def _by_depth(table: pd.DataFrame, quantities: list[str], palette: dict[str, str]) -> Figure:
    """One row per quantity: left, its value after the last epoch at each site, nearest the
    input first (site k of each activation's model: names differ where a shared module is one
    site per call); right, its mean over the sites after each epoch."""
    order = {
        name: {site: k for k, site in enumerate(in_order(rows, "site"), 1)}
        for name, rows in table.groupby("activation", sort=False)
    }
    pairs = zip(table["activation"], table["site"], strict=True)
    table = table.assign(depth=[order[name][site] for name, site in pairs])
    figure, axes = new_figure(len(quantities), 2, 4.6, 2.3)
    for (left, right), quantity in zip(axes, quantities, strict=True):
        chosen = table[table["quantity"] == quantity]
        for name, lines in chosen.groupby("activation", sort=False):
            last = lines[lines["epoch"] == lines["epoch"].max()].sort_values("depth")
            left.plot(last["depth"], last["value"], color=palette[name], marker=".")
            mean = lines.groupby("epoch")["value"].mean()
            right.plot(mean.index, mean.to_numpy(), color=palette[name], marker=".")
        for ax in (left, right):
            ax.set_ylabel(_axis_words(quantity), fontsize="small")
            if quantity.endswith("_fraction"):
                ax.set_ylim(-0.03, 1.03)
        left.set_xlabel("site, nearest the input first")
        left.set_title("after the last epoch", fontsize="medium")
        right.set_title("mean over the sites", fontsize="medium")
        epoch_axis(right, table["epoch"])
    return figure


def _per_site(
    table: pd.DataFrame, quantities: list[str], sites: list[str], palette: dict[str, str]
) -> Figure:
    """One row per quantity, one column per site, one line per activation over the epochs."""
    figure, axes = new_figure(len(quantities), len(sites), 3.4, 2.3, sharex=True)
    for row, quantity in zip(axes, quantities, strict=True):
        for ax, site in zip(row, sites, strict=True):
            chosen = table[(table["quantity"] == quantity) & (table["site"] == site)]
            for name, lines in chosen.groupby("activation", sort=False):
                ax.plot(lines["epoch"], lines["value"], color=palette[name], marker=".")
            if not len(chosen):
                ax.text(
                    0.5,
                    0.5,
                    "not measured here",
                    ha="center",
                    va="center",
                    transform=ax.transAxes,
                    color="grey",
                )
            if quantity.endswith("_fraction"):
                ax.set_ylim(-0.03, 1.03)
            if quantity == "grad_norm" and (chosen["value"] > 0).all() and len(chosen):
                ax.set_yscale("log")
            ax.set_title(f"site {site}", fontsize="medium")
            ax.set_ylabel(_axis_words(quantity), fontsize="small")
            epoch_axis(ax, table["epoch"])
    return figure
