"""The searches compared at the same number of trainings (candidates.csv's rows).

A search's trainings are its rows neither cached nor pre-screened, its references included
(each search counts the runs it asks for, though the searches share run folders). The GA
trains fewer functions than the random search in as many generations (its elites and repeated
functions come from the cache), so the comparison is at equal trainings, not at equal
generations or candidates."""

from __future__ import annotations

import numpy as np
import pandas as pd

from actstudy.search.results import REFERENCE


def _ordered(table: pd.DataFrame) -> pd.DataFrame:
    """One search's rows in the order they were scored: references first in generation 0."""
    first = (table.origin != REFERENCE).astype(int)
    return (
        table.assign(_first=first)
        .sort_values(["generation", "_first", "index"])
        .drop(columns="_first")
    )


def best_by_trainings(candidates: pd.DataFrame) -> pd.DataFrame:
    """Per method, the best candidate fitness found (references left out) after each of its
    trainings: columns method, trainings (1 ..), best."""
    frames = []
    for method, table in candidates.groupby("method", sort=False):
        rows = _ordered(table)
        trained = (~rows.cached.astype(bool) & ~rows.prescreened.astype(bool)).to_numpy()
        fitness = rows.fitness.astype(float).where(rows.origin != REFERENCE, -np.inf)
        best = fitness.cummax().to_numpy()[trained]
        frames.append(
            pd.DataFrame(
                {"method": method, "trainings": np.arange(1, trained.sum() + 1), "best": best}
            )
        )
    return pd.concat(frames, ignore_index=True).replace(-np.inf, np.nan)


def at_equal_trainings(candidates: pd.DataFrame) -> pd.DataFrame:
    """Per method: its trainings, the budget every search had (the smallest count), the best
    fitness within that budget and overall."""
    curves = best_by_trainings(candidates)
    budget = int(curves.groupby("method", sort=False).trainings.max().min())
    rows = []
    for method, curve in curves.groupby("method", sort=False):
        rows.append(
            {
                "method": method,
                "trainings": int(curve.trainings.max()),
                "budget": budget,
                "best_at_budget": curve.best[curve.trainings <= budget].max(),
                "best": curve.best.max(),
            }
        )
    return pd.DataFrame(rows)


def references(candidates: pd.DataFrame) -> pd.DataFrame:
    """The reference functions' rows (one per label: the study's search's)."""
    rows = candidates[candidates.origin == REFERENCE]
    return rows.drop_duplicates("label")[["label", "expression", "fitness", "accuracy"]]
