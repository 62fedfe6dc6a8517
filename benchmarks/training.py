"""Training throughput of actstudy's loop against a plain PyTorch loop, measured in one run.

Both train the same model on the same real data (scikit-learn's digits at 32×32) with the same
optimiser, batch size and augmentation (S2's random choice of flip or pad-4 crop), on the CPU:

- ours: :func:`actstudy.training.loop.train_run`, whose device-resident uint8 batches are
  normalised and augmented per batch (its history records training samples per second);
- plain: a torchvision-style ``Dataset`` with per-sample transforms (PIL image → RandomChoice of
  RandomHorizontalFlip / RandomCrop(32, padding=4) → ToTensor → Normalize) and a ``DataLoader``.

Prints a table of samples per second and one line per target:
``target <name>: <measured> (goal <goal>) met|missed``.

    python benchmarks/training.py [--epochs 3] [--model lenet5] [--threads 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from digits_folds import prepare_digits
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

from actstudy import models
from actstudy.data import load_prepared
from actstudy.study.grid import run_spec
from actstudy.study.validate import validate_config
from actstudy.training.batches import channel_stats
from actstudy.training.folds import fold_indices
from actstudy.training.loop import train_run

GOAL = 1.5


class PlainImages(Dataset):
    """The usual per-sample pipeline: one PIL image at a time through torchvision transforms."""

    def __init__(self, x: np.ndarray, y: np.ndarray, mean: list[float], std: list[float]):
        self.x, self.y = x, y
        self.transform = transforms.Compose(
            [
                transforms.ToPILImage(),
                transforms.RandomChoice(
                    [transforms.RandomHorizontalFlip(), transforms.RandomCrop(32, padding=4)]
                ),
                transforms.ToTensor(),
                transforms.Normalize(mean, std),
            ]
        )

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, index: int):
        return self.transform(self.x[index]), int(self.y[index])


def plain_samples_per_second(
    x: np.ndarray, y: np.ndarray, model_name: str, batch_size: int, epochs: int
) -> list[float]:
    mean, std = channel_stats(x)
    loader = DataLoader(PlainImages(x, y, mean, std), batch_size=batch_size, shuffle=True)
    torch.manual_seed(0)
    model = models.create(model_name, num_classes=10, in_channels=x.shape[-1], act="relu")
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    rates = []
    for _ in range(epochs):
        model.train()
        tick = time.perf_counter()
        for inputs, labels in loader:
            loss = loss_fn(model(inputs), labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        rates.append(len(y) / (time.perf_counter() - tick))
    return rates


def ours_samples_per_second(
    workdir: Path, model_name: str, batch_size: int, epochs: int, threads: int
) -> list[float]:
    config = {
        "study": "benchmark",
        # The arrays trained on are the digits prepared above; the config names a generated
        # source of the same shape only because a study may not mirror real digits (the
        # benchmark times S2's flip-or-crop, not its effect on accuracy).
        "datasets": {"digits": {"source": "synthetic_images", "size": 32, "channels": 1}},
        "models": {"m": {"name": model_name}},
        "activations": {"relu": "relu"},
        "evaluation": {"mode": "kfold", "folds": 5},
        "training": {
            "epochs": epochs,
            "batch_size": batch_size,
            "optimizer": {"name": "adam", "lr": 1e-3},
            "augmentation": "flip_or_crop",
            "device": "cpu",
        },
    }
    spec = run_spec(validate_config(config), "digits", "m", "relu", 0)
    data = workdir.parent
    train_run(spec, data / "prepared", data / "folds.json", workdir, threads)
    return pd.read_csv(workdir / "history.csv")["samples_per_second"].tolist()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--model", default="lenet5")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3, help="alternating rounds of both loops")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        prepare_digits(workdir)
        train_idx, _ = fold_indices(workdir / "folds.json", 0)
        data = load_prepared(workdir / "prepared").train
        x, y = np.asarray(data.x[train_idx]), np.asarray(data.y[train_idx])
        plain_rates, ours_rates, ratios = [], [], []
        for round_ in range(args.repeats):  # alternate, so both see the same machine load
            plain = plain_samples_per_second(x, y, args.model, args.batch_size, args.epochs)
            ours = ours_samples_per_second(
                workdir / f"round{round_}", args.model, args.batch_size, args.epochs, args.threads
            )
            # the first epoch warms up allocators and caches in both loops: skip it
            plain_rates.append(statistics.median(plain[1:] or plain))
            ours_rates.append(statistics.median(ours[1:] or ours))
            ratios.append(ours_rates[-1] / plain_rates[-1])
    plain_rate, ours_rate = statistics.median(plain_rates), statistics.median(ours_rates)
    ratio = statistics.median(ratios)
    print(
        f"device cpu, {args.threads} threads, torch {torch.__version__}, model {args.model}, "
        f"batch {args.batch_size}, {len(y)} training samples, {args.epochs} epochs, "
        f"{args.repeats} alternating rounds (medians)"
    )
    print(f"{'loop':<8}{'samples/s':>12}")
    print(f"{'plain':<8}{plain_rate:>12.0f}")
    print(f"{'ours':<8}{ours_rate:>12.0f}")
    verdict = "met" if ratio >= GOAL else "missed"
    print(f"target training_throughput_{args.model}: {ratio:.2f}x (goal {GOAL}x) {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
