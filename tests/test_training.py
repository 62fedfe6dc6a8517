"""The training engine on the CPU: recipe pieces, determinism, resume, divergence, progress."""

from __future__ import annotations

import itertools
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.model_selection import StratifiedKFold, train_test_split

from actstudy.data.prepared import load_prepared
from actstudy.study.grid import run_spec
from actstudy.study.validate import validate_config
from actstudy.training import loop
from actstudy.training.batches import DeviceData, augment
from actstudy.training.folds import (
    HELD_OUT,
    assign_folds,
    fold_indices,
    fold_sizes,
    holdout_seeds,
    write_folds,
)
from actstudy.training.loop import (
    CHECKPOINT_SECONDS_VARIABLE,
    OUTPUTS,
    RESUME_FILE,
    train_run,
    train_runs,
)
from actstudy.training.metrics import classification_metrics, confusion, roc_auc_ovr_macro
from actstudy.training.recipe import lr_factor

TIMING = ["epoch_seconds", "samples_per_second"]
ONE_SPLIT = {"repeats": 1, "test_fraction": 0.0}  # the split once, no test part held out


def make_spec(activation="relu", fold=0, plugins=(), **training) -> dict:
    config = {
        "study": "unit",
        "plugins": list(plugins),
        "datasets": {"digits": {"source": "digits", "size": 16}},
        "models": {"lenet5": {"name": "lenet5"}},
        "activations": {"act": activation},
        "evaluation": {"mode": "kfold", "folds": 2},
        "training": {"epochs": 2, "batch_size": 64, "optimizer": {"name": "adam", "lr": 1e-3}},
    }
    config["training"].update(training)
    return run_spec(validate_config(config), "digits", "lenet5", "act", fold)


def weights(run_dir: Path) -> dict[str, torch.Tensor]:
    return torch.load(run_dir / "best.pt", weights_only=True)["model"]


def history(run_dir: Path) -> pd.DataFrame:
    return pd.read_csv(run_dir / "history.csv").drop(columns=TIMING)


# --- folds, metrics, schedule, augmentation -------------------------------------------------


def test_kfold_assignment_is_stratified_seeded_and_complete():
    labels = np.repeat(np.arange(4), 25)
    first = assign_folds(labels, "kfold", 5, **ONE_SPLIT, seed=3)
    assert first.shape == (1, 100)
    assert (first == assign_folds(labels, "kfold", 5, **ONE_SPLIT, seed=3)).all()
    assert not (first == assign_folds(labels, "kfold", 5, **ONE_SPLIT, seed=4)).all()
    for fold in range(5):
        assert (np.bincount(labels[first[0] == fold]) == 5).all()
    # one repeat is scikit-learn's StratifiedKFold: studies without repeats keep their folds
    splitter = StratifiedKFold(n_splits=5, shuffle=True, random_state=3)
    for fold, (_, val) in enumerate(splitter.split(labels, labels)):
        assert (first[0, val] == fold).all()


def test_repeated_kfold_with_a_held_out_test_part(tmp_path):
    labels = np.repeat(np.arange(4), 25)
    assignment = assign_folds(labels, "kfold", 5, seed=3, repeats=3, test_fraction=0.2)
    assert assignment.shape == (3, 100)
    test = np.flatnonzero(assignment[0] == HELD_OUT)
    assert (np.bincount(labels[test]) == 5).all()  # stratified, 20 %
    assert (assignment[:, test] == HELD_OUT).all()  # the same part in every repeat
    assert not (assignment[0] == assignment[1]).all()  # each repeat shuffles anew
    write_folds(tmp_path / "f.json", assignment, mode="kfold")
    sizes = fold_sizes(tmp_path / "f.json")
    assert list(sizes) == list(range(15)) and set(sizes.values()) == {(64, 16)}
    for repeat in range(3):
        seen = []
        for fold in range(5):
            train, val = fold_indices(tmp_path / "f.json", repeat * 5 + fold)
            assert not set(test) & (set(train) | set(val))  # no fold trains or selects on it
            assert (np.bincount(labels[val]) == 4).all()
            seen += list(val)
        assert sorted(seen) == sorted(set(range(100)) - set(test))
    with pytest.raises(ValueError, match=r"fold 15 does not exist in .*run the 'folds' rule"):
        fold_indices(tmp_path / "f.json", 15)


def test_holdout_keeps_the_fraction_and_kfold_refuses_tiny_classes(tmp_path):
    labels = np.repeat(np.arange(2), 50)
    assignment = assign_folds(labels, "holdout", val_fraction=0.1, **ONE_SPLIT, seed=1)
    write_folds(tmp_path / "f.json", assignment, mode="holdout")
    train, val = fold_indices(tmp_path / "f.json", 0)
    assert len(val) == 10 and len(train) == 90 and set(train).isdisjoint(val)
    (tmp_path / "old.json").write_text(json.dumps({"assignment": assignment[0].tolist()}))
    with pytest.raises(ValueError, match=r"old.json is not a fold file of format actstudy-folds/2"):
        fold_indices(tmp_path / "old.json", 0)
    with pytest.raises(ValueError, match=r"at least 5 samples per class.*lower evaluation\.folds"):
        assign_folds(np.array([0, 0, 0, 1, 1, 1, 1, 1]), "kfold", 5, **ONE_SPLIT, seed=0)


def test_repeated_holdout_draws_each_split_with_its_own_seed(tmp_path):
    """Repeat i is the single hold-out split of seed + i; the test part is shared."""
    labels = np.repeat(np.arange(4), 25)
    assignment = assign_folds(
        labels, "holdout", val_fraction=0.2, seed=7, repeats=3, test_fraction=0.2
    )
    test = np.flatnonzero(assignment[0] == HELD_OUT)
    assert (assignment[:, test] == HELD_OUT).all()  # the same test part in every repeat
    assert holdout_seeds(7, 3) == [7, 8, 9] and holdout_seeds(2**32 - 1, 2) == [2**32 - 1, 0]
    for repeat, split_seed in enumerate(holdout_seeds(7, 3)):
        alone = assign_folds(
            labels, "holdout", val_fraction=0.2, seed=7, repeats=1, test_fraction=0.2
        )[0]
        if repeat == 0:  # repeat 0 is the split a study without repeats draws
            assert (assignment[0] == alone).all()
        pool = np.setdiff1d(np.arange(100), test)
        _, expected = train_test_split(
            pool, test_size=0.2, random_state=split_seed, stratify=labels[pool]
        )
        assert set(np.flatnonzero(assignment[repeat] == 0)) == set(expected)
    assert len({tuple(np.flatnonzero(row == 0)) for row in assignment}) == 3  # three splits
    write_folds(tmp_path / "f.json", assignment, mode="holdout")
    assert fold_sizes(tmp_path / "f.json") == {0: (64, 16), 1: (64, 16), 2: (64, 16)}
    for fold in range(3):
        train, val = fold_indices(tmp_path / "f.json", fold)
        assert (np.bincount(labels[val]) == 4).all() and not set(test) & set(train)
        assert set(val) == set(np.flatnonzero(assignment[fold] == 0))
    with pytest.raises(ValueError, match=r"fold 3 does not exist"):
        fold_indices(tmp_path / "f.json", 3)


def test_roc_auc_averages_over_the_classes_present():
    labels = np.array([0, 0, 1, 1])
    probs = np.array([[0.9, 0.1, 0.0], [0.8, 0.2, 0.0], [0.3, 0.7, 0.0], [0.1, 0.9, 0.0]])
    assert roc_auc_ovr_macro(labels, probs) == 1.0
    metrics = classification_metrics(labels, probs, loss=0.5)
    assert metrics["accuracy"] == 1.0 and metrics["f1_weighted"] == 1.0
    assert metrics["f1_macro"] == 1.0  # class 2 is absent from the labels: not counted as 0
    assert math.isnan(roc_auc_ovr_macro(np.array([1, 1]), probs[:2]))


@pytest.mark.parametrize("seed", range(5))
def test_the_metrics_agree_with_scikit_learn(seed):
    """Ties in the scores, a class never predicted, one absent from the labels."""
    from sklearn.metrics import confusion_matrix, f1_score, roc_auc_score

    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 5, 300)  # classes 0..4 of 6: class 5 absent
    logits = rng.normal(size=(300, 6)).round(1)  # rounded: many tied scores
    logits[np.arange(300), labels] += rng.uniform(0, 2)
    logits[:, 3] -= 10  # class 3 is never predicted
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    metrics = classification_metrics(labels, probs, loss=1.0)
    predicted = probs.argmax(axis=1)
    present = np.unique(labels)
    for average in ("macro", "weighted"):
        expected = f1_score(labels, predicted, labels=present, average=average, zero_division=0)
        assert metrics[f"f1_{average}"] == pytest.approx(expected)
    assert metrics["accuracy"] == pytest.approx(np.mean(predicted == labels))
    auc = np.mean([roc_auc_score(labels == c, probs[:, c]) for c in present])
    assert metrics["roc_auc"] == pytest.approx(auc)
    assert confusion(labels, probs) == confusion_matrix(labels, predicted, labels=range(6)).tolist()


def schedule_of(**given) -> dict:
    """``training.schedule`` as a validated config holds it (the schema's defaults filled in)."""
    return make_spec(schedule=given)["training"]["schedule"]


def test_warmup_then_multistep_and_cosine_factors():
    schedule = schedule_of(name="multistep", milestones=[4, 6], warmup_epochs=2)
    factors = [lr_factor(e, 8, schedule) for e in range(8)]
    assert factors == pytest.approx([0.1, 0.55, 1, 1, 0.1, 0.1, 0.01, 0.01])
    cosine = [lr_factor(e, 5, schedule_of(name="cosine")) for e in range(5)]
    assert cosine[0] == 1.0 and cosine[-1] == pytest.approx(0.0) and cosine[2] == pytest.approx(0.5)


def test_augmentations_keep_shape_are_seeded_and_do_what_they_say():
    x = torch.arange(2 * 3 * 8 * 8, dtype=torch.float32).view(2, 3, 8, 8)
    for kind in ("flip", "crop", "flip_and_crop", "flip_or_crop"):
        a = augment(x, kind, 2, torch.Generator().manual_seed(0))
        b = augment(x, kind, 2, torch.Generator().manual_seed(0))
        assert a.shape == x.shape and torch.equal(a, b)
    assert torch.equal(augment(x, "crop", 0, torch.Generator().manual_seed(0)), x)
    flipped = augment(x, "flip", 0, torch.Generator().manual_seed(0))
    for i in range(2):
        assert torch.equal(flipped[i], x[i]) or torch.equal(flipped[i], x[i].flip(-1))
    many = torch.ones(64, 1, 4, 4)
    cropped = augment(many, "crop", 2, torch.Generator().manual_seed(0))
    assert (cropped == 0).any() and (cropped == 1).any()  # zero padding shows at random offsets


def test_device_batches_normalise_uint8_images_per_channel():
    x = np.full((4, 2, 2, 3), 255, dtype=np.uint8)
    data = DeviceData.from_arrays(x, np.arange(4), torch.device("cpu"), ([0.5] * 3, [0.25] * 3))
    batch, labels = next(data.batches(4))
    assert batch.shape == (4, 3, 2, 2) and torch.allclose(batch, torch.full_like(batch, 2.0))
    assert labels.tolist() == [0, 1, 2, 3]


# --- whole runs ---------------------------------------------------------------------------------


def test_the_same_seed_gives_identical_histories_and_weights(digits16, tmp_path):
    prepared, folds = digits16
    spec = make_spec(augmentation="crop")  # random offsets: seeded too (digits are not flipped)
    train_run(spec, prepared, folds, tmp_path / "a")
    train_run(spec, prepared, folds, tmp_path / "b")
    pd.testing.assert_frame_equal(history(tmp_path / "a"), history(tmp_path / "b"))
    for name, tensor in weights(tmp_path / "a").items():
        assert torch.equal(tensor, weights(tmp_path / "b")[name]), name
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert manifest["seeds"]["model_init"] == 0 and len(manifest["seeds"]["epoch_shuffle"]) == 2
    train_run(make_spec(seed=1), prepared, folds, tmp_path / "c")
    assert not history(tmp_path / "a").equals(history(tmp_path / "c"))


def test_diagnostic_sites_are_named_by_the_models_roles(digits16, tmp_path):
    """LeNet-5's three activations are its roles conv1, conv2 and fc, as the study file names
    them (S4's Tanh-ReLU gives each role its own function)."""
    prepared, folds = digits16
    spec = make_spec({"roles": {"conv1": "relu", "conv2": "tanh", "fc": "relu"}}, epochs=1)
    train_run(spec, prepared, folds, tmp_path / "run")
    table = pd.read_csv(tmp_path / "run" / "diagnostics.csv")
    assert list(table[table["quantity"] == "dead_fraction"]["site"]) == ["conv1", "conv2", "fc"]


def test_the_activation_diagnostics_leave_training_bit_identical(digits16, tmp_path, monkeypatch):
    """CoSLU (one shared trainable module, called at every activation of LeNet-5): its
    parameters per epoch, every site per call; the same weights and history without the probe."""
    prepared, folds = digits16
    spec = make_spec("coslu", epochs=2)
    train_run(spec, prepared, folds, tmp_path / "probed")
    table = pd.read_csv(tmp_path / "probed" / "diagnostics.csv")
    params = table[table["quantity"].str.startswith("param_")]
    assert sorted(set(params["quantity"])) == ["param_a", "param_b"]
    assert params.groupby("epoch").size().to_dict() == {1: 2, 2: 2}
    first, second = (params[params["epoch"] == e].set_index("quantity")["value"] for e in (1, 2))
    assert not first.equals(second)  # trained: the values moved between epochs
    sites = table[table["quantity"] == "dead_fraction"]
    assert list(sites["site"]) == ["act1@1", "act1@2", "act1@3"] * 2  # 3 calls an epoch
    assert set(table["quantity"]) >= {"saturated_fraction", "preact_std", "grad_norm"}
    assert table["value"].notna().all()

    monkeypatch.setattr(loop.Probe, "measure", lambda probe, epoch: [])
    train_run(spec, prepared, folds, tmp_path / "unprobed")
    pd.testing.assert_frame_equal(history(tmp_path / "probed"), history(tmp_path / "unprobed"))
    for name, tensor in weights(tmp_path / "unprobed").items():
        assert torch.equal(tensor, weights(tmp_path / "probed")[name]), name


def train_command(
    tmp_path: Path, digits: tuple[Path, Path], runs: list[tuple[dict, Path]]
) -> list[str]:
    """``actstudy train`` of ``(spec, run folder)`` pairs, as a train job runs it."""
    prepared, folds = digits
    specs = []
    for index, (spec, _) in enumerate(runs):
        specs.append(tmp_path / f"spec{index}.json")
        specs[-1].write_text(json.dumps(spec))
    return [
        sys.executable,
        "-m",
        "actstudy",
        "train",
        "--spec",
        *map(str, specs),
        "--prepared",
        str(prepared),
        "--folds",
        str(folds),
        "--out",
        *(str(out) for _, out in runs),
        "--threads",  # the same as the reference run in the test's process: sums in one order
        "1",
    ]


def kill_when_saved(command: list[str], resume: Path, epoch: int) -> int:
    """Start ``command``, kill it once ``resume`` holds a running state after ``epoch`` or a
    later epoch (a loaded machine may let the poll miss one), and return the epoch it holds."""
    every_epoch = {**os.environ, CHECKPOINT_SECONDS_VARIABLE: "0"}
    process = subprocess.Popen(command, stderr=subprocess.DEVNULL, env=every_epoch)
    deadline = time.time() + 120
    while time.time() < deadline and process.poll() is None:
        if resume.exists():
            state = torch.load(resume, weights_only=True)["run"]
            if state["epoch"] >= epoch and state["status"] == "running":
                os.kill(process.pid, signal.SIGKILL)
                break
        time.sleep(0.01)
    process.wait()
    assert process.returncode == -signal.SIGKILL, f"the job was not killed after epoch {epoch}"
    return torch.load(resume, weights_only=True)["run"]["epoch"]


def assert_same_run(a: Path, b: Path) -> None:
    pd.testing.assert_frame_equal(history(a), history(b))
    diagnostics = [pd.read_csv(run / "diagnostics.csv") for run in (a, b)]
    pd.testing.assert_frame_equal(*diagnostics)  # a resumed run keeps its earlier epochs' rows
    for name, tensor in weights(b).items():
        assert torch.equal(tensor, weights(a)[name]), name
    assert json.loads((a / "metrics.json").read_text()) == json.loads(
        (b / "metrics.json").read_text()
    )


def test_a_job_killed_in_epoch_3_of_4_resumes_to_the_same_result(digits16, tmp_path):
    prepared, folds = digits16
    spec = make_spec(epochs=4, batch_size=8)
    train_run(spec, prepared, folds, tmp_path / "whole", threads=1)

    killed = tmp_path / "killed"
    command = train_command(tmp_path, digits16, [(spec, killed)])
    saved = kill_when_saved(command, killed / RESUME_FILE, 2)
    assert saved in (2, 3)
    assert not (killed / "metrics.json").exists()

    subprocess.run(command, check=True, stderr=subprocess.DEVNULL)
    assert json.loads((killed / "manifest.json").read_text())["resumed_from_epoch"] == saved
    assert not (killed / RESUME_FILE).exists()
    assert_same_run(killed, tmp_path / "whole")


def test_short_epochs_are_not_followed_by_a_checkpoint_each(digits16, tmp_path, monkeypatch):
    """By default the resume state is saved only once 30 s passed since the last save."""
    prepared, folds = digits16
    monkeypatch.setattr(loop, "discard_resume_state", lambda path: None)
    for seconds, saved in ((None, False), ("0", True)):
        if seconds is None:
            monkeypatch.delenv(CHECKPOINT_SECONDS_VARIABLE, raising=False)
        else:
            monkeypatch.setenv(CHECKPOINT_SECONDS_VARIABLE, seconds)
        train_run(make_spec(epochs=2), prepared, folds, tmp_path / str(seconds))
        assert (tmp_path / str(seconds) / RESUME_FILE).exists() == saved


@pytest.mark.hostile
@pytest.mark.parametrize("seconds", ["nan", "-1", "soon", "inf"])
def test_a_bad_checkpoint_interval_names_its_variable(digits16, tmp_path, monkeypatch, seconds):
    prepared, folds = digits16
    monkeypatch.setenv(CHECKPOINT_SECONDS_VARIABLE, seconds)
    with pytest.raises(ValueError) as refused:
        train_run(make_spec(epochs=1), prepared, folds, tmp_path / "run")
    assert str(refused.value) == (
        f"the environment variable {CHECKPOINT_SECONDS_VARIABLE} must be a number of at least "
        f"0, not {seconds!r}; fix or unset it"
    )
    assert not (tmp_path / "run" / "metrics.json").exists()


def test_a_job_of_several_runs_killed_in_its_second_keeps_its_first(digits16, tmp_path):
    """jobs.pack: folds: fold 0 finished, then the job was killed in fold 1; Snakemake deletes
    the incomplete job's outputs, and the job started again does not train fold 0 again."""
    prepared, folds = digits16
    specs = [make_spec(fold=fold, epochs=4, batch_size=8) for fold in (0, 1)]
    whole = [tmp_path / "whole" / f"fold{fold}" for fold in (0, 1)]
    train_runs(list(zip(specs, whole, strict=True)), prepared, folds, threads=1)
    assert not any((out / RESUME_FILE).exists() for out in whole)

    job = [tmp_path / "job" / f"fold{fold}" for fold in (0, 1)]
    command = train_command(tmp_path, digits16, list(zip(specs, job, strict=True)))
    saved = kill_when_saved(command, job[1] / RESUME_FILE, 1)
    assert (job[0] / "metrics.json").exists() and (job[0] / RESUME_FILE).exists()
    for name in OUTPUTS:  # as Snakemake does before running an incomplete job again
        (job[0] / name).unlink()

    subprocess.run(command, check=True, stderr=subprocess.DEVNULL)
    resumed = [json.loads((out / "manifest.json").read_text())["resumed_from_epoch"] for out in job]
    assert resumed == [4, saved]  # fold 0 only written from its final state, fold 1 resumed
    for mine, reference in zip(job, whole, strict=True):
        assert not (mine / RESUME_FILE).exists()
        assert_same_run(mine, reference)


def test_a_resume_checkpoint_of_another_configuration_is_not_used(digits16, tmp_path):
    prepared, folds = digits16
    train_run(make_spec(epochs=1), prepared, folds, tmp_path / "a")
    (tmp_path / "a" / RESUME_FILE).write_bytes(b"not a checkpoint")
    result = train_run(make_spec(epochs=1), prepared, folds, tmp_path / "a")
    assert result["status"] == "completed"
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert manifest["resumed_from_epoch"] is None


def test_a_blow_up_ends_the_run_as_diverged_without_failing(digits16, tmp_path):
    prepared, folds = digits16
    spec = make_spec({"expr": "exp(x)"}, epochs=3, optimizer={"name": "sgd", "lr": 1e6})
    result = train_run(spec, prepared, folds, tmp_path / "run")
    assert result["status"] == "diverged"
    assert result["diverged_epoch"] == 1
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["status"] == "diverged" and (tmp_path / "run" / "best.pt").exists()
    assert len(pd.read_csv(tmp_path / "run" / "history.csv")) == 1


def test_early_stopping_stops_after_patience_and_restores_the_best_weights(digits16, tmp_path):
    prepared, folds = digits16
    # min_delta is so large that no epoch after the first counts as an improvement
    spec = make_spec(epochs=6, early_stopping={"patience": 2, "min_delta": 100.0})
    result = train_run(spec, prepared, folds, tmp_path / "run")
    frame = pd.read_csv(tmp_path / "run" / "history.csv")
    assert result["status"] == "early_stopped" and result["epochs_run"] == 3 and len(frame) == 3
    assert result["best_epoch"] == int(frame.loc[frame["val_loss"].idxmin(), "epoch"])
    assert result["val"]["loss"] == pytest.approx(frame["val_loss"].min(), rel=1e-5)


def test_bf16_autocast_runs_on_the_cpu(digits16, tmp_path):
    prepared, folds = digits16
    result = train_run(make_spec(epochs=1, precision="bf16"), prepared, folds, tmp_path / "run")
    assert result["status"] == "completed" and result["val"]["accuracy"] > 0.1
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["device"]["precision"] == "bf16"


def test_dsrelu_progress_follows_the_paper_or_the_released_code(digits16, tmp_path):
    prepared, folds = digits16
    spec = make_spec({"name": "dsrelu"}, epochs=3)
    train_run(spec, prepared, folds, tmp_path / "paper")
    steps = math.ceil(len(fold_indices(folds, 0)[0]) / 64)
    t = pd.read_csv(tmp_path / "paper" / "history.csv")["progress_t"].tolist()
    # t is set before each step: the last step of epoch e has done (e+1)·steps − 1 steps
    assert t == pytest.approx([((e + 1) * steps - 1) / (3 * steps) for e in range(3)])

    train_run(
        make_spec({"name": "dsrelu", "progress": "code"}, epochs=3),
        prepared,
        folds,
        tmp_path / "code",
    )
    t = pd.read_csv(tmp_path / "code" / "history.csv")["progress_t"].tolist()
    assert t == pytest.approx([0.0, 1 / steps, 2 / steps])
    manifest = json.loads((tmp_path / "code" / "manifest.json").read_text())
    assert manifest["faithfulness"]["modules"]["DSReLU"]["progress"] == "code"


def test_a_model_size_that_differs_from_the_data_is_one_clear_error(digits16, tmp_path):
    prepared, folds = digits16
    spec = make_spec(epochs=1)
    spec["model"]["input_size"] = 32
    with pytest.raises(
        ValueError,
        match="expects inputs of size 32 but the dataset is prepared at 16; make them equal",
    ):
        train_run(spec, prepared, folds, tmp_path / "run")


def test_grouped_folds_keep_every_group_on_one_side():
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(12), 20)
    labels = rng.integers(0, 3, len(groups))
    assignment = assign_folds(labels, "kfold", 4, **ONE_SPLIT, seed=0, groups=groups)
    for group in range(12):
        assert len(set(assignment[0, groups == group])) == 1
    assert sorted(set(assignment[0])) == [0, 1, 2, 3]
    holdout = assign_folds(
        labels, "holdout", val_fraction=0.25, seed=0, groups=groups, repeats=1, test_fraction=0.2
    )[0]
    assert sorted(set(holdout)) == [HELD_OUT, -1, 0]
    parts = [set(groups[holdout == value]) for value in (HELD_OUT, -1, 0)]
    assert all(not a & b for a, b in itertools.combinations(parts, 2))  # no patient in two
    with pytest.raises(ValueError, match=r"needs at least 20 groups but the data has 12"):
        assign_folds(labels, "kfold", 20, **ONE_SPLIT, seed=0, groups=groups)


def test_dsrelu_best_weights_are_evaluated_at_the_progress_they_were_trained_to(digits16, tmp_path):
    prepared, folds = digits16
    spec = make_spec({"name": "dsrelu"}, epochs=4, optimizer={"name": "adam", "lr": 0.02})
    result = train_run(spec, prepared, folds, tmp_path / "run")
    frame = pd.read_csv(tmp_path / "run" / "history.csv").set_index("epoch")
    best = frame.loc[result["best_epoch"]]
    assert result["val"]["loss"] == pytest.approx(best["val_loss"], rel=1e-5)
    assert result["val"]["accuracy"] == pytest.approx(best["val_accuracy"])
    saved = torch.load(tmp_path / "run" / "best.pt", weights_only=True)["model"]
    assert saved["act1._extra_state"]["t"] == pytest.approx(best["progress_t"])
    # the t of the kept weights is in metrics.json, read from the history's progress_t
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["progress_t_at_best"] == pytest.approx(best["progress_t"])
    assert 0 < metrics["progress_t_at_best"] < 1
    described = json.loads((tmp_path / "run" / "manifest.json").read_text())["faithfulness"]
    assert described["modules"]["DSReLU"]["progress_definition"].startswith("planned epochs")


def test_a_model_without_progress_driven_modules_records_no_progress_t(digits16, tmp_path):
    prepared, folds = digits16
    result = train_run(make_spec(epochs=1), prepared, folds, tmp_path / "run")
    assert result["best_epoch"] == 1 and "progress_t_at_best" not in result


def test_a_held_out_test_part_is_scored_and_its_predictions_saved(digits16, tmp_path):
    prepared, _ = digits16
    labels = load_prepared(prepared).train.y
    folds = tmp_path / "folds.json"
    assignment = assign_folds(labels, "kfold", 2, seed=0, repeats=1, test_fraction=0.2)
    write_folds(folds, assignment, mode="kfold")
    held_out = np.flatnonzero(assignment[0] == HELD_OUT)
    run = tmp_path / "run"
    result = train_run(make_spec(epochs=1), prepared, folds, run)
    saved = pd.read_csv(run / "test_predictions.csv", index_col="sample")
    assert len(saved) == len(held_out) == result["test"]["samples"]
    assert (saved["label"].to_numpy() == labels[held_out]).all()
    assert result["test"]["accuracy"] == pytest.approx(
        (saved["label"] == saved["predicted"]).mean()
    )
    metrics = json.loads((run / "metrics.json").read_text())
    assert "test_predictions" not in metrics and metrics["test"]["samples"] == len(held_out)
    # run again without scoring the test part: the earlier predictions do not stay behind
    spec = make_spec(epochs=1)
    spec["evaluation"]["test"] = False
    assert "test" not in train_run(spec, prepared, folds, run)
    assert not (run / "test_predictions.csv").exists()


@pytest.mark.parametrize(
    "activation",
    [
        {"expr": "-x*erf(exp(-x))"},
        {"name": "coslu"},
        {"roles": {"conv1": "relu", "conv2": "tanh", "fc": "relu"}},
    ],
)
def test_expressions_trainable_and_combined_activations_train(digits16, tmp_path, activation):
    prepared, folds = digits16
    spec = make_spec(activation, epochs=2, optimizer={"name": "adam", "lr": 0.005})
    result = train_run(spec, prepared, folds, tmp_path / "run")
    assert result["status"] == "completed"
    assert result["val"]["accuracy"] > 0.3  # ten classes: chance is 0.1


def test_select_last_reports_the_final_epoch_and_saves_its_weights(digits16, tmp_path):
    prepared, folds = digits16
    spec = make_spec(epochs=3, select="last", optimizer={"name": "sgd", "lr": 0.5})
    result = train_run(spec, prepared, folds, tmp_path / "last")
    val_losses = pd.read_csv(tmp_path / "last" / "history.csv")["val_loss"].tolist()
    assert len(set(val_losses)) == 3  # each epoch's weights score differently
    assert result["select"] == "last" and result["best_epoch"] == result["epochs_run"] == 3
    # metrics.json scores the weights saved in best.pt: those of epoch 3, whichever was best
    assert result["val"]["loss"] == pytest.approx(val_losses[-1], rel=1e-5)
    assert torch.load(tmp_path / "last" / "best.pt", weights_only=True)["best_epoch"] == 3
    # best.pt itself scores epoch 3's validation loss
    from actstudy.models import create
    from actstudy.training.loop import input_normalization

    data = load_prepared(prepared)
    train_idx, val_idx = fold_indices(folds, 0)
    stats, _ = input_normalization("fold", data.train.x[train_idx])
    val = DeviceData.from_arrays(
        data.train.x[val_idx], data.train.y[val_idx], torch.device("cpu"), stats
    )
    model = create("lenet5", num_classes=len(data.classes), in_channels=1, input_size=16)
    model.load_state_dict(weights(tmp_path / "last"))
    model.eval()
    with torch.no_grad():
        logits = torch.cat([model(x) for x, _ in val.batches(64)])
    loss = torch.nn.functional.cross_entropy(logits, val.y).item()
    assert loss == pytest.approx(val_losses[-1], rel=1e-4)
    assert all(loss != pytest.approx(v, rel=1e-4) for v in val_losses[:-1])


def test_a_model_that_declares_its_normalisation_gets_it_whatever_the_dataset_says(
    digits16, tmp_path, monkeypatch
):
    import dataclasses

    from actstudy.models import registry
    from actstudy.training.loop import input_normalization

    pixels = np.full((2, 4, 4, 3), 255, dtype=np.uint8)
    imagenet = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    for dataset in ("fold", "none", {"mean": [0.5] * 3, "std": [0.5] * 3}):
        stats, record = input_normalization(dataset, pixels, "resnet50_transfer")
        assert stats == imagenet
        assert record == {"by": "model resnet50_transfer", "mean": imagenet[0], "std": imagenet[1]}
    assert input_normalization("fold", pixels, "lenet5")[1] == {
        "by": "fold",
        "mean": [1.0] * 3,
        "std": [1e-8] * 3,
    }
    assert input_normalization("none", pixels, "lenet5") == (None, None)

    prepared, folds = digits16
    train_run(make_spec(epochs=1), prepared, folds, tmp_path / "fold")
    manifest = json.loads((tmp_path / "fold" / "manifest.json").read_text())
    assert manifest["normalization"]["by"] == "fold"
    declared = ([0.25], [0.5])
    entry = registry._MODELS.get("lenet5")
    entry = dataclasses.replace(entry, extras=dataclasses.replace(entry.extras, normalize=declared))
    monkeypatch.setitem(registry._MODELS._entries, "lenet5", entry)
    train_run(make_spec(epochs=1), prepared, folds, tmp_path / "model")
    manifest = json.loads((tmp_path / "model" / "manifest.json").read_text())
    assert manifest["normalization"] == {"by": "model lenet5", "mean": [0.25], "std": [0.5]}
    assert not history(tmp_path / "fold").equals(history(tmp_path / "model"))
