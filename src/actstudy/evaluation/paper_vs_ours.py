"""Each number a paper reported beside ours, and each of its claims with a verdict.

``paper_vs_ours.csv``: per reported number, our mean ± std over folds, a 95 % interval (Student's
t over the folds; folds of one cross-validation share most of their training data, so the interval
is indicative, narrower than an independent-samples one would be), the paper's value, the
difference, whether the paper's value lies inside our interval, and exactly which of our
measurements it was matched with.

``claims.csv``: per claim, the comparison, our evidence (paired differences over folds, case by
case) and a verdict: supported, not supported, inconclusive, or not run (no runs, or a
comparison this module does not evaluate; the evidence says which). Never a verdict without the
numbers behind it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from actstudy.evaluation.reported import parse_selector

KEYS = ("dataset", "model", "activation")
CONFIDENCE = 0.95


def measurement(metric: str, split: str, at: str) -> tuple[str | None, str]:
    """(our runs.csv column, what it is) for a number the paper reported as metric/split/at."""
    if metric == "epoch_seconds":
        return "mean_epoch_seconds", "mean seconds per epoch of each run, on our hardware"
    if metric == "train_minus_test_accuracy":
        return metric, "train accuracy at the best epoch minus the test accuracy of its weights"
    if split in ("val", "test"):
        what = f"{split} {metric} of each fold's best-validation weights"
        return f"{split}_{metric}", what + {
            "final": " (the paper: the final epoch's)",
            "epoch": " (the paper: single epochs of one run, its 'folds')",
        }.get(at, "")
    if split == "train" and at == "last3":
        return f"train_{metric}_last3", f"train {metric}, mean of each run's last three epochs"
    if split == "train" and at == "final":
        return f"train_{metric}_final", f"train {metric} of each run's final epoch"
    if split == "train":
        return f"train_{metric}_best", f"train {metric} of each run's best epoch"
    return None, "not measured by a training run (a study-wide figure)"


def interval(values: Sequence[float]) -> tuple[float, float]:
    """A 95 % Student-t interval of the mean (NaN with fewer than two values)."""
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return math.nan, math.nan
    half = stats.t.ppf(0.5 + CONFIDENCE / 2, len(values) - 1) * values.std(ddof=1)
    half /= math.sqrt(len(values))
    return values.mean() - half, values.mean() + half


def _usable(runs: pd.DataFrame) -> pd.DataFrame:
    return runs[runs["status"] != "diverged"] if "status" in runs else runs


def _select(runs: pd.DataFrame, selection: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    mask = np.ones(len(runs), dtype=bool)
    for key, labels in selection.items():
        mask &= runs[key].astype(str).isin(labels).to_numpy()
    return runs[mask]


def paper_vs_ours(runs: pd.DataFrame, reported: pd.DataFrame) -> pd.DataFrame:
    """One row per reported number (see the module docstring)."""
    runs = _usable(runs)
    rows = []
    for _, number in reported.iterrows():
        column, matched = measurement(number["metric"], number["split"], number["at"])
        selection = {key: [number[key]] for key in KEYS if number[key]}
        values = (
            _select(runs, selection)[column].dropna().astype(float)
            if column in runs and selection
            else pd.Series(dtype=float)
        )
        low, high = interval(values)
        mean = values.mean() if len(values) else math.nan
        rows.append(
            {
                **{key: number[key] for key in (*KEYS, "metric", "split", "at", "paper_fold")},
                "paper": number["value"],
                "ours_mean": mean,
                "ours_std": values.std(ddof=1) if len(values) > 1 else math.nan,
                "folds": len(values),
                "ci_low": low,
                "ci_high": high,
                "difference": mean - number["value"],
                "paper_inside_interval": bool(low <= number["value"] <= high)
                if math.isfinite(low)
                else None,
                "matched_with": matched,
                "status": "compared" if len(values) else "not run",
                "source": number["source"],
            }
        )
    return pd.DataFrame(rows)


def _groups(selection: Mapping[str, Sequence[str]]) -> list[dict[str, str]]:
    """Every combination of the labels a selector lists (one run group each)."""
    keys = list(selection)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*selection.values())]


def _pair(
    runs: pd.DataFrame, column: str, left: dict[str, str], right: dict[str, str]
) -> tuple[float, float, float, int]:
    """Mean and 95 % interval of left − right, paired by fold (the same folds)."""
    a = _select(runs, {k: [v] for k, v in left.items()})[["fold", column]]
    b = _select(runs, {k: [v] for k, v in right.items()})[["fold", column]]
    paired = a.merge(b, on="fold", suffixes=("_left", "_right")).dropna()
    differences = paired[f"{column}_left"] - paired[f"{column}_right"]
    low, high = interval(differences)
    return differences.mean() if len(differences) else math.nan, low, high, len(differences)


def _verdict(relation: str, low: float, high: float) -> str:
    if not (math.isfinite(low) and math.isfinite(high)):
        return "inconclusive"
    above, below = low > 0, high < 0
    if relation == "<":
        above, below = below, above
    return "supported" if above else "not supported" if below else "inconclusive"


def _describe(group: Mapping[str, str]) -> str:
    return " ".join(f"{k}={v}" for k, v in group.items())


def judge(runs: pd.DataFrame, claim: Mapping[str, Any]) -> tuple[str, str]:
    """(verdict, evidence) of one claim on our runs."""
    relation = claim["relation"]
    if relation not in (">", "<"):
        why = claim.get("note") or "the claim is not put as a comparison"
        what = f"the comparison {relation!r} is not evaluated yet" if relation else why
        return "not run", what
    column, matched = measurement(claim["metric"], claim["split"], claim["at"])
    scope, _ = parse_selector(claim["scope"]) if claim["scope"] else ({}, None)
    left, _ = parse_selector(claim["left"])
    right, _ = parse_selector(claim["right"])
    runs = _select(_usable(runs), scope)
    if column not in runs or runs.empty:
        return "not run", f"no runs of this study measure {matched}"
    free = [k for k in KEYS if k not in left and k not in right]
    verdicts, evidence = [], []
    for case, group in runs.groupby(free) if free else [((), runs)]:
        case_labels = dict(zip(free, case if isinstance(case, tuple) else (case,), strict=True))
        for a, b in itertools.product(_groups(left), _groups(right)):
            mean, low, high, n = _pair(group, column, a, b)
            if n == 0:
                continue
            verdicts.append(_verdict(relation, low, high))
            evidence.append(
                f"{_describe(case_labels)}: {_describe(a)} − {_describe(b)} = {mean:+.4f} "
                f"[{low:+.4f}, {high:+.4f}] over {n} fold(s)".lstrip(": ")
            )
    if not verdicts:
        return "not run", "no runs of both sides of the comparison"
    if "not supported" in verdicts:
        verdict = "not supported"
    elif all(v == "supported" for v in verdicts):
        verdict = "supported"
    else:
        verdict = "inconclusive"
    return verdict, f"{matched}; " + "; ".join(evidence)


def claims_table(runs: pd.DataFrame, claims: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for _, claim in claims.iterrows():
        verdict, evidence = judge(runs, claim)
        rows.append(
            {
                "claim": claim["claim"],
                "comparison": claim["comparison"],
                "verdict": verdict,
                "evidence": evidence,
                "source": claim["source"],
            }
        )
    return pd.DataFrame(rows, columns=["claim", "comparison", "verdict", "evidence", "source"])
