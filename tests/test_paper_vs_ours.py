"""Each reported number beside ours, and claims judged on paired fold differences."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from actstudy.evaluation.paper_vs_ours import claims_table, interval, measurement, paper_vs_ours

SOURCE = "a test"


def runs(values: dict[str, list[float]], column: str = "test_accuracy") -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "dataset": "d",
                "model": "m",
                "activation": activation,
                "fold": fold,
                "status": "completed",
                column: value,
            }
            for activation, folds in values.items()
            for fold, value in enumerate(folds)
        ]
    )


def reported(**overrides) -> pd.DataFrame:
    row = {
        "dataset": "d",
        "model": "m",
        "activation": "a",
        "metric": "accuracy",
        "split": "test",
        "at": "best",
        "paper_fold": pd.NA,
        "value": 0.9,
        "source": SOURCE,
        "note": "",
    }
    return pd.DataFrame([{**row, **overrides}])


def test_a_number_is_matched_with_our_fold_mean_and_its_interval():
    ours = runs({"a": [0.88, 0.90, 0.92], "b": [0.5, 0.5, 0.5]})
    row = paper_vs_ours(ours, reported()).iloc[0]
    assert row["ours_mean"] == pytest.approx(0.90) and row["folds"] == 3
    low, high = interval([0.88, 0.90, 0.92])
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high))
    assert high - low == pytest.approx(2 * 4.302653 * 0.02 / math.sqrt(3), rel=1e-5)
    assert row["paper_inside_interval"] and row["difference"] == pytest.approx(0.0)
    assert row["matched_with"] == "test accuracy of each fold's best-validation weights"
    assert row["status"] == "compared"
    outside = paper_vs_ours(ours, reported(value=0.99)).iloc[0]
    assert not outside["paper_inside_interval"]
    missing = paper_vs_ours(ours, reported(activation="zzz")).iloc[0]
    assert missing["status"] == "not run" and missing["folds"] == 0


def test_the_paper_measurement_names_the_deviation():
    assert measurement("accuracy", "test", "final")[1].endswith("(the paper: the final epoch's)")
    assert measurement("accuracy", "train", "last3")[0] == "train_accuracy_last3"
    assert measurement("cases", "", "")[0] is None


def claim(relation: str, left: str, right: str) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "study": "s",
                "claim": "a beats b",
                "comparison": "a > b",
                "left": left,
                "relation": relation,
                "right": right,
                "metric": "accuracy",
                "split": "test",
                "at": "best",
                "scope": "dataset=d",
                "expected": math.nan,
                "source": SOURCE,
                "note": "",
            }
        ]
    )


@pytest.mark.parametrize(
    ("left", "right", "relation", "verdict"),
    [
        ([0.91, 0.92, 0.93, 0.92], [0.90, 0.91, 0.92, 0.91], ">", "supported"),
        ([0.91, 0.92, 0.93, 0.92], [0.90, 0.91, 0.92, 0.91], "<", "not supported"),
        ([0.91, 0.90, 0.93, 0.89], [0.90, 0.91, 0.92, 0.91], ">", "inconclusive"),
    ],
)
def test_a_claim_is_judged_on_paired_fold_differences(left, right, relation, verdict):
    table = claims_table(
        runs({"a": left, "b": right}), claim(relation, "activation=a", "activation=b")
    )
    row = table.iloc[0]
    assert row["verdict"] == verdict
    assert (
        "activation=a − activation=b = " in row["evidence"] and "over 4 fold(s)" in row["evidence"]
    )


def test_a_claim_without_runs_or_an_unevaluated_relation_is_not_run():
    ours = runs({"a": [0.9, 0.9], "b": [0.8, 0.8]})
    assert claims_table(ours, claim(">", "activation=zzz", "activation=b")).iloc[0]["verdict"] == (
        "not run"
    )
    row = claims_table(ours, claim("descending", "activation=a|b", "")).iloc[0]
    assert row["verdict"] == "not run" and "'descending' is not evaluated yet" in row["evidence"]
