"""Aggregation and statistics: diverged runs are shown as such; the tests are the right ones."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from actstudy.evaluation.aggregate import collect, summarize
from actstudy.evaluation.improvement import COLUMN, improvement_over_second_best
from actstudy.evaluation.statistics import activation_tests, holm
from actstudy.io import write_json


def runs_table(accuracies: dict[str, list[float]], diverged: dict | None = None) -> pd.DataFrame:
    diverged = diverged or {}
    rows = []
    for activation, values in accuracies.items():
        for fold, value in enumerate(values):
            bad = fold in diverged.get(activation, ())
            rows.append(
                {
                    "dataset": "d",
                    "model": "m",
                    "activation": activation,
                    "fold": fold,
                    "status": "diverged" if bad else "completed",
                    "val_accuracy": math.nan if bad else value,
                    "val_loss": math.nan if bad else 1 - value,
                }
            )
    return pd.DataFrame(rows)


def test_summary_counts_diverged_runs_apart_and_leaves_them_out_of_the_means():
    runs = runs_table({"a": [0.9, 0.8, 0.7], "b": [0.5, 0.6, 0.1]}, diverged={"b": [2]})
    summary = summarize(runs).set_index("activation")
    assert summary.loc["b", "folds"] == 3 and summary.loc["b", "diverged"] == 1
    assert summary.loc["b", "val_accuracy_mean"] == pytest.approx(0.55)
    assert summary.loc["a", "val_accuracy_std"] == pytest.approx(0.1)
    assert list(summary.index) == ["a", "b"]  # best first


def test_an_all_diverged_activation_has_no_mean():
    summary = summarize(runs_table({"a": [0.9, 0.8], "b": [0.1, 0.1]}, {"b": [0, 1]}))
    row = summary.set_index("activation").loc["b"]
    assert row["diverged"] == 2 and math.isnan(row["val_accuracy_mean"])


def test_improvement_over_the_second_best_is_relative_to_the_best_other_activation():
    runs = pd.concat(
        [
            runs_table({"dsrelu": [0.50, 0.54], "mish": [0.40, 0.44], "relu": [0.39, 0.41]}),
            runs_table({"dsrelu": [0.30, 0.30], "mish": [0.40, 0.40]}).assign(dataset="e"),
        ]
    )
    summary = summarize(runs)
    table = improvement_over_second_best(summary, "dsrelu").set_index("dataset")
    # d: 0.52 over mish's 0.42; e: dsrelu loses to mish, a negative improvement
    assert table.loc["d", "best_other"] == "mish"
    assert table.loc["d", "improvement"] == pytest.approx((0.52 - 0.42) / 0.42)
    assert table.loc["e", "improvement"] == pytest.approx((0.30 - 0.40) / 0.40)
    column = summary.set_index(["dataset", "activation"])[COLUMN]
    assert column[("d", "dsrelu")] == pytest.approx(table.loc["d", "improvement"])
    assert column[("d", "relu")] == pytest.approx((0.40 - 0.52) / 0.52)
    with pytest.raises(ValueError, match="the summary has no activation 'dsrelux'; name one of"):
        improvement_over_second_best(summary, "dsrelux")


def test_the_progress_t_of_the_best_epoch_reaches_runs_csv(tmp_path):
    for activation, metrics in {"dsrelu": {"progress_t_at_best": 0.27}, "relu": {}}.items():
        run = tmp_path / activation
        run.mkdir()
        spec = {
            "dataset": {"label": "d"},
            "model": {"label": "m"},
            "activation": {"label": activation},
            "evaluation": {"fold": 0},
        }
        write_json(
            run / "manifest.json", {"spec": spec, "parameters": 1, "device": {"device": "cpu"}}
        )
        write_json(
            run / "metrics.json",
            {"status": "completed", "best_epoch": 1, "epochs_run": 1, "diverged_epoch": None,
             "val": {"accuracy": 0.5, "loss": 1.0}, **metrics},
        )  # fmt: skip
        train = {f"train_{m}": 0.5 for m in ("accuracy", "loss", "f1_macro", "f1_weighted")}
        history = {"epoch": 1, "epoch_seconds": 1.0, "train_roc_auc": 0.5, **train}
        pd.DataFrame([history]).to_csv(run / "history.csv")
        probe = {"epoch": 1, "site": "act", "quantity": "dead_fraction", "value": 0.25}
        pd.DataFrame([probe]).to_csv(run / "diagnostics.csv", index=False)
    runs, _, diagnostics = collect([tmp_path / "dsrelu", tmp_path / "relu"])
    t = runs.set_index("activation")["progress_t_at_best"]
    assert t["dsrelu"] == pytest.approx(0.27) and math.isnan(t["relu"])
    assert list(diagnostics.columns[:4]) == ["dataset", "model", "activation", "fold"]
    assert list(diagnostics["activation"]) == ["dsrelu", "relu"]


def test_holm_matches_the_textbook_example():
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])


def test_friedman_ranks_and_pairwise_tests_agree_with_scipy():
    rng = np.random.default_rng(0)
    accuracies = {
        "good": list(0.9 + 0.01 * rng.random(6)),
        "mid": list(0.8 + 0.01 * rng.random(6)),
        "bad": list(0.5 + 0.01 * rng.random(6)),
    }
    table = activation_tests(runs_table(accuracies))
    friedman = table[table["test"] == "friedman"].iloc[0]
    expected = stats.friedmanchisquare(*accuracies.values())
    assert friedman["statistic"] == pytest.approx(expected.statistic)
    assert friedman["p_value"] == pytest.approx(expected.pvalue)
    ranks = table[table["test"] == "mean_rank"].set_index("a")["statistic"]
    assert ranks.to_dict() == {"bad": 3.0, "good": 1.0, "mid": 2.0}
    pairs = table[table["test"] == "wilcoxon"]
    assert len(pairs) == 3 and (pairs["p_holm"] >= pairs["p_value"]).all()


def test_blocks_with_a_diverged_run_are_dropped_from_the_tests():
    table = activation_tests(
        runs_table({"a": [0.9, 0.8, 0.7, 0.6], "b": [0.5, 0.4, 0.3, 0.2]}, {"b": [0]})
    )
    assert set(table["blocks"]) == {3}
