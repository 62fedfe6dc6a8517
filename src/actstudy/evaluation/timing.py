"""Fair training-step times: every activation of a dataset × model timed in one process.

A run's wall-clock epoch times are confounded by load: runs of a case train one after another
(``jobs.pack: case``), so a busy neighbour lands on whichever is training. Here each
activation's training step (forward, loss, backward, optimiser step: the loop's
:func:`~actstudy.training.loop.train_step`, with the run's model, recipe, device, precision and
batch size) runs ``steps`` times per round, the activations in turn round after round, so that
load from other processes hits all of them alike; the table gives the median over rounds of the
seconds per step and the median of each round's ratio to the study's ReLU. On CPU a time is
the process's CPU time (``time.process_time``; wall time on a shared machine mostly measures the
neighbours), on CUDA wall time between synchronisations. The machine's load average before and
after says how busy it was. ``benchmarks/activations.py`` times activations with the same
:func:`alternate`.
"""

from __future__ import annotations

import math
import os
import platform
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from actstudy.evaluation.model_cost import COLUMNS as COST_COLUMNS
from actstudy.evaluation.model_cost import model_cost

REFERENCE = "relu"
"""The activation the ratios are taken to: the study's ReLU (the registered name, no options)."""
COLUMNS = [
    "dataset",
    "model",
    "activation",
    "step_seconds",
    "step_seconds_min",
    "step_seconds_max",
    "steps_per_epoch",
    "epoch_seconds",
    "ratio_to_relu",
    "ratio_rounds",
    "reference",
    "batch_size",
    "optimizer",
    "precision",
    "compiled",
    "device",
    "threads",
    "clock",
    "rounds",
    "steps_per_round",
    "load_before",
    "load_after",
    "cpus",
    *COST_COLUMNS,
]
"""The timing table's columns (see :func:`case_timing`)."""


class Clock:
    """Seconds one call takes: CPU time of the process on CPU, synchronised wall time on CUDA."""

    def __init__(self, device: torch.device) -> None:
        self.cuda = device.type == "cuda"

    @property
    def name(self) -> str:
        return "cuda wall time" if self.cuda else "process cpu time"

    def __call__(self, run: Callable[[], None]) -> float:
        if self.cuda:
            torch.cuda.synchronize()
            start = time.perf_counter()
            run()
            torch.cuda.synchronize()
            return time.perf_counter() - start
        start = time.process_time()
        run()
        return time.process_time() - start


def alternate_samples(
    clock: Clock, runs: Mapping[str, Callable[[], None]], repeats: int, warmup: int
) -> dict[str, list[float]]:
    """Seconds of each run in each of ``repeats`` rounds, the runs taken in turn round after
    round after ``warmup`` calls each.

    Warm-up matters on CPU: the first calls of a compiled graph grow the heap, and a VM can take
    about 15 µs per page fault, so an unsettled heap costs more than the kernels.
    """
    for run in runs.values():
        for _ in range(warmup):
            run()
    samples: dict[str, list[float]] = {key: [] for key in runs}
    for _ in range(repeats):
        for key, run in runs.items():
            samples[key].append(clock(run))
    return samples


def alternate(
    clock: Clock, runs: Mapping[str, Callable[[], None]], repeats: int, warmup: int
) -> dict[str, float]:
    """Median seconds of each run over :func:`alternate_samples`' rounds."""
    samples = alternate_samples(clock, runs, repeats, warmup)
    return {key: statistics.median(values) for key, values in samples.items()}


def round_ratios(samples: Mapping[str, Sequence[float]], reference: str) -> dict[str, list[float]]:
    """Each run's time over ``reference``'s in the same round, round by round: load that drifts
    from round to round cancels within a round, which a ratio of the two medians does not do."""
    base = samples[reference]
    return {
        key: [a / b for a, b in zip(values, base, strict=True)] for key, values in samples.items()
    }


def cpu_name() -> str:
    """The CPU's model name (Linux), else the machine type."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return platform.machine()
    names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return names[0] if names else platform.machine()


def device_name(device: torch.device) -> str:
    """``cuda: <GPU>``, or ``cpu: <CPU model>, <n> cores``."""
    if device.type == "cuda":
        return f"cuda: {torch.cuda.get_device_name(device)}"
    if device.type == "cpu":
        return f"cpu: {cpu_name()}, {os.cpu_count()} cores"
    return device.type


def load_average() -> float:
    """The 1-minute load average (NaN where the system has none)."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return math.nan


def is_reference(spec: Any) -> bool:
    """Whether an activation spec is plain ReLU (the registered name, no options)."""
    return spec == REFERENCE or spec == {"name": REFERENCE}


def _step_runner(
    spec: dict[str, Any], prepared: Any, train_idx: Any, steps: int, threads: int | None
) -> tuple[Callable[[], None], dict[str, Any]]:
    """A callable running ``steps`` training steps of the run ``spec`` describes on one batch of
    the fold's training samples, and what the table records of it."""
    from actstudy.activations.progress import TrainingProgress, drive, progress_modules
    from actstudy.training.batches import DeviceData
    from actstudy.training.device import setup_device
    from actstudy.training.loop import build_run, input_normalization, train_step

    recipe = spec["training"]
    batch = train_idx[: recipe["batch_size"]]
    x = prepared.train.x[batch]
    normalize, _ = input_normalization(spec["dataset"]["normalize"], x, spec["model"]["name"])
    setup = setup_device(recipe["device"], recipe["precision"], recipe["channels_last"], threads)
    data = DeviceData.from_arrays(x, prepared.train.y[batch], setup.device, normalize)
    run = build_run(spec, data, len(prepared.classes), setup)
    inputs, labels = next(data.batches(len(data), memory_format=run.memory_format))
    steps_per_epoch = math.ceil(len(train_idx) / recipe["batch_size"])
    drive(progress_modules(run.model), TrainingProgress(0, 0, steps_per_epoch, recipe["epochs"]))
    run.forward.train()

    def steps_of_a_round() -> None:
        for _ in range(steps):
            train_step(run, inputs, labels)

    info = {
        **model_cost(run.model, inputs),
        "steps_per_epoch": steps_per_epoch,
        "batch_size": recipe["batch_size"],
        "optimizer": recipe["optimizer"]["name"],
        "precision": setup.precision,
        "compiled": bool(run.compiled),
        "device": device_name(setup.device),
    }
    return steps_of_a_round, {"setup": setup, **info}


def case_timing(
    specs: Sequence[dict[str, Any]],
    prepared_dir: str | os.PathLike[str],
    folds_file: str | os.PathLike[str],
    *,
    rounds: int,
    steps: int,
    warmup: int,
    threads: int | None = None,
) -> pd.DataFrame:
    """The timing table of one dataset × model: one row per activation (the runs ``specs``
    describe, fold 0 of each), in their order, with :data:`COLUMNS`.

    ``step_seconds``: median over ``rounds`` rounds of one step's seconds (a round's time over
    ``steps``), with the fastest and slowest round's (``_min``, ``_max``); ``epoch_seconds``:
    that × the steps of one epoch of fold 0 (training steps only: no validation, no batch
    assembly or augmentation, which cost every activation alike); ``ratio_to_relu``: the
    median over rounds of its round's time over the case's ReLU's in the same round
    (:func:`round_ratios`; ``reference`` the ReLU's label; NaN and empty without one), and
    each round's ratio (``ratio_rounds``, space-separated), from which a claim on the ratio
    takes a distribution-free interval of the median."""
    from actstudy.data import load_prepared
    from actstudy.training.folds import fold_indices

    if not specs:
        raise ValueError("timing needs the spec of at least one run")
    prepared = load_prepared(prepared_dir)
    train_idx, _ = fold_indices(folds_file, 0)
    runners, infos = {}, {}
    for spec in specs:
        label = spec["activation"]["label"]
        runners[label], infos[label] = _step_runner(spec, prepared, train_idx, steps, threads)
    clock = Clock(infos[specs[0]["activation"]["label"]]["setup"].device)
    load_before = load_average()
    samples = alternate_samples(clock, runners, rounds, warmup)
    load_after = load_average()
    reference = next(
        (s["activation"]["label"] for s in specs if is_reference(s["activation"]["spec"])), ""
    )
    rows = []
    for spec in specs:
        label = spec["activation"]["label"]
        per_step = [seconds / steps for seconds in samples[label]]
        info = {k: v for k, v in infos[label].items() if k != "setup"}
        median = statistics.median(per_step)
        rows.append(
            {
                "dataset": spec["dataset"]["label"],
                "model": spec["model"]["label"],
                "activation": label,
                "step_seconds": median,
                "step_seconds_min": min(per_step),
                "step_seconds_max": max(per_step),
                "epoch_seconds": median * info["steps_per_epoch"],
                **info,
                "threads": torch.get_num_threads(),
                "clock": clock.name,
                "rounds": rounds,
                "steps_per_round": steps,
                "load_before": load_before,
                "load_after": load_after,
                "cpus": os.cpu_count(),
            }
        )
    table = pd.DataFrame(rows)
    per_round = round_ratios(samples, reference) if reference else {}
    ratios = {label: statistics.median(values) for label, values in per_round.items()}
    table["ratio_to_relu"] = [ratios.get(label, math.nan) for label in table["activation"]]
    table["ratio_rounds"] = [
        " ".join(f"{r:.6g}" for r in per_round.get(label, [])) for label in table["activation"]
    ]
    table["reference"] = reference
    return table[COLUMNS]
