"""What the activation diagnostics cost: an epoch with them against one without, in one run.

Trains the default study's case (LeNet-5 on scikit-learn's digits at 32×32, fold 0 of the
default study's folds: 1,149 training samples once its test part is held out, batch 64, Adam;
7 activations in the study, here ReLU and Mish) with
:func:`actstudy.training.loop.train_run` twice per round, alternating: once as it runs in the
workflow (the probe after every epoch, :mod:`actstudy.training.diagnostics`) and once with the
probe switched off. An epoch is what the history's ``epoch_seconds`` counts (training, the
probe, validation). Two ratios, medians over the epochs after the first (warm-up) of every round:

- ``probe_share``: the probe's own time over the rest of the same epoch (both in one process,
  under the same load: the steadier measure, and the one the target is judged on);
- ``epoch_ratio``: the median epoch with the probe over the median epoch without it (separate
  runs, so it also sees the machine's drift between them).

Both runs must end with identical weights (the probe changes nothing); the script checks it.
Prints one line per target: ``target <name>: <measured> (goal <goal>) met|missed``.

    python benchmarks/diagnostics.py [--epochs 4] [--repeats 3] [--threads 2] [--smoke]
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

import pandas as pd
import torch
from digits_folds import prepare_digits

from actstudy.study.grid import run_spec
from actstudy.study.validate import validate_config
from actstudy.training import diagnostics
from actstudy.training.folds import fold_indices
from actstudy.training.loop import train_run

GOAL = 0.05  # the probe may cost at most 5 % of an epoch
MEASURE = diagnostics.Probe.measure


def timed(seconds: list[float]) -> Callable[..., list[dict[str, Any]]]:
    """``Probe.measure`` that appends the seconds of each call to ``seconds``."""

    def measure(probe: diagnostics.Probe, epoch: int) -> list[dict[str, Any]]:
        tick = time.perf_counter()
        rows = MEASURE(probe, epoch)
        seconds.append(time.perf_counter() - tick)
        return rows

    return measure


def train(
    data: Path, out: Path, activation: str, epochs: int, threads: int, probe: bool
) -> tuple[list[float], list[float]]:
    """(epoch seconds, probe seconds) of one run; ``probe`` False switches the probe off."""
    config = {
        "study": "benchmark",
        "datasets": {"digits": {"source": "digits", "size": 32}},
        "models": {"lenet5": {"name": "lenet5"}},
        "activations": {activation: activation},
        "evaluation": {"mode": "kfold", "folds": 5},
        "training": {
            "epochs": epochs,
            "batch_size": 64,
            "optimizer": {"name": "adam", "lr": 1e-3},
            "device": "cpu",
        },
    }
    spec = run_spec(validate_config(config), "digits", "lenet5", activation, 0)
    probe_seconds: list[float] = []
    diagnostics.Probe.measure = timed(probe_seconds) if probe else lambda probe, epoch: []
    try:
        train_run(spec, data / "prepared", data / "folds.json", out, threads)
    finally:
        diagnostics.Probe.measure = MEASURE
    return pd.read_csv(out / "history.csv")["epoch_seconds"].tolist(), probe_seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3, help="alternating rounds")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--activations", default="relu,mish")
    parser.add_argument(
        "--smoke", action="store_true", help="2 epochs, 1 round, ReLU: checks the script"
    )
    args = parser.parse_args()
    if args.smoke:
        args.epochs, args.repeats, args.activations = 2, 1, "relu"
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        prepare_digits(data)
        train_idx, _ = fold_indices(data / "folds.json", 0)
        print(
            f"device cpu, {args.threads} threads, torch {torch.__version__}, lenet5 on digits "
            f"32×32, fold 0 of 5, batch 64, {args.epochs} epochs, {args.repeats} alternating "
            f"rounds; probe of {diagnostics.probe_size(len(train_idx))} samples"
        )
        print(f"{'activation':<12}{'epoch s':>10}{'with probe s':>14}{'probe s':>10}{'share':>8}")
        verdicts = []
        for activation in args.activations.split(","):
            plain, probed, shares = [], [], []
            for round_ in range(args.repeats):
                runs = {}
                for probe in (False, True):
                    out = data / f"{activation}-{round_}-{probe}"
                    epochs, probe_seconds = train(
                        data, out, activation, args.epochs, args.threads, probe
                    )
                    runs[probe] = torch.load(out / "best.pt", weights_only=True)["model"]
                    if probe:
                        probed += epochs[1:]
                        shares += [
                            p / (e - p) for e, p in zip(epochs[1:], probe_seconds[1:], strict=True)
                        ]
                    else:
                        plain += epochs[1:]
                assert all(torch.equal(runs[True][k], v) for k, v in runs[False].items()), (
                    "the probe changed the training"
                )
            share = statistics.median(shares)
            ratio = statistics.median(probed) / statistics.median(plain)
            print(
                f"{activation:<12}{statistics.median(plain):>10.3f}"
                f"{statistics.median(probed):>14.3f}"
                f"{statistics.median(probed) * share / (1 + share):>10.4f}{share:>8.3f}"
            )
            verdicts.append(
                f"target probe_share/{activation}: {share:.3f} (goal <= {GOAL}) "
                f"{'met' if share <= GOAL else 'missed'}"
            )
            verdicts.append(f"measure epoch_ratio/{activation}: {ratio:.3f}x (no goal)")
    print("\n".join(verdicts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
