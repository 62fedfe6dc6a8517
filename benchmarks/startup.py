"""What a training job costs beyond its training, and the default study end to end.

Each measurement runs the project's Snakefile for real (``snakemake --cores 2``, with its
default profile ``profiles/default``) in a scratch folder holding the default study's
``config.yaml``:

1. **Fixed cost of a training job**: one train job of the default study, with each
   ``jobs.pack`` setting (``run``: fold 0 alone; ``folds``: the five folds of one activation in one
   process; ``case``: every activation and fold of the study's one dataset × model), with the
   study's ``jobs.threads``. The job's wall time comes from Snakemake's benchmark file of the
   job; the training it contains is the sum of its runs' epoch times (``epoch_seconds`` in each
   ``history.csv``: training and validation of every epoch). Fixed cost = wall time − training:
   starting Python, importing torch, loading and checking the arrays, building models, writing
   outputs.
2. **The default study end to end** (``make run``'s command, venv present) in a fresh folder, then
   the same command again with nothing to do.

Prints one line per target: ``target <name>: <measured> (goal <goal>) met|missed``.

    python benchmarks/startup.py [--skip-study]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CASE = "digits/lenet5"
RUNS = f"results/default/runs/{CASE}"
FIXED_SHARE_GOAL = 0.25
STUDY_GOAL_S = 300.0
NOOP_GOAL_S = 5.0


def snakemake(workdir: Path, *targets: str) -> float:
    """Run the workflow in ``workdir`` as ``make run`` does; return its wall time in seconds."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    command = [str(BIN / "snakemake"), "-s", str(REPO / "Snakefile"), "-d", str(workdir)]
    command += ["--cores", "2", *targets]
    tick = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - tick
    if result.returncode != 0:
        sys.exit(f"snakemake failed in {workdir}:\n{result.stderr[-3000:]}")
    return seconds


def study_folder(root: Path, name: str, pack: str | None = None) -> Path:
    """A scratch folder with the default study's config (``jobs.pack`` set when given)."""
    workdir = root / name
    workdir.mkdir()
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    if pack is not None:
        config["jobs"] = {**config.get("jobs", {}), "pack": pack}
    (workdir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return workdir


def train_job(root: Path, pack: str) -> dict[str, float]:
    """Wall time, training time and fixed cost of one train job of the default study."""
    workdir = study_folder(root, f"job-{pack}", pack)
    config = yaml.safe_load((workdir / "config.yaml").read_text())
    activations = list(config["activations"]) if pack == "case" else ["relu"]
    folds = [0] if pack == "run" else range(config["evaluation"]["folds"])
    runs = [f"{RUNS}/{activation}/fold{fold}" for activation in activations for fold in folds]
    snakemake(workdir, *(f"{run}/metrics.json" for run in runs))
    job = {"run": f"{CASE}/relu/fold0", "folds": f"{CASE}/relu", "case": CASE}[pack]
    benchmark = workdir / f"results/default/benchmarks/train/{job}.tsv"
    wall = float(pd.read_csv(benchmark, sep="\t")["s"].iloc[0])
    training = sum(
        pd.read_csv(workdir / run / "history.csv")["epoch_seconds"].sum() for run in runs
    )
    return {
        "runs": len(runs),
        "wall": wall,
        "training": training,
        "fixed": wall - training,
        "share": (wall - training) / wall,
    }


def target(name: str, measured: float, goal: str, met: bool, unit: str = "") -> None:
    print(f"target {name}: {measured:.3g}{unit} (goal {goal}) {'met' if met else 'missed'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--skip-study", action="store_true", help="measure train jobs only (not the whole study)"
    )
    args = parser.parse_args()
    default_pack = yaml.safe_load((REPO / "config.yaml").read_text()).get("jobs", {}).get("pack")
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        jobs = {pack: train_job(root, pack) for pack in ("run", "folds", "case")}
        print("| jobs.pack | runs | job s | training s | fixed s | fixed per run s | fixed share |")
        print("|---|---|---|---|---|---|---|")
        for pack, job in jobs.items():
            print(
                f"| {pack} | {job['runs']} | {job['wall']:.1f} | {job['training']:.1f} | "
                f"{job['fixed']:.1f} | {job['fixed'] / job['runs']:.2f} | {job['share']:.0%} |"
            )
        chosen = jobs[default_pack or "run"]
        target(
            f"fixed_share_of_a_default_study_job (jobs.pack: {default_pack or 'run'})",
            chosen["share"],
            f"<= {FIXED_SHARE_GOAL}",
            chosen["share"] <= FIXED_SHARE_GOAL,
        )
        if args.skip_study:
            return
        workdir = study_folder(root, "study")
        whole = snakemake(workdir)
        noop = snakemake(workdir)
        print(f"default study end to end: {whole:.0f} s; again with nothing to do: {noop:.1f} s")
        met = whole <= STUDY_GOAL_S
        target("default_study_end_to_end", whole, f"<= {STUDY_GOAL_S:.0f} s", met, " s")
        target("noop_run", noop, f"<= {NOOP_GOAL_S:.0f} s", noop <= NOOP_GOAL_S, " s")
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
