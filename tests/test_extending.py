"""Extending without editing the package: plugin files, progress-driven modules, the README's
model and dataset-source examples, and the code a run is said to execute."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from test_training import make_spec
from workflow_helpers import REPO, readme_block

from actstudy import activations, models
from actstudy.data import load_prepared, prepare
from actstudy.plugins import load_plugin
from actstudy.run_code import display_name, run_files
from actstudy.training.loop import train_run

PROGRESS_PLUGIN = '''
from torch import nn

from actstudy.activations import register


@register("{name}")
class Ramp(nn.Module):
    """x·(1 + t): a made-up activation that follows training progress."""

    def __init__(self):
        super().__init__()
        self.t = 0.0

    def set_progress(self, t):
        self.t = t

    def describe(self):
        return {{"kind": "ramp"}}

    def forward(self, x):
        return x * (1.0 + self.t)
'''


def test_a_new_progress_driven_activation_needs_no_change_in_training(
    digits16, tmp_path, monkeypatch
):
    prepared, folds = digits16
    plugin = tmp_path / "ramp.py"
    plugin.write_text(PROGRESS_PLUGIN.format(name="ramp_test"))
    monkeypatch.chdir(tmp_path)
    spec = make_spec({"name": "ramp_test"}, epochs=2, plugins=["ramp.py"])
    assert spec["plugins"] == ["ramp.py"]
    train_run(spec, prepared, folds, tmp_path / "run")
    history = (tmp_path / "run" / "history.csv").read_text().splitlines()
    header = history[0].split(",")
    t = [float(line.split(",")[header.index("progress_t")]) for line in history[1:]]
    steps = math.ceil(len(np.load(folds.parent / "prepared" / "train_y.npy")) / 2 / 64)
    assert t == pytest.approx([(steps - 1) / (2 * steps), (2 * steps - 1) / (2 * steps)], rel=0.1)
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["faithfulness"]["modules"]["Ramp"] == {"kind": "ramp"}
    assert "ramp.py" in manifest["code"]["files"]


def test_the_training_package_names_no_activation():
    names = set(activations.names()) | {"DSReLU", "LReLU", "dsrelu_progress"}
    for path in (REPO / "src/actstudy/training").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        mentioned = [n for n in names if re.search(rf"\b{n}\b", text, flags=re.I)]
        assert not mentioned, f"{path.name} mentions {mentioned}"


def test_a_plugin_is_loaded_once_and_a_broken_one_is_one_sentence(tmp_path):
    plugin = tmp_path / "twice.py"
    plugin.write_text(PROGRESS_PLUGIN.format(name="twice_test"))
    assert load_plugin(plugin) is load_plugin(tmp_path / "." / "twice.py")
    broken = tmp_path / "broken.py"
    broken.write_text("import not_a_module_anywhere\n")
    with pytest.raises(ValueError, match=r"plugin file .*broken\.py failed to import"):
        load_plugin(broken)
    with pytest.raises(FileNotFoundError, match=r"plugin file .*absent\.py does not exist"):
        load_plugin(tmp_path / "absent.py")


def test_the_readme_model_example_builds_and_is_checked(tmp_path):
    plugin = tmp_path / "my_models.py"
    plugin.write_text(readme_block("Adding a model", "python"))
    load_plugin(plugin)
    model = models.create("tiny_mlp", num_classes=3, in_channels=1, act="tanh", input_size=8)
    assert isinstance(model[2], torch.nn.Tanh)
    assert model(torch.rand(2, 1, 8, 8)).shape == (2, 3)
    with pytest.raises(ValueError, match="did you mean width"):
        models.check("tiny_mlp", widht=3)
    assert Path(models.source_file("tiny_mlp")) == plugin.resolve()


def test_the_readme_dataset_source_example_prepares(tmp_path):
    plugin = tmp_path / "my_sources.py"
    plugin.write_text(readme_block("Adding a dataset source", "python"))
    load_plugin(plugin)
    prepare({"source": "my_images", "size": 8}, tmp_path / "out", tmp_path / "resources")
    prepared = load_prepared(tmp_path / "out")
    assert prepared.train.x.shape == (100, 8, 8, 3) and prepared.classes[0] == "0"


def run_code_of(model: str, activation: object) -> set[str]:
    spec = {"model": {"name": model}, "activation": {"spec": activation}}
    return {display_name(path) for path in run_files(spec)}


def test_a_run_executes_the_loop_its_model_and_its_activation_only():
    relu = run_code_of("lenet5", "relu")
    assert {
        "actstudy/training/loop.py",
        "actstudy/training/recipe.py",
        "actstudy/data/prepared.py",
        "actstudy/models/lenet.py",
        "actstudy/activations/standard.py",
        "actstudy/activations/registry.py",
    } <= relu
    assert (
        not {
            "actstudy/activations/piecewise.py",
            "actstudy/activations/eelu.py",
            "actstudy/models/cifar_resnet.py",
            "actstudy/data/sources.py",
            "actstudy/evaluation/statistics.py",
        }
        & relu
    )
    dsrelu = run_code_of("resnet20", {"roles": {"stem": "dsrelu", "block": {"expr": "x"}}})
    assert {
        "actstudy/activations/piecewise.py",
        "actstudy/activations/progress.py",
        "actstudy/activations/expression.py",
        "actstudy/models/cifar_resnet.py",
        "actstudy/models/resnet_blocks.py",
    } <= dsrelu
    assert "actstudy/activations/standard.py" not in dsrelu
