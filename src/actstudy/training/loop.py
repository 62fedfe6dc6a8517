"""One training run: a (dataset, model, activation, fold) with its recipe, start to finish.

Split as torchvision's reference ``train.py``: :func:`train_one_epoch` trains one epoch and
returns its row, :func:`evaluate` scores a split, :func:`write_outputs` writes the run folder;
:func:`train_run` ties them together with :class:`~actstudy.training.selection.BestEpoch`,
:class:`~actstudy.training.selection.EarlyStopping` and the progress hooks of the model's
modules (:mod:`actstudy.activations.progress`), whatever their type.

Writes, into the run folder: ``history.csv`` (one row per epoch), ``diagnostics.csv`` (what each
activation did on a fixed probe batch after each epoch, :mod:`actstudy.training.diagnostics`),
``metrics.json`` (status, best epoch, validation and test metrics at the best epoch, confusion
matrices, and ``progress_t_at_best``, the history's ``progress_t`` of the best epoch, where the
model has progress-driven modules), ``best.pt`` (the best weights), ``test_predictions.csv`` (each
test sample's label and predicted class, where a test split, official or held out by the fold
file, was scored) and ``manifest.json`` (the run spec, seeds, device, versions, git commit, the
code it ran). While it runs, ``last.pt`` holds the state after a recent epoch (saved at most
every ``ACTSTUDY_CHECKPOINT_SECONDS``, default 30; plain values and tensors, its sha256 in
``last.pt.sha256``); a run started again resumes from it if it is intact and belongs to the same
spec and code.
The prepared arrays are checked against their manifest's sha256 before training.

:func:`train_runs` trains the runs of one training job (one run, or several of one dataset
under ``jobs.pack: folds`` or ``case``) in one process, paying the fixed start-up (importing
torch, loading and checking the arrays) once; each finished run keeps its final state in
``last.pt`` until all have finished, so a job killed part-way does not train its finished runs
again.
"""

from __future__ import annotations

import copy
import logging
import math
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from actstudy.activations import recommended_compile
from actstudy.activations.progress import (
    TrainingProgress,
    describe_modules,
    drive,
    progress_modules,
)
from actstudy.activations.registry import factory, scope_of
from actstudy.data.prepared import Prepared, load_prepared
from actstudy.environment import environment_number
from actstudy.io import write_json, write_text
from actstudy.models.registry import create as create_model
from actstudy.models.registry import normalization as model_normalization
from actstudy.models.registry import options_for_input
from actstudy.plugins import load_plugins
from actstudy.provenance import environment, fingerprint
from actstudy.run_code import digest, display_name, run_files
from actstudy.training import run_cache
from actstudy.training.batches import DeviceData, channel_stats
from actstudy.training.checkpoint import (
    discard_resume_state,
    load_resume_state,
    save_resume_state,
    save_verified,
)
from actstudy.training.device import DeviceSetup, setup_device
from actstudy.training.diagnostics import COLUMNS as DIAGNOSTICS_COLUMNS
from actstudy.training.diagnostics import Probe, probe_size, recording
from actstudy.training.folds import fold_indices, with_held_out_test
from actstudy.training.metrics import classification_metrics, confusion
from actstudy.training.predictions import save_predictions
from actstudy.training.recipe import build_loss, build_optimizer, lr_factor
from actstudy.training.run_lock import run_locks
from actstudy.training.selection import BestEpoch, EarlyStopping, StopBelow

log = logging.getLogger(__name__)

OUTPUTS = ("history.csv", "diagnostics.csv", "metrics.json", "best.pt", "manifest.json")
RESUME_FILE = "last.pt"
# The resume state is saved after an epoch once this many seconds passed since the last save
# (0: after every epoch): a kill loses at most about this much work, and short epochs do not
# spend their time writing checkpoints.
CHECKPOINT_SECONDS_VARIABLE = "ACTSTUDY_CHECKPOINT_SECONDS"
CHECKPOINT_SECONDS = 30.0


@dataclass
class RunState:
    """Everything that changes from epoch to epoch, saved in the resume checkpoint as plain
    values and tensors (so that it loads with ``weights_only``)."""

    epoch: int = 0
    history: list[dict[str, float]] = field(default_factory=list)
    diagnostics: list[dict[str, Any]] = field(default_factory=list)
    best: dict[str, Any] = field(default_factory=dict)
    early_stopping: dict[str, Any] = field(default_factory=dict)
    best_weights: dict[str, torch.Tensor] | None = None
    status: str = "running"
    diverged_epoch: int | None = None

    def state_dict(self) -> dict[str, Any]:
        return dict(vars(self))


@dataclass
class Run:
    """What a run trains with, built from its spec."""

    spec: dict[str, Any]
    setup: DeviceSetup
    model: nn.Module
    forward: nn.Module  # the model, or its compiled wrapper
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    loss_fn: nn.Module
    compiled: bool
    activations: list[nn.Module]  # what the model's activation factory made (the probe's sites)

    @property
    def recipe(self) -> dict[str, Any]:
        return self.spec["training"]

    @property
    def memory_format(self) -> torch.memory_format:
        return torch.channels_last if self.setup.channels_last else torch.contiguous_format


def input_normalization(
    dataset: Any, train_x: np.ndarray, model: str | None = None
) -> tuple[tuple[list[float], list[float]] | None, dict[str, Any] | None]:
    """The (mean, std) that image inputs are normalised with, and the manifest's record of it
    (None for both when inputs are not normalised: signals, or ``normalize: none``).

    A model that declares its normalisation (``register_model(normalize=...)``, e.g. the
    ImageNet statistics of pretrained weights) gets it whatever the dataset's ``normalize``
    says; otherwise the dataset's (``dataset``): the training fold's statistics or the given
    values."""
    if train_x.dtype != np.uint8:
        return None, None
    declared = None if model is None else model_normalization(model)
    if declared is not None:
        if dataset != "fold":
            log.info(
                "model %s normalises its inputs as its weights need; dataset normalize %s unused",
                model,
                dataset,
            )
        by, stats = f"model {model}", declared
    elif dataset == "none":
        return None, None
    elif dataset == "fold":
        by, stats = "fold", channel_stats(train_x)
    else:
        by, stats = "dataset", (list(dataset["mean"]), list(dataset["std"]))
    return stats, {"by": by, "mean": stats[0], "std": stats[1]}


def _model_options(spec: dict[str, Any], size: int) -> dict[str, Any]:
    """The model's options from config; ``input_size`` follows the data unless it is given."""
    options = {k: v for k, v in spec["model"].items() if k not in ("label", "name")}
    return options_for_input(spec["model"]["name"], size, **options)


def _seed_of(base: int, *parts: int) -> int:
    return int(fingerprint([base, *parts])[:12], 16)


def _progress_bar(iterable: Iterable, total: int, description: str) -> Iterable:
    """A progress bar when run interactively; the plain iterable in a job's log."""
    if not sys.stderr.isatty():
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=description, leave=False)


def build_run(spec: dict[str, Any], train: DeviceData, num_classes: int, setup: DeviceSetup) -> Run:
    """Model (seeded), optimiser, schedule, loss and compilation as the spec says."""
    recipe = spec["training"]
    torch.manual_seed(recipe["seed"])
    make_act, activations = recording(factory(spec["activation"]["spec"]))
    model = create_model(
        spec["model"]["name"],
        num_classes=num_classes,
        in_channels=train.x.shape[1],
        make_act=make_act,
        **_model_options(spec, train.x.shape[-1]),
    ).to(setup.device)
    if setup.channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = build_optimizer(model.parameters(), recipe["optimizer"])
    epochs = recipe["epochs"]
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda e: lr_factor(e, epochs, recipe["schedule"])
    )
    compiled = recipe["compile"]
    if compiled == "auto":
        compiled = recommended_compile(spec["activation"]["spec"])
    forward = torch.compile(model) if compiled else model
    loss_fn = build_loss(recipe["loss"])
    return Run(spec, setup, model, forward, optimizer, scheduler, loss_fn, compiled, activations)


def evaluate(
    forward: nn.Module, data: DeviceData, loss_fn: nn.Module, setup: DeviceSetup, batch_size: int
) -> tuple[dict[str, float], np.ndarray, np.ndarray]:
    """Metrics, softmax probabilities and labels of a whole split in eval mode."""
    forward.eval()
    probs, labels, loss_sum = [], [], torch.zeros((), device=setup.device)
    memory_format = torch.channels_last if setup.channels_last else torch.contiguous_format
    with torch.no_grad():
        for x, y in data.batches(batch_size, memory_format=memory_format):
            with setup.autocast():
                logits = forward(x)
            loss_sum += loss_fn(logits.float(), y) * len(y)
            probs.append(torch.softmax(logits.float(), dim=1))
            labels.append(y)
    prob_array = torch.cat(probs).cpu().numpy()
    label_array = torch.cat(labels).cpu().numpy()
    loss = (loss_sum / len(data)).item()
    return classification_metrics(label_array, prob_array, loss), prob_array, label_array


def train_step(run: Run, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """One optimiser step on a batch: forward (autocast as the device setup says), loss,
    backward, step; the loss and the logits (what actstudy.evaluation.timing times)."""
    with run.setup.autocast():
        logits = run.forward(x)
    loss = run.loss_fn(logits.float(), y)
    run.optimizer.zero_grad(set_to_none=True)
    loss.backward()
    run.optimizer.step()
    return loss, logits


def train_one_epoch(run: Run, train: DeviceData, epoch: int) -> dict[str, float]:
    """Train one epoch (0-based ``epoch``); return its row: lr, progress, train metrics, time."""
    recipe = run.recipe
    seed, fold = recipe["seed"], run.spec["evaluation"]["fold"]
    torch.manual_seed(_seed_of(seed, epoch))  # dropout and other global-RNG users
    generator = torch.Generator().manual_seed(_seed_of(seed, fold, epoch))
    batch_size, epochs = recipe["batch_size"], recipe["epochs"]
    steps_per_epoch = math.ceil(len(train) / batch_size)
    driven = progress_modules(run.model)
    run.forward.train()
    tick = time.perf_counter()
    loss_sum = torch.zeros((), device=run.setup.device)
    probs, labels = [], []
    batches = train.batches(
        batch_size, generator, recipe["augmentation"], recipe["pad"], run.memory_format
    )
    for step, (x, y) in enumerate(_progress_bar(batches, steps_per_epoch, f"epoch {epoch + 1}")):
        drive(driven, TrainingProgress(epoch, step, steps_per_epoch, epochs))
        loss, logits = train_step(run, x, y)
        loss_sum += loss.detach() * len(y)
        probs.append(torch.softmax(logits.detach().float(), dim=1))
        labels.append(y)
    train_loss = (loss_sum / len(train)).item()
    if run.setup.device.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - tick
    metrics = classification_metrics(
        torch.cat(labels).cpu().numpy(), torch.cat(probs).cpu().numpy(), train_loss
    )
    return {
        "epoch": epoch + 1,
        "lr": run.optimizer.param_groups[0]["lr"],
        "progress_t": driven[0].t if driven else math.nan,
        **{f"train_{k}": v for k, v in metrics.items()},
        "train_seconds": seconds,
    }


def _resume(run: Run, path: Path, run_id: str) -> RunState | None:
    saved = load_resume_state(path, run_id)
    if saved is None:
        return None
    run.model.load_state_dict(saved["model"])
    run.optimizer.load_state_dict(saved["optimizer"])
    run.scheduler.load_state_dict(saved["scheduler"])
    return RunState(**saved["run"])


def _epochs(
    run: Run, state: RunState, train: DeviceData, val: DeviceData, checkpoint: Path, run_id: str
) -> Iterator[dict[str, float]]:
    """Train epochs until the plan, divergence or early stopping ends them; yield each row."""
    recipe = run.recipe
    epochs, batch_size = recipe["epochs"], recipe["batch_size"]
    best = BestEpoch(**state.best) if state.best else BestEpoch(recipe["select"])
    stopping = (
        EarlyStopping(**state.early_stopping)
        if state.early_stopping
        else EarlyStopping.from_recipe(recipe["early_stopping"])
    )
    below = StopBelow.from_recipe(recipe["stop_below"])
    interval = environment_number(CHECKPOINT_SECONDS_VARIABLE, CHECKPOINT_SECONDS, 0)
    saved = time.monotonic()
    probe_x, probe_y = next(train.batches(probe_size(len(train)), memory_format=run.memory_format))
    probe = Probe(run.model, run.activations, run.loss_fn, probe_x, probe_y, run.setup.autocast)
    while state.epoch < epochs and state.status == "running":
        tick = time.perf_counter()
        row = train_one_epoch(run, train, state.epoch)
        state.diagnostics += probe.measure(state.epoch + 1)
        val_metrics, _, _ = evaluate(run.forward, val, run.loss_fn, run.setup, batch_size)
        train_seconds = row.pop("train_seconds")
        row.update({f"val_{k}": v for k, v in val_metrics.items()})
        row["epoch_seconds"] = time.perf_counter() - tick
        row["samples_per_second"] = len(train) / train_seconds
        state.history.append(row)
        state.epoch += 1
        run.scheduler.step()
        yield row
        if not (math.isfinite(row["train_loss"]) and math.isfinite(val_metrics["loss"])):
            state.status, state.diverged_epoch = "diverged", state.epoch
            log.warning("loss became %s in epoch %d: run diverged", row["train_loss"], state.epoch)
            break
        if best.consider(state.epoch, val_metrics):
            state.best_weights = copy.deepcopy(run.model.state_dict())
        state.best = best.state_dict()
        if stopping.should_stop(val_metrics["loss"]):
            state.status = "early_stopped"
            log.info("no validation-loss improvement for %d epochs: stopping", stopping.patience)
        elif below.should_stop(state.epoch, val_metrics):
            state.status = "stopped_below"
            log.info(
                "validation accuracy below %g after epoch %d: stopping",
                below.val_accuracy,
                state.epoch,
            )
        state.early_stopping = stopping.state_dict()
        due = time.monotonic() - saved >= interval
        if state.status == "running" and state.epoch < epochs and due:
            _save_state(run, state, checkpoint, run_id)
            saved = time.monotonic()
    if state.status == "running":
        state.status = "completed"


def _save_state(run: Run, state: RunState, path: Path, run_id: str) -> None:
    save_resume_state(
        path,
        {
            "fingerprint": run_id,
            "model": run.model.state_dict(),
            "optimizer": run.optimizer.state_dict(),
            "scheduler": run.scheduler.state_dict(),
            "run": state.state_dict(),
        },
    )


def _cache_key(
    spec: dict[str, Any], prepared_dir: str | Path, folds_file: str | Path, threads: int | None
) -> tuple[str, str]:
    """A run's key in the run cache, and its id (the resume checkpoint's fingerprint)."""
    load_plugins(spec["plugins"])
    code = digest(run_files(spec))
    recipe = spec["training"]
    setup = setup_device(recipe["device"], recipe["precision"], recipe["channels_last"], threads)
    key = run_cache.run_key(spec, code, prepared_dir, folds_file, setup.describe())
    return key, fingerprint({"spec": spec, "code": code})


def train_runs(
    runs: list[tuple[dict[str, Any], Path]],
    prepared_dir: str | Path,
    folds_file: str | Path,
    threads: int | None = None,
) -> list[dict[str, Any]]:
    """Train ``(spec, run folder)`` pairs of one dataset one after another; return metrics.

    A run found in the run cache (:mod:`actstudy.training.run_cache`) is restored from there
    instead, unless the user forced it; every trained run is kept there. The arrays are loaded
    and checked once, when a run needs training. A finished run's final state stays in its
    ``last.pt`` until every run has finished: started again after being killed, the job
    writes a finished run's outputs from it instead of training the run again."""
    with run_locks([out for _, out in runs]):  # one trainer per run (see run_lock)
        prepared: Prepared | None = None
        keep = len(runs) > 1
        results = []
        for index, (spec, out) in enumerate(runs, 1):
            if keep:
                log.info("run %d of %d in this job: %s", index, len(runs), out)
            key, run_id = _cache_key(spec, prepared_dir, folds_file, threads)
            if run_cache.forced(out):
                log.info("forced: training %s afresh (not restored from the run cache)", out)
                discard_resume_state(Path(out) / RESUME_FILE)
            elif (restored := run_cache.restore(key, out, spec, run_id, prepared_dir)) is not None:
                results.append(restored)
                continue
            if prepared is None:
                prepared = load_prepared(prepared_dir, verify=True)
            results.append(
                train_run(spec, prepared_dir, folds_file, out, threads, prepared, keep_state=keep)
            )
            run_cache.note_key(out, key)
            run_cache.store(key, out)
        for _, out in runs:
            discard_resume_state(Path(out) / RESUME_FILE)
    return results


def train_run(
    spec: dict[str, Any],
    prepared_dir: str | Path,
    folds_file: str | Path,
    out_dir: str | Path,
    threads: int | None = None,
    prepared: Prepared | None = None,
    *,
    keep_state: bool = False,
) -> dict[str, Any]:
    """Train one run as ``spec`` (see :func:`actstudy.study.grid.run_spec`) says; return metrics.

    ``prepared``: the arrays of ``prepared_dir`` when already loaded and checked.
    ``keep_state``: leave the final state in ``last.pt`` (see :func:`train_runs`)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    started = time.time()
    load_plugins(spec["plugins"])
    recipe, evaluation = spec["training"], spec["evaluation"]
    files = run_files(spec)
    code = {"digest": digest(files), "files": [display_name(f) for f in files]}
    # a state saved by other code is not resumed: the code's digest is part of the run's id
    run_id = fingerprint({"spec": spec, "code": code["digest"]})

    if prepared is None:
        prepared = load_prepared(prepared_dir, verify=True)
    train_idx, val_idx = fold_indices(folds_file, evaluation["fold"], len(prepared.train.y))
    prepared = with_held_out_test(prepared, folds_file)
    train_x, train_y = prepared.train.x[train_idx], prepared.train.y[train_idx]
    normalize, normalization = input_normalization(
        spec["dataset"]["normalize"], train_x, spec["model"]["name"]
    )
    setup = setup_device(recipe["device"], recipe["precision"], recipe["channels_last"], threads)
    train = DeviceData.from_arrays(train_x, train_y, setup.device, normalize)
    val = DeviceData.from_arrays(
        prepared.train.x[val_idx], prepared.train.y[val_idx], setup.device, normalize
    )
    run = build_run(spec, train, len(prepared.classes), setup)

    state = _resume(run, out / RESUME_FILE, run_id)
    resumed_from = None if state is None else state.epoch
    if state is None:
        state = RunState()
    elif state.status != "running":
        log.info("finished earlier (%s, epoch %d): writing its outputs", state.status, state.epoch)
    else:
        log.info("resuming from the checkpoint after epoch %d", state.epoch)
    if state.best_weights is None:
        state.best_weights = copy.deepcopy(run.model.state_dict())
    log.info(
        "run %s/%s/%s fold %d: %d train, %d validation samples, %d classes, %s",
        spec["dataset"]["label"],
        spec["model"]["label"],
        spec["activation"]["label"],
        evaluation["fold"],
        len(train),
        len(val),
        len(prepared.classes),
        setup.describe(),
    )
    for row in _epochs(run, state, train, val, out / RESUME_FILE, run_id):
        log.info(
            "epoch %d/%d  train loss %.4f acc %.4f  val loss %.4f acc %.4f  %.1fs",
            row["epoch"],
            recipe["epochs"],
            row["train_loss"],
            row["train_accuracy"],
            row["val_loss"],
            row["val_accuracy"],
            row["epoch_seconds"],
        )

    if keep_state:
        _save_state(run, state, out / RESUME_FILE, run_id)
    run.model.load_state_dict(state.best_weights)
    result = final_metrics(run, state, val, prepared, normalize)
    write_outputs(
        out,
        run,
        state,
        result,
        {
            "fingerprint": run_id,
            "code": code,
            "normalization": normalization,
            "resumed_from_epoch": resumed_from,
            "prepared_manifest": str(Path(prepared_dir) / "manifest.json"),
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
            "seconds": round(time.time() - started, 3),
        },
    )
    if not keep_state:
        discard_resume_state(out / RESUME_FILE)
    return result


def final_metrics(
    run: Run,
    state: RunState,
    val: DeviceData,
    prepared: Prepared,
    normalize: tuple[list[float], list[float]] | None,
) -> dict[str, Any]:
    """Validation (and test) metrics of the best weights, already loaded; with the test
    metrics, ``test_predictions``: each test sample's label and predicted class."""
    best_epoch = state.best.get("epoch")
    result: dict[str, Any] = {
        "status": state.status,
        "epochs_run": state.epoch,
        "best_epoch": best_epoch,
        "diverged_epoch": state.diverged_epoch,
        "select": run.recipe["select"],
    }
    if best_epoch is None:
        result["val"] = {k: math.nan for k in ("loss", "accuracy")}
        return result
    progress_t = _progress_t_at(state.history, best_epoch)
    if progress_t is not None:
        result["progress_t_at_best"] = progress_t
    batch_size = run.recipe["batch_size"]
    val_metrics, val_probs, val_labels = evaluate(
        run.model, val, run.loss_fn, run.setup, batch_size
    )
    result["val"] = {**val_metrics, "samples": len(val)}
    result["val_confusion"] = confusion(val_labels, val_probs)
    if run.spec["evaluation"]["test"] and prepared.test is not None:
        test = DeviceData.from_arrays(prepared.test.x, prepared.test.y, run.setup.device, normalize)
        test_metrics, test_probs, test_labels = evaluate(
            run.model, test, run.loss_fn, run.setup, batch_size
        )
        result["test"] = {**test_metrics, "samples": len(test)}
        result["test_confusion"] = confusion(test_labels, test_probs)
        result["test_predictions"] = {"label": test_labels, "predicted": test_probs.argmax(1)}
    return result


def _progress_t_at(history: list[dict[str, float]], epoch: int) -> float | None:
    """The training progress t the model's progress-driven modules had at the end of
    ``epoch`` (the history's ``progress_t``), or None for a model without any."""
    for row in history:
        if row["epoch"] == epoch and math.isfinite(row.get("progress_t", math.nan)):
            return float(row["progress_t"])
    return None


def _faithfulness(model: nn.Module, spec: dict[str, Any]) -> dict[str, Any]:
    """Which paper-or-code variant this run used: every module's ``describe()``, the
    parameter scope of a single activation, the loss (``training.loss.name``) and where the
    schedule's milestones count from (``training.schedule.milestones_from``)."""
    recipe = spec["training"]
    info: dict[str, Any] = {
        "modules": describe_modules(model),
        "loss": recipe["loss"]["name"],
        "milestones_from": recipe["schedule"]["milestones_from"],
    }
    act_spec = spec["activation"]["spec"]
    if not (isinstance(act_spec, dict) and "roles" in act_spec):
        info["activation_scope"] = scope_of(act_spec)
    return info


def write_outputs(
    out: Path, run: Run, state: RunState, result: dict[str, Any], extra: dict[str, Any]
) -> None:
    """history.csv, diagnostics.csv, best.pt, metrics.json, test_predictions.csv (where the
    test set was scored) and manifest.json (last: its presence means done)."""
    spec, seed = run.spec, run.recipe["seed"]
    fold = spec["evaluation"]["fold"]
    write_text(out / "history.csv", pd.DataFrame(state.history).to_csv(index=False))
    diagnostics = pd.DataFrame(state.diagnostics, columns=DIAGNOSTICS_COLUMNS)
    write_text(out / "diagnostics.csv", diagnostics.to_csv(index=False))
    save_verified(
        out / "best.pt", {"model": run.model.state_dict(), "best_epoch": state.best.get("epoch")}
    )
    save_predictions(out, result.get("test_predictions"))
    write_json(out / "metrics.json", {k: v for k, v in result.items() if k != "test_predictions"})
    write_json(
        out / "manifest.json",
        {
            "spec": spec,
            "seeds": {
                "model_init": seed,
                "epoch_global": [_seed_of(seed, e) for e in range(state.epoch)],
                "epoch_shuffle": [_seed_of(seed, fold, e) for e in range(state.epoch)],
                "folds": spec["evaluation"]["seed"],
            },
            "faithfulness": _faithfulness(run.model, spec),
            "device": {**run.setup.describe(), "compiled": bool(run.compiled)},
            "parameters": sum(p.numel() for p in run.model.parameters()),
            **extra,
            **environment(),
        },
    )
