"""What the integrity checks cost, as ratios against work measured in the same run.

1. Verifying prepared arrays (``load_prepared(path, verify=True)``: sha256 of every array
   against the manifest, once per training job and folds step) against one training epoch of
   lenet5 on them (``train_run``: fold 0 of 5, Adam, batch 128, flip-or-crop, CPU; the second
   epoch, after a warm-up one), against opening them unverified and against reading every array
   into memory; for scikit-learn's digits at 32×32.
2. The same for a synthetic prepared set the size of CIFAR-10's training split
   (50,000×32×32×3 uint8 with random labels, written with ``write_prepared``).
3. Writing a resume checkpoint with its digest (``save_resume_state``) against writing it
   without (``save_checkpoint``), for a state of ``--checkpoint-mib`` MiB of tensors.

Each measurement alternates with its baseline, round after round, so both see the same machine
load; medians over rounds. Files are read from the page cache (they were just written).
Prints a table and one line per target: ``target <name>: <measured> (goal <goal>) met|missed``.

    python benchmarks/integrity.py [--repeats 5] [--images 50000] [--threads 2] [--smoke]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from actstudy.data import load_prepared, prepare, write_prepared
from actstudy.study.grid import run_spec
from actstudy.study.validate import validate_config
from actstudy.training.checkpoint import save_checkpoint, save_resume_state
from actstudy.training.folds import assign_folds, write_folds
from actstudy.training.loop import train_run

EPOCH_GOAL = 0.05  # verifying a prepared set may cost at most 5 % of one training epoch on it
CHECKPOINT_GOAL = 2.0  # a checkpoint with its digest may take at most twice one without
SETS = {"digits": "digits 32×32 (1,797)", "synthetic": "synthetic ({images:,}×32×32×3)"}


def seconds(action: Callable[[], object]) -> float:
    tick = time.perf_counter()
    action()
    return time.perf_counter() - tick


def alternate(actions: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median seconds of each action, the actions run in turn ``repeats`` times (after one
    warm-up round)."""
    times: dict[str, list[float]] = {name: [] for name in actions}
    for round_ in range(repeats + 1):
        for name, action in actions.items():
            elapsed = seconds(action)
            if round_:
                times[name].append(elapsed)
    return {name: statistics.median(values) for name, values in times.items()}


def read_all(path: Path) -> None:
    """Every array of a prepared set, copied from its memory map into memory."""
    for split in load_prepared(path, verify=False).splits.values():
        for array in (split.x, split.y, split.groups):
            if array is not None:
                np.array(array)


def array_costs(path: Path, repeats: int) -> dict[str, float]:
    return alternate(
        {
            "open": lambda: load_prepared(path, verify=False),
            "verify": lambda: load_prepared(path, verify=True),
            "read": lambda: read_all(path),
        },
        repeats,
    )


def lenet5_epoch_seconds(prepared: Path, threads: int) -> float:
    """Seconds of the second epoch of lenet5 on fold 0 of 5 of a prepared 32×32 set."""
    labels = load_prepared(prepared).train.y
    folds = prepared.with_suffix(".folds.json")
    write_folds(
        folds, assign_folds(labels, "kfold", 5, seed=0, repeats=1, test_fraction=0.0), mode="kfold"
    )
    config = {
        "study": "benchmark",
        # The arrays trained on are the digits prepared above; the config names a generated
        # source of the same shape only because a study may not mirror real digits (the
        # benchmark times S2's flip-or-crop, not its effect on accuracy).
        "datasets": {"digits": {"source": "synthetic_images", "size": 32, "channels": 1}},
        "models": {"lenet5": {"name": "lenet5"}},
        "activations": {"relu": "relu"},
        "evaluation": {"mode": "kfold", "folds": 5},
        "training": {
            "epochs": 2,
            "batch_size": 128,
            "optimizer": {"name": "adam", "lr": 1e-3},
            "augmentation": "flip_or_crop",
            "device": "cpu",
        },
    }
    spec = run_spec(validate_config(config), "digits", "lenet5", "relu", 0)
    run = prepared.with_suffix(".run")
    train_run(spec, prepared, folds, run, threads)
    return float(pd.read_csv(run / "history.csv")["epoch_seconds"].iloc[-1])


def checkpoint_costs(workdir: Path, mebibytes: int, repeats: int) -> dict[str, float]:
    generator = torch.Generator().manual_seed(0)
    state = {
        "model": {f"w{i}": torch.randn(2**18, generator=generator) for i in range(mebibytes)},
        "run": {"epoch": 1, "history": [{"loss": 1.0}]},
    }
    return alternate(
        {
            "plain": lambda: save_checkpoint(workdir / "plain.pt", state),
            "digest": lambda: save_resume_state(workdir / "last.pt", state),
        },
        repeats,
    )


def target(name: str, measured: float, goal: float, unit: str) -> str:
    verdict = "met" if measured <= goal else "missed"
    return f"target {name}: {measured:.3f}{unit} (goal <= {goal}{unit}) {verdict}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="alternating rounds (medians)")
    parser.add_argument("--images", type=int, default=50_000, help="synthetic images, 32×32×3")
    parser.add_argument("--checkpoint-mib", type=int, default=100)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--smoke", action="store_true", help="1 round, 2,000 images, 2 MiB: checks the script"
    )
    args = parser.parse_args()
    if args.smoke:
        args.repeats, args.images, args.checkpoint_mib = 1, 2_000, 2
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        prepare({"source": "digits", "size": 32}, work / "digits", work / "resources")
        rng = np.random.default_rng(0)
        synthetic = rng.integers(0, 256, (args.images, 32, 32, 3), dtype=np.uint8)
        classes = [str(c) for c in range(10)]
        synthetic_labels = rng.integers(0, 10, args.images)
        write_prepared(
            work / "synthetic", {"train": (synthetic, synthetic_labels)}, classes, {"source": "-"}
        )
        del synthetic
        epochs = {name: lenet5_epoch_seconds(work / name, args.threads) for name in SETS}
        costs = {name: array_costs(work / name, args.repeats) for name in SETS}
        checkpoint = checkpoint_costs(work, args.checkpoint_mib, args.repeats)
        sizes = {
            name: sum(f.stat().st_size for f in (work / name).glob("*.npy")) / 2**20
            for name in SETS
        }

    print(
        f"cpu, {args.threads} threads, torch {torch.__version__}, {args.repeats} alternating "
        "rounds (medians), files in the page cache"
    )
    header = ["MiB", "epoch ms", "open ms", "verify ms", "read ms", "verify/epoch", "verify/read"]
    print(f"{'prepared set':<28}" + "".join(f"{h:>13}" for h in header))
    for name, label in SETS.items():
        cost, epoch = costs[name], epochs[name]
        cells = [sizes[name], epoch * 1e3, *(cost[k] * 1e3 for k in ("open", "verify", "read"))]
        ratios = [cost["verify"] / epoch, cost["verify"] / cost["read"]]
        line = "".join(f"{c:>13.1f}" for c in cells) + "".join(f"{r:>13.3f}" for r in ratios)
        print(f"{label.format(images=args.images):<28}{line}")
    print(
        f"checkpoint of {args.checkpoint_mib} MiB: {checkpoint['plain'] * 1e3:.0f} ms plain, "
        f"{checkpoint['digest'] * 1e3:.0f} ms with its digest"
    )
    for name in SETS:
        ratio = costs[name]["verify"] / epochs[name]
        print(target(f"verify_{name}_vs_lenet5_epoch", ratio, EPOCH_GOAL, "x"))
    ratio = checkpoint["digest"] / checkpoint["plain"]
    print(target("checkpoint_digest_vs_plain", ratio, CHECKPOINT_GOAL, "x"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
