"""The activation diagnostics figure: every quantity the runs measured on their probe batch
(:mod:`actstudy.training.diagnostics`) that varies, per activation site, over the epochs."""

from __future__ import annotations

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
    model gives it (the ``site`` of diagnostics.csv, nearest the input first), one line per
    activation in its colour: the mean over folds and dataset × model cases after each epoch."""
    quantities = varying(diagnostics)
    if diagnostics.empty or not quantities:
        raise FigureSkipped("The runs recorded no activation diagnostic that varies: none drawn.")
    sites = in_order(diagnostics, "site")
    names = in_order(diagnostics)
    palette = colors(names)
    keys = ["activation", "quantity", "site", "epoch"]
    table = diagnostics[diagnostics["quantity"].isin(quantities)]
    table = table.groupby(keys, sort=False, as_index=False)["value"].mean()
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
    cases = diagnostics[CASE].drop_duplicates()
    figure.suptitle(
        "Activation diagnostics per site on a fixed probe batch, after each epoch: mean over "
        f"folds and {len(cases)} case(s); quantities flat for every run left out"
    )
    handles = [Line2D([], [], color=palette[name], label=name) for name in names]
    legend_outside(figure, handles, title="activation")
    return figure
