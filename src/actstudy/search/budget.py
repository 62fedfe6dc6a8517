"""The searches compared at the same number of trainings (candidates.csv's rows).

A search's trainings are its candidates' rows neither cached nor pre-screened (:func:`trained`;
in a state before it is scored, :func:`state_trainings`); the references are not counted: every
search trains the same ones first, in generation 0 (the sanity gate's). Each search counts the
runs it asks for, though the searches share run folders. The random baseline beside the GA draws
each generation until it has as many trainings as the GA's generation of the same number, so the
two budgets are equal by construction (the GA alone would train fewer functions than a random
search in as many generations: its elites and repeated functions come from the cache);
:func:`at_equal_trainings` still compares them at the smaller budget when they differ (a random
search run on its own, or searches of other sections)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from actstudy.search.results import REFERENCE
from actstudy.search.state import load_state


def state_trainings(state: Mapping[str, Any]) -> int:
    """The trainings a state's generation asks for: its candidates' runs, its references not
    counted (the sanity gate's, the same for every search)."""
    return len(set(state["train"]) - {reference["key"] for reference in state["references"]})


def budget_of(path: str | Path, generation: int) -> int:
    """The random baseline's budget in ``generation``: the trainings of the GA's state of that
    generation (file ``path``)."""
    state = load_state(Path(path))
    if state["options"]["method"] != "ga" or state["generation"] != generation:
        raise ValueError(
            f"{path} is not the GA's state of generation {generation}; pass the GA's "
            f"gen{generation}.json as the random baseline's budget"
        )
    return state_trainings(state)


def _ordered(table: pd.DataFrame) -> pd.DataFrame:
    """One search's rows in the order they were scored: references first in generation 0."""
    first = (table.origin != REFERENCE).astype(int)
    return (
        table.assign(_first=first)
        .sort_values(["generation", "_first", "index"])
        .drop(columns="_first")
    )


def trained(rows: pd.DataFrame) -> pd.Series:
    """Whether each row of candidates.csv is a training: a candidate (not a reference) whose
    fitness came neither from the cache nor from the pre-screen."""
    cost = ~rows.cached.astype(bool) & ~rows.prescreened.astype(bool)
    return cost & (rows.origin != REFERENCE)


def trainings(candidates: pd.DataFrame) -> pd.Series:
    """Per method (in the table's order), how many functions its search trained."""
    return trained(candidates).groupby(candidates.method, sort=False).sum().astype(int)


def best_by_trainings(candidates: pd.DataFrame) -> pd.DataFrame:
    """Per method, the best candidate fitness found (references left out) after each of its
    trainings: columns method, trainings (1 ..), best."""
    frames = []
    for method, table in candidates.groupby("method", sort=False):
        rows = _ordered(table)
        counted = trained(rows).to_numpy()
        fitness = rows.fitness.astype(float).where(rows.origin != REFERENCE, -np.inf)
        best = fitness.cummax().to_numpy()[counted]
        frames.append(
            pd.DataFrame(
                {"method": method, "trainings": np.arange(1, counted.sum() + 1), "best": best}
            )
        )
    return pd.concat(frames, ignore_index=True).replace(-np.inf, np.nan)


def at_equal_trainings(candidates: pd.DataFrame) -> pd.DataFrame:
    """Per method: its trainings, the budget every search had (the smallest count), the best
    fitness within that budget and overall."""
    curves, counts = best_by_trainings(candidates), trainings(candidates)
    budget = int(counts.min())
    rows = []
    for method, count in counts.items():
        curve = curves[curves.method == method]
        rows.append(
            {
                "method": method,
                "trainings": int(count),
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
