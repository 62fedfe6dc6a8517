"""Recipes that match the papers: overrides per (dataset, model, activation), SequentialLR's
milestones counted from the end of the warm-up (S2), and S4's loss on softmax outputs."""

from __future__ import annotations

import copy
import json
import math

import numpy as np
import pytest
import torch
from workflow_helpers import REPO

from actstudy.errors import ConfigError
from actstudy.study.grid import run_grid, run_spec
from actstudy.study.smoke import smoke_variant
from actstudy.study.validate import load_config, validate_config
from actstudy.training.batches import DeviceData
from actstudy.training.device import DeviceSetup
from actstudy.training.loop import evaluate, train_run
from actstudy.training.recipe import build_loss, lr_factor

# one pytest-xdist worker runs this file: its module-scoped fixtures are built once
pytestmark = pytest.mark.xdist_group("test_recipes")

S1 = REPO / "studies" / "s1_lrelu_fruits.yaml"
S2 = REPO / "studies" / "s2_trainable_cifar10.yaml"
S4 = REPO / "studies" / "s4_tanh_relu_mnist.yaml"
FLOOR_10 = math.log(1 + 9 / math.e)  # softmax_outputs' least loss with 10 classes


def learning_rates(training: dict, epochs: list[int]) -> list[float]:
    """The learning rate of a resolved recipe in each of these (0-based) epochs."""
    base = training["optimizer"]["lr"]
    return [base * lr_factor(e, training["epochs"], training["schedule"]) for e in epochs]


def sequential_lr(training: dict) -> list[float]:
    """What the released code's schedulers give: LinearLR chained to MultiStepLR by
    SequentialLR (or MultiStepLR alone without a warm-up), one value per epoch."""
    schedule, epochs = training["schedule"], training["epochs"]
    optimizer = torch.optim.SGD(
        [torch.nn.Parameter(torch.zeros(1))], lr=training["optimizer"]["lr"]
    )
    steps = torch.optim.lr_scheduler.MultiStepLR(
        optimizer, schedule["milestones"], schedule["gamma"]
    )
    if schedule["warmup_epochs"]:
        warmup = torch.optim.lr_scheduler.LinearLR(
            optimizer, schedule["warmup_start"], 1.0, schedule["warmup_epochs"]
        )
        steps = torch.optim.lr_scheduler.SequentialLR(
            optimizer, [warmup, steps], [schedule["warmup_epochs"]]
        )
    rates = []
    for _ in range(epochs):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        steps.step()
    return rates


# --- S1: the report's last epoch, Keras' frozen layers ------------------------------------------


def test_s1_reports_the_last_epoch_and_freezes_keras_layers(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))  # where the transfer model finds weights
    monkeypatch.chdir(REPO)
    weights = tmp_path / "hub" / "checkpoints" / "resnet50-0676ba61.pth"
    weights.parent.mkdir(parents=True)
    weights.touch()
    s1 = load_config(S1)
    transfer = run_spec(s1, "fruits360_32", "transfer", "relu", 0)
    assert transfer["model"]["freeze"] == "keras" and transfer["model"]["trainable_layers"] == 3
    assert transfer["training"]["select"] == "last"
    assert transfer["training"]["batch_size"] == 256
    lrelu = run_spec(s1, "fruits360_32", "resnet50", "lrelu_1e3", 0)
    assert lrelu["training"]["select"] == "last" and lrelu["training"]["batch_size"] == 512


# --- S2: a learning rate and warm-up per (activation, depth) --------------------------------


@pytest.fixture(scope="module")
def s2() -> dict:
    return load_config(S2)


def test_s2_coslu_resnet56_warms_up_and_drops_after_the_warmup(s2):
    for dataset in ("cifar10", "cifar100"):
        training = run_spec(s2, dataset, "resnet56", "coslu", 0)["training"]
        rates = learning_rates(training, [0, 10, 54, 55, 74, 75])
        assert rates == pytest.approx([0.002, 0.02, 0.02, 0.002, 0.002, 0.0002])
        assert training["schedule"]["milestones_from"] == "warmup_end"
        assert training["select"] == "val_loss"


def test_s2_relu_resnet56_has_no_warmup_and_drops_at_45_and_65(s2):
    training = run_spec(s2, "cifar10", "resnet56", "relu", 0)["training"]
    assert learning_rates(training, [0, 44, 45, 65]) == pytest.approx([0.1, 0.1, 0.01, 0.001])
    assert training["schedule"]["warmup_epochs"] == 0


@pytest.mark.parametrize(
    ("model", "activation", "lr", "warmup"),
    [
        ("resnet20", "relu", 0.1, 0),
        ("resnet20", "coslu", 0.1, 0),
        ("resnet20", "relun", 0.1, 0),
        ("resnet32", "relu", 0.1, 0),
        ("resnet32", "coslu", 0.07, 10),
        ("resnet32", "delu", 0.07, 10),
        ("resnet32", "relun", 0.1, 10),
        ("resnet56", "coslu", 0.02, 10),
        ("resnet56", "delu", 0.03, 10),
        ("resnet56", "relun", 0.04, 10),
    ],
)
def test_s2_every_recipe_follows_the_released_schedulers(s2, model, activation, lr, warmup):
    training = run_spec(s2, "cifar10", model, activation, 0)["training"]
    assert training["optimizer"]["lr"] == lr
    assert training["optimizer"]["momentum"] == 0.9  # the overrides changed only lr
    assert training["schedule"]["warmup_epochs"] == warmup
    epochs = list(range(training["epochs"]))
    assert learning_rates(training, epochs) == pytest.approx(sequential_lr(training))


def test_s2_normalises_each_dataset_with_its_own_statistics(s2):
    spec = run_spec(s2, "cifar100", "resnet20", "relu", 0)
    assert spec["dataset"]["normalize"]["mean"] == [0.5071, 0.4865, 0.4409]
    assert spec["dataset"]["normalize"]["std"] == [0.2673, 0.2564, 0.2762]


# --- overrides: merged key by key, in order, validated by index -----------------------------


def with_overrides(tiny_config: dict, *entries: dict) -> dict:
    config = copy.deepcopy(tiny_config)
    config["overrides"] = list(entries)
    return config


def test_overrides_merge_key_by_key_in_order_for_their_runs_only(tiny_config):
    config = validate_config(
        with_overrides(
            tiny_config,
            {"activations": ["dsrelu"], "training": {"optimizer": {"lr": 0.02}, "epochs": 3}},
            {"models": ["lenet5"], "activations": ["dsrelu"], "training": {"epochs": 4}},
            {"datasets": ["digits"], "training": {"schedule": {"warmup_epochs": 1}}},
        )
    )
    dsrelu = run_spec(config, "digits", "lenet5", "dsrelu", 0)["training"]
    relu = run_spec(config, "digits", "lenet5", "relu", 0)["training"]
    assert dsrelu["optimizer"] == {**relu["optimizer"], "lr": 0.02}  # only lr changed
    assert dsrelu["epochs"] == 4 and relu["epochs"] == 1  # the later entry wins
    assert dsrelu["schedule"]["warmup_epochs"] == relu["schedule"]["warmup_epochs"] == 1
    assert relu["optimizer"]["lr"] == tiny_config["training"]["optimizer"]["lr"]


def test_an_override_naming_another_optimiser_replaces_the_whole_optimiser(tiny_config):
    config = validate_config(
        with_overrides(tiny_config, {"training": {"optimizer": {"name": "sgd", "lr": 0.1}}})
    )
    optimizer = run_spec(config, "digits", "lenet5", "relu", 0)["training"]["optimizer"]
    assert optimizer == {
        "name": "sgd",
        "lr": 0.1,
        "weight_decay": 0.0,
        "momentum": 0.0,
        "nesterov": False,
    }


@pytest.mark.hostile
@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        (
            [{"activations": ["relu"], "training": {"optimizer": {"lr": -1}}}],
            "config key 'overrides.0.training.optimizer.lr' must be > 0 (got -1)",
        ),
        (
            [{"training": {"epochs": 2}}, {"models": ["lenet5"], "training": {"epoch": 2}}],
            "config key 'overrides.1.training' has the unknown key 'epoch'; allowed keys are ",
        ),
        (
            [{"activations": ["relu"], "training": {"schedule": {"milestones_from": "end"}}}],
            "config key 'overrides.0.training.schedule.milestones_from' must be one of start, "
            "warmup_end (got 'end')",
        ),
        (
            [{"models": ["resnet56"], "training": {"epochs": 2}}],
            "config key 'overrides.0.models' names resnet56, which the study does not define; "
            "allowed: lenet5",
        ),
        (
            [{"activation": ["relu"], "training": {"epochs": 2}}],
            "config key 'overrides.0' has the unknown key 'activation'; allowed keys are ",
        ),
        (
            [{"activations": ["relu"]}],
            "config is missing the key 'training' under 'overrides.0'",
        ),
    ],
)
def test_a_bad_override_is_named_by_its_index(tiny_config, entries, expected):
    with pytest.raises(ConfigError) as error:
        validate_config(with_overrides(tiny_config, *entries))
    assert str(error.value).startswith(expected)


def test_an_override_that_matches_no_run_is_refused(tiny_config):
    config = with_overrides(
        tiny_config, {"activations": ["dsrelu"], "training": {"optimizer": {"lr": 0.02}}}
    )
    config["models"]["lenet5"]["activations"] = ["relu"]
    with pytest.raises(ConfigError, match=r"^config key 'overrides\.0' matches no run"):
        validate_config(config)


def test_milestones_count_from_the_start_or_from_the_end_of_the_warmup():
    schedule = {
        "name": "multistep",
        "milestones": [3],
        "gamma": 0.1,
        "warmup_epochs": 2,
        "warmup_start": 0.1,
        "min_factor": 0.0,
    }
    start = [lr_factor(e, 6, {**schedule, "milestones_from": "start"}) for e in range(6)]
    end = [lr_factor(e, 6, {**schedule, "milestones_from": "warmup_end"}) for e in range(6)]
    assert start == pytest.approx([0.1, 0.55, 1, 0.1, 0.1, 0.1])
    assert end == pytest.approx([0.1, 0.55, 1, 1, 1, 0.1])


# --- S4: cross-entropy of the softmax outputs -----------------------------------------------


def test_softmax_outputs_loss_has_the_floor_s4_reports_and_cross_entropy_does_not():
    logits = torch.full((1, 10), -1e4)
    logits[0, 3] = 1e4  # a perfectly confident, correct prediction
    target = torch.tensor([3])
    variant = build_loss({"name": "softmax_outputs", "label_smoothing": 0.0})
    plain = build_loss({"name": "cross_entropy", "label_smoothing": 0.0})
    assert variant(logits, target).item() == pytest.approx(FLOOR_10, abs=1e-6)
    assert round(FLOOR_10, 4) == 1.4612
    assert plain(logits, target).item() == pytest.approx(0.0, abs=1e-6)
    random = torch.randn(8, 10)
    labels = torch.randint(0, 10, (8,))
    expected = -torch.log_softmax(torch.softmax(random, 1), 1)[torch.arange(8), labels].mean()
    assert variant(random, labels).item() == pytest.approx(expected.item(), rel=1e-6)


def test_the_loss_variant_leaves_probabilities_and_accuracy_those_of_the_softmax_outputs():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(6, 4))
    x = np.random.default_rng(0).normal(size=(40, 1, 6)).astype(np.float32)
    y = np.arange(40) % 4
    data = DeviceData.from_arrays(x, y, torch.device("cpu"), None)
    setup = DeviceSetup(torch.device("cpu"), "fp32", False)
    results = {
        name: evaluate(model, data, build_loss({"name": name, "label_smoothing": 0.0}), setup, 16)
        for name in ("cross_entropy", "softmax_outputs")
    }
    (plain, plain_probs, _), (variant, variant_probs, _) = results.values()
    with torch.no_grad():
        softmax_outputs = torch.softmax(model(torch.from_numpy(x)), 1).numpy()
    np.testing.assert_allclose(variant_probs, softmax_outputs, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(plain_probs, variant_probs)
    assert variant["accuracy"] == plain["accuracy"]
    assert variant["loss"] > math.log(1 + 3 / math.e) and variant["loss"] != plain["loss"]


def test_s4_repeats_its_holdout_and_so_does_its_smoke_variant():
    """Five hold-out splits, so that S4's statistics and claims can decide, in the smoke
    variant as well (S2 and S3 keep the paper's single split)."""
    s4 = load_config(S4)
    assert (s4["evaluation"]["mode"], s4["evaluation"]["repeats"]) == ("holdout", 5)
    assert sorted({run["fold"] for run in run_grid(s4)}) == [0, 1, 2, 3, 4]
    smoke = validate_config(smoke_variant(s4))
    assert smoke["evaluation"]["repeats"] == 5 and smoke["training"]["epochs"] == 1
    assert smoke["timing"] == {"rounds": 2, "steps": 1, "warmup": 1}
    assert len(run_grid(smoke)) == 4 * 5
    for other in ("s2_trainable_cifar10", "s3_eelu_evaluation"):
        assert load_config(REPO / "studies" / f"{other}.yaml")["evaluation"]["repeats"] == 1


def test_s4_trains_with_the_softmax_outputs_loss_and_records_it(digits16, tmp_path):
    s4 = load_config(S4)
    assert s4["training"]["loss"]["name"] == "softmax_outputs"
    assert s4["training"]["optimizer"]["name"] == "adam"
    assert s4["evaluation"]["mode"] == "holdout"
    prepared, folds = digits16
    config = {
        "study": "unit",
        "datasets": {"digits": {"source": "digits", "size": 16}},
        "models": {"lenet5": {"name": "lenet5", "input_size": 16}},
        "activations": {"act": "relu"},
        "evaluation": {"mode": "kfold", "folds": 2},
        "training": {
            "epochs": 1,
            "batch_size": 64,
            "optimizer": {"name": "adam", "lr": 1e-3},
            "loss": {"name": "softmax_outputs"},
        },
    }
    spec = run_spec(validate_config(config), "digits", "lenet5", "act", 0)
    result = train_run(spec, prepared, folds, tmp_path / "run")
    assert result["status"] == "completed"
    row = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert row["val"]["loss"] > FLOOR_10
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["spec"]["training"]["loss"]["name"] == "softmax_outputs"
    assert manifest["faithfulness"]["loss"] == "softmax_outputs"
    assert manifest["faithfulness"]["milestones_from"] == "start"
