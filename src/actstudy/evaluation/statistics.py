"""Statistics over activations, as the standard references do them.

Folds of one cross-validation share most of their training data, so their scores are not
independent samples: they are compared within their case only, with the correction below, and
each case is one block in the comparisons across cases.

Within one case (a dataset × model), the study's ``control`` activation against each other one
(without a control: every pair), one family of comparisons per case and test, Holm-adjusted
(statsmodels' ``multipletests``):

- over its r·k folds (r-times repeated k-fold), the corrected resampled t-test of Nadeau & Bengio
  (2003) as Bouckaert & Frank (2004) use it: the variance of the fold differences is scaled by
  1/(r·k) + n_test/n_train (the sizes of the part the metric is measured on and of the training
  part: a fold's validation part for validation and training metrics, the test split for test
  metrics), with r·k − 1 degrees of freedom; the mean difference and its 1 − alpha interval are
  the effect size;
- with a ``rope``, the Bayesian correlated t-test of Benavoli et al. (2017) (baycomp's posterior
  with the same corrected variance): P(better), P(equivalent), P(worse) than the other by more
  than the region of practical equivalence;
- where the case has one hold-out run per activation and the runs saved their per-sample test
  predictions: McNemar's test on them (statsmodels; exact binomial below 25 discordant samples).

Across cases (Demšar 2006; two cases or more), one block per case, the mean over its folds:
mean ranks, Friedman's test with the Iman–Davenport correction, Nemenyi's post-hoc test
(scikit-posthocs) and the critical difference, the control against each other activation with
Wilcoxon signed-rank tests (Holm), and the share of cases where the control beats each other.
With fewer than five cases a test's row says so in words instead of giving a p-value. Only
cases that ran every activation are blocks; the others are named in ``left_out`` rows.

A diverged run stays in: its score is the worst value (0; :func:`actstudy.evaluation.aggregate.
with_divergence_policy`), as in the summary, so it ranks last.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scikit_posthocs
from baycomp.single import Posterior
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests

from actstudy.evaluation.aggregate import run_labels, with_divergence_policy
from actstudy.evaluation.inference import paired_test, smallest_holm
from actstudy.io import read_csv, read_json, write_text
from actstudy.training.folds import fold_sizes
from actstudy.training.predictions import read_predictions

MIN_BLOCKS = 5
"""Fewer cases than this give no p-value across cases (Demšar 2006 asks for more)."""
EXACT_BELOW = 25
"""McNemar's test is exact (binomial) below this many discordant samples."""
ACROSS = "across cases"
PER_SAMPLE = ("test_accuracy", "train_minus_test_accuracy")
"""Metrics whose test part is a mean of per-sample correctness: their test-sample variance is
estimated from the runs' test predictions."""
COLUMNS = [
    "test",
    "case",
    "metric",
    "a",
    "b",
    "n",
    "mean_a",
    "mean_b",
    "mean_difference",
    "ci_low",
    "ci_high",
    "statistic",
    "df",
    "p_value",
    "p_holm",
    "p_min",
    "p_better",
    "p_equivalent",
    "p_worse",
    "detail",
]

Sizes = Mapping[str, Mapping[int, tuple[int, int]]]
"""Dataset label → run fold → (training samples, validation samples), from the fold files."""
Predictions = Mapping[tuple[str, str, str, int], pd.DataFrame]
"""(dataset, model, activation, fold) → the run's test predictions (label, predicted)."""


def corrected_resampled_t(
    differences: Sequence[float],
    ratio: float,
    alpha: float,
    sample_differences: Sequence[float] | np.ndarray | None = None,
) -> dict[str, Any]:
    """Nadeau & Bengio's corrected resampled t-test of the mean of ``differences`` (one per
    fold of r-times repeated k-fold, J = r·k of them) against 0: variance factor 1/J +
    ``ratio`` (n_test/n_train), J − 1 degrees of freedom; with ``sample_differences`` (the
    fold-averaged per-sample differences on a test part every fold shares) the test-sample
    variance added (:mod:`actstudy.evaluation.inference`). The two-sided p-value, the 1 −
    ``alpha`` interval, the standard error and ``reason`` (a sentence where there is no test)."""
    return paired_test(differences, ratio, alpha, sample_differences)


def bayesian_correlated_t(mean: float, se: float, df: int, rope: float) -> dict[str, float]:
    """P(a better), P(equivalent), P(a worse) by more than ``rope``: baycomp's posterior of the
    Bayesian correlated t-test (Student t with the corrected resampled test's ``mean``, ``se``
    and ``df``)."""
    worse, equivalent, better = Posterior(mean, se**2, df, rope).probs()
    return {"p_better": better, "p_equivalent": equivalent, "p_worse": worse}


def critical_difference(activations: int, cases: int, alpha: float) -> float:
    """Nemenyi's critical difference of mean ranks (Demšar 2006): q_alpha · √(k(k+1)/(6N)),
    q_alpha the studentized range quantile for k groups over √2."""
    q = stats.studentized_range.ppf(1 - alpha, activations, np.inf) / np.sqrt(2)
    return float(q * np.sqrt(activations * (activations + 1) / (6 * cases)))


def iman_davenport(blocks: pd.DataFrame) -> dict[str, float]:
    """Friedman's χ² over the blocks (rows: cases, columns: at least three activations) and
    the Iman–Davenport F = (N−1)χ² / (N(k−1) − χ²) with k−1 and (k−1)(N−1) degrees of
    freedom, its p-value."""
    n, k = blocks.shape
    chi2 = stats.friedmanchisquare(*blocks.to_numpy().T).statistic
    df1, df2 = k - 1, (k - 1) * (n - 1)
    denominator = n * (k - 1) - chi2
    f = np.inf if denominator <= 0 else (n - 1) * chi2 / denominator  # ranks that all agree
    return {"chi2": chi2, "statistic": f, "df": df1, "df2": df2, "p_value": stats.f.sf(f, df1, df2)}


def holm(p_values: Sequence[float], alpha: float) -> np.ndarray:
    """Holm-adjusted p-values (statsmodels' multipletests); a missing p-value stays missing
    and takes no part in the family."""
    p = np.asarray(p_values, dtype=float)
    adjusted = np.full(len(p), np.nan)
    finite = np.isfinite(p)
    if finite.any():
        adjusted[finite] = multipletests(p[finite], alpha=alpha, method="holm")[1]
    return adjusted


def comparisons(activations: Sequence[str], control: str | None) -> list[tuple[str, str]]:
    """(a, b) pairs: the control against each other activation, or, without a control (or
    where it did not run), every pair."""
    if control in activations:
        return [(control, other) for other in activations if other != control]
    return list(itertools.combinations(activations, 2))


def _with_holm(rows: list[dict[str, Any]], alpha: float) -> list[dict[str, Any]]:
    """The rows of one family of comparisons, each with its Holm-adjusted ``p_holm``."""
    adjusted = holm([row.get("p_value", np.nan) for row in rows], alpha)
    return [{**row, "p_holm": p} for row, p in zip(rows, adjusted, strict=True)]


def _diverged_note(case: pd.DataFrame, names: Iterable[str]) -> str:
    """A clause naming how many diverged runs of each activation counted as 0 (or nothing)."""
    counts = {
        name: int((case[case["activation"] == name]["status"] == "diverged").sum())
        for name in names
    }
    counted = [f"{name} {count}" for name, count in counts.items() if count]
    return f"; diverged runs counted as 0: {', '.join(counted)}" if counted else ""


def ratio_of(case: pd.DataFrame, sizes: Mapping[int, tuple[int, int]], metric: str) -> float:
    """n_test/n_train of a case's folds (mean over folds): the test split's size for a test
    metric (NaN where the runs scored no test part), the validation part's otherwise."""
    ratios = []
    test_samples = case["test_samples"].max() if "test_samples" in case else math.nan
    for fold in sorted(set(case["fold"])):
        train, val = sizes[fold]
        tested = test_samples if shares_test_part(metric) else val
        ratios.append(tested / train)
    return float(np.mean(ratios))


def shares_test_part(metric: str) -> bool:
    """Whether ``metric`` is scored on the test part, which every fold of a case shares (a
    held-out part of the fold file or the dataset's official test split)."""
    return metric.startswith("test_") or metric in PER_SAMPLE


def _correct(
    case: pd.DataFrame, activation: str, fold: int, predictions: Predictions
) -> pd.Series | None:
    """Per test sample, whether the activation's run of ``fold`` predicted it right (a
    diverged run: never); None where the run saved no predictions."""
    run = case[(case["activation"] == activation) & (case["fold"] == fold)].iloc[0]
    key = (run["dataset"], run["model"], activation, int(fold))
    if run["status"] == "diverged":
        others = [p for k, p in predictions.items() if k[:2] == key[:2]]
        return pd.Series(False, index=others[0].index) if others else None
    if key not in predictions:
        return None
    table = predictions[key]
    return table["label"] == table["predicted"]


def sample_differences(
    case: pd.DataFrame, a: str, b: str, folds: Iterable[int], predictions: Predictions
) -> np.ndarray | None:
    """D_i: per test sample, a's correctness minus b's, averaged over ``folds``
    (:mod:`actstudy.evaluation.inference`); None where a run saved no predictions."""
    per_fold = []
    for fold in folds:
        right_a, right_b = (_correct(case, name, fold, predictions) for name in (a, b))
        if right_a is None or right_b is None:
            return None
        per_fold.append(right_a.to_numpy(dtype=float) - right_b.to_numpy(dtype=float))
    return np.mean(per_fold, axis=0)


def _design(
    case: pd.DataFrame, pair: pd.DataFrame, ratio: float, metric: str, predictions: Predictions
) -> tuple[np.ndarray | None, str | None, str]:
    """(the test-sample differences, or None; a sentence where no test is valid; the variance
    the test uses, in words) for the fold-paired values ``pair`` (columns a, b)."""
    a, b = pair.columns
    words = f"{len(pair)} folds, n_test/n_train = {ratio:.3f}"
    if not shares_test_part(metric):
        return None, None, f"{words}; each fold scored on its own validation part"
    if metric not in PER_SAMPLE:
        return (
            None,
            (
                f"every fold is scored on one shared test part, and {metric} does not split "
                "into per-sample terms, so its sampling variance cannot be estimated: no "
                "p-value; compare on test_accuracy or a validation metric"
            ),
            words,
        )
    differences = sample_differences(case, a, b, pair.index, predictions)
    if differences is None:
        return (
            None,
            (
                "every fold is scored on one shared test part and a run saved no test predictions, "
                "so the test part's sampling variance cannot be estimated: no p-value"
            ),
            words,
        )
    return (
        differences,
        None,
        (
            f"{words}; one test part of {len(differences)} samples shared by every fold: its "
            "sampling variance, from the per-sample paired differences, added"
        ),
    )


def _nan_note(table: pd.DataFrame, names: Iterable[str], metric: str) -> str:
    """A clause naming the folds without a value of ``metric`` (NaN) for each of ``names``."""
    missing = [
        f"{name} fold(s) {', '.join(map(str, table.index[table[name].isna()]))}"
        for name in names
        if table[name].isna().any()
    ]
    return f"; no {metric} (NaN) for {'; '.join(missing)}, left out" if missing else ""


def _pair_row(
    case: pd.DataFrame,
    table: pd.DataFrame,
    a: str,
    b: str,
    ratio: float,
    predictions: Predictions,
    alpha: float,
) -> tuple[dict[str, Any], float]:
    """The corrected t row of one pair (fold-paired on their common folds) and its standard
    error (NaN where there is no test)."""
    pair = table[[a, b]].dropna()
    notes = _nan_note(table, (a, b), table.columns.name or "") + _diverged_note(case, (a, b))
    common = {"a": a, "b": b, "n": len(pair), "mean_a": pair[a].mean(), "mean_b": pair[b].mean()}
    if len(pair) < 2:
        why = f"{len(pair)} fold(s) with values of both: a test needs two or more"
        return {"test": "corrected_t", **common, "detail": why + notes}, math.nan
    samples, why, words = _design(case, pair, ratio, table.columns.name, predictions)
    result = corrected_resampled_t(pair[a] - pair[b], ratio, alpha, samples)
    why = why or result.pop("reason")
    result.pop("reason", None)
    se = result.pop("se")
    if why:
        result = {"mean_difference": result["mean_difference"]}
        se = math.nan
    detail = words + (f"; {why}" if why else "") + notes
    return {"test": "corrected_t", **common, **result, "detail": detail}, se


def _within_case(
    label: str,
    case: pd.DataFrame,
    ratio: float,
    predictions: Predictions,
    *,
    control: str | None,
    metric: str,
    rope: float | None,
    alpha: float,
) -> list[dict[str, Any]]:
    """Corrected resampled t-tests (and Bayesian correlated t-tests) over a case's folds."""
    order = list(dict.fromkeys(case["activation"]))
    table = case.pivot(index="fold", columns="activation", values=metric)[order]
    table.columns.name = metric
    frequentist, bayesian = [], []
    for a, b in comparisons(order, control):
        row, se = _pair_row(case, table, a, b, ratio, predictions, alpha)
        frequentist.append({**row, "case": label, "metric": metric})
        if rope is not None and math.isfinite(se):
            probabilities = bayesian_correlated_t(row["mean_difference"], se, row["df"], rope)
            bayesian.append(
                {
                    **{k: row[k] for k in ("a", "b", "n", "mean_a", "mean_b", "mean_difference")},
                    "test": "bayesian_correlated_t",
                    "case": label,
                    "metric": metric,
                    **probabilities,
                    "detail": f"ROPE ±{rope:g}: P({a} better by more), P(within), P({b} better "
                    "by more); the variance of the corrected_t row",
                }
            )
    return _with_holm(frequentist, alpha) + bayesian


def _mcnemar_rows(
    label: str, case: pd.DataFrame, predictions: Predictions, control: str | None, alpha: float
) -> list[dict[str, Any]]:
    """McNemar's test on the per-sample test predictions of a case's hold-out runs; the test
    column names the variant: ``mcnemar_exact`` (binomial, below EXACT_BELOW discordant
    samples) or ``mcnemar_chi2`` (χ² with continuity correction, 1 degree of freedom)."""
    rows = []
    fold = int(case["fold"].iloc[0])
    for a, b in comparisons(list(dict.fromkeys(case["activation"])), control):
        right_a, right_b = (_correct(case, name, fold, predictions) for name in (a, b))
        if right_a is None or right_b is None:
            continue
        only_a = int((right_a & ~right_b).sum())
        only_b = int((~right_a & right_b).sum())
        table = [
            [int((right_a & right_b).sum()), only_a],
            [only_b, int((~right_a & ~right_b).sum())],
        ]
        exact = only_a + only_b < EXACT_BELOW
        result = mcnemar(table, exact=exact, correction=True)
        method = "exact binomial" if exact else "χ² with continuity correction"
        rows.append(
            {
                "test": "mcnemar_exact" if exact else "mcnemar_chi2",
                "case": label,
                "metric": "test predictions",
                "a": a,
                "b": b,
                "n": len(right_a),
                "mean_a": right_a.mean(),
                "mean_b": right_b.mean(),
                "mean_difference": right_a.mean() - right_b.mean(),
                "statistic": result.statistic,
                "df": math.nan if exact else 1,
                "p_value": result.pvalue,
                "detail": f"test accuracy; {len(right_a)} test samples, only {a} right: "
                f"{only_a}, only {b} right: {only_b} ({method}: statistic "
                + ("min(b, c)" if exact else "χ²")
                + "); one run each: the training variance is not measured"
                + _diverged_note(case, (a, b)),
            }
        )
    return _with_holm(rows, alpha)


def _too_few(cases: int) -> str:
    """What a test across too few cases says instead of a p-value."""
    return (
        f"only {cases} cases: fewer than {MIN_BLOCKS}, too few for a test, so no p-value; "
        "read the mean ranks and the share of cases"
    )


def wilcoxon_smallest_p(cases: int) -> float:
    """The smallest two-sided p-value of the exact Wilcoxon signed-rank test over ``cases``
    (every case in favour of one side: 2/2^N), from scipy's test itself."""
    return float(stats.wilcoxon(np.arange(1.0, cases + 1), method="exact").pvalue)


def cases_needed(comparisons_: int, alpha: float, limit: int = 40) -> int:
    """The fewest cases with which a Holm family of ``comparisons_`` Wilcoxon tests can reach
    ``alpha``."""
    for cases in range(1, limit):
        if smallest_holm(wilcoxon_smallest_p(cases), comparisons_) <= alpha:
            return cases
    return limit


def _reach(cases: int, comparisons_: int, alpha: float) -> tuple[float, str]:
    """(the smallest Holm-adjusted p the family can reach, a clause saying so)."""
    p_min = smallest_holm(wilcoxon_smallest_p(cases), comparisons_)
    clause = f"smallest attainable p_Holm = {p_min:.3g} ({cases} cases, {comparisons_} comparisons)"
    if p_min > alpha:
        clause += (
            f"; cannot reach α = {alpha:g} with {cases} cases and {comparisons_} comparisons; "
            f"needs ≥ {cases_needed(comparisons_, alpha)}"
        )
    return p_min, clause


def _friedman_row(
    blocks: pd.DataFrame, common: Mapping[str, Any], alpha: float
) -> tuple[dict[str, Any], str]:
    """Friedman/Iman–Davenport's row and the clause that labels the post-hoc rows after it."""
    n, k = blocks.shape
    p_min = float(math.factorial(k)) ** (1 - n)
    if (blocks.nunique(axis=1) == 1).all():
        row = {"test": "friedman_iman_davenport", **common, "p_min": p_min,
               "detail": "every case ties: every activation has the same value in each case, "
               "so there is nothing to rank and no test"}  # fmt: skip
        return row, "post hoc, and every case ties: no evidence of a difference"
    result = iman_davenport(blocks)
    detail = (
        f"{n} cases × {k} activations; Friedman's χ² = {result['chi2']:.3f} (scipy's, corrected "
        f"for ties), Iman–Davenport F({result['df']}, {result['df2']}); smallest attainable "
        f"p (exact permutation, every case ranked alike) = {p_min:.3g}"
    )
    enough = n >= MIN_BLOCKS
    row = {"test": "friedman_iman_davenport", **common, "statistic": result["statistic"],
           "df": result["df"], "p_value": result["p_value"] if enough else np.nan,
           "p_min": p_min, "detail": detail if enough else f"{detail}; {_too_few(n)}"}  # fmt: skip
    if not enough:
        return row, "post hoc; no Friedman test with so few cases"
    rejects = result["p_value"] <= alpha
    return row, (
        f"post hoc, after Friedman/Iman–Davenport rejects at α = {alpha:g} (p = "
        f"{result['p_value']:.3g})"
        if rejects
        else f"post hoc, but Friedman/Iman–Davenport does not reject at α = {alpha:g} (p = "
        f"{result['p_value']:.3g}): not evidence of a difference"
    )


def _nemenyi_rows(
    blocks: pd.DataFrame, ranks: pd.Series, common: Mapping[str, Any], label: str, alpha: float
) -> list[dict[str, Any]]:
    """The critical difference and Nemenyi's pairwise post-hoc tests (scikit-posthocs), each
    with the smallest p it can reach (every case ranking the pair at the two ends)."""
    n, k = blocks.shape
    enough = n >= MIN_BLOCKS
    cd = critical_difference(k, n, alpha)
    ordered = np.tile(np.arange(k, dtype=float), (n, 1))
    p_min = float(scikit_posthocs.posthoc_nemenyi_friedman(ordered).to_numpy().min())
    rows = [{"test": "critical_difference", **common, "statistic": cd,
             "detail": f"Nemenyi at α = {alpha:g}: mean ranks further apart than this differ "
             f"({k} activations, {n} cases); {label}"}]  # fmt: skip
    nemenyi = scikit_posthocs.posthoc_nemenyi_friedman(blocks.to_numpy())
    nemenyi.index = nemenyi.columns = blocks.columns
    for a, b in itertools.combinations(blocks.columns, 2):
        rows.append(
            {
                "test": "nemenyi",
                **common,
                "a": a,
                "b": b,
                "statistic": ranks[a] - ranks[b],
                "p_value": nemenyi.loc[a, b] if enough else np.nan,
                "p_min": p_min,
                "detail": f"mean rank of {a} minus that of {b}; CD = {cd:.3f}; {label}"
                + ("" if enough else f"; {_too_few(n)}"),
            }
        )
    return rows


def _wilcoxon_rows(
    blocks: pd.DataFrame, common: Mapping[str, Any], control: str | None, alpha: float
) -> list[dict[str, Any]]:
    """The control against each other activation over the cases: Wilcoxon signed-rank tests
    (Holm), each row with the smallest p_Holm its family can reach, and the share of cases."""
    n = len(blocks)
    pairs = comparisons(list(blocks.columns), control)
    p_min, reach = _reach(n, len(pairs), alpha)
    wilcoxon, shares = [], []
    for a, b in pairs:
        difference = blocks[a] - blocks[b]
        pair = {**common, "a": a, "b": b, "mean_a": blocks[a].mean(), "mean_b": blocks[b].mean()}
        pair["mean_difference"] = difference.mean()
        if n < MIN_BLOCKS:
            p, statistic, detail = np.nan, np.nan, f"{_too_few(n)}; {reach}"
        elif (difference == 0).all():
            p, statistic, detail = np.nan, np.nan, f"every case ties: no test; {reach}"
        else:
            result = stats.wilcoxon(blocks[a], blocks[b])
            p, statistic, detail = result.pvalue, result.statistic, f"over {n} cases; {reach}"
        wilcoxon.append({"test": "wilcoxon", **pair, "statistic": statistic, "p_value": p,
                         "p_min": p_min, "detail": detail})  # fmt: skip
        wins, ties = int((difference > 0).sum()), int((difference == 0).sum())
        shares.append(
            {
                "test": "share_of_cases",
                **pair,
                "statistic": wins / n,
                "detail": f"{a} beats {b} in {wins} of {n} cases ({ties} ties, "
                f"{n - wins - ties} losses)",
            }
        )
    return _with_holm(wilcoxon, alpha) + shares


def _across_cases(
    blocks: pd.DataFrame, *, control: str | None, metric: str, alpha: float
) -> list[dict[str, Any]]:
    """Demšar's comparisons over the cases' fold means (rows: cases, columns: activations)."""
    n, k = blocks.shape
    common = {"case": ACROSS, "metric": metric, "n": n}
    ranks = blocks.rank(axis=1, ascending=False).mean()
    rows: list[dict[str, Any]] = [
        {"test": "mean_rank", **common, "a": name, "mean_a": blocks[name].mean(),
         "statistic": rank, "detail": f"mean rank over {n} cases (1 = best)"}
        for name, rank in ranks.items()
    ]  # fmt: skip
    label = "post hoc (two activations: no Friedman test before it)"
    if k >= 3:
        friedman, label = _friedman_row(blocks, common, alpha)
        rows.append(friedman)
    if not label.startswith("post hoc, and every case ties"):
        rows += _nemenyi_rows(blocks, ranks, common, label, alpha)
    return rows + _wilcoxon_rows(blocks, common, control, alpha)


def _blocks_of(
    label: str, case: pd.DataFrame, activations: Sequence[str], metric: str
) -> tuple[pd.Series | None, list[dict[str, Any]]]:
    """A case's block (each activation's mean over the folds where every activation has a
    value) and rows naming what it leaves out; None where it lacks an activation."""
    table = case.pivot(index="fold", columns="activation", values=metric)
    if missing := [a for a in activations if a not in table]:
        why = f"lacks {', '.join(missing)}: left out of the comparisons across cases"
        return None, [{"test": "left_out", "case": label, "metric": metric, "detail": why}]
    table = table[list(activations)]
    complete = table.dropna()
    if complete.empty:
        why = "no fold has a value of every activation: left out of the comparisons across cases"
        return None, [{"test": "left_out", "case": label, "metric": metric, "detail": why}]
    rows = []
    if len(complete) < len(table):
        dropped = ", ".join(map(str, table.index.difference(complete.index)))
        why = (
            f"fold(s) {dropped} left out of its block (a NaN value): the block is the mean over "
            f"the {len(complete)} folds every activation has"
        )
        rows.append({"test": "left_out", "case": label, "metric": metric, "detail": why})
    return complete.mean(), rows


def _no_within_row(label: str, case: pd.DataFrame, metric: str) -> dict[str, Any]:
    """The row of a case with no within-case comparison, saying why."""
    why = (
        "one run per activation (a single hold-out split) and no per-sample test predictions: "
        "no test within the case (it needs two folds or more, or the runs' test predictions "
        "for McNemar's test)"
        if case["activation"].nunique() > 1
        else "one activation: nothing to compare within the case"
    )
    return {"test": "none", "case": label, "metric": metric, "n": len(case), "detail": why}


def activation_tests(
    runs: pd.DataFrame,
    sizes: Sizes,
    predictions: Predictions,
    *,
    control: str | None,
    metric: str,
    rope: float | None,
    alpha: float,
) -> pd.DataFrame:
    """The statistics table of a study's runs (runs.csv), as the module docstring says."""
    if metric not in runs:
        columns = [c for c in runs.columns if c.startswith(("val_", "test_", "train_accuracy"))]
        raise ValueError(
            f"runs.csv has no column {metric!r}; set statistics.metric to one it has "
            f"({', '.join(columns)}), or score a test split (evaluation.test, test_fraction)"
        )
    runs = with_divergence_policy(runs)
    activations = list(dict.fromkeys(runs["activation"]))
    options = {"control": control, "metric": metric, "alpha": alpha}
    rows: list[dict[str, Any]] = []
    blocks, notes = {}, []
    for (dataset, model), case in runs.groupby(["dataset", "model"], sort=False):
        label = f"{dataset}/{model}"
        if case["fold"].nunique() > 1:
            ratio = ratio_of(case, sizes[dataset], metric)
            rows += _within_case(label, case, ratio, predictions, rope=rope, **options)
        else:
            rows += _mcnemar_rows(label, case, predictions, control, alpha) or [
                _no_within_row(label, case, metric)
            ]
        block, left = _blocks_of(label, case, activations, metric)
        notes += left
        if block is not None:
            blocks[label] = block
    if len(blocks) >= 2 and len(activations) >= 2:
        rows += _across_cases(pd.DataFrame(blocks).T, **options)
    else:
        detail = (
            f"{len(blocks)} case(s) ran every activation: comparisons across cases need two or more"
            if len(activations) >= 2
            else "fewer than two activations: nothing to compare"
        )
        rows.append(
            {"test": "none", "case": ACROSS, "metric": metric, "n": len(blocks), "detail": detail}
        )
    return pd.DataFrame(rows + notes, columns=COLUMNS)


def read_run_predictions(
    run_dirs: Iterable[str | os.PathLike[str]],
) -> dict[tuple[str, str, str, int], pd.DataFrame]:
    """The test predictions of every run folder that saved some, keyed as :data:`Predictions`."""
    found = {}
    for run_dir in map(Path, run_dirs):
        table = read_predictions(run_dir)
        if table is not None:
            labels = run_labels(read_json(run_dir / "manifest.json"))
            found[tuple(labels.values())] = table
    return found


def study_design(
    folds_files: Iterable[str | os.PathLike[str]], run_dirs: Iterable[str | os.PathLike[str]]
) -> tuple[dict[str, Any], Predictions]:
    """What the tests need beyond runs.csv: each dataset's fold sizes (from its fold file,
    ``<dataset>.json``) and the runs' saved test predictions."""
    sizes = {Path(path).stem: fold_sizes(path) for path in folds_files}
    return sizes, read_run_predictions(run_dirs)


def write_statistics(
    runs_csv: str | os.PathLike[str],
    folds_files: Iterable[str | os.PathLike[str]],
    run_dirs: Iterable[str | os.PathLike[str]],
    options: Mapping[str, Any],
    out_csv: str | os.PathLike[str],
) -> None:
    """statistics.csv of a study: its runs.csv, its fold files (``<dataset>.json``), its run
    folders (test predictions) and the study's ``statistics`` options."""
    sizes, predictions = study_design(folds_files, run_dirs)
    table = activation_tests(read_csv(runs_csv), sizes, predictions, **options)
    write_text(out_csv, table.to_csv(index=False))
