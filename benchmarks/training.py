"""Training throughput of actstudy's loop against a plain PyTorch loop and against bare compute.

All three train the default study's model on its data (``config.yaml``: LeNet-5 on
scikit-learn's digits at 32×32, fold 0, batch 64, Adam, its augmentation) on the CPU:

- ours: :func:`actstudy.training.loop.train_run` as a training job runs it (device-resident
  uint8 batches normalised and augmented per batch, progress hooks, the per-epoch training
  metrics); timed around each call of :func:`~actstudy.training.loop.train_one_epoch`;
- plain: a torchvision-style ``Dataset`` with per-sample transforms (PIL image → the same
  augmentation, if any → ToTensor → Normalize) and a ``DataLoader``;
- bare: the same model's forward, loss, backward and optimiser step on batches made before the
  epoch (normalised float tensors, fixed order, no augmentation): what the loop could reach.

The three alternate epoch by epoch (after each epoch of ours, one of plain and one of bare, in
the same process), so they see the same machine load; ``--repeats`` rounds each start fresh
models. Times are the process's CPU time (one intra-op thread by default: ratios of CPU work,
steadier than wall time on a shared machine); wall-time ratios are printed beside them. Medians
over the epochs after the first of every round.

Prints a table of samples per second and one line per target:
``target <name>: <measured> (goal <goal>) met|missed``.

    python benchmarks/training.py [--epochs 6] [--repeats 3] [--threads 1] [--smoke]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml
from digits_folds import REPO, prepare_digits
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

from actstudy import models
from actstudy.data import load_prepared
from actstudy.study.grid import run_spec
from actstudy.study.validate import validate_config
from actstudy.training import diagnostics, loop
from actstudy.training.batches import channel_stats
from actstudy.training.folds import fold_indices

VS_PLAIN_GOAL = 1.5
VS_BARE_GOAL = 0.9
LOOPS = ("plain", "ours", "bare")
EXTRAS = ("probe", "validation")  # what an epoch of ours does beyond training


def clock() -> tuple[float, float]:
    return time.process_time(), time.perf_counter()


def since(tick: tuple[float, float]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) since ``tick``."""
    cpu, wall = clock()
    return cpu - tick[0], wall - tick[1]


class PlainImages(Dataset):
    """The usual per-sample pipeline: one PIL image at a time through torchvision transforms."""

    def __init__(self, x: np.ndarray, y: np.ndarray, augmentation: str, pad: int):
        self.x, self.y = x, y
        mean, std = channel_stats(x)
        flip, crop = transforms.RandomHorizontalFlip(), transforms.RandomCrop(x.shape[1], pad)
        augment = {
            "none": [],
            "flip": [flip],
            "crop": [crop],
            "flip_and_crop": [flip, crop],
            "flip_or_crop": [transforms.RandomChoice([flip, crop])],
        }[augmentation]
        pipeline = [transforms.ToPILImage(), *augment, transforms.ToTensor()]
        self.transform = transforms.Compose([*pipeline, transforms.Normalize(mean, std)])

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, index: int):
        return self.transform(self.x[index]), int(self.y[index])


class Baseline:
    """A fresh model, Adam and cross-entropy, trained one epoch at a time by :meth:`epoch`."""

    def __init__(self, spec: dict[str, Any], batches: Callable[[], Any]):
        torch.manual_seed(0)
        recipe = spec["training"]
        self.model = models.create(spec["model"]["name"], num_classes=10, in_channels=1, act="relu")
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=recipe["optimizer"]["lr"])
        self.loss_fn = torch.nn.CrossEntropyLoss()
        self.batches = batches

    def epoch(self) -> tuple[float, float]:
        self.model.train()
        tick = clock()
        for inputs, labels in self.batches():
            loss = self.loss_fn(self.model(inputs), labels)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
        return since(tick)


def premade(x: np.ndarray, y: np.ndarray, batch_size: int) -> list[tuple[torch.Tensor, ...]]:
    """The fold as normalised float N×C×H×W batches, made once."""
    mean, std = (torch.tensor(s).view(1, -1, 1, 1) for s in channel_stats(x))
    images = (torch.from_numpy(x).permute(0, 3, 1, 2).float() / 255.0 - mean) / std
    labels = torch.from_numpy(y.astype(np.int64))
    return list(zip(images.split(batch_size), labels.split(batch_size), strict=True))


def timed(function: Callable, seconds: list[tuple[float, float]]) -> Callable:
    """``function`` that appends the (CPU, wall) seconds of each call to ``seconds``."""

    def call(*args: Any, **kwargs: Any) -> Any:
        tick = clock()
        result = function(*args, **kwargs)
        seconds.append(since(tick))
        return result

    return call


def one_round(
    spec: dict[str, Any], data: Path, out: Path, x: np.ndarray, y: np.ndarray, threads: int
) -> dict[str, list[tuple[float, float]]]:
    """One run of ours with an epoch of plain and of bare after each of its epochs: every
    loop's (CPU, wall) seconds per epoch, and those of ours' per-epoch probe and validation."""
    recipe = spec["training"]
    loader = DataLoader(
        PlainImages(x, y, recipe["augmentation"], recipe["pad"] or 4),
        batch_size=recipe["batch_size"],
        shuffle=True,
    )
    batches = premade(x, y, recipe["batch_size"])
    plain, bare = Baseline(spec, lambda: loader), Baseline(spec, lambda: batches)
    seconds: dict[str, list[tuple[float, float]]] = {name: [] for name in (*LOOPS, *EXTRAS)}
    originals = loop.train_one_epoch, loop.evaluate, diagnostics.Probe.measure
    ours = timed(loop.train_one_epoch, seconds["ours"])

    def interleaved(*args: Any, **kwargs: Any) -> dict[str, float]:
        row = ours(*args, **kwargs)
        seconds["plain"].append(plain.epoch())
        seconds["bare"].append(bare.epoch())
        return row

    loop.train_one_epoch = interleaved
    loop.evaluate = timed(loop.evaluate, seconds["validation"])
    diagnostics.Probe.measure = timed(diagnostics.Probe.measure, seconds["probe"])
    try:
        loop.train_run(spec, data / "prepared", data / "folds.json", out, threads)
    finally:
        loop.train_one_epoch, loop.evaluate, diagnostics.Probe.measure = originals
    epochs = len(seconds["ours"])  # the final evaluations (best weights, test) come after
    return {name: times[:epochs] for name, times in seconds.items()}


def per_epoch_ratios(epochs: dict[str, list[tuple[float, float]]], clock_: int) -> dict[str, float]:
    """Medians over epochs, each against ours' training epoch beside it (``clock_`` 0: CPU
    time, 1: wall time): plain's time (ours' speed-up), bare's (ours' share of bare speed),
    the probe's and the validation's; ``whole``: bare's over ours' whole epoch."""
    rows = list(zip(*(epochs[name] for name in (*LOOPS, *EXTRAS)), strict=True))
    times = [dict(zip((*LOOPS, *EXTRAS), (t[clock_] for t in row), strict=True)) for row in rows]
    ratios = {
        name: statistics.median(t[name] / t["ours"] for t in times)
        for name in ("plain", "bare", *EXTRAS)
    }
    whole = (t["bare"] / (t["ours"] + t["probe"] + t["validation"]) for t in times)
    return {**ratios, "whole": statistics.median(whole)}


def target(name: str, measured: float, goal: float, unit: str = "") -> None:
    verdict = "met" if measured >= goal else "missed"
    print(f"target {name}: {measured:.2f}{unit} (goal >= {goal}{unit}) {verdict}")


def default_study_spec(epochs: int) -> dict[str, Any]:
    """Fold 0 of the default study's first dataset × model with ReLU, on the CPU."""
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    config["training"] = {**config["training"], "epochs": epochs, "device": "cpu"}
    config = validate_config(config)
    dataset, model = next(iter(config["datasets"])), next(iter(config["models"]))
    return run_spec(config, dataset, model, "relu", 0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3, help="rounds, each with fresh models")
    parser.add_argument("--smoke", action="store_true", help="2 epochs, 1 round: checks the script")
    args = parser.parse_args()
    if args.smoke:
        args.epochs, args.repeats = 2, 1
    torch.set_num_threads(args.threads)
    spec = default_study_spec(args.epochs)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        prepare_digits(workdir)
        train_idx, _ = fold_indices(workdir / "folds.json", 0)
        data = load_prepared(workdir / "prepared").train
        x, y = np.asarray(data.x[train_idx]), np.asarray(data.y[train_idx])
        epochs: dict[str, list[tuple[float, float]]] = {name: [] for name in (*LOOPS, *EXTRAS)}
        for round_ in range(args.repeats):
            seconds = one_round(spec, workdir, workdir / f"round{round_}", x, y, args.threads)
            for name in epochs:  # the first epoch warms up allocators and caches: skip it
                epochs[name] += seconds[name][1:] or seconds[name]
    recipe = spec["training"]
    print(
        f"device cpu, {args.threads} thread(s), torch {torch.__version__}, "
        f"{spec['model']['name']} on {spec['dataset']['label']}, batch {recipe['batch_size']}, "
        f"augmentation {recipe['augmentation']}, {len(y)} training samples, {args.epochs} "
        f"epochs × {args.repeats} rounds, loops alternating epoch by epoch (medians)"
    )
    print(f"{'loop':<8}{'samples/s (cpu)':>17}{'samples/s (wall)':>18}")
    for name in LOOPS:
        cpu, wall = (statistics.median(t[i] for t in epochs[name]) for i in (0, 1))
        print(f"{name:<8}{len(y) / cpu:>17.0f}{len(y) / wall:>18.0f}")
    cpu, wall = (per_epoch_ratios(epochs, clock_) for clock_ in (0, 1))
    name = spec["model"]["name"]
    target(f"vs_plain_loop_{name}", cpu["plain"], VS_PLAIN_GOAL, "x")
    target(f"vs_bare_compute_{name}", cpu["bare"], VS_BARE_GOAL)
    print(
        f"measure beyond_training: probe {cpu['probe']:.3f}, validation {cpu['validation']:.3f} "
        f"of a training epoch; bare compute over a whole epoch (training, probe, validation) "
        f"{cpu['whole']:.2f}"
    )
    print(f"measure wall_time_ratios: {wall['plain']:.2f}x plain, {wall['bare']:.2f} bare")
    return 0


if __name__ == "__main__":
    sys.exit(main())
