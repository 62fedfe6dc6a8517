"""The commands and API for people: `actstudy list`, `--version`, every argument's help text,
`actstudy.load_run` and the TensorBoard export."""

from __future__ import annotations

import argparse
import json
import struct
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from tensorboardX.proto.event_pb2 import Event

import actstudy
from actstudy import layout
from actstudy.catalogue import PAPERS
from actstudy.cli import main, parser
from actstudy.data import load_prepared, prepare
from actstudy.evaluation.tensorboard_export import export_tensorboard, tag
from actstudy.study.grid import run_spec
from actstudy.study.validate import validate_config
from actstudy.training.folds import assign_folds, write_folds
from actstudy.training.loop import train_run


def test_list_activations_names_coslu_with_its_options_file_and_paper(capsys):
    assert main(["list", "activations"]) == 0
    out = capsys.readouterr().out
    coslu = next(block for block in out.split("\n\n") if block.startswith("coslu:"))
    assert "options: a=1.0, b=1.0" in coslu
    assert "scope: network" in coslu
    assert "file:    actstudy/activations/builtin/trainable.py" in coslu
    assert "Pishchik (2023)" in coslu
    assert "silu (alias: swish)" in out and "\nswish" not in out


LISTED = """
import json, sys
from actstudy.catalogue import items
print(json.dumps([[item.name, item.source_file] for item in items(sys.argv[1])]))
"""


@pytest.mark.parametrize("kind", ["activations", "models", "sources"])
def test_every_built_in_name_is_listed_with_a_paper(kind):
    """In a fresh interpreter: the built-ins alone (other tests register plugins in theirs)."""
    result = subprocess.run(
        [sys.executable, "-c", LISTED, kind], capture_output=True, text=True, check=True
    )
    listed = json.loads(result.stdout)
    assert listed and all(source.startswith("actstudy/") for _, source in listed)
    assert [name for name, _ in listed if name not in PAPERS] == []


def test_list_shows_required_options_and_plugin_names(tmp_path, capsys):
    plugin = tmp_path / "my_act.py"
    plugin.write_text(
        "from torch import nn\nfrom actstudy.activations import register\n\n"
        '@register("my_scaled")\nclass Scaled(nn.Module):\n'
        '    """x times a factor."""\n\n'
        "    def __init__(self, factor: float) -> None:\n"
        "        super().__init__()\n        self.factor = factor\n"
    )
    assert main(["list", "activations", "--plugins", str(plugin)]) == 0
    out = capsys.readouterr().out
    assert "my_scaled: x times a factor.\n    options: factor=(required)" in out
    assert "file:    my_act.py" in out


def test_version():
    result = subprocess.run(
        [sys.executable, "-m", "actstudy", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"actstudy {actstudy.__version__}"


def _actions(top: argparse.ArgumentParser, name: str = "actstudy"):
    for action in top._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command, sub in action.choices.items():
                yield from _actions(sub, f"{name} {command}")
        else:
            yield name, action


def test_every_argument_has_help_and_no_help_shows_rst():
    missing = [
        f"{name} {action.option_strings or action.dest}"
        for name, action in _actions(parser())
        if not action.help
    ]
    assert missing == []
    assert "``" not in parser().format_help()
    train_help = subprocess.run(
        [sys.executable, "-m", "actstudy", "train", "--help"], capture_output=True, text=True
    ).stdout
    assert "resources/prepared/<source>-<digest>" in train_help
    assert "CPU threads" in train_help


# --- a trained run read back -------------------------------------------------------------


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """One digits run trained in a study folder laid out as Snakemake lays it out, with a
    held-out test part."""
    root = tmp_path_factory.mktemp("study")
    config = validate_config(
        {
            "study": "unit",
            "datasets": {"digits": {"source": "digits", "size": 16}},
            "models": {"lenet5": {"name": "lenet5"}},
            "activations": {"coslu": "coslu"},
            "evaluation": {"mode": "kfold", "folds": 2, "test_fraction": 0.2},
            "training": {"epochs": 2, "batch_size": 64, "optimizer": {"name": "adam", "lr": 1e-3}},
        }
    )
    spec = run_spec(config, "digits", "lenet5", "coslu", 0)
    prepared = root / layout.PREPARED_ROOT / "digits-test"
    prepare({"source": "digits", "size": 16}, prepared, root / "resources")
    folds = root / layout.fill(layout.FOLDS, study="unit", dataset="digits")
    labels = load_prepared(prepared).train.y
    assignment = assign_folds(labels, "kfold", 2, seed=0, repeats=1, test_fraction=0.2)
    write_folds(folds, assignment, mode="kfold")
    run_dir = root / layout.run_dir("unit", "digits", "lenet5", "coslu", 0)
    train_run(spec, prepared, folds, run_dir)
    return root, run_dir


def test_load_run_reproduces_the_runs_test_accuracy(trained_run):
    _, run_dir = trained_run
    run = actstudy.load_run(run_dir)
    x, y = run.test_split()
    assert len(y) == run.metrics["test"]["samples"]
    assert (run.predict(x) == y).mean() == pytest.approx(run.metrics["test"]["accuracy"])
    assert run.classes == [str(digit) for digit in range(10)]
    assert run.transform.mean == run.manifest["normalization"]["mean"]
    inputs = run.transform(x[:5])
    assert inputs.shape == (5, 1, 16, 16)
    expected = (x[:5, ..., 0] / 255.0 - run.transform.mean[0]) / run.transform.std[0]
    assert np.allclose(inputs[:, 0].numpy(), expected, atol=1e-6)
    assert not run.model.training


def test_load_run_refuses_weights_that_differ_from_their_digest(trained_run, tmp_path):
    _, run_dir = trained_run
    best = run_dir / "best.pt"
    kept = best.read_bytes()
    try:
        best.write_bytes(kept[:-8] + b"\0" * 8)
        with pytest.raises(ValueError, match=r"best\.pt is not a checkpoint this workflow wrote"):
            actstudy.load_run(run_dir)
    finally:
        best.write_bytes(kept)
    with pytest.raises(FileNotFoundError, match=r"holds no manifest\.json"):
        actstudy.load_run(tmp_path)


# --- TensorBoard ---------------------------------------------------------------------------


def _scalars(folder) -> dict[str, dict[int, float]]:
    """The scalars of the event files in ``folder`` (TFRecord: length, crc, event, crc)."""
    found: dict[str, dict[int, float]] = {}
    for path in folder.glob("events.out.tfevents.*"):
        data = path.read_bytes()
        at = 0
        while at < len(data):
            (length,) = struct.unpack("<Q", data[at : at + 8])
            event = Event.FromString(data[at + 12 : at + 12 + length])
            at += 12 + length + 4
            for value in event.summary.value:
                found.setdefault(value.tag, {})[event.step] = value.simple_value
    return found


def test_export_tensorboard_writes_every_history_column_by_epoch(trained_run, tmp_path, capsys):
    root, run_dir = trained_run
    study = root / "results" / "unit"
    assert main(["export", "tensorboard", str(study), "--out", str(tmp_path / "tb")]) == 0
    scalars = _scalars(tmp_path / "tb" / "digits" / "lenet5" / "coslu" / "fold0")
    history = pd.read_csv(run_dir / "history.csv")
    measured = history.drop(columns="epoch").dropna(axis="columns", how="all")  # progress_t: NaN
    assert set(scalars) == {tag(column) for column in measured.columns}
    assert {"loss/train", "loss/val", "accuracy/val", "lr"} <= set(scalars)
    for row in history.to_dict("records"):
        assert scalars["loss/val"][row["epoch"]] == pytest.approx(row["val_loss"], rel=1e-6)
    assert export_tensorboard(study, tmp_path / "tb") == 1  # again: replaced, not added to
    assert len(list((tmp_path / "tb").rglob("events.out.tfevents.*"))) == 1
    with pytest.raises(FileNotFoundError, match="holds no trained runs"):
        export_tensorboard(tmp_path)
