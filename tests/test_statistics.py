"""Statistics over activations: published values reproduced, the tests' error rates checked on
simulated studies with no true difference, and the study-level table (divergence, unbalanced
studies, too few cases, McNemar on test predictions)."""

from __future__ import annotations

import gc
import math
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from baycomp import CorrelatedTTest
from scipy import stats
from statsmodels.stats.weightstats import ttost_paired
from workflow_helpers import REPO, runs_table

from actstudy.evaluation.aggregate import summarize
from actstudy.evaluation.inference import equivalence_p, t_inference, variance_of_mean
from actstudy.evaluation.statistics import (
    activation_tests,
    corrected_resampled_t,
    critical_difference,
    holm,
    iman_davenport,
)

OPTIONS = {"control": None, "metric": "val_accuracy", "rope": None, "alpha": 0.05}


def sizes(datasets: list[str], folds: int) -> dict:
    """Fold sizes as fold files give them: 800 training, 200 validation samples a fold."""
    return {d: {f: (800, 200) for f in range(folds)} for d in datasets}


@pytest.fixture(autouse=True)
def frozen_heap() -> Iterator[None]:
    """statsmodels' multipletests runs gc.collect() on every call; with the test session's
    objects frozen out of the collector that costs microseconds, not tens of milliseconds."""
    gc.freeze()
    yield
    gc.unfreeze()


# --- published and hand-computed values -------------------------------------------------------


def test_the_critical_difference_is_demsars_for_4_classifiers_over_14_data_sets():
    # Demšar (2006), section 3.2.2: q_0.05 = 2.569 for k = 4, CD = 2.569·√(4·5/(6·14)) = 1.25
    cd = critical_difference(4, 14, alpha=0.05)
    assert cd == pytest.approx(1.25, abs=0.005)
    assert cd / math.sqrt(4 * 5 / (6 * 14)) == pytest.approx(2.569, abs=0.0005)
    # his table of q_0.10 for k = 4: 2.291
    assert critical_difference(4, 14, alpha=0.10) / math.sqrt(20 / 84) == pytest.approx(
        2.291, abs=0.0005
    )


def test_the_corrected_resampled_t_test_by_hand():
    # 5-fold differences 0.02, 0.01, 0.03, 0.00, 0.04: mean 0.02, sample variance
    # (0 + 1 + 1 + 4 + 4)·1e-4 / 4 = 2.5e-4; n_test/n_train = 1/4, so the variance of the mean
    # is (1/5 + 1/4)·2.5e-4 = 1.125e-4, t = 0.02 / √1.125e-4 = 1.8856 on 4 degrees of freedom
    result = corrected_resampled_t([0.02, 0.01, 0.03, 0.00, 0.04], ratio=0.25, alpha=0.05)
    se = math.sqrt(1.125e-4)
    assert result["mean_difference"] == pytest.approx(0.02)
    assert result["statistic"] == pytest.approx(0.02 / se) == pytest.approx(1.8856, abs=1e-4)
    assert result["df"] == 4
    assert result["p_value"] == pytest.approx(2 * stats.t.sf(0.02 / se, 4))
    assert 0.13 < result["p_value"] < 0.14  # not significant ...
    # ... where the uncorrected paired t-test (ratio 0) calls it so: t = 0.02/√5e-5 = 2.83
    naive = corrected_resampled_t([0.02, 0.01, 0.03, 0.00, 0.04], ratio=0.0, alpha=0.05)
    assert naive["statistic"] == pytest.approx(2.8284, abs=1e-4) and naive["p_value"] < 0.05
    # the 95 % interval: 0.02 ± t_{0.975, 4}·se = 0.02 ± 2.7764·0.010607
    assert result["ci_low"] == pytest.approx(0.02 - 2.7764 * se, abs=1e-5)
    assert result["ci_high"] == pytest.approx(0.02 + 2.7764 * se, abs=1e-5)


def test_the_corrected_variance_is_baycomps_for_k_fold():
    rng = np.random.default_rng(3)
    x, y = rng.normal(0.8, 0.01, 10), rng.normal(0.79, 0.01, 10)  # 2 × 5-fold
    mean, var, df = CorrelatedTTest.compute_statistics(y, x, runs=2)
    result = corrected_resampled_t(x - y, ratio=1 / 4, alpha=0.05)
    assert result["mean_difference"] == pytest.approx(mean)
    assert result["se"] ** 2 == pytest.approx(var) and result["df"] == df


def test_holm_is_statsmodels_and_leaves_a_missing_p_value_out_of_the_family():
    assert holm([0.01, 0.04, 0.03], alpha=0.05) == pytest.approx([0.03, 0.06, 0.06])
    adjusted = holm([0.01, math.nan, 0.04, 0.03], alpha=0.05)
    assert math.isnan(adjusted[1])
    assert adjusted[[0, 2, 3]] == pytest.approx([0.03, 0.06, 0.06])


def test_iman_davenport_by_hand():
    # 6 cases, 3 activations, no ties; ranks (1 = lowest value, as Friedman's sums are
    # symmetric): columns sum to 7, 12, 17 → χ² = 12/(6·3·4)·(49 + 144 + 289) − 3·6·4 = 8.333
    blocks = pd.DataFrame(
        [[1, 2, 3], [1, 2, 3], [1, 2, 3], [1, 3, 2], [2, 1, 3], [1, 2, 3]], columns=list("abc")
    ).astype(float)
    result = iman_davenport(blocks)
    assert result["chi2"] == pytest.approx(12 / 72 * (49 + 144 + 289) - 72)
    f = 5 * result["chi2"] / (6 * 2 - result["chi2"])
    assert result["statistic"] == pytest.approx(f)
    assert (result["df"], result["df2"]) == (2, 10)
    assert result["p_value"] == pytest.approx(stats.f.sf(f, 2, 10))


# --- no true difference: the error rate stays near the nominal level ---------------------------


def simulated_scores(seed: int, activations: int, folds: int) -> np.ndarray:
    """Scores (activations × folds) of one case where no activation is better: a per-fold part
    every activation shares (an easy or hard validation part), and a per-run part whose
    correlation between folds is 1/k, as overlapping training sets give (Nadeau & Bengio)."""
    rng = np.random.default_rng(seed)
    rho = 1 / folds
    shared = rng.normal(0, 0.02, folds)
    per_run = rng.normal(0, 0.01 * math.sqrt(rho), (activations, 1))
    noise = rng.normal(0, 0.01 * math.sqrt(1 - rho), (activations, folds))
    return 0.9 + shared + per_run + noise


def rejects(scores: np.ndarray, ratio: float) -> bool:
    """Whether the control (row 0) differs from any other activation, Holm at 0.05."""
    p = [corrected_resampled_t(scores[0] - other, ratio, 0.05)["p_value"] for other in scores[1:]]
    return bool((holm(p, 0.05) < 0.05).any())


def test_a_study_with_no_true_difference_rejects_at_most_8_percent_of_the_time():
    seeds, folds = 300, 5
    studies = [simulated_scores(seed, activations=4, folds=folds) for seed in range(seeds)]
    corrected = np.mean([rejects(s, ratio=1 / (folds - 1)) for s in studies])
    naive = np.mean([rejects(s, ratio=0.0) for s in studies])  # folds as independent samples
    assert corrected <= 0.08
    assert naive > 0.1  # the simulation has the correlation that misleads the naive test


def test_friedman_over_cases_with_no_true_difference_rejects_at_most_8_percent_of_the_time():
    rejected = []
    for seed in range(300):
        cases = [simulated_scores(seed * 10 + c, 4, 5).mean(axis=1) for c in range(8)]
        rejected.append(iman_davenport(pd.DataFrame(cases))["p_value"] < 0.05)
    assert np.mean(rejected) <= 0.08


# --- the study's table ---------------------------------------------------------------------------


def test_within_a_case_the_control_meets_each_other_activation_with_intervals():
    runs = runs_table(
        {
            "dsrelu": [0.95, 0.96, 0.94, 0.95, 0.97],
            "relu": [0.90, 0.91, 0.90, 0.89, 0.92],
            "tanh": [0.94, 0.97, 0.93, 0.96, 0.95],
        }
    )
    options = {**OPTIONS, "control": "dsrelu", "rope": 0.01}
    table = activation_tests(runs, sizes(["d"], 5), {}, **options)
    t = table[table["test"] == "corrected_t"].set_index("b")
    assert list(t.index) == ["relu", "tanh"] and set(t["a"]) == {"dsrelu"}
    assert t.loc["relu", "mean_difference"] == pytest.approx(0.05)
    assert t.loc["relu", "ci_low"] > 0 and t.loc["relu", "p_holm"] < 0.05
    assert t.loc["tanh", "ci_low"] < 0 < t.loc["tanh", "ci_high"]
    assert (t["p_holm"] >= t["p_value"]).all()
    assert (t["df"] == 4).all() and "n_test/n_train = 0.250" in t.loc["relu", "detail"]
    bayes = table[table["test"] == "bayesian_correlated_t"].set_index("b")
    assert bayes.loc["relu", "p_better"] > 0.9
    assert bayes.loc["tanh", ["p_better", "p_equivalent", "p_worse"]].sum() == pytest.approx(1)
    # one case: nothing across cases, and the table says why
    assert table[table["test"] == "none"]["detail"].iloc[0].startswith("1 case(s) ran every")


def test_a_diverged_run_stays_in_ranked_worst_and_counts_the_same_in_the_summary():
    runs = runs_table(
        {"a": [0.90, 0.91, 0.92, 0.90, 0.93], "b": [0.80, 0.81, 0.82, 0.80, 0.83]},
        diverged={"a": [1]},
    )
    table = activation_tests(runs, sizes(["d"], 5), {}, **OPTIONS)
    row = table[table["test"] == "corrected_t"].iloc[0]
    assert row["n"] == 5 and row["mean_a"] == pytest.approx((0.90 + 0.92 + 0.90 + 0.93) / 5)
    assert "diverged runs counted as 0: a 1" in row["detail"]
    summary = summarize(runs).set_index("activation")
    assert summary.loc["a", "val_accuracy_mean"] == pytest.approx(row["mean_a"])
    assert summary.loc["a", "diverged"] == 1 and summary.loc["a", "folds"] == 5
    assert summary.loc["a", "val_loss_mean"] == math.inf


def many_cases(count: int) -> pd.DataFrame:
    """runs.csv of ``count`` cases, 3 folds each, where ctrl > x > y in every case."""
    rng = np.random.default_rng(count)
    return pd.concat(
        runs_table(
            {
                name: list(0.8 + shift + rng.normal(0, 0.005, 3))
                for name, shift in {"ctrl": 0.02, "x": 0.0, "y": -0.03}.items()
            },
            case=(f"set{c}", "net"),
        )
        for c in range(count)
    )


def test_across_cases_one_block_per_case_with_friedman_nemenyi_wilcoxon_and_shares():
    runs = many_cases(6)
    table = activation_tests(runs, sizes([f"set{c}" for c in range(6)], 3), {}, **{
        **OPTIONS, "control": "ctrl"})  # fmt: skip
    across = table[table["case"] == "across cases"]
    ranks = across[across["test"] == "mean_rank"].set_index("a")["statistic"]
    assert ranks.to_dict() == {"ctrl": 1.0, "x": 2.0, "y": 3.0}
    friedman = across[across["test"] == "friedman_iman_davenport"].iloc[0]
    assert friedman["n"] == 6 and friedman["p_value"] < 0.01 and friedman["statistic"] == math.inf
    cd = across[across["test"] == "critical_difference"]["statistic"].iloc[0]
    assert cd == pytest.approx(critical_difference(3, 6, 0.05))
    nemenyi = across[across["test"] == "nemenyi"].set_index(["a", "b"])
    assert nemenyi.loc[("ctrl", "y"), "statistic"] == -2.0 and len(nemenyi) == 3
    assert nemenyi.loc[("ctrl", "y"), "p_value"] < 0.05 < nemenyi.loc[("ctrl", "x"), "p_value"]
    wilcoxon = across[across["test"] == "wilcoxon"].set_index("b")
    assert list(wilcoxon.index) == ["x", "y"]
    assert wilcoxon.loc["x", "p_value"] == pytest.approx(2 / 2**6)  # exact: 6 of 6 positive
    assert (wilcoxon["p_holm"] >= wilcoxon["p_value"]).all()
    shares = across[across["test"] == "share_of_cases"].set_index("b")
    assert shares.loc["x", "statistic"] == 1.0
    assert shares.loc["x", "detail"] == "ctrl beats x in 6 of 6 cases (0 ties, 0 losses)"


def test_fewer_than_5_cases_say_so_in_words_instead_of_a_p_value():
    table = activation_tests(many_cases(3), sizes([f"set{c}" for c in range(3)], 3), {}, **OPTIONS)
    across = table[table["case"] == "across cases"]
    tests = across[across["test"].isin(["friedman_iman_davenport", "nemenyi", "wilcoxon"])]
    assert len(tests) == 1 + 3 + 3
    assert tests["p_value"].isna().all()
    assert tests["detail"].str.contains("only 3 cases: fewer than 5, too few for a test").all()
    assert across[across["test"] == "share_of_cases"]["statistic"].notna().all()


def test_an_unbalanced_study_gets_statistics_on_its_complete_cases_and_names_the_others():
    runs = pd.concat(
        [many_cases(5), runs_table({"ctrl": [0.5, 0.6, 0.5]}, case=("other", "small"))]
    )
    datasets = [f"set{c}" for c in range(5)] + ["other"]
    table = activation_tests(runs, sizes(datasets, 3), {}, **OPTIONS)
    left = table[table["test"] == "left_out"]
    assert left["case"].tolist() == ["other/small"]
    assert left["detail"].iloc[0] == "lacks x, y: left out of the comparisons across cases"
    assert (table[table["test"] == "mean_rank"]["n"] == 5).all()


def predictions(correct: list[bool]) -> pd.DataFrame:
    """A run's test predictions, right where ``correct`` says so."""
    labels = np.arange(len(correct)) % 3
    return pd.DataFrame(
        {"label": labels, "predicted": np.where(correct, labels, (labels + 1) % 3)}
    ).rename_axis("sample")


def test_mcnemar_compares_the_hold_out_runs_on_their_test_predictions():
    runs = runs_table({"a": [0.9], "b": [0.8], "c": [0.7]}, diverged={"c": [0]})
    # 40 test samples: both right on 20, only a right on 12, only b right on 3, both wrong on 5
    right_a = [True] * 20 + [True] * 12 + [False] * 3 + [False] * 5
    right_b = [True] * 20 + [False] * 12 + [True] * 3 + [False] * 5
    saved = {("d", "m", "a", 0): predictions(right_a), ("d", "m", "b", 0): predictions(right_b)}
    table = activation_tests(runs, {}, saved, **{**OPTIONS, "control": "a"})
    rows = table[table["test"].str.startswith("mcnemar")].set_index("b")
    assert rows.loc["b", "test"] == "mcnemar_exact" and math.isnan(rows.loc["b", "df"])
    assert rows.loc["b", "p_value"] == pytest.approx(stats.binomtest(3, 15).pvalue)
    assert rows.loc["b", "mean_difference"] == pytest.approx((32 - 23) / 40)
    assert (
        "only a right: 12, only b right: 3 (exact binomial: statistic min(b, c))"
        in rows.loc["b", "detail"]
    )
    # the diverged run (no predictions) counts as wrong on every sample
    assert rows.loc["c", "mean_b"] == 0 and "diverged runs counted as 0: c 1" in rows.loc[
        "c", "detail"]  # fmt: skip
    assert (rows["p_holm"] >= rows["p_value"]).all()


def test_a_metric_the_runs_lack_is_one_sentence_naming_the_fix():
    with pytest.raises(ValueError, match=r"runs.csv has no column 'test_accuracy'; set statis"):
        activation_tests(runs_table({"a": [0.9]}), {}, {}, **{**OPTIONS, "metric": "test_accuracy"})


# --- a test part every fold shares: its sampling variance counts ------------------------------


def shared_test_study(
    seed: int, studies: int, folds: int, share: float, samples: int = 360, effect: float = 0.0
) -> tuple[np.ndarray, np.ndarray, float]:
    """(fold differences studies × folds, fold-averaged per-sample differences studies ×
    samples, ratio) of studies scored on one shared test part, where the test-sample term
    σ²_δ/n is ``share`` of Var(d̄) (the corrected fold term the rest): e_ji = effect + δ_i +
    f_j + ε_ji, f_j with Nadeau–Bengio's correlation ρ = ratio/(1 + ratio)."""
    rng = np.random.default_rng(seed)
    ratio = 1 / (folds - 1)
    rho = ratio / (1 + ratio)
    fold_var = 2e-5  # Var(f̄ + ε̄) = σ²_f (ρ + (1 − ρ)/J): the default study's fold term
    sigma_f = math.sqrt(fold_var / (rho + (1 - rho) / folds))
    delta = rng.normal(0, math.sqrt(share / (1 - share) * fold_var * samples), (studies, samples))
    run = rng.normal(0, sigma_f * math.sqrt(rho), (studies, 1))
    own = rng.normal(0, sigma_f * math.sqrt(1 - rho), (studies, folds))
    noise = rng.normal(0, 0.1, (studies, folds, samples))  # per-sample disagreement
    noise -= noise.mean(axis=2, keepdims=True)  # its fold means belong to the fold term
    e = effect + delta[:, None, :] + (run + own)[:, :, None] + noise
    return e.mean(axis=2), e.mean(axis=1), ratio


@pytest.mark.parametrize("share", [0.5, 0.7])
def test_a_shared_test_part_keeps_the_false_positive_rate_near_alpha(share):
    d, samples, ratio = shared_test_study(int(share * 100), 1000, 5, share)
    mean, variance, df = variance_of_mean(d, ratio, samples)
    rate = np.mean(t_inference(mean, variance, df, 0.05)["p_value"] < 0.05)
    assert rate <= 0.06  # Monte Carlo error at 1000 studies: ±0.014 (2 SE)
    mean, variance, df = variance_of_mean(d, ratio)  # the corrected t alone
    assert np.mean(t_inference(mean, variance, df, 0.05)["p_value"] < 0.05) > 0.1


def test_repeated_folds_and_repeated_hold_outs_keep_the_rate_near_alpha():
    for folds, ratio in [(10, 1 / 4), (5, 0.25)]:  # 2 × 5-fold; 5 repeated 80/20 hold-outs
        d = np.stack([simulated_scores(s, 2, folds)[0] - simulated_scores(s, 2, folds)[1]
                      for s in range(400)])  # fmt: skip
        mean, variance, df = variance_of_mean(d, ratio)
        assert np.mean(t_inference(mean, variance, df, 0.05)["p_value"] < 0.05) <= 0.06


def test_power_with_a_true_one_point_difference_is_reported_in_the_readme():
    d, samples, ratio = shared_test_study(7, 1000, 5, 0.5, effect=0.01)
    mean, variance, df = variance_of_mean(d, ratio, samples)
    power = np.mean(t_inference(mean, variance, df, 0.05)["p_value"] < 0.05)
    assert 0.06 < power < 0.2  # README: "about 0.12"
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "power with a true 1-point difference" in readme


def test_the_shared_test_term_reproduces_the_reference_that_adds_both_variances():
    # the default study's dsrelu − relu, reproduced: V₁ = (1/5 + 0.313)·s²_d, V₂ = s²_D/360,
    # 4 degrees of freedom; the p-value is never below the corrected t's alone
    d, samples, ratio = shared_test_study(11, 1, 5, 0.7)
    fold_term = (1 / 5 + ratio) * d[0].var(ddof=1)
    sample_term = samples[0].var(ddof=1) / samples.shape[1]
    reference = 2 * stats.t.sf(abs(d[0].mean()) / math.sqrt(fold_term + sample_term), 4)
    result = corrected_resampled_t(d[0], ratio, 0.05, samples[0])
    assert result["p_value"] == pytest.approx(reference)
    assert result["p_value"] >= corrected_resampled_t(d[0], ratio, 0.05)["p_value"]


def test_tost_is_statsmodels_without_the_correction():
    rng = np.random.default_rng(5)
    x, y = rng.normal(0.9, 0.01, 8), rng.normal(0.9, 0.01, 8)
    p_ref = ttost_paired(x, y, -0.02, 0.02)[0]
    mean, variance, df = variance_of_mean(x - y, 0.0)
    assert equivalence_p(mean, math.sqrt(variance), df, 0.02) == pytest.approx(p_ref)


def test_a_constant_difference_is_a_sentence_not_infinity():
    result = corrected_resampled_t([0.01] * 5, 0.25, 0.05)
    assert math.isnan(result["p_value"]) and math.isnan(result["ci_low"])
    assert "every one of the 5 differences is +0.01" in result["reason"]


def test_wilcoxon_over_six_cases_and_six_comparisons_says_it_cannot_reach_alpha():
    runs = many_cases(6)
    datasets = [f"set{c}" for c in range(6)]
    table = activation_tests(runs, sizes(datasets, 3), {}, **OPTIONS)  # 3 pairs, no control
    row = table[table["test"] == "wilcoxon"].iloc[0]
    assert row["p_min"] == pytest.approx(3 * 2 / 2**6)
    assert "needs ≥ 8" not in row["detail"]  # 3 · 2/64 = 0.094 > 0.05: needs 7
    assert "cannot reach α = 0.05 with 6 cases and 3 comparisons; needs ≥ 7" in row["detail"]
    nemenyi = table[table["test"] == "nemenyi"].iloc[0]
    assert nemenyi["detail"].endswith("(p = 0.00248)") or "post hoc, after" in nemenyi["detail"]


def test_a_nan_value_of_a_completed_run_is_named_and_its_fold_left_out_of_the_pair():
    runs = runs_table({"a": [0.91, 0.92, 0.93, 0.90, 0.94], "b": [0.90, 0.91, 0.90, 0.89, 0.92]})
    runs.loc[(runs["activation"] == "b") & (runs["fold"] == 2), "val_accuracy"] = math.nan
    row = activation_tests(runs, sizes(["d"], 5), {}, **OPTIONS).iloc[0]
    assert row["test"] == "corrected_t" and row["n"] == 4  # paired on the folds both have
    assert "no val_accuracy (NaN) for b fold(s) 2, left out" in row["detail"]
    assert row["mean_difference"] == pytest.approx(np.mean([0.01, 0.01, 0.01, 0.02]))


def test_cases_that_all_tie_say_so_instead_of_a_friedman_nan():
    runs = pd.concat(
        runs_table({n: [0.9, 0.9] for n in "xyz"}, case=(f"set{c}", "net")) for c in range(6)
    )
    table = activation_tests(runs, sizes([f"set{c}" for c in range(6)], 2), {}, **OPTIONS)
    across = table[table["case"] == "across cases"]
    friedman = across[across["test"] == "friedman_iman_davenport"].iloc[0]
    assert math.isnan(friedman["p_value"]) and friedman["detail"].startswith("every case ties")
    assert all("every case ties" in d for d in across[across["test"] == "wilcoxon"]["detail"])


def test_a_hold_out_case_without_test_predictions_has_a_row_saying_why():
    runs = runs_table({"a": [0.91], "b": [0.90]})
    table = activation_tests(runs, sizes(["d"], 1), {}, **OPTIONS)
    row = table[table["case"] == "d/m"].iloc[0]
    assert row["test"] == "none" and "one run per activation" in row["detail"]
    assert "McNemar" in row["detail"]
