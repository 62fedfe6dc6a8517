"""Cost of every registered activation, as a ratio to built-in ``nn.ReLU`` measured in the same run.

1. Forward + backward on a (64, 64, 32, 32) float32 tensor: time and peak memory, eager and
   ``torch.compile``d, for every registered activation (aliases once) and one expression.
2. One ResNet-20 training step (batch 128, 32x32x3, SGD), eager and compiled, per activation.

Run ``.venv/bin/python benchmarks/activations.py [--quick] [--no-compile] [--only relu,coslu]``
(``--smoke``: ReLU and LReLU at tiny sizes, eager only, to check the script).
It ends with one line per target, ``target <name>: <measured> (goal <goal>) met|missed``, and
the compile choice per activation, which each activation declares as ``compile=`` in its
``@register(...)`` (``actstudy.activations.registry``).

Device: CUDA when available, else CPU. Times are medians over repeats; each candidate runs in
alternation with ReLU, round after round, so load from other processes hits both alike (the
clock and the alternation are ``actstudy.evaluation.timing``'s, which the workflow's timing step
uses too). On CPU
a time is the process's CPU time (``time.process_time``) with one intra-op thread by default:
on a shared machine wall time mostly measures the neighbours. On CUDA it is wall time between
synchronisations. Peak memory is what one forward + backward allocates above what existed
before (output, input gradient and every temporary): ``torch.cuda.max_memory_allocated`` on
CUDA; on CPU the peak of the PyTorch profiler's memory timeline, which follows every allocation
and free of the CPU allocator (tracemalloc does not see torch, and resident-set deltas mostly
see glibc's caching).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F
from torch.profiler import ProfilerActivity, profile

from actstudy import activations
from actstudy.activations import Spec
from actstudy.evaluation.timing import Clock, alternate, cpu_name

SHAPE = (64, 64, 32, 32)
BATCH = 128
EXPRESSION = "-x*erf(exp(-x))"
EAGER_GOALS = {"native": 1.5, "piecewise": 1.5}
"""Eager forward + backward goals (× ReLU) per group of :func:`candidates`."""
STEP_GOAL = 1.3
COMPILE_MARGIN = 0.95
"""Compile is recommended where the compiled step takes under this fraction of the eager one."""


@dataclass
class Candidate:
    label: str
    spec: Spec
    group: str
    """``native`` (a built-in torch module), ``piecewise`` (LReLU, DSReLU) or ``other``."""
    micro: dict[str, float | str] = field(default_factory=dict)
    step: dict[str, float | str] = field(default_factory=dict)


def candidates(only: set[str] | None) -> list[Candidate]:
    """Every registered activation, aliases once (same module repr), plus one expression."""
    found: list[Candidate] = []
    seen: set[str] = set()
    for name in activations.names():
        module = activations.create(name)
        if repr(module) in seen:
            continue
        seen.add(repr(module))
        if type(module).__module__.startswith(("torch.nn", "actstudy.activations.standard")):
            group = "native"
        elif isinstance(module, activations.LReLU | activations.DSReLU):
            group = "piecewise"
        else:
            group = "other"
        found.append(Candidate(name, name, group))
    found.append(Candidate("expr:eelu", {"expr": EXPRESSION}, "other"))
    if only is not None:
        unknown = only - {c.label for c in found}
        if unknown:
            raise SystemExit(f"--only names unknown activations: {', '.join(sorted(unknown))}")
        found = [c for c in found if c.label in only]
    return found


def forward_backward(module: nn.Module, x: torch.Tensor, grad: torch.Tensor) -> Callable[[], None]:
    def run() -> None:
        module(x).backward(grad)
        x.grad = None  # freed here, so that every call starts from the same memory
        module.zero_grad(set_to_none=True)

    return run


def compiled_or_error(
    build: Callable[[], Callable[[], None]],
) -> tuple[Callable[[], None] | str, float]:
    """Build and run a compiled callable once; return it (or the error) and the compile seconds."""
    start = time.perf_counter()
    try:
        run = build()
        run()
    except Exception as error:  # compile failures vary; report them, do not stop the run
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
        return f"failed: {type(error).__name__} {first_line}"[:120], time.perf_counter() - start
    return run, time.perf_counter() - start


def _cpu_peak_bytes(run: Callable[[], None]) -> int:
    with profile(
        activities=[ProfilerActivity.CPU], profile_memory=True, record_shapes=True, with_stack=True
    ) as prof:
        run()
    with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings():
        # Deprecated in favour of a CUDA-only recorder; on CPU it is still the only timeline.
        warnings.simplefilter("ignore", FutureWarning)
        path = Path(folder, "timeline.json")
        prof.export_memory_timeline(str(path), device="cpu")
        _, sizes = json.loads(path.read_text())
    totals = [sum(by_category) for by_category in sizes]
    return max(totals) - totals[0]


def peak_bytes(run: Callable[[], None], device: torch.device) -> int:
    """Bytes one call allocates at its peak above what was allocated before it."""
    if device.type == "cuda":
        torch.cuda.synchronize()
        before = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        run()
        torch.cuda.synchronize()
        return torch.cuda.max_memory_allocated() - before
    return _cpu_peak_bytes(run)


def measure_micro(
    found: list[Candidate], device: torch.device, repeats: int, use_compile: bool
) -> int:
    """Fill ``candidate.micro``; return ReLU's eager peak bytes."""
    clock = Clock(device)
    x = torch.randn(SHAPE, device=device, requires_grad=True)
    grad = torch.randn(SHAPE, device=device)
    relu = forward_backward(nn.ReLU(), x, grad)
    for name in activations.names():  # every kernel runs once before any timing (see README)
        forward_backward(activations.create(name).to(device), x, grad)()
    relu_peak = peak_bytes(relu, device)
    for candidate in found:
        module = activations.create(candidate.spec).to(device)
        runs = {"relu": relu, "eager": forward_backward(module, x, grad)}
        result = candidate.micro
        result["peak_eager"] = peak_bytes(runs["eager"], device)
        if use_compile:
            compiled, result["compile_s"] = compiled_or_error(
                lambda module=module: forward_backward(torch.compile(module), x, grad)
            )
            if isinstance(compiled, str):
                result["compiled"] = compiled
            else:
                runs["compiled"] = compiled
                result["peak_compiled"] = peak_bytes(compiled, device)
        times = alternate(clock, runs, repeats, warmup=10)
        result.update({key: times[key] for key in runs if key != "relu"})
        result["relu"] = times["relu"]
        print(f"  {candidate.label}: {_micro_summary(result)}", flush=True)
    return relu_peak


def _micro_summary(result: dict[str, float | str]) -> str:
    parts = [f"eager {result['eager'] / result['relu']:.2f}x"]
    compiled = result.get("compiled")
    parts.append(
        f"compiled {compiled / result['relu']:.2f}x" if isinstance(compiled, float) else "compile -"
    )
    return ", ".join(parts)


def training_step(spec: Spec, device: torch.device, compiled: bool) -> Callable[[], None]:
    from actstudy import models

    torch.manual_seed(0)
    model = models.create("resnet20", num_classes=10, in_channels=3, act=spec).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    forward = torch.compile(model) if compiled else model
    images = torch.randn(BATCH, 3, 32, 32, device=device)
    labels = torch.randint(0, 10, (BATCH,), device=device)

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(forward(images), labels).backward()
        optimizer.step()

    return step


def models_available() -> bool:
    try:
        from actstudy import models
    except ImportError:
        return False
    return hasattr(models, "create")


def measure_steps(
    found: list[Candidate], device: torch.device, repeats: int, use_compile: bool
) -> None:
    """Fill ``candidate.step`` with eager and compiled step times next to ReLU's."""
    clock = Clock(device)
    relu_runs = {"relu": training_step("relu", device, compiled=False)}
    if use_compile:
        relu_compiled, _ = compiled_or_error(lambda: training_step("relu", device, compiled=True))
        if not isinstance(relu_compiled, str):
            relu_runs["relu_compiled"] = relu_compiled
    for candidate in found:
        runs = dict(relu_runs)
        runs["eager"] = training_step(candidate.spec, device, compiled=False)
        result = candidate.step
        if use_compile:
            compiled, result["compile_s"] = compiled_or_error(
                lambda spec=candidate.spec: training_step(spec, device, compiled=True)
            )
            if isinstance(compiled, str):
                result["compiled"] = compiled
            else:
                runs["compiled"] = compiled
        result.update(alternate(clock, runs, repeats, warmup=3))
        eager = result["eager"] / result["relu"]
        print(f"  {candidate.label}: step eager {eager:.2f}x", flush=True)


def best_step_ratio(step: dict[str, float | str]) -> tuple[float, str]:
    """The candidate's faster mode against ReLU's faster mode, and which mode that is."""
    relu = min(v for k, v in step.items() if k in ("relu", "relu_compiled"))
    modes = {k: v for k, v in step.items() if k in ("eager", "compiled") and isinstance(v, float)}
    mode = "compiled" if recommend_compile(step) else "eager"
    return modes[mode] / relu, mode


def recommend_compile(step: dict[str, float | str]) -> bool:
    compiled = step.get("compiled")
    return isinstance(compiled, float) and compiled < COMPILE_MARGIN * step["eager"]


def _ms(value: float | str | None) -> str:
    return f"{value * 1e3:.1f}" if isinstance(value, float) else "-"


def _ratio(value: float | str | None, base: float) -> str:
    return f"{value / base:.2f}" if isinstance(value, float) else "-"


def _mib(value: float | str | None) -> str:
    return f"{value / 2**20:.0f}" if isinstance(value, int | float) else "-"


def micro_table(found: list[Candidate], relu_peak: float) -> str:
    rows = [
        "| activation | eager ms | eager ×ReLU | compiled ms | compiled ×ReLU | compile s "
        "| peak MiB eager | peak ×ReLU | peak MiB compiled |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for c in found:
        m = c.micro
        rows.append(
            f"| {c.label} | {_ms(m['eager'])} | {_ratio(m['eager'], m['relu'])} "
            f"| {_ms(m.get('compiled'))} | {_ratio(m.get('compiled'), m['relu'])} "
            f"| {m.get('compile_s', 0):.0f} | {_mib(m['peak_eager'])} "
            f"| {_ratio(float(m['peak_eager']), relu_peak)} | {_mib(m.get('peak_compiled'))} |"
        )
    failures = [
        f"{c.label}: {c.micro['compiled']}"
        for c in found
        if isinstance(c.micro.get("compiled"), str)
    ]
    return "\n".join(rows + [f"\nCompile failed for {f}" for f in failures])


def step_table(found: list[Candidate]) -> str:
    rows = [
        "| activation | eager ms | eager ×ReLU | compiled ms | compiled ×ReLU | best ×best ReLU "
        "| compile? |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in found:
        s = c.step
        ratio, mode = best_step_ratio(s)
        rows.append(
            f"| {c.label} | {_ms(s['eager'])} | {_ratio(s['eager'], s['relu'])} "
            f"| {_ms(s.get('compiled'))} | {_ratio(s.get('compiled'), s['relu'])} "
            f"| {ratio:.2f} ({mode}) | {'yes' if mode == 'compiled' else 'no'} |"
        )
    return "\n".join(rows)


def _target(name: str, measured: float, goal: float, detail: str = "") -> str:
    verdict = "met" if measured <= goal else "missed"
    return f"target {name}: {measured:.2f}x ReLU{detail} (goal <= {goal}x) {verdict}"


def targets(found: list[Candidate], with_steps: bool) -> list[str]:
    lines = []
    for c in found:
        if c.group in EAGER_GOALS:
            ratio = c.micro["eager"] / c.micro["relu"]
            lines.append(_target(f"eager/{c.label}", ratio, EAGER_GOALS[c.group]))
    if with_steps:
        for c in found:
            ratio, mode = best_step_ratio(c.step)
            lines.append(_target(f"resnet20_step/{c.label}", ratio, STEP_GOAL, f" {mode}"))
    return lines


def header(device: torch.device, threads: int) -> str:
    if device.type == "cuda":
        machine = torch.cuda.get_device_name(device)
    else:
        machine = f"{cpu_name()}, {os.cpu_count()} cores"
    return (
        f"{datetime.date.today()} · torch {torch.__version__} · Python "
        f"{platform.python_version()} · {device.type}: {machine} · {threads} intra-op thread(s)"
    )


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--no-compile", action="store_true", help="eager mode only")
    parser.add_argument("--only", help="comma-separated activation labels to measure")
    parser.add_argument(
        "--threads", type=int, default=1, help="intra-op threads on CPU (default 1)"
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="ReLU and LReLU at tiny sizes, 1 round, eager only (compiling takes minutes)",
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.quick, args.no_compile, args.only = True, True, args.only or "relu,lrelu"
    return args


def use_smoke_sizes() -> None:
    """Tiny tensors and batches: the script checked in seconds, nothing measured."""
    global SHAPE, BATCH
    SHAPE, BATCH = (4, 8, 16, 16), 8


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.type == "cpu":
        torch.set_num_threads(args.threads)
    use_compile = not args.no_compile
    # Every compiled ResNet-20 adds an entry for the same forward code; more than the default
    # 8 would silently run eagerly, so allow them all and fail loudly past that.
    torch._dynamo.config.recompile_limit = 64
    torch._dynamo.config.fail_on_recompile_limit_hit = True
    micro_repeats, step_repeats = (5, 3) if args.quick else (15, 7)
    if args.smoke:
        use_smoke_sizes()
        micro_repeats = step_repeats = 1
    found = candidates(set(args.only.split(",")) if args.only else None)
    print(header(device, torch.get_num_threads()), flush=True)
    print(f"forward + backward on {SHAPE} float32:", flush=True)
    relu_peak = measure_micro(found, device, micro_repeats, use_compile)
    with_steps = models_available()
    if with_steps:
        print(f"ResNet-20 training step, batch {BATCH}:", flush=True)
        measure_steps(found, device, step_repeats, use_compile)
    print()
    print(micro_table(found, relu_peak))
    print()
    if with_steps:
        print(step_table(found))
        if use_compile:
            measured = {c.label: recommend_compile(c.step) for c in found}
            print(f"\ncompile= to declare at register(...), as measured: {measured}")
    else:
        print("ResNet-20 step skipped: actstudy.models.create is not available yet.")
    print()
    print("\n".join(targets(found, with_steps)))


if __name__ == "__main__":
    main(sys.argv[1:])
