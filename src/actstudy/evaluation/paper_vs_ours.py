"""Each number a paper reported beside ours, and each of its claims with a verdict.

``paper_vs_ours.csv``: per reported number, our mean ± std over folds, a 95 % interval (Student's
t over the folds; folds of one cross-validation share most of their training data, so the interval
is indicative, narrower than an independent-samples one would be), the paper's value, the
difference, whether the paper's value lies inside our interval, and exactly which of our
measurements it was matched with.

``claims.csv``: per claim, the comparison, its relation and the paper's figure, our evidence and a
verdict: supported, not supported, inconclusive, or not run (no runs of what it compares, or a
claim that cannot be put as a comparison; the evidence says which). Never a verdict without the
numbers behind it. A claim holds in every *case* (each combination of the labels its two sides
leave free): not supported when any case refutes it, supported when every case supports it.
Comparisons within a case are paired by fold, with a 95 % Student-t interval (none from one
fold, so a one-fold study gives inconclusive verdicts with its numbers), and judged alike:
supported when the interval lies inside the range where the claim holds, not supported when it
lies wholly outside, inconclusive when it reaches across an end:

- ``>`` / ``<``: each left − right difference above / below 0.
- ``descending``: each group minus the next, in the order given, above 0.
- ``spread``: every pair's difference inside ±expected.
- ``ratio``: each left / right ratio inside expected × (1 ± RATIO_TOLERANCE).
- ``improvement``: (left − the best of right) / the best of right inside expected ×
  (1 ± IMPROVEMENT_TOLERANCE) and above 0 (the difference from that best, fold-paired, over its
  mean).

Two relations are about cases, not folds, and are judged over the cases (each case's groups by
their fold means):

- ``rank_best``: left's mean rank the lowest, ahead of the best other's by at least the
  Bonferroni–Dunn critical difference, after a Friedman test that finds the ranks differ
  (Demšar 2006); behind by as much refutes.
- ``share``: refuted when the paper's share lies outside our share's 95 % Clopper–Pearson
  interval; supported when it lies inside, within SHARE_TOLERANCE of our share, and the interval
  lies above MAJORITY.
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from actstudy.evaluation.aggregate import with_divergence_policy
from actstudy.evaluation.improvement import improvement_over_second_best
from actstudy.evaluation.inference import equivalence_p, paired_test
from actstudy.evaluation.reported import parse_selector
from actstudy.evaluation.statistics import (
    MIN_BLOCKS,
    PER_SAMPLE,
    Predictions,
    Sizes,
    critical_difference,
    holm,
    iman_davenport,
    ratio_of,
    shares_test_part,
)
from actstudy.notes import SMOKE_NOTE

KEYS = ("dataset", "model", "activation")
CONFIDENCE = 0.95
ALPHA = 1 - CONFIDENCE
RATIO_TOLERANCE = 0.1
"""'About' a ratio: within 10 % of the paper's (S5's epoch-time ratio 1.0: 0.9 to 1.1; its
Table IV spans 0.97 to 1.01)."""
IMPROVEMENT_TOLERANCE = 0.5
"""'About' an improvement: within half of the paper's ('about 20 %': 10 % to 30 %)."""
SHARE_TOLERANCE = 0.1
"""'About' a share of cases: within 0.1 of the paper's (about 3 of its 28 cases)."""
MAJORITY = 0.5
"""A share's interval must lie above this to support a claim of a large share."""


@dataclass(frozen=True)
class Design:
    """What the inference engine needs beyond runs.csv, as statistics.csv gets it: the fold
    sizes (from the fold files), the runs' test predictions and the study's α; and the study's
    timing table (``tables/all/timing.csv``), which claims on epoch times are judged on."""

    sizes: Sizes = field(default_factory=dict)
    predictions: Predictions = field(default_factory=dict)
    alpha: float = ALPHA
    timing: pd.DataFrame | None = None


def kept_weights(runs: pd.DataFrame) -> str:
    """Which weights each fold kept, in words, from the runs' ``select``."""
    chosen = sorted(runs["select"].dropna().unique()) if "select" in runs else []
    if chosen == ["last"]:
        return "final-epoch weights (select: last)"
    return "best-validation weights" + (f" (select: {', '.join(chosen)})" if chosen else "")


def measurement(
    metric: str, split: str, at: str, kept: str = "best-validation weights"
) -> tuple[str | None, str]:
    """(our runs.csv column, what it is) for a number the paper reported as metric/split/at;
    ``kept``: which weights each fold kept (:func:`kept_weights`)."""
    if metric == "epoch_seconds":
        return "mean_epoch_seconds", (
            "seconds per training step, every activation timed side by side in alternating "
            "rounds (the timing step; without its table, each run's mean seconds per epoch)"
        )
    if metric == "train_minus_test_accuracy":
        return metric, "train accuracy at the best epoch minus the test accuracy of its weights"
    if split == "val" and at == "max":
        return f"val_{metric}_max", (
            f"the largest val {metric} over each run's epochs (the paper's 'best validation'), "
            "not that of the kept weights"
        )
    if split in ("val", "test"):
        what = f"{split} {metric} of each fold's {kept}"
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
    """The runs under the study's one divergence policy (:func:`with_divergence_policy`): a
    diverged run stays, with the worst score, as in the summary and the statistics."""
    return with_divergence_policy(runs) if "status" in runs else runs


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
        selection = {key: [number[key]] for key in KEYS if number[key]}
        selected = _select(runs, selection)
        column, matched = measurement(
            number["metric"], number["split"], number["at"], kept_weights(selected)
        )
        values = (
            selected[column].dropna().astype(float)
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


def smoke_noted(table: pd.DataFrame, smoke_of: str | None) -> pd.DataFrame:
    """A smoke variant's table with a first column ``note`` saying on every row that it is a
    smoke run of ``smoke_of`` on generated data, not a reproduction; other tables unchanged."""
    if not smoke_of:
        return table
    noted = table.copy()
    noted.insert(0, "note", f"{SMOKE_NOTE} (of {smoke_of})")
    return noted


def _groups(selection: Mapping[str, Sequence[str]]) -> list[dict[str, str]]:
    """Every combination of the labels a selector lists (one run group each), in their order."""
    keys = list(selection)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*selection.values())]


def _describe(group: Mapping[str, str]) -> str:
    return " ".join(f"{k}={v}" for k, v in group.items())


def _names(groups: Sequence[Mapping[str, str]]) -> list[str]:
    """Short names for groups: their labels for the keys in which they differ."""
    keys = list(dict.fromkeys(key for group in groups for key in group))
    varying = [k for k in keys if len({group.get(k) for group in groups}) > 1] or keys
    return [" ".join(group[k] for k in varying if k in group) for group in groups]


def _of(runs: pd.DataFrame, group: Mapping[str, str]) -> pd.DataFrame:
    return _select(runs, {key: [label] for key, label in group.items()})


def _mean(runs: pd.DataFrame, column: str, group: Mapping[str, str]) -> float:
    """A group's mean of ``column`` over its folds (NaN without runs)."""
    values = _of(runs, group)[column].dropna()
    return float(values.mean()) if len(values) else math.nan


class Estimate(NamedTuple):
    """A quantity over the folds both sides of a comparison have, from the inference engine
    (:mod:`actstudy.evaluation.inference`): its mean, its 1 − α interval, the number of folds,
    the two-sided p-value against 0, the standard error and degrees of freedom (NaN where
    there is no test), and the test in words."""

    mean: float
    low: float
    high: float
    folds: int
    p: float = math.nan
    se: float = math.nan
    df: float = math.nan
    test: str = ""

    def scaled(self, factor: float) -> Estimate:
        scale = abs(factor) if math.isfinite(factor) else math.nan
        return self._replace(
            mean=self.mean * factor, low=self.low * factor, high=self.high * factor,
            se=self.se * scale,
        )  # fmt: skip

    def text(self, form: str = "+.4f") -> str:
        if self.folds == 0:
            return "no fold of both"
        if self.folds == 1:
            return f"{self.mean:{form}} (1 run each: no interval, not tested)"
        if not math.isfinite(self.low):
            return f"{self.mean:{form}} over {self.folds} fold(s), no test: {self.test}"
        if math.isnan(self.p):  # an interval without a test against 0 (a timing ratio)
            return f"{self.mean:{form}} [{self.low:{form}}, {self.high:{form}}] ({self.test})"
        return (
            f"{self.mean:{form}} [{self.low:{form}}, {self.high:{form}}] over {self.folds} "
            f"fold(s), p = {self.p:.3g} ({self.test})"
        )


def _correct(run: pd.Series, predictions: Predictions) -> np.ndarray | None:
    """Per test sample, whether ``run`` (a runs.csv row) predicted it right (a diverged run:
    never); None without its predictions."""
    key = (run["dataset"], run["model"], run["activation"], int(run["fold"]))
    if run.get("status") == "diverged":
        others = [p for k, p in predictions.items() if k[:2] == key[:2]]
        return np.zeros(len(others[0]), dtype=float) if others else None
    if key not in predictions:
        return None
    table = predictions[key]
    return (table["label"] == table["predicted"]).to_numpy(dtype=float)


def _side(row: pd.Series, side: str) -> pd.Series:
    """One side (left or right) of a fold-paired row, as a runs.csv row."""
    return pd.Series(
        {"fold": row["fold"], **{k: row.get(f"{k}_{side}") for k in (*KEYS, "status")}}
    )


def _sample_differences(paired: pd.DataFrame, predictions: Predictions) -> np.ndarray | None:
    """The fold-averaged per-sample differences left − right of fold-paired runs (rows of
    ``paired``: each side's labels and fold, suffixed _left/_right); None without
    predictions."""
    per_fold = []
    for _, row in paired.iterrows():
        sides = [
            _correct(_side(row, side), predictions)
            for side in ("left", "right")
        ]  # fmt: skip
        if sides[0] is None or sides[1] is None or len(sides[0]) != len(sides[1]):
            return None
        per_fold.append(sides[0] - sides[1])
    return np.mean(per_fold, axis=0)


def _case_ratio(runs: pd.DataFrame, column: str, design: Design) -> tuple[float, str]:
    """n_test/n_train of the runs' folds, from the fold files (as statistics.csv); without
    them 1/(J − 1), k-fold's validation-to-training ratio for J folds."""
    datasets = set(runs["dataset"])
    if len(datasets) == 1 and (dataset := datasets.pop()) in design.sizes:
        return ratio_of(runs, design.sizes[dataset], column), "fold files"
    folds = runs["fold"].nunique()
    return 1 / max(folds - 1, 1), "no fold files: 1/(J − 1)"


def _fold_paired(
    runs: pd.DataFrame,
    column: str,
    left: Mapping[str, str],
    right: Mapping[str, str],
    design: Design,
    combine: Callable[[pd.Series, pd.Series], pd.Series] = operator.sub,
) -> Estimate:
    """``combine(left, right)`` fold by fold over the folds both groups have (by default the
    difference left − right): the engine's test of its mean (statistics.csv's corrected t,
    with the shared test part's sampling variance where the metric is scored on it)."""
    cols = [*KEYS, "fold", "status", column]
    a = _of(runs, left)[[c for c in cols if c in runs]]
    b = _of(runs, right)[[c for c in cols if c in runs]]
    paired = a.merge(b, on="fold", suffixes=("_left", "_right"))
    paired = paired.dropna(subset=[f"{column}_left", f"{column}_right"])
    values = combine(paired[f"{column}_left"], paired[f"{column}_right"]).to_numpy(dtype=float)
    if len(values) < 2:
        mean = float(values.mean()) if len(values) else math.nan
        return Estimate(mean, math.nan, math.nan, len(values), test="one run each")
    ratio, source = _case_ratio(pd.concat([a, b]), column, design)
    samples, why = None, None
    if shares_test_part(column):
        if column in PER_SAMPLE and combine is operator.sub:
            samples = _sample_differences(paired, design.predictions)
        if samples is None:
            why = "a shared test part without per-sample predictions: its variance is unknown"
    result = paired_test(values, ratio, design.alpha, samples)
    words = f"corrected t, n_test/n_train {ratio:.3f} ({source})"
    if samples is not None:
        words += f" + the shared test part's variance ({len(samples)} samples)"
    if why or result["reason"]:
        return Estimate(result["mean_difference"], math.nan, math.nan, len(values),
                        test=why or result["reason"])  # fmt: skip
    return Estimate(result["mean_difference"], result["ci_low"], result["ci_high"], len(values),
                    result["p_value"], result["se"], result["df"], words)  # fmt: skip


NOT_TESTED = "not tested"
"""The verdict's start where each side ran once (r = 1): no interval, only point estimates."""


def _untested(agrees: bool) -> str:
    return f"{NOT_TESTED}; the point estimates {'agree with' if agrees else 'contradict'} it"


def _verdict(estimate: Estimate, low: float, high: float) -> str:
    """Supported when the estimate's interval lies inside (low, high), where the claim holds;
    not supported when it lies wholly outside; inconclusive when it reaches across an end or
    there is no test; not tested (with what the point estimate says) from one run each."""
    if estimate.folds == 1:
        return _untested(low < estimate.mean < high)
    if not (math.isfinite(estimate.low) and math.isfinite(estimate.high)):
        return "inconclusive"
    if low < estimate.low and estimate.high < high:
        return "supported"
    if estimate.high < low or estimate.low > high:
        return "not supported"
    return "inconclusive"


def _signed(estimates: Sequence[Estimate], direction: int, alpha: float) -> tuple[list[str], str]:
    """Verdicts of 'above 0' (direction 1) or 'below 0' (−1) claims on each estimate: what
    statistics.csv calls significant, two-sided p Holm-adjusted over the claim's comparisons
    at α, in the claimed direction supports, in the other refutes; and the multiplicity in
    words."""
    adjusted = holm([e.p for e in estimates], alpha)
    verdicts = []
    for estimate, p in zip(estimates, adjusted, strict=True):
        if estimate.folds == 1:
            verdicts.append(_untested(direction * estimate.mean > 0))
        elif not p <= alpha:
            verdicts.append("inconclusive")
        else:
            verdicts.append("supported" if direction * estimate.mean > 0 else "not supported")
    tested = int(np.isfinite(adjusted).sum())
    words = f"significant = p_Holm ≤ α {alpha:g}, Holm over the claim's {tested} comparison(s)" + (
        ": p_Holm " + ", ".join(f"{p:.3g}" for p in adjusted[np.isfinite(adjusted)])
    ) * bool(tested)
    return verdicts, words


def _overall(verdicts: Sequence[str]) -> str:
    """A claim holds in every case: not supported when any case is, supported when all are;
    where every case ran once, not tested, contradicted when any point estimate contradicts."""
    if "not supported" in verdicts:
        return "not supported"
    if verdicts and all(v.startswith(NOT_TESTED) for v in verdicts):
        return _untested(all(v == _untested(True) for v in verdicts))
    return "supported" if verdicts and all(v == "supported" for v in verdicts) else "inconclusive"


@dataclass(frozen=True)
class _Question:
    """A claim put to our runs: the runs within its scope (diverged ones with the worst score),
    the column it is measured on, its two selections, its relation and the paper's figure (NaN
    if none)."""

    runs: pd.DataFrame
    column: str
    left: dict[str, list[str]]
    right: dict[str, list[str]]
    relation: str
    expected: float
    design: Design = Design()
    margin: float = math.nan

    def cases(self) -> list[tuple[str, pd.DataFrame]]:
        """(a prefix naming the case, its runs) per combination of the labels that left and
        right leave free."""
        free = [k for k in KEYS if k not in self.left and k not in self.right]
        if not free:
            return [("", self.runs)]
        return [
            (_describe(dict(zip(free, labels, strict=True))) + ": ", runs)
            for labels, runs in self.runs.groupby(free)
        ]


def _pairs(
    q: _Question, combine: Callable[[pd.Series, pd.Series], pd.Series] = operator.sub
) -> list[tuple[str, dict[str, str], dict[str, str], Estimate]]:
    """(case prefix, left group, right group, estimate) of every group of left against every
    group of right with folds of both, case by case."""
    found = []
    for case, runs in q.cases():
        for a, b in itertools.product(_groups(q.left), _groups(q.right)):
            estimate = _fold_paired(runs, q.column, a, b, q.design, combine)
            if estimate.folds:
                found.append((case, a, b, estimate))
    return found


def _pair_text(
    case: str, a: Mapping[str, str], symbol: str, b: Mapping[str, str], text: str
) -> str:
    return f"{case}{_describe(a)} {symbol} {_describe(b)} = {text}"


def _compare(q: _Question) -> tuple[str, str]:
    """'>' ('<'): each fold-paired difference left − right significantly above (below) 0, as
    statistics.csv would call it (Holm over the claim's comparisons)."""
    found = _pairs(q)
    if not found:
        return "not run", "no runs of both sides of the comparison"
    direction = 1 if q.relation == ">" else -1
    verdicts, words = _signed([e for *_, e in found], direction, q.design.alpha)
    evidence = [_pair_text(case, a, "−", b, e.text()) for case, a, b, e in found]
    return _overall(verdicts), "; ".join([*evidence, words])


def _timing_pairs(q: _Question) -> list[tuple[str, dict[str, str], dict[str, str], Estimate]]:
    """(case prefix, left group, right group, estimate) of every left activation's training
    step time over the right one's, from the timing table where right is its reference (its
    ReLU): the median of the rounds' paired ratios with its distribution-free 1 − α interval
    (order statistics of the rounds, ``scipy.stats.quantile_test``)."""
    timing = q.design.timing
    found = []
    for case, runs in q.cases():
        rows = timing.merge(runs[["dataset", "model"]].drop_duplicates(), on=["dataset", "model"])
        for a, b in itertools.product(_groups(q.left), _groups(q.right)):
            left, right = _of(rows, a), _of(rows, b)
            if len(left) != 1 or len(right) != 1:
                continue
            row, reference = left.iloc[0], str(right.iloc[0]["activation"])
            if str(row["reference"]) != reference or not isinstance(row["ratio_rounds"], str):
                continue
            ratios = np.array([float(r) for r in row["ratio_rounds"].split()])
            median = float(np.median(ratios))
            interval = stats.quantile_test(ratios, q=median).confidence_interval(1 - q.design.alpha)
            words = (
                f"median over {len(ratios)} alternating rounds, {row['device']}, "
                f"load {row['load_before']:g}–{row['load_after']:g}"
            )
            found.append(
                (case, a, b, Estimate(median, interval.low, interval.high, len(ratios), test=words))
            )
    return found


def _ratio(q: _Question) -> tuple[str, str]:
    """left / right about expected: each ratio has its 1 − α interval inside expected × (1 ±
    RATIO_TOLERANCE) to support, wholly outside it to refute (an interval per case, no
    multiplicity adjustment). A ratio of epoch times is taken from the timing step, where the
    activations were timed side by side (:func:`_timing_pairs`), not from the runs' wall-clock
    epochs, which whatever else ran at the time inflates."""
    band = (q.expected * (1 - RATIO_TOLERANCE), q.expected * (1 + RATIO_TOLERANCE))
    timed = q.column == "mean_epoch_seconds" and q.design.timing is not None
    found = _timing_pairs(q) if timed else _pairs(q, operator.truediv)
    if not found:
        return "not run", "no runs of both sides of the comparison"
    verdicts = [_verdict(e, *band) for *_, e in found]
    evidence = [_pair_text(case, a, "/", b, e.text(".3f")) for case, a, b, e in found]
    rule = f"the paper {q.expected:g}, 'about' taken as {band[0]:.3f} to {band[1]:.3f}"
    return _overall(verdicts), "; ".join([rule, *evidence])


def _equivalent(q: _Question) -> tuple[str, str]:
    """Every group of left within ±margin of every group of right: two one-sided tests
    (TOST, Schuirmann 1987) on the engine's mean, standard error and degrees of freedom,
    Holm over the claim's comparisons at α, all equivalent to support; any pair whose 1 − α
    interval lies wholly outside ±margin refutes."""
    found = _pairs(q)
    if not found:
        return "not run", "no runs of both sides of the comparison"
    m, alpha = q.margin, q.design.alpha
    estimates = [e for *_, e in found]
    p = [float(equivalence_p(e.mean, e.se, e.df, m)) for e in estimates]
    adjusted = holm(p, alpha)
    verdicts = []
    for estimate, p_holm in zip(estimates, adjusted, strict=True):
        if estimate.folds == 1:
            verdicts.append(_untested(abs(estimate.mean) < m))
        elif p_holm <= alpha:
            verdicts.append("supported")
        elif estimate.low > m or estimate.high < -m:
            verdicts.append("not supported")
        else:
            verdicts.append("inconclusive")
    evidence = [
        _pair_text(case, a, "−", b, f"{e.text()}, TOST p_Holm = {p_holm:.3g}")
        for (case, a, b, e), p_holm in zip(found, adjusted, strict=True)
    ]
    rule = (
        f"equivalent within ±{m:g} (the study's margin): TOST, Holm over the claim's "
        f"{len(found)} comparison(s), α {alpha:g}"
    )
    return _overall(verdicts), "; ".join([rule, *evidence])


def _means_text(names: Sequence[str], means: Sequence[float]) -> str:
    return ", ".join(f"{name} {mean:.4f}" for name, mean in zip(names, means, strict=True))


def _descending(q: _Question) -> tuple[str, str]:
    """The groups of left in the order given, each one's fold-paired difference from the next
    significantly above 0 (Holm over every link of every case), as :func:`_compare`."""
    order = _groups(q.left)
    names = _names(order)
    links, texts = [], []
    for case, runs in q.cases():
        means = [_mean(runs, q.column, group) for group in order]
        if all(math.isnan(mean) for mean in means):
            continue
        in_order = all(a > b for a, b in itertools.pairwise(means))
        parts = []
        for (a, b), (name_a, name_b) in zip(
            itertools.pairwise(order), itertools.pairwise(names), strict=True
        ):
            difference = _fold_paired(runs, q.column, a, b, q.design)
            links.append(difference)
            parts.append(f"{name_a} − {name_b} = {difference.text()}")
        texts.append(
            f"{case}means {_means_text(names, means)} "
            f"({'in' if in_order else 'not in'} the claimed order); " + "; ".join(parts)
        )
    if not links:
        return "not run", "no runs of the groups to order"
    verdicts, words = _signed(links, 1, q.design.alpha)
    return _overall(verdicts), "; ".join([*texts, words])


def _spread(q: _Question) -> tuple[str, str]:
    """The groups of left within ``expected`` of each other: every pair's fold-paired
    difference has its interval inside ±expected to support; any wholly outside refutes."""
    groups = _groups(q.left)
    names = _names(groups)
    verdicts, evidence = [], []
    for case, runs in q.cases():
        means = pd.Series([_mean(runs, q.column, group) for group in groups], index=names)
        present = means.dropna()
        if len(present) < 2:
            continue
        pairs = [
            _fold_paired(runs, q.column, a, b, q.design)
            for a, b in itertools.combinations(groups, 2)
        ]
        pair_verdicts = [_verdict(pair, -q.expected, q.expected) for pair in pairs]
        verdicts.append(_overall(pair_verdicts))
        top, bottom = present.idxmax(), present.idxmin()
        extreme = _fold_paired(
            runs, q.column, groups[names.index(top)], groups[names.index(bottom)], q.design
        )
        evidence.append(
            f"{case}means {_means_text(names, means)}; spread {present.max() - present.min():.4f} "
            f"(the paper: at most {q.expected:g}); {top} − {bottom} = {extreme.text()}; of "
            f"{len(pairs)} pairs, {pair_verdicts.count('supported')} have their interval inside "
            f"±{q.expected:g} and {pair_verdicts.count('not supported')} wholly outside"
        )
    if not verdicts:
        return "not run", "no case has runs of two or more of the groups"
    return _overall(verdicts), "; ".join(evidence)


def _improvement(q: _Question) -> tuple[str, str]:
    """(left − the best of right) / the best of right, per dataset × model (S5's "improvement
    over the second best", :mod:`actstudy.evaluation.improvement`), about expected: the
    fold-paired difference from that best, over its mean, has its interval inside expected ×
    (1 ± IMPROVEMENT_TOLERANCE) and above 0 to support (left best, by about the paper's margin),
    wholly outside to refute. A case missing one of the activations cannot support."""
    control = q.left.get("activation", [])
    if set(q.left) != {"activation"} or len(control) != 1 or set(q.right) != {"activation"}:
        return "not run", "improvement compares one activation (left) with activations (right)"
    activations = [*control, *q.right["activation"]]
    chosen = q.runs[q.runs["activation"].isin(activations)]
    summary = chosen.groupby(list(KEYS), as_index=False)[q.column].mean()
    if control[0] not in set(summary["activation"]):
        return "not run", f"no runs of {control[0]}"
    tolerance = IMPROVEMENT_TOLERANCE * abs(q.expected)
    band = (max(0.0, q.expected - tolerance), q.expected + tolerance)
    verdicts = []
    evidence = [f"the paper {q.expected:g}, 'about' taken as {band[0]:.3f} to {band[1]:.3f}"]
    for _, row in improvement_over_second_best(summary, control[0], q.column).iterrows():
        case = {"dataset": row["dataset"], "model": row["model"]}
        second = row[f"best_other_{q.column}"]
        relative = _fold_paired(
            _of(q.runs, case),
            q.column,
            {"activation": control[0]},
            {"activation": row["best_other"]},
            q.design,
        ).scaled(1 / second if second else math.nan)
        missing = [a for a in activations if a not in set(_of(chosen, case)["activation"])]
        verdict = _verdict(relative, *band)
        verdicts.append("inconclusive" if missing and verdict == "supported" else verdict)
        evidence.append(
            f"{_describe(case)}: {control[0]} {row[q.column]:.4f}, the best other "
            f"{row['best_other']} {second:.4f}: improvement {row['improvement']:+.3f}; "
            f"fold-paired ({control[0]} − {row['best_other']}) / {second:.4f} = "
            f"{relative.text('+.3f')}" + (f"; no runs of {', '.join(missing)}" if missing else "")
        )
    if not verdicts:
        return "not run", f"no dataset × model runs {control[0]} and one of right"
    return _overall(verdicts), "; ".join(evidence)


def _rank_best(q: _Question) -> tuple[str, str]:
    """left's mean rank over the cases (each case's groups ranked by their fold means, highest
    first) is the lowest, ahead of the best other's by at least Nemenyi's critical difference,
    after Friedman/Iman–Davenport rejects at α: statistics.csv's functions
    (:func:`~actstudy.evaluation.statistics.iman_davenport`,
    :func:`~actstudy.evaluation.statistics.critical_difference`) and its MIN_BLOCKS cases;
    behind by that much refutes. Only cases with runs of every group count."""
    lefts = _groups(q.left)
    if len(lefts) != 1:
        return "not run", "rank_best ranks one group of left against right; left names several"
    groups = [*lefts, *_groups(q.right)]
    names = _names(groups)
    table = pd.DataFrame(
        [[_mean(runs, q.column, group) for group in groups] for _, runs in q.cases()],
        columns=names,
    )
    complete = table.dropna()
    cases, k, alpha = len(complete), len(groups), q.design.alpha
    if cases == 0:
        return "not run", f"no case has runs of all {k} groups"
    ranks = complete.rank(axis=1, ascending=False).mean().sort_values()
    ours = names[0]
    rival = ranks.drop(ours).idxmin()
    gap = ranks[rival] - ranks[ours]
    critical = critical_difference(k, cases, alpha)
    numbers = [
        f"mean rank over {cases} case(s) with runs of all {k} groups (1 = the highest "
        f"{q.column}, each case's groups ranked by their fold means): "
        + ", ".join(f"{name} {rank:.2f}" for name, rank in ranks.items())
    ]
    if len(table) > cases:
        numbers.append(f"{len(table) - cases} case(s) left out for a group without runs")
    p_value = math.nan
    if k >= 3 and cases >= MIN_BLOCKS and (complete.nunique(axis=1) > 1).any():
        p_value = iman_davenport(complete)["p_value"]
        numbers.append(f"Friedman/Iman–Davenport p = {p_value:.3g} (as statistics.csv)")
    numbers.append(
        f"{ours} {ranks[ours]:.2f} against the best other, {rival} {ranks[rival]:.2f}: "
        f"{abs(gap):.2f} apart, Nemenyi's critical difference {critical:.2f} (α {alpha:g}, "
        f"{k} groups, {cases} cases; post hoc, after the Friedman test)"
    )
    if cases < MIN_BLOCKS:
        verdict, why = "inconclusive", f"fewer than {MIN_BLOCKS} cases: too few to rank over"
    elif k >= 3 and not p_value <= alpha:
        verdict, why = "inconclusive", "the Friedman test finds no difference among the ranks"
    elif gap >= critical:
        verdict, why = "supported", f"{ours} ranks best by at least the critical difference"
    elif -gap >= critical:
        verdict, why = "not supported", f"{rival} ranks ahead by at least the critical difference"
    else:
        verdict, why = "inconclusive", "the best two are less than the critical difference apart"
    return verdict, "; ".join([*numbers, why])


def _share(q: _Question) -> tuple[str, str]:
    """The share of cases where the best group of left (by fold mean) beats every group of
    right, about expected: refuted when expected lies outside our share's 95 % Clopper–Pearson
    interval; supported when it lies inside, our share is within SHARE_TOLERANCE of it and the
    interval lies above MAJORITY (the cases show the winners win most of them; a handful of
    cases cannot); otherwise inconclusive. Only cases with runs of every group count."""
    lefts, rights = _groups(q.left), _groups(q.right)
    left_names, right_names = _names(lefts), _names(rights)
    outcomes, won, left_out = [], 0, 0
    for case, runs in q.cases():
        ours = pd.Series([_mean(runs, q.column, group) for group in lefts], index=left_names)
        theirs = pd.Series([_mean(runs, q.column, group) for group in rights], index=right_names)
        if ours.isna().any() or theirs.isna().any():
            left_out += 1
            continue
        beats = bool(ours.max() > theirs.max())
        won += beats
        outcomes.append(
            f"{case}{ours.idxmax()} {ours.max():.4f} {'>' if beats else '≤'} "
            f"{theirs.idxmax()} {theirs.max():.4f}"
        )
    cases = len(outcomes)
    if not cases:
        return "not run", "no case has runs of every group of left and right"
    share = won / cases
    low, high = stats.binomtest(won, cases).proportion_ci(CONFIDENCE, method="exact")
    if not low <= q.expected <= high:
        verdict, why = "not supported", f"the paper's {q.expected:g} lies outside our interval"
    elif abs(share - q.expected) > SHARE_TOLERANCE:
        verdict, why = "inconclusive", f"our share is more than {SHARE_TOLERANCE:g} from it"
    elif low <= MAJORITY:
        verdict, why = "inconclusive", f"too few cases: our interval reaches down to {MAJORITY:g}"
    else:
        verdict, why = (
            "supported",
            (
                f"the paper's figure lies inside our interval, within {SHARE_TOLERANCE:g} of our "
                f"share, and the interval lies above {MAJORITY:g}"
            ),
        )
    numbers = (
        f"share {won}/{cases} = {share:.3f}, 95 % Clopper–Pearson interval [{low:.3f}, "
        f"{high:.3f}], the paper {q.expected:g}"
        + (f" ({left_out} case(s) left out for a group without runs)" if left_out else "")
    )
    return verdict, f"{numbers}; {why}; per case, best of left vs best of right, fold means: " + (
        "; ".join(outcomes)
    )


JUDGES: dict[str, Callable[[_Question], tuple[str, str]]] = {
    ">": _compare,
    "<": _compare,
    "descending": _descending,
    "rank_best": _rank_best,
    "share": _share,
    "improvement": _improvement,
    "spread": _spread,
    "ratio": _ratio,
    "equivalent": _equivalent,
}
"""How each relation of claims.csv is judged (see each function and the module docstring)."""


def _loss_mismatch(runs: pd.DataFrame, claim: Mapping[str, Any]) -> str | None:
    """Why a claim on a loss cannot be compared with our runs (another loss), or None."""
    if claim["metric"] != "loss":
        return None
    ours = sorted(runs["loss"].dropna().unique()) if "loss" in runs else []
    paper = claim.get("paper_loss") or "cross_entropy"
    if ours == [paper]:
        return None
    trained = ", ".join(ours) if ours else "not recorded in runs.csv"
    return f"the paper's loss is {paper}, this study's {trained}: the losses differ in scale"


def judge(
    runs: pd.DataFrame, claim: Mapping[str, Any], design: Design | None = None
) -> tuple[str, str]:
    """(verdict, evidence) of one claim on our runs; the evidence starts with the measurement
    compared and gives the test, its interval and p the verdict rests on."""
    relation = claim["relation"]
    if not relation:
        return "not run", claim.get("note") or "the claim is not put as a comparison"
    runs = _select(_usable(runs), parse_selector(claim["scope"])[0])
    column, matched = measurement(claim["metric"], claim["split"], claim["at"], kept_weights(runs))
    if column not in runs or runs.empty:
        return "not run", f"no runs of this study measure {matched}"
    if why := _loss_mismatch(runs, claim):
        return "not comparable", f"{matched}; {why}"
    question = _Question(
        runs=runs,
        column=column,
        left=parse_selector(claim["left"])[0],
        right=parse_selector(claim["right"])[0],
        relation=relation,
        expected=float(claim["expected"]),
        design=design or Design(),
        margin=float(claim.get("margin", math.nan)),
    )
    verdict, evidence = JUDGES[relation](question)
    return verdict, f"{matched}; {evidence}"


def claims_table(
    runs: pd.DataFrame, claims: pd.DataFrame, design: Design | None = None
) -> pd.DataFrame:
    """One row per claim: its words, the relation and the paper's figure (``expected``, blank
    where the relation takes none), our verdict and the evidence behind it; ``design`` as
    statistics.csv gets it (fold sizes, test predictions, α)."""
    columns = ["claim", "comparison", "relation", "expected", "verdict", "evidence", "source"]
    rows = []
    for _, claim in claims.iterrows():
        verdict, evidence = judge(runs, claim, design)
        rows.append(
            {
                **{key: claim[key] for key in ("claim", "comparison", "relation", "expected")},
                "verdict": verdict,
                "evidence": evidence,
                "source": claim["source"],
            }
        )
    return pd.DataFrame(rows, columns=columns)
