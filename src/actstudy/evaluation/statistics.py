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
from actstudy.io import read_json, write_text
from actstudy.training.folds import fold_sizes
from actstudy.training.predictions import read_predictions

MIN_BLOCKS = 5
"""Fewer cases than this give no p-value across cases (Demšar 2006 asks for more)."""
EXACT_BELOW = 25
"""McNemar's test is exact (binomial) below this many discordant samples."""
ACROSS = "across cases"
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
    differences: Sequence[float], ratio: float, alpha: float
) -> dict[str, float]:
    """Nadeau & Bengio's corrected resampled t-test of the mean of ``differences`` (one per
    fold of r-times repeated k-fold, J = r·k of them) against 0: variance factor 1/J +
    ``ratio`` (n_test/n_train), J − 1 degrees of freedom; with the two-sided p-value and the
    1 − ``alpha`` interval of the mean difference."""
    d = np.asarray(differences, dtype=float)
    mean, df = float(d.mean()), len(d) - 1
    se = float(np.sqrt((1 / len(d) + ratio) * d.var(ddof=1)))
    if se == 0:  # every fold differs by the same amount: certain, or no difference at all
        t, p = (0.0, 1.0) if mean == 0 else (float(np.sign(mean)) * np.inf, 0.0)
    else:
        t = mean / se
        p = float(2 * stats.t.sf(abs(t), df))
    half = float(stats.t.ppf(1 - alpha / 2, df)) * se
    return {
        "mean_difference": mean,
        "ci_low": mean - half,
        "ci_high": mean + half,
        "statistic": t,
        "df": df,
        "p_value": p,
        "se": se,
    }


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


def _ratio(case: pd.DataFrame, sizes: Mapping[int, tuple[int, int]], metric: str) -> float:
    """n_test/n_train of a case's folds (mean over folds): the test split's size for a test
    metric, the validation part's otherwise."""
    ratios = []
    for fold in sorted(set(case["fold"])):
        train, val = sizes[fold]
        tested = case["test_samples"].max() if metric.startswith("test_") else val
        ratios.append(tested / train)
    return float(np.mean(ratios))


def _within_case(
    label: str,
    case: pd.DataFrame,
    ratio: float,
    *,
    control: str | None,
    metric: str,
    rope: float | None,
    alpha: float,
) -> list[dict[str, Any]]:
    """Corrected resampled t-tests (and Bayesian correlated t-tests) over a case's folds."""
    table = case.pivot_table(index="fold", columns="activation", values=metric, sort=False)
    frequentist, bayesian = [], []
    for a, b in comparisons(list(table.columns), control):
        pair = table[[a, b]].dropna()
        if len(pair) < 2:
            continue
        result = corrected_resampled_t(pair[a] - pair[b], ratio, alpha)
        se = result.pop("se")
        common = {
            "case": label,
            "metric": metric,
            "a": a,
            "b": b,
            "n": len(pair),
            "mean_a": pair[a].mean(),
            "mean_b": pair[b].mean(),
            "mean_difference": result["mean_difference"],
        }
        detail = f"{len(pair)} folds, n_test/n_train = {ratio:.3f}" + _diverged_note(case, (a, b))
        frequentist.append({"test": "corrected_t", **common, **result, "detail": detail})
        if rope is not None:
            probabilities = bayesian_correlated_t(result["mean_difference"], se, result["df"], rope)
            bayesian.append(
                {
                    "test": "bayesian_correlated_t",
                    **common,
                    **probabilities,
                    "detail": f"ROPE ±{rope:g}: P({a} better by more), P(within), P({b} better "
                    "by more)",
                }
            )
    return _with_holm(frequentist, alpha) + bayesian


def _correct(case: pd.DataFrame, activation: str, predictions: Predictions) -> pd.Series | None:
    """Per test sample, whether the activation's hold-out run predicted it right (a diverged
    run: never); None where the run saved no predictions."""
    run = case[case["activation"] == activation].iloc[0]
    key = (run["dataset"], run["model"], activation, int(run["fold"]))
    if run["status"] == "diverged":
        others = [p for k, p in predictions.items() if k[:2] == key[:2]]
        return pd.Series(False, index=others[0].index) if others else None
    if key not in predictions:
        return None
    table = predictions[key]
    return table["label"] == table["predicted"]


def _mcnemar_rows(
    label: str, case: pd.DataFrame, predictions: Predictions, control: str | None, alpha: float
) -> list[dict[str, Any]]:
    """McNemar's test on the per-sample test predictions of a case's hold-out runs."""
    rows = []
    for a, b in comparisons(list(dict.fromkeys(case["activation"])), control):
        right_a, right_b = _correct(case, a, predictions), _correct(case, b, predictions)
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
                "test": "mcnemar",
                "case": label,
                "metric": "test predictions",
                "a": a,
                "b": b,
                "n": len(right_a),
                "mean_a": right_a.mean(),
                "mean_b": right_b.mean(),
                "mean_difference": right_a.mean() - right_b.mean(),
                "statistic": result.statistic,
                "p_value": result.pvalue,
                "detail": f"test accuracy; {len(right_a)} test samples, only {a} right: "
                f"{only_a}, only {b} right: {only_b} ({method})" + _diverged_note(case, (a, b)),
            }
        )
    return _with_holm(rows, alpha)


def _too_few(cases: int) -> str:
    """What a test across too few cases says instead of a p-value."""
    return (
        f"only {cases} cases: fewer than {MIN_BLOCKS}, too few for a test, so no p-value; "
        "read the mean ranks and the share of cases"
    )


def _across_cases(
    blocks: pd.DataFrame, *, control: str | None, metric: str, alpha: float
) -> list[dict[str, Any]]:
    """Demšar's comparisons over the cases' fold means (rows: cases, columns: activations)."""
    n, k = blocks.shape
    enough = n >= MIN_BLOCKS
    common = {"case": ACROSS, "metric": metric, "n": n}
    ranks = blocks.rank(axis=1, ascending=False).mean()
    rows: list[dict[str, Any]] = [
        {"test": "mean_rank", **common, "a": name, "mean_a": blocks[name].mean(),
         "statistic": rank, "detail": f"mean rank over {n} cases (1 = best)"}
        for name, rank in ranks.items()
    ]  # fmt: skip
    if k >= 3:
        result = iman_davenport(blocks)
        detail = (
            f"{n} cases × {k} activations; Friedman χ² = {result['chi2']:.3f}, "
            f"Iman–Davenport F({result['df']}, {result['df2']})"
        )
        rows.append(
            {
                "test": "friedman_iman_davenport",
                **common,
                "statistic": result["statistic"],
                "df": result["df"],
                "p_value": result["p_value"] if enough else np.nan,
                "detail": detail if enough else f"{detail}; {_too_few(n)}",
            }
        )
    cd = critical_difference(k, n, alpha)
    rows.append(
        {
            "test": "critical_difference",
            **common,
            "statistic": cd,
            "detail": f"Nemenyi at α = {alpha:g}: mean ranks further apart than this differ "
            f"({k} activations, {n} cases)",
        }
    )
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
                "detail": f"mean rank of {a} minus that of {b}; CD = {cd:.3f}"
                + ("" if enough else f"; {_too_few(n)}"),
            }
        )
    wilcoxon, shares = [], []
    for a, b in comparisons(list(blocks.columns), control):
        difference = blocks[a] - blocks[b]
        pair = {**common, "a": a, "b": b, "mean_a": blocks[a].mean(), "mean_b": blocks[b].mean()}
        pair["mean_difference"] = difference.mean()
        if not enough:
            p, statistic, detail = np.nan, np.nan, _too_few(n)
        elif (difference == 0).all():
            p, statistic, detail = 1.0, 0.0, "every case ties"
        else:
            result = stats.wilcoxon(blocks[a], blocks[b])
            p, statistic, detail = result.pvalue, result.statistic, f"over {n} cases"
        wilcoxon.append(
            {"test": "wilcoxon", **pair, "statistic": statistic, "p_value": p, "detail": detail}
        )
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
    return rows + _with_holm(wilcoxon, alpha) + shares


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
    runs = with_divergence_policy(runs).dropna(subset=[metric])
    activations = list(dict.fromkeys(runs["activation"]))
    options = {"control": control, "metric": metric, "alpha": alpha}
    rows: list[dict[str, Any]] = []
    blocks, left_out = {}, []
    for (dataset, model), case in runs.groupby(["dataset", "model"], sort=False):
        label = f"{dataset}/{model}"
        if case["fold"].nunique() > 1:
            ratio = _ratio(case, sizes[dataset], metric)
            rows += _within_case(label, case, ratio, rope=rope, **options)
        else:
            rows += _mcnemar_rows(label, case, predictions, control, alpha)
        means = case.groupby("activation", sort=False)[metric].mean()
        if missing := [a for a in activations if a not in means]:
            left_out.append((label, missing))
        else:
            blocks[label] = means[activations]
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
    for label, missing in left_out:
        rows.append(
            {
                "test": "left_out",
                "case": label,
                "metric": metric,
                "detail": f"lacks {', '.join(missing)}: left out of the comparisons across cases",
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


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


def write_statistics(
    runs_csv: str | os.PathLike[str],
    folds_files: Iterable[str | os.PathLike[str]],
    run_dirs: Iterable[str | os.PathLike[str]],
    options: Mapping[str, Any],
    out_csv: str | os.PathLike[str],
) -> None:
    """statistics.csv of a study: its runs.csv, its fold files (``<dataset>.json``), its run
    folders (test predictions) and the study's ``statistics`` options."""
    sizes = {Path(path).stem: fold_sizes(path) for path in folds_files}
    table = activation_tests(
        pd.read_csv(runs_csv), sizes, read_run_predictions(run_dirs), **options
    )
    write_text(out_csv, table.to_csv(index=False))
