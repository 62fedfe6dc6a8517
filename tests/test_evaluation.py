"""Aggregation: diverged runs are counted, and ranked worst; the improvement column; runs.csv."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from workflow_helpers import runs_table

from actstudy.evaluation.aggregate import collect, summarize, with_divergence_policy
from actstudy.evaluation.improvement import COLUMN, improvement_over_second_best
from actstudy.io import write_json


def test_summary_counts_diverged_runs_and_ranks_them_worst():
    runs = runs_table({"a": [0.9, 0.8, 0.7], "b": [0.5, 0.6, 0.1]}, diverged={"b": [2]})
    summary = summarize(runs).set_index("activation")
    assert summary.loc["b", "folds"] == 3 and summary.loc["b", "diverged"] == 1
    assert summary.loc["b", "val_accuracy_mean"] == pytest.approx((0.5 + 0.6 + 0.0) / 3)
    assert summary.loc["b", "val_loss_mean"] == math.inf and math.isnan(
        summary.loc["b", "val_loss_std"]
    )
    assert summary.loc["a", "val_accuracy_std"] == pytest.approx(0.1)
    assert list(summary.index) == ["a", "b"]  # best first


def test_an_all_diverged_activation_scores_the_worst_value():
    summary = summarize(runs_table({"a": [0.9, 0.8], "b": [0.1, 0.1]}, {"b": [0, 1]}))
    row = summary.set_index("activation").loc["b"]
    assert row["diverged"] == 2 and row["val_accuracy_mean"] == 0.0


def test_a_diverged_run_keeps_its_real_values_in_runs_csv_and_scores_worst_in_tables():
    runs = runs_table({"a": [0.9, 0.8]}, {"a": [1]}).assign(
        val_accuracy=[0.9, 0.7], mean_epoch_seconds=[2.0, 3.0], train_minus_test_accuracy=0.1
    )
    table = with_divergence_policy(runs)
    assert table["val_accuracy"].tolist() == [0.9, 0.0] and runs["val_accuracy"][1] == 0.7
    assert table["val_loss"][1] == math.inf
    # timings and gaps are no scores: as measured
    assert table["mean_epoch_seconds"].tolist() == [2.0, 3.0]
    assert table["train_minus_test_accuracy"].tolist() == [0.1, 0.1]


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
            "training": {"loss": {"name": "cross_entropy"}},
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
