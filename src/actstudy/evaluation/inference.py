"""The one inference engine: two activations compared within a case, for statistics.csv and for
the verdicts of claims.csv alike (:mod:`actstudy.evaluation.statistics`,
:mod:`actstudy.evaluation.paper_vs_ours`).

A case's J = r·k runs per activation (the folds of r-times repeated k-fold, or r repeated
hold-outs) each train on their own training part. The paired differences d_j = a_j − b_j of the
metric are compared with 0 by a t statistic whose variance depends on where the metric is
scored.

**Each run scores its own part** (a validation metric: each fold's validation part). Nadeau &
Bengio's (2003) corrected resampled t-test, as Bouckaert & Frank (2004) use it: the runs'
training parts overlap, so their differences are correlated (ρ ≈ n_test/(n_test + n_train)), and

    Var(d̄) ≈ (1/J + n_test/n_train) · s²_d,   J − 1 degrees of freedom.

**Every run scores one shared test part** of n samples (a ``test_*`` metric with
``evaluation.test_fraction`` or an official test split). Write the per-sample difference of
correctness of run j on test sample i as e_ji = μ + δ_i + f_j + ε_ji: δ_i the sample's own
effect (variance σ²_δ over the population of samples), f_j the run's (its training part and
seed), ε_ji their interaction, independent. The fold difference is d_j = (1/n) Σ_i e_ji, so

    d̄ = μ + δ̄ + f̄ + ε̄,   Var(d̄) = σ²_δ / n + Var(f̄ + ε̄).

Every fold shares the same δ̄, so the spread of the d_j holds none of the first term: the
corrected t alone is too liberal (on the default study, dsrelu − relu p = 0.033 where both terms
give 0.16). The first term is the variance of sampling the test part; it is estimated from the
fold-averaged per-sample differences D_i = (1/J) Σ_j e_ji (``sample_differences``), whose sample
variance has expectation σ²_δ + σ²_ε/J: s²_D / n over-counts by the interaction's share (already
in s²_d), a conservative estimate. Hence

    Var̂(d̄) = V₁ + V₂,   V₁ = (1/J + n_test/n_train) · s²_d,   V₂ = s²_D / n,

on J − 1 degrees of freedom (n − 1 where J = 1). Welch–Satterthwaite's ν = (V₁ + V₂)² / (V₁²/(J − 1)
+ V₂²/(n − 1)) (Satterthwaite 1946) is never below min(J − 1, n − 1), so J − 1 is the conservative
bound: it keeps the tails of the few-fold term, whose variance estimate is the uncertain one (on the
default study ν ≈ 43 would turn p = 0.16 into 0.09). This is the variance of a mean over two crossed
random factors, training runs and test samples, that Bouthillier et al. (2021, "Accounting for
variance in machine learning benchmarks", MLSys) decompose; with J = 1 only V₂ remains, the paired
test of the per-sample differences that McNemar's test makes exact (Dietterich 1998), and the
training variance is not measured at all.

Equivalence (a claim of "similar performance"): two one-sided tests (Schuirmann 1987) on the
same mean, variance and degrees of freedom: p = max(P(T ≥ (d̄ + m)/se), P(T ≤ (d̄ − m)/se)) for a
margin m, below α exactly when the 1 − 2α interval lies inside ±m.

Every function works on arrays along their last axis, so that the null simulations of the
tests run many studies at once through these same functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats

ArrayLike = Sequence[float] | np.ndarray


def variance_of_mean(
    fold_differences: ArrayLike, ratio: float, sample_differences: ArrayLike | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean difference, its estimated variance, degrees of freedom) over the last axis of
    ``fold_differences`` (J runs), with the test-sample term of ``sample_differences`` (n
    fold-averaged per-sample differences) where the runs share their test part (module
    docstring)."""
    d = np.asarray(fold_differences, dtype=float)
    runs = d.shape[-1]
    fold_term = (1 / runs + ratio) * d.var(axis=-1, ddof=1) if runs > 1 else np.zeros(d.shape[:-1])
    if sample_differences is None:
        return d.mean(axis=-1), fold_term, np.full(d.shape[:-1], runs - 1.0)
    s = np.asarray(sample_differences, dtype=float)
    samples = s.shape[-1]
    sample_term = s.var(axis=-1, ddof=1) / samples
    df = np.full(d.shape[:-1], float(runs - 1 if runs > 1 else samples - 1))
    return d.mean(axis=-1), fold_term + sample_term, df


def t_inference(
    mean: np.ndarray | float, variance: np.ndarray | float, df: np.ndarray | float, alpha: float
) -> dict[str, np.ndarray]:
    """Two-sided t test of ``mean`` against 0 and its 1 − ``alpha`` interval; NaN (no test)
    where the variance is 0 or the degrees of freedom are not positive."""
    arrays = (np.asarray(x, dtype=float) for x in (mean, variance, df))
    mean, variance, df = np.broadcast_arrays(*arrays)
    valid = (variance > 0) & (df > 0)
    se = np.where(valid, np.sqrt(np.where(valid, variance, 1.0)), np.nan)
    dof = np.where(valid, df, np.nan)
    t = mean / se
    half = stats.t.ppf(1 - alpha / 2, dof) * se
    return {
        "mean_difference": mean,
        "ci_low": mean - half,
        "ci_high": mean + half,
        "statistic": t,
        "df": dof,
        "p_value": 2 * stats.t.sf(np.abs(t), dof),
        "se": se,
    }


def equivalence_p(
    mean: np.ndarray | float, se: np.ndarray | float, df: np.ndarray | float, margin: float
) -> np.ndarray:
    """TOST p-value (Schuirmann 1987) of |true difference| < ``margin``, from the engine's mean,
    standard error and degrees of freedom (NaN where ``se`` is)."""
    mean, se, df = (np.asarray(x, dtype=float) for x in (mean, se, df))
    lower = stats.t.sf((mean + margin) / se, df)  # H0: difference ≤ −margin
    upper = stats.t.cdf((mean - margin) / se, df)  # H0: difference ≥ +margin
    return np.maximum(lower, upper)


def paired_test(
    fold_differences: ArrayLike,
    ratio: float,
    alpha: float,
    sample_differences: ArrayLike | None = None,
) -> dict[str, Any]:
    """The comparison of one pair within a case (scalars): the keys of :func:`t_inference`
    and ``reason``, a sentence where there is no test (zero variance of the differences), else
    None."""
    mean, variance, df = variance_of_mean(fold_differences, ratio, sample_differences)
    result = {key: float(value) for key, value in t_inference(mean, variance, df, alpha).items()}
    result["reason"] = None
    d = np.asarray(fold_differences, dtype=float)
    if np.isnan(variance):
        result["reason"] = (
            "the size of the part the metric was scored on is unknown (no test part scored?): "
            "no p-value or interval"
        )
    elif not variance > 0:
        result["reason"] = (
            f"every one of the {len(d)} differences is {d[0]:+.4g}: no variance to test against, "
            "so no p-value or interval"
            if np.all(d == d[0])
            else "the differences have no variance: no p-value or interval"
        )
    return result


def smallest_holm(p_min: float, comparisons: int) -> float:
    """The smallest Holm-adjusted p-value a family of ``comparisons`` can reach when no test
    in it can go below ``p_min``: the first step multiplies by the family's size."""
    return min(1.0, comparisons * p_min)
