"""Statistics over activations: Friedman test with blocks = (dataset, model, fold), mean ranks,
and pairwise Wilcoxon signed-rank tests with Holm's correction."""

from __future__ import annotations

import itertools
import os

import numpy as np
import pandas as pd
from scipy import stats

from actstudy.io import write_text


def holm(p_values: list[float]) -> list[float]:
    """Holm–Bonferroni adjusted p-values, in the input order."""
    order = np.argsort(p_values)
    adjusted = np.empty(len(p_values))
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, (len(p_values) - rank) * p_values[index])
        adjusted[index] = min(running, 1.0)
    return adjusted.tolist()


def activation_tests(runs: pd.DataFrame, metric: str = "val_accuracy") -> pd.DataFrame:
    """One table: the Friedman test, mean ranks per activation, then the pairwise tests.

    Diverged runs keep their metric (often NaN): a block with any NaN is dropped, and the
    number of blocks used is reported.
    """
    table = runs.pivot_table(
        index=["dataset", "model", "fold"], columns="activation", values=metric, dropna=False
    ).dropna()
    names = list(table.columns)
    rows: list[dict] = []
    if len(names) < 2 or len(table) < 2:
        return pd.DataFrame(
            [{"test": "none", "detail": "needs at least 2 activations and 2 complete blocks"}]
        )
    ranks = table.rank(axis=1, ascending=False).mean()
    if len(names) >= 3:
        statistic, p_value = stats.friedmanchisquare(*[table[n] for n in names])
        rows.append(
            {
                "test": "friedman",
                "metric": metric,
                "blocks": len(table),
                "statistic": statistic,
                "p_value": p_value,
            }
        )
    for name in names:
        rows.append(
            {
                "test": "mean_rank",
                "metric": metric,
                "blocks": len(table),
                "a": name,
                "statistic": ranks[name],
            }
        )
    pairs = list(itertools.combinations(names, 2))
    p_values = []
    for a, b in pairs:
        difference = table[a] - table[b]
        p_values.append(
            1.0 if np.allclose(difference, 0) else stats.wilcoxon(table[a], table[b]).pvalue
        )
    for (a, b), p_value, adjusted in zip(pairs, p_values, holm(p_values), strict=True):
        rows.append(
            {
                "test": "wilcoxon",
                "metric": metric,
                "blocks": len(table),
                "a": a,
                "b": b,
                "statistic": float((table[a] - table[b]).mean()),
                "p_value": p_value,
                "p_holm": adjusted,
            }
        )
    return pd.DataFrame(rows)


def write_statistics(runs_csv: str | os.PathLike[str], out_csv: str | os.PathLike[str]) -> None:
    write_text(out_csv, activation_tests(pd.read_csv(runs_csv)).to_csv(index=False))
