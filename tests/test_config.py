"""Config validation: every mistake ends in one sentence naming the key and the allowed values."""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from workflow_helpers import REPO, snakemake, write_config

from actstudy.errors import ConfigError
from actstudy.schema import allowed, schema, training_schema
from actstudy.study.grid import run_grid, run_spec
from actstudy.study.recipes import training_for
from actstudy.study.validate import load_config, validate_config


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


@pytest.mark.hostile
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


@pytest.mark.hostile
@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"evaluation": {"mode": "holdout", "folds": 3}},
            "config key 'evaluation.folds' applies to mode kfold; remove it or set mode: kfold",
        ),
        (
            {"evaluation": {"mode": "kfold", "test_fraction": 0.2, "test": False}},
            "config key 'evaluation.test_fraction' holds out a test part that evaluation.test: "
            "false never scores; set test: true or test_fraction: 0",
        ),
        (
            {
                "evaluation": {"mode": "kfold", "test": False},
                "statistics": {"metric": "test_accuracy"},
            },
            "config key 'statistics.metric' is test_accuracy, but evaluation.test is false; set "
            "test: true or choose a val_ or train_ metric",
        ),
        (
            {"statistics": {"control": "dsreLU"}},
            "config key 'statistics.control' names 'dsreLU', which the study does not define; "
            "allowed: relu, dsrelu",
        ),
        (
            {"statistics": {"metric": "val_loss"}},
            "config key 'statistics.metric' must be one of val_accuracy, val_f1_macro",
        ),
        (
            {"statistics": {"rope": 0}},
            "config key 'statistics.rope' must be > 0 (got 0)",
        ),
        (
            {
                "jobs": {"pack": "case"},
                "models": {
                    "lenet5": {"name": "lenet5"},
                    "relu_only": {"name": "lenet5", "activations": ["relu"]},
                },
            },
            "config key 'jobs.pack': case needs every model to run the same activations, and "
            "models here list different ones; use pack: folds",
        ),
        (
            {"jobs": {"pack": "case"}, "search": {"dataset": "digits", "model": "lenet5"}},
            "config key 'jobs.pack': case cannot hold the search's best functions, found while "
            "the workflow runs; use pack: folds",
        ),
        (
            {"jobs": {"threads": 0}},
            "config key 'jobs.threads' must be ≥ 1",
        ),
    ],
)
def test_evaluation_and_statistics_mistakes_are_one_sentence(tiny_config, changes, expected):
    config = {**copy.deepcopy(tiny_config), **changes}
    with pytest.raises(ConfigError) as error:
        validate_config(config)
    assert str(error.value).startswith(expected)


def test_case_packing_takes_models_listing_the_same_activations_in_another_order(tiny_config):
    tiny_config["models"] = {
        "lenet5": {"name": "lenet5", "activations": ["relu", "dsrelu"]},
        "reversed": {"name": "lenet5", "activations": ["dsrelu", "relu"]},
    }
    config = validate_config({**tiny_config, "jobs": {"pack": "case"}})
    assert config["jobs"]["pack"] == "case"
    assert {run["model"] for run in run_grid(config)} == {"lenet5", "reversed"}


def test_repeated_kfold_runs_every_fold_of_every_repeat(tiny_config):
    del tiny_config["statistics"]
    config = validate_config(
        {**tiny_config, "evaluation": {"mode": "kfold", "folds": 2, "repeats": 3}}
    )
    folds = sorted({run["fold"] for run in run_grid(config)})
    assert folds == list(range(6))
    # without a statistics section: every pair, on validation accuracy, no Bayesian test
    assert config["statistics"] == {"control": None, "metric": "val_accuracy", "rope": None,
                                    "alpha": 0.05}  # fmt: skip


def test_repeated_holdout_runs_one_fold_per_split(tiny_config):
    evaluation = {"mode": "holdout", "val_fraction": 0.2, "repeats": 4}
    config = validate_config({**tiny_config, "evaluation": evaluation})
    assert sorted({run["fold"] for run in run_grid(config)}) == [0, 1, 2, 3]
    assert len(run_grid(config)) == 2 * 4  # 2 activations × 4 splits
    spec = run_spec(config, "digits", "lenet5", "relu", 3)
    assert spec["evaluation"]["repeats"] == 4 and spec["evaluation"]["fold"] == 3
    single = validate_config({**tiny_config, "evaluation": {"mode": "holdout"}})
    assert [run["fold"] for run in run_grid(single)] == [0, 0]


@pytest.mark.hostile
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


@pytest.mark.hostile
def test_flipping_handwritten_digits_is_refused_with_the_fix(tiny_config):
    config = broken(tiny_config, "training.augmentation", "flip_and_crop")
    with pytest.raises(ConfigError) as error:
        validate_config(copy.deepcopy(config))
    assert str(error.value) == (
        "config key 'datasets.digits': augmentation flip_and_crop mirrors the images, which "
        "turns a digit into another class or none; give the dataset training: "
        "{augmentation: crop} (or none)"
    )
    config["datasets"]["digits"]["training"] = {"augmentation": "crop"}
    assert training_for(validate_config(config), "digits")["augmentation"] == "crop"


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
    monkeypatch.chdir(REPO)  # the studies name their reported files relative to it
    weights = tmp_path / "hub" / "checkpoints" / "resnet50-0676ba61.pth"
    weights.parent.mkdir(parents=True)
    weights.touch()
    for path in [REPO / "config.yaml", *sorted((REPO / "studies").glob("*.yaml"))]:
        load_config(path)


def test_the_s3_study_never_flips_digits_and_runs_the_papers_models_and_functions(monkeypatch):
    monkeypatch.chdir(REPO)
    config = load_config(REPO / "studies" / "s3_eelu_evaluation.yaml")
    assert {"eelu", "eelu_pos", "eelu_sq", "erf_softplus"} <= set(config["activations"])
    assert config["models"]["mobilenet_v1"]["name"] == "mobilenet_v1"
    for dataset, options in config["datasets"].items():
        for model in config["models"]:
            augmentation = training_for(config, dataset, model)["augmentation"]
            if options["source"] in ("mnist", "fashion_mnist"):
                assert "flip" not in augmentation, (dataset, model)
    assert "flip" in training_for(config, "cifar10", "resnet50")["augmentation"]


def test_the_s5_study_offers_both_mitbih_protocols_to_the_1d_model_only(monkeypatch):
    monkeypatch.chdir(REPO)
    config = load_config(REPO / "studies" / "s5_dsrelu.yaml")
    sources = {label: options["source"] for label, options in config["datasets"].items()}
    assert sources["mitbih_kaggle"] == "mitbih_kaggle"
    assert sources["mitdb187"] == "mitdb"
    signals = [label for label, source in sources.items() if source.startswith("mit")]
    assert sorted(config["models"]["resnet34_1d"]["datasets"]) == sorted(signals)
    assert not set(config["models"]["resnet34"]["datasets"]) & set(signals)
    assert config["evaluation"]["grouped"] is True


@pytest.mark.hostile
@pytest.mark.workflow
def test_snakemake_stops_with_the_sentence_before_any_job(tmp_path, tiny_config):
    write_config(tmp_path, broken(tiny_config, "training.epochs", 0))
    result = snakemake(tmp_path, "--dry-run", check=False)
    assert result.returncode != 0
    assert "config key 'training.epochs' must be ≥ 1 (got 0)" in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "results").exists()


@pytest.mark.hostile
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
    config["models"]["lenet5"]["datasets"] = ["digits", "fruits"]  # not 1-D beats
    write_config(tmp_path, config)
    result = snakemake(tmp_path, "--cores", "1", check=False)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.startswith("  dataset '")]
    assert len(lines) == 2
    assert "dataset 'fruits': " in lines[0] and "KAGGLE_USERNAME" in lines[0]
    assert "dataset 'ecg': " in lines[1] and "download is off" in lines[1]
    assert not (tmp_path / "results").exists()


# --- defaults live in the schema; everything a registry can tell fails before any job --------


def schema_defaults() -> dict[str, list]:
    """Every ``default:`` in the schema, by key."""
    found: dict[str, list] = {}

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, sub in (node.get("properties") or {}).items():
                if isinstance(sub, dict) and "default" in sub:
                    found.setdefault(key, []).append(sub["default"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema())
    return found


def literal(value: object) -> str:
    """A regex for a Python literal of a YAML value."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, str):
        return rf"[\"']{re.escape(value)}[\"']"
    if isinstance(value, int | float):
        return r"0(?:\.0)?\b" if value == 0 else re.escape(repr(value)) + r"\b"
    if isinstance(value, list):
        return r"[\[(]\s*" + r"\s*,\s*".join(literal(v) for v in value) + r"\s*[\])]"
    return r"\{\}"


# `register(..., compile=False)` declares an activation's compile choice, not training.compile.
NOT_CONFIG = {("activations/registry.py", "compile")}


def test_no_default_of_the_schema_is_repeated_in_the_package():
    defaults = schema_defaults()
    assert {"pad", "select", "momentum", "warmup_start", "normalize", "folds"} <= set(defaults)
    repeated = []
    for path in sorted((REPO / "src" / "actstudy").rglob("*.py")):
        name = path.relative_to(REPO / "src" / "actstudy").as_posix()
        lines = path.read_text(encoding="utf-8").splitlines()
        for key, values in defaults.items():
            if (name, key) in NOT_CONFIG:
                continue
            for value in values:
                as_key = rf"[\"']{key}[\"']\s*[,:]\s*{literal(value)}"
                as_parameter = rf"\b{key}\s*(?::\s*[^=,)\n]+)?=\s*{literal(value)}"
                repeated += [
                    f"{name}:{number}: {line.strip()}"
                    for number, line in enumerate(lines, 1)
                    if re.search(as_key, line) or re.search(as_parameter, line)
                ]
    assert not repeated, "schema defaults written again in code:\n" + "\n".join(repeated)


def test_validation_fills_every_default_from_the_schema(tiny_config):
    config = validate_config(copy.deepcopy(tiny_config))
    training = config["training"]
    assert training["pad"] == 4 and training["select"] == "val_loss"
    assert training["schedule"] == {
        "name": "none",
        "milestones": [],
        "milestones_from": "start",
        "gamma": 0.1,
        "min_factor": 0.0,
        "warmup_epochs": 0,
        "warmup_start": 0.1,
    }
    assert training["optimizer"] == {
        "name": "adam",
        "lr": 0.001,
        "weight_decay": 0.0,
        "betas": [0.9, 0.999],
        "eps": 1e-8,
    }
    assert config["datasets"]["digits"]["normalize"] == "fold"
    assert config["evaluation"]["test"] is True and config["plugins"] == []
    # an override that replaces the optimiser gets that optimiser's own defaults
    tiny_config["models"]["lenet5"]["training"] = {"optimizer": {"name": "sgd", "lr": 0.1}}
    spec = run_spec(validate_config(tiny_config), "digits", "lenet5", "relu", 0)
    assert spec["training"]["optimizer"] == {
        "name": "sgd",
        "lr": 0.1,
        "weight_decay": 0.0,
        "momentum": 0.0,
        "nesterov": False,
    }


def test_allowed_values_come_from_the_schema_and_the_code_handles_each():
    from actstudy.training.batches import augment
    from actstudy.training.loop import input_normalization
    from actstudy.training.recipe import LOSSES, OPTIMIZERS, lr_factor
    from actstudy.training.selection import BestEpoch

    assert sorted(OPTIMIZERS) == sorted(allowed("training", "optimizer", "name"))
    images = torch.rand(4, 1, 8, 8)
    for kind in allowed("training", "augmentation"):
        if kind != "none":
            assert augment(images, kind, 2, torch.Generator().manual_seed(0)).shape == images.shape
    schedule = schema_defaults_of("schedule")
    for name in allowed("training", "schedule", "name"):
        assert 0 < lr_factor(1, 4, {**schedule, "name": name}) <= 1
    for start in allowed("training", "schedule", "milestones_from"):
        assert 0 < lr_factor(3, 4, {**schedule, "milestones_from": start}) <= 1
    assert sorted(LOSSES) == sorted(allowed("training", "loss", "name"))
    for select in allowed("training", "select"):
        assert BestEpoch(select).consider(1, {"loss": 0.5, "accuracy": 0.9})
    pixels = np.zeros((2, 4, 4, 1), dtype=np.uint8)
    assert allowed("datasets", "*", "normalize") == ["fold", "none"]
    for normalize in allowed("datasets", "*", "normalize"):
        input_normalization(normalize, pixels)


def schema_defaults_of(section: str) -> dict:
    return {
        k: v["default"] for k, v in training_schema()["properties"][section]["properties"].items()
    }


def test_validate_show_prints_the_resolved_config(tmp_path, tiny_config):
    path = write_config(tmp_path, tiny_config)
    result = actstudy("validate", str(path), "--show")
    assert result.returncode == 0, result.stderr
    shown = yaml.safe_load(result.stdout)
    assert shown["training"]["pad"] == 4 and shown["training"]["early_stopping"] is None
    assert shown == validate_config(copy.deepcopy(tiny_config))


def actstudy(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "actstudy", *args], capture_output=True, text=True, cwd=cwd
    )


MISTAKES = [
    (
        "models.lenet5",
        {"name": "lenet5", "input_sise": 32},
        "config key 'models.lenet5': model 'lenet5' takes options input_size; remove "
        "input_sise (did you mean input_size?)",
    ),
    (
        "models.lenet5",
        {"name": "resnet18", "stme": "cifar"},
        "config key 'models.lenet5': model 'resnet18' takes options stem; remove stme "
        "(did you mean stem?)",
    ),
    (
        "datasets.digits",
        {"source": "digits", "sise": 32},
        "config key 'datasets.digits': dataset source 'digits' takes options size; remove sise "
        "(did you mean size?)",
    ),
    (
        "models.lenet5",
        {"name": "resnet50_transfer"},
        "config key 'models.lenet5': no ImageNet ResNet-50 weights at ",
    ),
    (
        "models.lenet5",
        {"name": "resnet50_transfer", "weights": "nowhere/resnet50.pth"},
        "config key 'models.lenet5': ResNet-50 weights file nowhere/resnet50.pth does not exist",
    ),
    (
        "models.lenet5",
        {"name": "lenet5", "input_size": 28},
        "config key 'models.lenet5' with dataset 'digits': model 'lenet5' expects inputs of "
        "size 28 but the dataset is prepared at 32",
    ),
    (
        "datasets.digits",
        {"source": "digits", "size": 8},
        "config key 'models.lenet5' with dataset 'digits': model 'lenet5' needs inputs of at "
        "least 16 but the dataset is prepared at 8",
    ),
    (
        "datasets.digits",
        {"source": "mitdb"},
        "config key 'models.lenet5' with dataset 'digits': model 'lenet5' takes images but the "
        "dataset holds 1-D signals",
    ),
]


@pytest.mark.hostile
@pytest.mark.parametrize(("path", "value", "expected"), MISTAKES)
def test_validate_names_each_mistake_in_one_sentence_and_exits_2(
    tmp_path, tiny_config, monkeypatch, path, value, expected
):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))  # no cached ImageNet weights
    study = write_config(tmp_path, broken(tiny_config, path, value))
    result = subprocess.run(
        [sys.executable, "-m", "actstudy", "validate", str(study)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "TORCH_HOME": str(tmp_path / "torch")},
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"actstudy validate: error: {expected}"), lines[0]
    assert lines[0].count(";") <= 2 and "Traceback" not in result.stderr


@pytest.mark.hostile
def test_every_problem_is_reported_at_once(tiny_config):
    config = broken(tiny_config, "models.lenet5", {"name": "resnet18", "stme": "cifar"})
    config["datasets"]["digits"]["sise"] = 32
    with pytest.raises(ConfigError) as error:
        validate_config(config)
    assert len(str(error.value).splitlines()) == 2


@pytest.mark.hostile
@pytest.mark.workflow
@pytest.mark.parametrize(("path", "value", "expected"), [MISTAKES[1], MISTAKES[3], MISTAKES[5]])
def test_snakemake_reports_the_mistake_before_any_job(
    tmp_path, tiny_config, monkeypatch, path, value, expected
):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    write_config(tmp_path, broken(tiny_config, path, value))
    result = snakemake(tmp_path, "--cores", "1", check=False)
    assert result.returncode != 0
    assert expected in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "results").exists() and not (tmp_path / "resources").exists()
