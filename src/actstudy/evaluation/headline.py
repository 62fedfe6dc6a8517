"""The study's answer in one table: the control against each other activation (every pair where
the study names no control), per dataset × model, with the difference, its interval, the
Holm-adjusted p-value and a verdict; and the paper's claims with their verdicts, where the
study has them. The report's overview page shows it (``headline.html``, every text escaped)."""

from __future__ import annotations

import html
import math
import os
from collections.abc import Sequence

import pandas as pd

from actstudy.io import write_text

PAIRED_TESTS = ("corrected_t", "mcnemar_exact", "mcnemar_chi2")
"""The statistics.csv rows that compare two activations within a case (statistics.py)."""
EQUIVALENT = 0.95
"""P(equivalent) of the Bayesian test at or above which a pair not told apart is called
equivalent."""


def verdict(row: pd.Series, alpha: float) -> str:
    """A comparison's verdict in words: one side better where p_Holm ≤ alpha (the p-values of
    statistics.csv, Holm-adjusted within the case), else "cannot reach α" where the design's
    smallest attainable p (``p_min``) is above alpha, else equivalent where the Bayesian test
    puts P(equivalent) ≥ :data:`EQUIVALENT`, else no difference shown; not tested where no
    p-value could be computed (statistics.csv's ``detail`` says why)."""
    p = row.get("p_holm", math.nan)
    if pd.isna(p):
        return "not tested"
    if p <= alpha:
        return f"{row['a'] if row['mean_difference'] > 0 else row['b']} better"
    p_min = row.get("p_min", math.nan)
    if not pd.isna(p_min) and p_min > alpha:
        return f"cannot reach α = {alpha:g} (smallest attainable p_Holm {p_min:.3g})"
    if row.get("p_equivalent", math.nan) >= EQUIVALENT:
        return "equivalent (within the rope)"
    return "no difference shown"


def headline(
    statistics: pd.DataFrame, alpha: float, order: Sequence[str] = (), control: bool = True
) -> pd.DataFrame:
    """One row per comparison of two activations within a case, the Bayesian probabilities
    beside it where the study sets a rope, in the study's activation order (``order``; others
    after, as they come); its two activations are ``control`` and ``activation`` where the
    study names a control, else ``first`` and ``second``."""
    paired = statistics[statistics["test"].isin(PAIRED_TESTS)].copy()
    bayes = statistics[statistics["test"] == "bayesian_correlated_t"]
    probabilities = ["p_better", "p_equivalent", "p_worse"]
    paired = paired.drop(columns=probabilities, errors="ignore")
    if len(bayes):
        paired = paired.merge(bayes[["case", "a", "b", *probabilities]], on=["case", "a", "b"])
    rank = {name: i for i, name in enumerate(order)}
    paired = paired.sort_values(
        ["case", "b"], key=lambda c: c.map(rank).fillna(len(rank)) if c.name == "b" else c
    )
    paired["verdict"] = [verdict(row, alpha) for _, row in paired.iterrows()]
    columns = ["case", "metric", "a", "b", "n", "mean_a", "mean_b", "mean_difference"]
    columns += ["ci_low", "ci_high", "p_holm", *(probabilities if len(bayes) else []), "verdict"]
    names = ("control", "activation") if control else ("first", "second")
    table = paired[columns].rename(columns={"a": names[0], "b": names[1], "n": "runs"})
    return table.reset_index(drop=True)


def _number(value: float, form: str) -> str:
    return "" if pd.isna(value) else format(value, form)


def shown(table: pd.DataFrame) -> pd.DataFrame:
    """The headline as the overview page shows it, narrow enough for its column: per row the
    two activations, their means, the difference with its interval, p_Holm, the Bayesian
    probabilities (where set) and the verdict, numbers rounded; the case where there are
    several."""
    first, second = table.columns[2:4]
    view = pd.DataFrame(index=table.index)
    if table["case"].nunique() > 1:
        view["case"] = table["case"]
    view[first] = table[first]
    view[second] = table[second]
    view["means"] = [
        f"{_number(a, '.3f')} vs {_number(b, '.3f')}"
        for a, b in zip(table["mean_a"], table["mean_b"], strict=True)
    ]
    view[f"{first} − {second} [interval]"] = [
        f"{_number(d, '+.3f')} [{_number(lo, '+.3f')}, {_number(hi, '+.3f')}]"
        for d, lo, hi in zip(
            table["mean_difference"], table["ci_low"], table["ci_high"], strict=True
        )
    ]
    view["p_Holm"] = [_number(p, ".3g") for p in table["p_holm"]]
    if "p_equivalent" in table:
        view["P(better / equal / worse)"] = [
            " / ".join(_number(v, ".2f") for v in values)
            for values in table[["p_better", "p_equivalent", "p_worse"]].to_numpy()
        ]
    view["verdict"] = table["verdict"]
    return view


def _table(table: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in table.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
        for row in table.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


STYLE = """<style>
.actstudy-headline table { border-collapse: collapse; margin: 0.4em 0 1em; font-size: 0.85em; }
.actstudy-headline th, .actstudy-headline td { padding: 2px 6px; border-bottom: 1px solid #ccc;
  text-align: left; vertical-align: top; overflow-wrap: normal; word-break: normal; }
.actstudy-headline td { font-variant-numeric: tabular-nums; }
.actstudy-headline th { background: #f3f3f3; }
</style>"""


def headline_html(table: pd.DataFrame, alpha: float, claims: pd.DataFrame | None) -> str:
    """The headline (and the paper's claims) as an HTML fragment, every text escaped."""
    parts = [STYLE, '<div class="actstudy-headline">']
    if len(table):
        control = "control" in table
        first, second = table.columns[2:4]
        metric = html.escape(str(table["metric"].iloc[0]))
        parts.append(
            f"<p>Each row: {'the control against one activation' if control else 'one pair'} on"
            f" {metric}, over the folds: the means, the difference {first} − {second} with"
            f" its {100 * (1 - alpha):g} % interval (corrected resampled t, not adjusted for"
            " the other comparisons), the p-value Holm-adjusted within the case, the"
            " Bayesian probabilities where a rope is set, and the verdict at α ="
            f" {alpha:g}.</p>"
        )
        parts.append(_table(shown(table)))
    else:
        parts.append("<p>No two activations could be compared (statistics.csv says why).</p>")
    if claims is not None and len(claims):
        parts.append("<p>The paper's claims, as our runs judge them:</p>")
        parts.append(_table(claims[["claim", "verdict"]]))
    parts.append("</div>")
    return "\n".join(parts) + "\n"


def write_headline(
    statistics_csv: str | os.PathLike[str],
    options: dict,
    order: Sequence[str],
    out_csv: str | os.PathLike[str],
    out_html: str | os.PathLike[str],
    claims_csv: str | os.PathLike[str] | None = None,
) -> None:
    """headline.csv and its HTML fragment from statistics.csv (and claims.csv), under the
    study's statistics ``options`` (its alpha and control)."""
    alpha = options["alpha"]
    table = headline(pd.read_csv(statistics_csv), alpha, order, bool(options.get("control")))
    claims = pd.read_csv(claims_csv) if claims_csv else None
    write_text(out_csv, table.to_csv(index=False))
    write_text(out_html, headline_html(table, alpha, claims))
