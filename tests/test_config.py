"""Config validation: every mistake ends in one sentence naming the key and the allowed values."""

from __future__ import annotations

import copy

import pytest
from workflow_helpers import REPO, snakemake, write_config

from actstudy.config import ConfigError, load_config, run_spec, training_for, validate_config


def broken(config: dict, path: str, value: object = None, delete: bool = False) -> dict:
    config = copy.deepcopy(config)
    *parents, last = path.split(".")
    node = config
    for key in parents:
        node = node[key]
    if delete:
        del node[last]
    else:
        node[last] = value
    return config


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (
            "activations.relu",
            "relux",
            "config key 'activations.relu': unknown activation 'relux'; choose one of",
        ),
        (
            "models.lenet5.name",
            "lenet7",
            "config key 'models.lenet5.name' names the unknown model 'lenet7'; allowed: ",
        ),
        (
            "datasets.digits.source",
            "digitz",
            "config key 'datasets.digits.source' names the unknown dataset 'digitz'; allowed: ",
        ),
        ("training.epochs", 0, "config key 'training.epochs' must be ≥ 1 (got 0)"),
        ("training.epochs", -3, "config key 'training.epochs' must be ≥ 1 (got -3)"),
        ("training.batch_size", 0, "config key 'training.batch_size' must be ≥ 1 (got 0)"),
        ("evaluation.folds", 1, "config key 'evaluation.folds' must be ≥ 2 (got 1)"),
        ("evaluation.folds", 0, "config key 'evaluation.folds' must be ≥ 2 (got 0)"),
        (
            "evaluation.mode",
            "bootstrap",
            "config key 'evaluation.mode' must be one of kfold, holdout (got 'bootstrap')",
        ),
        (
            "training.optimizer.name",
            "rmsprop",
            "config key 'training.optimizer.name' must be one of sgd, adam, adamw",
        ),
        (
            "training.epoch",
            5,
            "config key 'training' has the unknown key 'epoch'; allowed keys are ",
        ),
        (
            "training.compile",
            "yes",
            "config key 'training.compile' must be true/false or 'auto' (got 'yes')",
        ),
        (
            "datasets.digits.normalize",
            "zscore",
            "config key 'datasets.digits.normalize' must be 'fold' or 'none' or a mapping with",
        ),
        (
            "activations.relu",
            {"name": "lrelu", "gamma": 1},
            "config key 'activations.relu': activation 'lrelu' takes alpha, beta; remove gamma",
        ),
    ],
)
def test_bad_values_name_the_key_and_the_allowed_values(tiny_config, path, value, expected):
    with pytest.raises(ConfigError) as error:
        validate_config(broken(tiny_config, path, value))
    assert str(error.value).startswith(expected)
    if "allowed:" in expected or "choose one of" in expected:
        assert (
            "relu" in str(error.value)
            or "lenet5" in str(error.value)
            or "digits" in str(error.value)
        )


@pytest.mark.parametrize("path", ["training.epochs", "training", "evaluation.mode", "study"])
def test_a_missing_key_is_named(tiny_config, path):
    with pytest.raises(ConfigError) as error:
        validate_config(broken(tiny_config, path, delete=True))
    message = str(error.value)
    assert message.startswith("config is missing the key")
    assert f"'{path.split('.')[-1]}'" in message


def test_per_dataset_training_overrides_are_validated_and_applied(tiny_config):
    config = broken(tiny_config, "datasets.digits.training", {"batch_size": 32})
    validate_config(config)
    assert training_for(config, "digits")["batch_size"] == 32
    with pytest.raises(ConfigError, match=r"'datasets\.digits\.training\.batch_size' must be ≥ 1"):
        validate_config(broken(tiny_config, "datasets.digits.training", {"batch_size": 0}))


def test_model_overrides_apply_after_dataset_overrides(tiny_config):
    config = broken(tiny_config, "datasets.digits.training", {"batch_size": 32, "epochs": 3})
    config["models"]["lenet5"]["training"] = {"batch_size": 16}
    validate_config(config)
    spec = run_spec(config, "digits", "lenet5", "relu", 0)
    assert spec["training"]["batch_size"] == 16 and spec["training"]["epochs"] == 3
    assert "training" not in spec["model"]
    config["models"]["lenet5"]["training"] = {"batch_size": -1}
    with pytest.raises(ConfigError, match=r"'models\.lenet5\.training\.batch_size' must be ≥ 1"):
        validate_config(config)


def test_a_run_spec_holds_only_its_own_activation(tiny_config):
    spec = run_spec(validate_config(tiny_config), "digits", "lenet5", "dsrelu", 1)
    assert spec["activation"] == {"label": "dsrelu", "spec": {"name": "dsrelu", "variant": "paper"}}
    assert spec["evaluation"]["fold"] == 1
    assert "relu" not in str(spec["activation"]["spec"]).replace("dsrelu", "")


def test_the_shipped_configs_are_valid(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))  # where S1's transfer model finds weights
    weights = tmp_path / "hub" / "checkpoints" / "resnet50-0676ba61.pth"
    weights.parent.mkdir(parents=True)
    weights.touch()
    for path in [REPO / "config.yaml", *sorted((REPO / "studies").glob("*.yaml"))]:
        load_config(path)


@pytest.mark.workflow
def test_snakemake_stops_with_the_sentence_before_any_job(tmp_path, tiny_config):
    write_config(tmp_path, broken(tiny_config, "training.epochs", 0))
    result = snakemake(tmp_path, "--dry-run", check=False)
    assert result.returncode != 0
    assert "config key 'training.epochs' must be ≥ 1 (got 0)" in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "results").exists()


@pytest.mark.workflow
def test_a_study_whose_data_cannot_be_had_stops_with_one_message_per_dataset(
    tmp_path, tiny_config, monkeypatch
):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no ~/.kaggle/kaggle.json
    monkeypatch.delenv("KAGGLE_USERNAME", raising=False)
    monkeypatch.delenv("KAGGLE_KEY", raising=False)
    config = copy.deepcopy(tiny_config)
    config["datasets"]["fruits"] = {"source": "fruits360", "size": 32}
    config["datasets"]["ecg"] = {"source": "mitdb", "download": False}
    write_config(tmp_path, config)
    result = snakemake(tmp_path, "--cores", "1", check=False)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.startswith("  dataset '")]
    assert len(lines) == 2
    assert "dataset 'fruits': " in lines[0] and "KAGGLE_USERNAME" in lines[0]
    assert "dataset 'ecg': " in lines[1] and "download is off" in lines[1]
    assert not (tmp_path / "results").exists()
