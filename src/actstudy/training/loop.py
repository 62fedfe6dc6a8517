"""One training run: a (dataset, model, activation, fold) with its recipe, start to finish.

Writes, into the run folder: ``history.csv`` (one row per epoch), ``metrics.json`` (status, best
epoch, validation and test metrics at the best epoch, confusion matrices), ``best.pt`` (the best
weights) and ``manifest.json`` (the run spec, seeds, device, versions, git commit). While it runs,
``last.pt`` holds the state after the latest epoch; a run started again resumes from it.
"""

from __future__ import annotations

import copy
import logging
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from actstudy import activations, models
from actstudy.data import load_prepared
from actstudy.io import write_json, write_text
from actstudy.provenance import environment, fingerprint
from actstudy.training.batches import DeviceData, channel_stats
from actstudy.training.checkpoint import load_resume_state, save_checkpoint
from actstudy.training.device import DeviceSetup, setup_device
from actstudy.training.folds import fold_indices
from actstudy.training.metrics import classification_metrics, confusion
from actstudy.training.recipe import build_loss, build_optimizer, lr_factor

log = logging.getLogger(__name__)

OUTPUTS = ("history.csv", "metrics.json", "best.pt", "manifest.json")
RESUME_FILE = "last.pt"


@dataclass
class RunState:
    """Everything that changes from epoch to epoch, saved in the resume checkpoint."""

    epoch: int = 0
    history: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int | None = None
    best_score: float = math.inf
    best_weights: dict[str, torch.Tensor] | None = None
    epochs_without_improvement: int = 0
    status: str = "running"
    diverged_epoch: int | None = None


def _normalization(spec: Any, train_x: np.ndarray) -> tuple[list[float], list[float]] | None:
    if train_x.dtype != np.uint8 or spec == "none":
        return None
    if spec == "fold":
        return channel_stats(train_x)
    return list(spec["mean"]), list(spec["std"])


def _model_options(spec: dict[str, Any], size: int) -> dict[str, Any]:
    """The model's options from config; ``input_size`` follows the data unless it is given."""
    name, label = spec["model"]["name"], spec["model"]["label"]
    options = {k: v for k, v in spec["model"].items() if k not in ("label", "name")}
    if "input_size" in models.options(name):
        options.setdefault("input_size", size)
        if options["input_size"] != size:
            raise ValueError(
                f"model {label!r} expects inputs of size {options['input_size']} but dataset "
                f"{spec['dataset']['label']!r} is prepared at {size}; make them equal"
            )
    return options


def _seed_of(base: int, *parts: int) -> int:
    return int(fingerprint([base, *parts])[:12], 16)


def _dsrelu_modules(model: nn.Module) -> list[activations.DSReLU]:
    return [m for m in model.modules() if isinstance(m, activations.DSReLU)]


class DSReLUProgress:
    """Feeds the training progress t to DSReLU instances.

    ``paper``: before each optimiser step, t = steps done / steps planned, on every instance.
    ``code``: the released code: after each epoch, t += 1/(batches per epoch), on the stem
    (first) instance only; every other instance stays at t = 0.
    """

    def __init__(self, model: nn.Module, mode: str, steps_per_epoch: int, epochs: int) -> None:
        self.modules = _dsrelu_modules(model)
        self.mode, self.steps_per_epoch, self.epochs = mode, steps_per_epoch, epochs

    def before_step(self, epoch: int, step: int) -> None:
        if self.modules and self.mode == "paper":
            done = epoch * self.steps_per_epoch + step
            t = min(done / (self.steps_per_epoch * self.epochs), 1.0)
            for module in self.modules:
                module.t = t

    def at_epoch_start(self, epoch: int) -> None:
        if self.modules and self.mode == "code":
            for module in self.modules:
                module.t = 0.0
            self.modules[0].t = min(epoch / self.steps_per_epoch, 1.0)

    def value(self) -> float:
        return self.modules[0].t if self.modules else math.nan


def _evaluate(
    model: nn.Module, data: DeviceData, loss_fn: nn.Module, setup: DeviceSetup, batch_size: int
) -> tuple[dict[str, float], np.ndarray, np.ndarray]:
    """Metrics, softmax probabilities and labels of a whole split in eval mode."""
    model.eval()
    probs, labels, loss_sum = [], [], torch.zeros((), device=setup.device)
    memory_format = torch.channels_last if setup.channels_last else torch.contiguous_format
    with torch.no_grad():
        for x, y in data.batches(batch_size, memory_format=memory_format):
            with setup.autocast():
                logits = model(x)
            loss_sum += loss_fn(logits.float(), y) * len(y)
            probs.append(torch.softmax(logits.float(), dim=1))
            labels.append(y)
    prob_array = torch.cat(probs).cpu().numpy()
    label_array = torch.cat(labels).cpu().numpy()
    loss = (loss_sum / len(data)).item()
    return classification_metrics(label_array, prob_array, loss), prob_array, label_array


def _progress(iterable, total: int, description: str):
    """A progress bar when run interactively; the plain iterable in a job's log."""
    if not sys.stderr.isatty():
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=description, leave=False)


def _improved(score: float, best: float) -> bool:
    return math.isfinite(score) and score < best


def train_run(
    spec: dict[str, Any],
    prepared_dir: str | Path,
    folds_file: str | Path,
    out_dir: str | Path,
    threads: int | None = None,
) -> dict[str, Any]:
    """Train one run as ``spec`` (see :func:`actstudy.config.run_spec`) says; return metrics."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    started = time.time()
    recipe, evaluation = spec["training"], spec["evaluation"]
    run_id = fingerprint(spec)

    prepared = load_prepared(prepared_dir)
    train_idx, val_idx = fold_indices(folds_file, evaluation["fold"])
    train_x, train_y = prepared.train.x[train_idx], prepared.train.y[train_idx]
    normalize = _normalization(spec["dataset"]["normalize"], train_x)

    setup = setup_device(recipe["device"], recipe["precision"], recipe["channels_last"], threads)
    train = DeviceData.from_arrays(train_x, train_y, setup.device, normalize)
    val = DeviceData.from_arrays(
        prepared.train.x[val_idx], prepared.train.y[val_idx], setup.device, normalize
    )
    num_classes = len(prepared.classes)
    in_channels = train.x.shape[1]

    seed = recipe["seed"]
    torch.manual_seed(seed)
    model_options = _model_options(spec, train.x.shape[-1])
    model = models.create(
        spec["model"]["name"],
        num_classes=num_classes,
        in_channels=in_channels,
        act=spec["activation"]["spec"],
        **model_options,
    ).to(setup.device)
    if setup.channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = build_optimizer(model.parameters(), recipe["optimizer"])
    epochs = recipe["epochs"]
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda e: lr_factor(e, epochs, recipe["schedule"])
    )
    loss_fn = build_loss(recipe["loss"])
    compiled = recipe["compile"]
    if compiled == "auto":
        compiled = activations.recommended_compile(spec["activation"]["spec"])
    forward = torch.compile(model) if compiled else model
    batch_size = recipe["batch_size"]
    steps_per_epoch = math.ceil(len(train) / batch_size)
    progress = DSReLUProgress(model, recipe["dsrelu_progress"], steps_per_epoch, epochs)
    memory_format = torch.channels_last if setup.channels_last else torch.contiguous_format

    state = RunState()
    resumed_from = None
    saved = load_resume_state(out / RESUME_FILE, run_id)
    if saved is not None:
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        scheduler.load_state_dict(saved["scheduler"])
        state = saved["run"]
        resumed_from = state.epoch
        log.info("resuming from the checkpoint after epoch %d", state.epoch)
    if state.best_weights is None:
        state.best_weights = copy.deepcopy(model.state_dict())

    log.info(
        "run %s/%s/%s fold %d: %d train, %d validation samples, %d classes, %s",
        spec["dataset"]["label"],
        spec["model"]["label"],
        spec["activation"]["label"],
        evaluation["fold"],
        len(train),
        len(val),
        num_classes,
        setup.describe(),
    )
    patience = (recipe["early_stopping"] or {}).get("patience")
    min_delta = (recipe["early_stopping"] or {}).get("min_delta", 0.0)
    select = recipe["select"]
    while state.epoch < epochs and state.status == "running":
        epoch = state.epoch
        torch.manual_seed(_seed_of(seed, epoch))  # dropout and other global-RNG users
        generator = torch.Generator().manual_seed(_seed_of(seed, evaluation["fold"], epoch))
        progress.at_epoch_start(epoch)
        model.train()
        tick = time.perf_counter()
        loss_sum = torch.zeros((), device=setup.device)
        probs, labels = [], []
        batches = train.batches(
            batch_size, generator, recipe["augmentation"], recipe["pad"], memory_format
        )
        for step, (x, y) in enumerate(_progress(batches, steps_per_epoch, f"epoch {epoch + 1}")):
            progress.before_step(epoch, step)
            with setup.autocast():
                logits = forward(x)
            loss = loss_fn(logits.float(), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss_sum += loss.detach() * len(y)
            probs.append(torch.softmax(logits.detach().float(), dim=1))
            labels.append(y)
        train_loss = (loss_sum / len(train)).item()
        if setup.device.type == "cuda":
            torch.cuda.synchronize()
        train_seconds = time.perf_counter() - tick
        train_metrics = classification_metrics(
            torch.cat(labels).cpu().numpy(), torch.cat(probs).cpu().numpy(), train_loss
        )
        val_metrics, _, _ = _evaluate(forward, val, loss_fn, setup, batch_size)
        row = {
            "epoch": epoch + 1,
            "lr": optimizer.param_groups[0]["lr"],
            "dsrelu_t": progress.value(),
            **{f"train_{k}": v for k, v in train_metrics.items()},
            **{f"val_{k}": v for k, v in val_metrics.items()},
            "epoch_seconds": time.perf_counter() - tick,
            "samples_per_second": len(train) / train_seconds,
        }
        state.history.append(row)
        state.epoch = epoch + 1
        scheduler.step()
        log.info(
            "epoch %d/%d  train loss %.4f acc %.4f  val loss %.4f acc %.4f  %.1fs",
            epoch + 1,
            epochs,
            row["train_loss"],
            row["train_accuracy"],
            row["val_loss"],
            row["val_accuracy"],
            row["epoch_seconds"],
        )
        if not (math.isfinite(train_loss) and math.isfinite(val_metrics["loss"])):
            state.status, state.diverged_epoch = "diverged", epoch + 1
            log.warning("loss became %s in epoch %d: run diverged", train_loss, epoch + 1)
            break
        score = val_metrics["loss"] if select == "val_loss" else -val_metrics["accuracy"]
        if _improved(score, state.best_score):
            state.best_score, state.best_epoch = score, epoch + 1
            state.best_weights = copy.deepcopy(model.state_dict())
        if patience is not None:
            losses = [r["val_loss"] for r in state.history]
            if losses[-1] < min(losses[:-1], default=math.inf) - min_delta:
                state.epochs_without_improvement = 0
            else:
                state.epochs_without_improvement += 1
            if state.epochs_without_improvement >= patience:
                state.status = "early_stopped"
                log.info("no validation-loss improvement for %d epochs: stopping", patience)
        if state.status == "running" and state.epoch < epochs:
            save_checkpoint(
                out / RESUME_FILE,
                {
                    "fingerprint": run_id,
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(),
                    "run": state,
                },
            )
    if state.status == "running":
        state.status = "completed"

    model.load_state_dict(state.best_weights)
    result = _final_metrics(spec, state, model, val, prepared, normalize, loss_fn, setup)
    history = pd.DataFrame(state.history)
    write_text(out / "history.csv", history.to_csv(index=False))
    save_checkpoint(out / "best.pt", {"model": model.state_dict(), "best_epoch": state.best_epoch})
    write_json(out / "metrics.json", result)
    write_json(
        out / "manifest.json",
        {
            "spec": spec,
            "fingerprint": run_id,
            "seeds": {
                "model_init": seed,
                "epoch_global": [_seed_of(seed, e) for e in range(state.epoch)],
                "epoch_shuffle": [
                    _seed_of(seed, evaluation["fold"], e) for e in range(state.epoch)
                ],
                "folds": evaluation["seed"],
            },
            "faithfulness": _faithfulness(model, spec),
            "normalization": normalize,
            "device": {**setup.describe(), "compiled": bool(compiled)},
            "resumed_from_epoch": resumed_from,
            "parameters": sum(p.numel() for p in model.parameters()),
            "prepared_manifest": str(Path(prepared_dir) / "manifest.json"),
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
            "seconds": round(time.time() - started, 3),
            **environment(),
        },
    )
    (out / RESUME_FILE).unlink(missing_ok=True)
    return result


def _faithfulness(model: nn.Module, spec: dict[str, Any]) -> dict[str, Any]:
    """Which paper-or-code variant this run used, where a study offers a choice."""
    act_spec = spec["activation"]["spec"]
    info: dict[str, Any] = {}
    dsrelu = _dsrelu_modules(model)
    if dsrelu:
        info["dsrelu_constants"] = {
            "variant": dsrelu[0].variant,
            "a": dsrelu[0].a,
            "b": dsrelu[0].b,
            "k": dsrelu[0].k,
        }
        info["dsrelu_progress"] = spec["training"]["dsrelu_progress"]
    if not (isinstance(act_spec, dict) and "roles" in act_spec):
        info["activation_scope"] = activations.scope_of(act_spec)
    return info


def _final_metrics(
    spec: dict[str, Any],
    state: RunState,
    model: nn.Module,
    val: DeviceData,
    prepared: Any,
    normalize: tuple[list[float], list[float]] | None,
    loss_fn: nn.Module,
    setup: DeviceSetup,
) -> dict[str, Any]:
    """Validation (and official test) metrics of the best weights."""
    batch_size = spec["training"]["batch_size"]
    result: dict[str, Any] = {
        "status": state.status,
        "epochs_run": state.epoch,
        "best_epoch": state.best_epoch,
        "diverged_epoch": state.diverged_epoch,
        "select": spec["training"]["select"],
    }
    if state.best_epoch is None:
        result["val"] = {k: math.nan for k in ("loss", "accuracy")}
        return result
    val_metrics, val_probs, val_labels = _evaluate(model, val, loss_fn, setup, batch_size)
    result["val"] = val_metrics
    result["val_confusion"] = confusion(val_labels, val_probs)
    if spec["evaluation"]["test"] and prepared.test is not None:
        test = DeviceData.from_arrays(prepared.test.x, prepared.test.y, setup.device, normalize)
        test_metrics, test_probs, test_labels = _evaluate(model, test, loss_fn, setup, batch_size)
        result["test"] = test_metrics
        result["test_confusion"] = confusion(test_labels, test_probs)
    return result
