"""What a model costs (actstudy.evaluation.model_cost): parameters and forward FLOPs, against
LeNet-5's counts by hand; and the summary that carries them (actstudy.evaluation.aggregate)."""

from __future__ import annotations

import pandas as pd
import torch

from actstudy import models
from actstudy.evaluation.aggregate import COST, summarize
from actstudy.evaluation.model_cost import model_cost

# LeNet-5 on 1 × 32 × 32: conv1 6 maps 5×5 (28×28 out), conv2 16 maps 5×5 on 6 (10×10 out),
# fc 16·5·5 → 120, out 120 → 10
MULTIPLY_ADDS = 28 * 28 * 6 * 25 + 10 * 10 * 16 * 6 * 25 + 400 * 120 + 120 * 10
PARAMETERS = (6 * 25 + 6) + (16 * 150 + 16) + (400 * 120 + 120) + (120 * 10 + 10)


def lenet5() -> torch.nn.Module:
    return models.create("lenet5", num_classes=10, in_channels=1, act="relu", input_size=32)


def test_lenet5_costs_what_its_layers_add_up_to():
    model = lenet5().train()
    cost = model_cost(model, torch.zeros(8, 1, 32, 32))
    assert cost == {
        "parameters": PARAMETERS,
        "trainable_parameters": PARAMETERS,
        "forward_flops_per_sample": 2 * MULTIPLY_ADDS,  # one sample, a multiply-add as 2
    }
    assert model.training  # its mode restored
    model.conv1.requires_grad_(False)
    assert model_cost(model, torch.zeros(1, 1, 32, 32))["trainable_parameters"] == PARAMETERS - 156


def test_the_summary_carries_each_models_cost_from_the_timing_table():
    runs = pd.DataFrame(
        {
            "dataset": "d",
            "model": "m",
            "activation": ["relu", "relu", "tanh", "tanh"],
            "fold": [0, 1, 0, 1],
            "status": "completed",
            "val_accuracy": [0.9, 0.8, 0.7, 0.6],
            "parameters": 100,
        }
    )
    timing = pd.DataFrame(
        {"dataset": "d", "model": "m", "activation": ["tanh", "relu"], "parameters": [100, 100]}
        | {"trainable_parameters": [90, 100], "forward_flops_per_sample": [7, 5]}
    )
    summary = summarize(runs, timing).set_index("activation")
    assert list(summary.columns[:5]) == ["dataset", "model", "folds", "diverged", *COST[:1]]
    assert summary.loc["tanh", "trainable_parameters"] == 90
    assert summary.loc["relu", "forward_flops_per_sample"] == 5
    assert summarize(runs).set_index("activation").loc["tanh", "parameters"] == 100
