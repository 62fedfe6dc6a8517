"""The search's fitness network learns (S3's released initialisation and inputs /255), and the
sanity gate stops a search whose reference function does not."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import pandas as pd
import pytest
import torch
from test_search import search_holdout
from test_search import study as unit_study
from torch import nn

from actstudy.cli import main
from actstudy.models.afos import afos_cnn
from actstudy.search.fitness import reference_functions
from actstudy.study.search_options import search_run_spec
from actstudy.study.validate import validate_config
from actstudy.training.folds import fold_indices
from actstudy.training.loop import train_run

pytestmark = pytest.mark.xdist_group("test_search_fitness")

S3_STEPS = 704  # one CIFAR-10 epoch of the search's recipe (45,000 / 64)


def relu(role: str) -> nn.Module:
    return nn.ReLU()


@pytest.mark.parametrize(("init", "zero_bias"), [("keras", True), ("pytorch", False)])
def test_the_released_initialisation_is_he_and_glorot_uniform_with_zero_bias(init, zero_bias):
    torch.manual_seed(0)
    model = afos_cnn(10, 3, relu, input_size=16, init=init)
    layers = [m for m in model if isinstance(m, nn.Conv2d | nn.Linear)]
    assert all((layer.bias == 0).all() for layer in layers) == zero_bias
    if init != "keras":
        return
    for index, layer in enumerate(layers):
        fan_out, fan_in = layer.weight.shape[:2]
        receptive = layer.weight[0, 0].numel()
        he = index == 12 or (isinstance(layer, nn.Conv2d) and receptive == 9)
        bound = math.sqrt(6 / (fan_in * receptive if he else (fan_in + fan_out) * receptive))
        weights = layer.weight.detach()
        assert weights.abs().max() <= bound
        assert weights.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.1), index


def test_an_unknown_init_is_one_sentence():
    with pytest.raises(ValueError, match=r"^afos_cnn's init is 'he'; use one of keras, pytorch$"):
        afos_cnn(10, 3, relu, input_size=16, init="he")


def study(**search: object) -> dict:
    return validate_config(unit_study(**search))


@pytest.fixture(scope="module")
def digits(tmp_path_factory) -> tuple[Path, Path]:
    """Digits at 16×16 and the search's 10 % hold-out (seed 1234), as the workflow writes it."""
    return search_holdout(tmp_path_factory.mktemp("fitness"), study()["search"])


def train_reference(config: dict, digits: tuple[Path, Path], runs: Path) -> Path:
    """The search's first reference (ReLU) trained as the search trains it."""
    reference = reference_functions(config["search"])[0]
    out = runs / reference["key"]
    spec = search_run_spec(config, reference["key"], reference["expression"])
    train_run(spec, *digits, out, threads=1)
    return out


@pytest.mark.slow
def test_the_fitness_network_learns_with_relu_and_the_s3_recipe(digits, tmp_path):
    """Default init and inputs, SGD lr 1e-3 momentum 0.9 batch 64 (S3's), at most 704 steps on
    digits at 16×16: at least 0.9 validation accuracy (PyTorch's default init: about 0.09)."""
    config = study(epochs=1)
    assert (config["search"]["lr"], config["search"]["momentum"]) == (0.001, 0.9)
    train_size = len(fold_indices(digits[1], 0)[0])
    steps_per_epoch = math.ceil(train_size / config["search"]["batch_size"])
    config["search"]["epochs"] = S3_STEPS // steps_per_epoch
    config["search"]["stop_below"] = {"epoch": 1, "val_accuracy": 0.0}
    run = train_reference(config, digits, tmp_path)
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["spec"]["model"] == {"label": "search", "name": "afos_cnn", "init": "keras"}
    assert manifest["normalization"] is None  # inputs / 255, no standardisation
    history = pd.read_csv(run / "history.csv")
    assert len(history) * steps_per_epoch <= S3_STEPS
    assert history.val_accuracy.iloc[-1] >= 0.9, history.val_accuracy.tolist()


@pytest.mark.slow
@pytest.mark.hostile
def test_the_gate_stops_a_search_whose_reference_stays_at_chance(digits, tmp_path, capsys):
    """A deliberately broken set-up (a learning rate of 1e-9): ReLU stays at chance, and the
    search stops before any candidate trains, naming the set-up."""
    config = study(epochs=1, lr=1e-9, init="pytorch", inputs="standardize")
    runs = tmp_path / "runs"
    run = train_reference(config, digits, runs)
    assert json.loads((run / "manifest.json").read_text())["normalization"]["by"] == "fold"
    options = copy.deepcopy(config["search"])
    code = main(
        ["search-gate", "--options", json.dumps(options), "--results", str(runs), "--out", "g"]
    )
    error = capsys.readouterr().err
    assert code != 0 and not (tmp_path / "g").exists()
    assert "the search stopped before training its candidates: the reference relu reached" in error
    assert (
        "so the fitness set-up, afos_cnn (init pytorch, inputs standardize, fp32) trained on "
        "digits with SGD lr 1e-09 momentum 0.9, batch 64, 1 epoch(s), would rank candidates on "
        "noise; fix the set-up (search.init, search.inputs, search.lr, search.epochs)"
    ) in error
    # the same reference with a learning set-up passes, and the gate writes its fitness
    config = study(epochs=2, lr=0.01)
    runs = tmp_path / "learns"
    train_reference(config, digits, runs)
    out = tmp_path / "gate.json"
    options = json.dumps(config["search"])
    gate = ["search-gate", "--options", options, "--results", str(runs), "--out", str(out)]
    assert main(gate) == 0
    gate = json.loads(out.read_text())
    assert gate["relu"]["accuracy"] >= 0.2 and gate["relu"]["fitness"] > 0
