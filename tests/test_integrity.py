"""What training reads back is what the project wrote: resume checkpoints are verified by their
digest and loaded as plain data (no code runs), prepared arrays by their manifest's sha256."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from test_training import make_spec

from actstudy.data import load_prepared
from actstudy.provenance import fingerprint
from actstudy.training import loop
from actstudy.training.checkpoint import digest_path
from actstudy.training.loop import RESUME_FILE, train_run

FOLDS_OPTIONS = {"mode": "kfold", "folds": 2, "val_fraction": 0.1, "seed": 0, "grouped": False}


def resumed_from(run_dir: Path) -> int | None:
    return json.loads((run_dir / "manifest.json").read_text())["resumed_from_epoch"]


def write_digest(checkpoint: Path) -> None:
    """A digest file that vouches for ``checkpoint``, as an attacker able to write both would."""
    digest = hashlib.sha256(checkpoint.read_bytes()).hexdigest()
    digest_path(checkpoint).write_text(f"{digest}  {checkpoint.name}\n")


# --- resume checkpoints ----------------------------------------------------------------------


class Planted:
    """Unpickling this runs ``touch <marker>`` (what any command could be)."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch '{self.marker}'",)


def test_the_planted_payload_would_run_if_unpickled_with_code(tmp_path):
    torch.save({"run": Planted(tmp_path / "ran")}, tmp_path / "planted.pt")
    torch.load(tmp_path / "planted.pt", weights_only=False)
    assert (tmp_path / "ran").exists()


@pytest.mark.hostile
@pytest.mark.parametrize("with_digest", [True, False], ids=["with-digest", "without-digest"])
def test_a_planted_pickle_in_last_pt_runs_nothing_and_the_run_starts_over(
    digits16, tmp_path, caplog, with_digest
):
    prepared, folds = digits16
    spec = make_spec(epochs=1)
    run_dir, marker = tmp_path / "run", tmp_path / "ran"
    run_dir.mkdir()
    planted = {"fingerprint": fingerprint(spec), "run": Planted(marker)}
    torch.save(planted, run_dir / RESUME_FILE)
    if with_digest:
        write_digest(run_dir / RESUME_FILE)
    result = train_run(spec, prepared, folds, run_dir)
    assert not marker.exists()
    assert result["status"] == "completed" and resumed_from(run_dir) is None
    assert f"{run_dir / RESUME_FILE} is not a valid checkpoint (" in caplog.text
    assert "; ignoring it and starting over" in caplog.text
    reason = "a reference to posix.system" if with_digest else "no last.pt.sha256 digest"
    assert reason in caplog.text
    assert not (run_dir / RESUME_FILE).exists() and not digest_path(run_dir / RESUME_FILE).exists()


def flip_a_weight_bit(checkpoint: Path) -> None:
    """Flip one bit inside a stored tensor: the file still loads, with a different weight."""
    raw = bytearray(checkpoint.read_bytes())
    weight = torch.load(checkpoint, weights_only=True)["model"]["conv1.weight"]
    at = raw.find(weight.numpy().tobytes())
    assert at > 0
    raw[at] ^= 0x01
    checkpoint.write_bytes(raw)
    assert not torch.equal(
        torch.load(checkpoint, weights_only=True)["model"]["conv1.weight"], weight
    )


def truncate(checkpoint: Path) -> None:
    raw = checkpoint.read_bytes()
    checkpoint.write_bytes(raw[: len(raw) // 2])


@pytest.mark.parametrize(
    ("tamper", "resumed"),
    [
        (None, 1),
        pytest.param(flip_a_weight_bit, None, marks=pytest.mark.hostile, id="flipped-bit"),
        pytest.param(truncate, None, marks=pytest.mark.hostile, id="truncated"),
    ],
)
def test_a_damaged_last_pt_is_reported_and_the_run_starts_over(
    digits16, tmp_path, caplog, monkeypatch, tamper, resumed
):
    prepared, folds = digits16
    spec = make_spec(epochs=2)
    run_dir = tmp_path / "run"
    with monkeypatch.context() as patch:  # a job that died after its first epoch's checkpoint
        patch.setattr(loop, "discard_resume_state", lambda path: None)
        patch.setenv(loop.CHECKPOINT_SECONDS_VARIABLE, "0")  # a checkpoint after every epoch
        train_run(spec, prepared, folds, run_dir)
    checkpoint = run_dir / RESUME_FILE
    assert torch.load(checkpoint, weights_only=True)["run"]["epoch"] == 1
    if tamper is not None:
        tamper(checkpoint)
    caplog.clear()
    result = train_run(spec, prepared, folds, run_dir)
    assert result["status"] == "completed" and resumed_from(run_dir) == resumed
    refused = f"{checkpoint} is not a valid checkpoint ("
    assert (refused in caplog.text) == (tamper is not None)
    if tamper is not None:
        assert "; ignoring it and starting over" in caplog.text
    assert not checkpoint.exists() and not digest_path(checkpoint).exists()


# --- prepared arrays ---------------------------------------------------------------------------


def change_a_byte(file: Path) -> None:
    raw = bytearray(file.read_bytes())
    raw[-1] ^= 0xFF
    file.write_bytes(raw)


def cut_short(file: Path) -> None:
    file.write_bytes(file.read_bytes()[:-10])


def tampered_copy(prepared: Path, where: Path, name: str, tamper) -> Path:
    shutil.copytree(prepared, where)
    tamper(where / name)
    return where


@pytest.mark.hostile
@pytest.mark.parametrize("tamper", [change_a_byte, cut_short], ids=["changed-byte", "truncated"])
def test_a_changed_prepared_array_stops_training_with_the_fix(digits16, tmp_path, tamper):
    prepared, folds = digits16
    copy = tampered_copy(prepared, tmp_path / "prepared", "train_x.npy", tamper)
    with pytest.raises(ValueError) as error:
        train_run(make_spec(epochs=1), copy, folds, tmp_path / "run")
    assert str(error.value).startswith(f"{copy / 'train_x.npy'} differs from its manifest (sha256 ")
    assert str(error.value).endswith(f"; delete {copy} and run again to re-prepare it")
    assert not (tmp_path / "run" / "metrics.json").exists()


@pytest.mark.hostile
def test_a_missing_prepared_array_is_one_sentence_with_the_fix(digits16, tmp_path):
    prepared, _ = digits16
    copy = tampered_copy(prepared, tmp_path / "prepared", "train_y.npy", Path.unlink)
    with pytest.raises(FileNotFoundError, match=r"train_y\.npy is missing .*re-prepare it$"):
        load_prepared(copy)


@pytest.mark.hostile
def test_the_folds_step_refuses_a_changed_prepared_array(digits16, tmp_path):
    prepared, _ = digits16
    copy = tampered_copy(prepared, tmp_path / "prepared", "train_y.npy", change_a_byte)
    out = tmp_path / "folds.json"
    command = [sys.executable, "-m", "actstudy", "folds", "--prepared", str(copy)]
    command += ["--options", json.dumps(FOLDS_OPTIONS), "--out", str(out)]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 1
    [sentence] = result.stderr.strip().splitlines()
    assert sentence.startswith(
        f"actstudy folds: error: {copy / 'train_y.npy'} differs from its manifest (sha256 "
    )
    assert sentence.endswith(f"; delete {copy} and run again to re-prepare it")
    assert not out.exists()


def test_intact_arrays_pass_and_an_unverified_open_skips_the_hash(digits16, tmp_path):
    prepared, _ = digits16
    assert load_prepared(prepared).train.x.shape[1:] == (16, 16, 1)
    copy = tampered_copy(prepared, tmp_path / "prepared", "train_x.npy", change_a_byte)
    assert load_prepared(copy, verify=False).train.x.shape[1:] == (16, 16, 1)
