"""The timing step: every activation's training step of a case, timed in alternating rounds in
one process (no timing is asserted: only what is measured, and how the table is built)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from actstudy.evaluation.timing import (
    COLUMNS,
    Clock,
    alternate_samples,
    case_timing,
    is_reference,
    round_ratios,
)
from actstudy.study.grid import run_spec
from actstudy.study.validate import validate_config
from actstudy.training import loop
from actstudy.training.folds import fold_indices


def specs(activations: dict, batch_size: int = 32) -> list[dict]:
    config = validate_config(
        {
            "study": "unit",
            "datasets": {"digits": {"source": "digits", "size": 16}},
            "models": {"lenet5": {"name": "lenet5", "input_size": 16}},
            "activations": activations,
            "evaluation": {"mode": "kfold", "folds": 2},
            "training": {
                "epochs": 3,
                "batch_size": batch_size,
                "optimizer": {"name": "sgd", "lr": 0.01},
            },
        }
    )
    return [run_spec(config, "digits", "lenet5", label, 0) for label in activations]


def test_every_activation_runs_the_loops_training_step_in_alternating_rounds(digits16, monkeypatch):
    prepared, folds = digits16
    calls: list[tuple[int, int]] = []
    step = loop.train_step

    def counted(run, x, y):
        calls.append((id(run), len(y)))
        return step(run, x, y)

    monkeypatch.setattr(loop, "train_step", counted)
    activations = {"tanh": "tanh", "relu": "relu", "mish": {"name": "mish"}}
    table = case_timing(specs(activations), prepared, folds, rounds=3, steps=2, warmup=1)
    assert list(table.columns) == COLUMNS
    assert table["activation"].tolist() == ["tanh", "relu", "mish"]
    # (1 warm-up + 3 rounds) × 2 steps of each activation, on one batch of 32
    assert len(calls) == 3 * 4 * 2 and {size for _, size in calls} == {32}
    runs = list(dict.fromkeys(run for run, _ in calls))
    assert len(runs) == 3
    rounds = [run for run, _ in calls][3 * 2 :]  # after the warm-up: in turn, round after round
    assert rounds[::2] == runs * 3
    train, _ = fold_indices(folds, 0)
    assert (table["steps_per_epoch"] == math.ceil(len(train) / 32)).all()
    assert np.allclose(table["epoch_seconds"], table["step_seconds"] * table["steps_per_epoch"])
    assert (table["step_seconds_min"] <= table["step_seconds"]).all()
    assert (table["step_seconds"] <= table["step_seconds_max"]).all()
    assert table.set_index("activation").loc["relu", "ratio_to_relu"] == 1.0
    assert (table["ratio_to_relu"] > 0).all() and set(table["reference"]) == {"relu"}
    row = table.iloc[0]
    assert row["device"].startswith("cpu: ") and row["clock"] == "process cpu time"
    assert (row["optimizer"], row["batch_size"], row["rounds"], row["steps_per_round"]) == (
        "sgd",
        32,
        3,
        2,
    )
    assert row["threads"] >= 1 and row["load_before"] >= 0 and row["load_after"] >= 0


def test_a_case_without_relu_has_no_ratio(digits16):
    prepared, folds = digits16
    table = case_timing(specs({"tanh": "tanh"}), prepared, folds, rounds=1, steps=1, warmup=0)
    assert table["reference"].tolist() == [""] and table["ratio_to_relu"].isna().all()
    with pytest.raises(ValueError, match="at least one run"):
        case_timing([], prepared, folds, rounds=1, steps=1, warmup=0)


def test_the_ratio_to_relu_pairs_the_rounds():
    """A round in which everything ran twice as slow changes no ratio."""
    samples = {"relu": [1.0, 2.0, 1.0], "mish": [1.5, 3.0, 1.8], "tanh": [1.0, 2.0, 1.0]}
    ratios = round_ratios(samples, "relu")
    assert ratios["mish"] == pytest.approx([1.5, 1.5, 1.8])
    assert ratios["relu"] == ratios["tanh"] == pytest.approx([1, 1, 1])


def test_the_reference_is_plain_relu():
    assert is_reference("relu") and is_reference({"name": "relu"})
    assert not is_reference({"name": "leaky_relu", "slope": 0.01})
    assert not is_reference({"roles": {"conv1": "relu"}})


def test_alternate_samples_takes_the_runs_in_turn_after_the_warm_up():
    order: list[str] = []
    runs = {name: (lambda name=name: order.append(name)) for name in ("a", "b")}
    samples = alternate_samples(Clock(torch.device("cpu")), runs, 2, warmup=1)
    assert order == ["a", "b", "a", "b", "a", "b"]
    assert {name: len(values) for name, values in samples.items()} == {"a": 2, "b": 2}
