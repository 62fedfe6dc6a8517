"""Activation diagnostics on hand-made models whose answers are known."""

from __future__ import annotations

import contextlib

import pandas as pd
import pytest
import torch
from torch import nn

from actstudy import activations
from actstudy.training.diagnostics import Probe, probe_size


def probe_of(model: nn.Module, sites: list[nn.Module], x: torch.Tensor) -> Probe:
    labels = torch.zeros(len(x), dtype=torch.long)
    return Probe(model, sites, nn.CrossEntropyLoss(), x, labels, contextlib.nullcontext)


def measured(model: nn.Module, sites: list[nn.Module], x: torch.Tensor) -> pd.Series:
    rows = probe_of(model, sites, x).measure(epoch=1)
    return pd.DataFrame(rows).set_index(["site", "quantity"])["value"]


def test_a_relu_fed_only_negative_inputs_is_all_dead():
    relu = nn.ReLU()
    model = nn.Sequential(relu, nn.Linear(6, 3))
    values = measured(model, [relu], -torch.rand(32, 6) - 0.1)
    assert values["0", "dead_fraction"] == 1.0
    assert values["0", "saturated_fraction"] == 1.0
    assert values["0", "grad_norm"] > 0  # the gradient reaches it, and stops there
    mixed = torch.cat([-torch.ones(1, 6), torch.ones(1, 6)]) * torch.tensor([1, 1, 1, -1, -1, -1])
    values = measured(model, [relu], mixed)  # each unit is positive for one of the two samples
    assert values["0", "dead_fraction"] == 0.0 and values["0", "saturated_fraction"] == 0.5


HUGE = torch.tensor([-40.0, -30, -20, -10, 10, 20, 30, 40])  # f′ < 1e-4; f(−40) > 0 in float32


def test_a_sigmoid_fed_huge_inputs_is_saturated_but_not_dead():
    sigmoid = nn.Sigmoid()
    model = nn.Sequential(nn.Linear(4, 8), sigmoid, nn.Linear(8, 3))
    with torch.no_grad():
        model[0].weight.fill_(0.0)
        model[0].bias.copy_(HUGE)
    values = measured(model, [sigmoid], torch.randn(16, 4))
    assert values["1", "saturated_fraction"] == 1.0
    assert values["1", "dead_fraction"] == 0.0
    assert values["1", "preact_mean"] == pytest.approx(0.0, abs=1e-4)
    assert values["1", "preact_std"] == pytest.approx(HUGE.std(correction=0).item())


def test_a_trainable_activation_reports_its_parameters_and_each_call():
    shared = activations.create({"name": "coslu", "a": 0.25, "b": 2.0})
    model = nn.Sequential(nn.Linear(4, 4), shared, nn.Linear(4, 4), shared, nn.Linear(4, 3))
    values = measured(model, [shared, shared], torch.randn(8, 4))
    assert values["1", "param_a"] == 0.25 and values["1", "param_b"] == 2.0
    sites = {site for site, quantity in values.index if quantity == "dead_fraction"}
    assert sites == {"1@1", "1@2"}


def test_the_probe_changes_no_state_of_the_model_or_the_random_generators():
    relu = nn.ReLU()
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), relu, nn.Dropout(0.5), nn.Flatten(), nn.LazyLinear(3)
    )
    model(torch.randn(2, 1, 6, 6))
    model.train()
    model[3].eval()  # a mixed state, as a model may be in
    for parameter in model.parameters():
        parameter.grad = torch.full_like(parameter, 7.0)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    modes = [m.training for m in model.modules()]
    x = torch.randn(5, 1, 6, 6)
    rng = torch.get_rng_state()
    values = measured(model, [relu], x)
    assert torch.equal(torch.get_rng_state(), rng)
    assert [m.training for m in model.modules()] == modes
    for key, tensor in model.state_dict().items():
        assert torch.equal(tensor, before[key]), key  # batch-norm statistics included
    assert all((p.grad == 7.0).all() for p in model.parameters())
    assert 0.0 <= values["2", "dead_fraction"] <= 1.0


def test_the_probe_is_256_samples_or_a_32nd_of_a_small_fold():
    assert [probe_size(n) for n in (1, 100, 1437, 4096, 50000)] == [1, 4, 45, 128, 256]
