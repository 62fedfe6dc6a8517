"""Start-up where users wait, what a training job costs beyond its training, and the default
study end to end.

0. **Start-up of every study** (``config.yaml`` and ``studies/*.yaml``): ``actstudy validate
   <file>`` in the checkout (its reported files are found there) and a dry run, ``snakemake -n
   --configfile <file> --replace-workflow-config``, in a scratch folder that holds the default
   study's ``config.yaml`` and the checkout's ``studies/``: each the wall time from the command's
   start to its verdict (a study whose data or weights are absent here is refused; the refusal
   is the verdict a user waits for), the median of ``--repeats`` (and the first dry run's time:
   a search's first dry run in a folder computes its probe answers, later ones read them from
   the run cache's store, :mod:`actstudy.search.probe_cache`); beside them, the time this
   Python takes to import torch in the same run (the floor of any check that builds a model).

Each measurement below runs the project's Snakefile for real (``snakemake --cores 2``, with its
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

    python benchmarks/startup.py [--skip-study] [--only-startup] [--repeats 3] [--smoke]

``--smoke``: the default study's start-up once and its ``jobs.pack: run`` job of one epoch.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
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
STARTUP_GOAL_S = 3.0  # on a quiet machine


def snakemake(workdir: Path, *targets: str) -> float:
    """Run the workflow in ``workdir`` as ``make run`` does; return its wall time in seconds.
    The run cache is off: every job measured trains its runs (none is restored)."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    env["ACTSTUDY_RUN_CACHE"] = "off"
    command = [str(BIN / "snakemake"), "-s", str(REPO / "Snakefile"), "-d", str(workdir)]
    command += ["--cores", "2", *targets]
    tick = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - tick
    if result.returncode != 0:
        sys.exit(f"snakemake failed in {workdir}:\n{result.stderr[-3000:]}")
    return seconds


def study_folder(root: Path, name: str, pack: str | None = None, epochs: int | None = None) -> Path:
    """A scratch folder with the default study's config (``jobs.pack`` and
    ``training.epochs`` set when given)."""
    workdir = root / name
    workdir.mkdir()
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    if pack is not None:
        config["jobs"] = {**config.get("jobs", {}), "pack": pack}
    if epochs is not None:
        config["training"] = {**config["training"], "epochs": epochs}
    (workdir / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return workdir


def train_job(root: Path, pack: str, epochs: int | None = None) -> dict[str, float]:
    """Wall time, training time and fixed cost of one train job of the default study."""
    workdir = study_folder(root, f"job-{pack}", pack, epochs)
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


def wall_seconds(command: list[str], cwd: Path) -> tuple[float, str]:
    """Wall seconds of ``command`` run in ``cwd``, and its verdict: ``ok`` or the last line it
    printed on a failure (the sentence that refuses the study)."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    tick = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=env)
    seconds = time.perf_counter() - tick
    if result.returncode == 0:
        return seconds, "ok"
    lines = (result.stdout + result.stderr).strip().splitlines()
    return seconds, f"refused: {lines[-1][:80] if lines else result.returncode}"


def study_files(smoke: bool) -> list[Path]:
    files = [REPO / "config.yaml"]
    return files if smoke else files + sorted((REPO / "studies").glob("*.yaml"))


def startup(root: Path, files: list[Path], repeats: int) -> None:
    """Validate and dry-run every study file (medians of ``repeats``); print a table and the
    targets."""
    scratch = root / "dry-run"
    scratch.mkdir()
    shutil.copy(REPO / "config.yaml", scratch / "config.yaml")
    (scratch / "studies").symlink_to(REPO / "studies")
    torch_s = statistics.median(
        wall_seconds([sys.executable, "-c", "import torch"], root)[0] for _ in range(repeats)
    )
    rows = []
    for path in files:
        name = path.relative_to(REPO)
        validate = [sys.executable, "-m", "actstudy", "validate", str(name)]
        dry_run = [str(BIN / "snakemake"), "-s", str(REPO / "Snakefile"), "-n", "-q"]
        if path.parent != REPO:
            dry_run += ["--configfile", str(name), "--replace-workflow-config"]
        row = [str(name)]
        for command, cwd in ((validate, REPO), (dry_run, scratch)):
            runs = [wall_seconds(command, cwd) for _ in range(repeats)]
            row += [statistics.median(s for s, _ in runs), runs[0][0], runs[-1][1]]
        rows.append(row)
    print("| study | validate s | verdict | snakemake -n s | first s | verdict |")
    print("|---|---|---|---|---|---|")
    for study, validate_s, _, validated, dry_s, first_s, planned in rows:
        cells = [study, f"{validate_s:.2f}", validated, f"{dry_s:.2f}", f"{first_s:.2f}", planned]
        print(f"| {' | '.join(cells)} |")
    print(f"measure import_torch: {torch_s:.2f} s (the floor of a check that builds a model)")
    goal = f"<= {STARTUP_GOAL_S:.0f} s on a quiet machine"
    for study, validate_s, _, _, dry_s, _, _ in rows:
        target(f"validate/{study}", validate_s, goal, validate_s <= STARTUP_GOAL_S, " s")
        target(f"dry_run/{study}", dry_s, goal, dry_s <= STARTUP_GOAL_S, " s")


def training_jobs(root: Path, packs: tuple[str, ...], epochs: int | None) -> None:
    """One train job per ``jobs.pack`` setting: its fixed cost; the target on the default's."""
    default_pack = yaml.safe_load((REPO / "config.yaml").read_text()).get("jobs", {}).get("pack")
    jobs = {pack: train_job(root, pack, epochs) for pack in packs}
    print("| jobs.pack | runs | job s | training s | fixed s | fixed per run s | fixed share |")
    print("|---|---|---|---|---|---|---|")
    for pack, job in jobs.items():
        print(
            f"| {pack} | {job['runs']} | {job['wall']:.1f} | {job['training']:.1f} | "
            f"{job['fixed']:.1f} | {job['fixed'] / job['runs']:.2f} | {job['share']:.0%} |"
        )
    pack = default_pack if default_pack in jobs else next(iter(jobs))  # --smoke: run
    chosen = jobs[pack]
    target(
        f"fixed_share_of_a_default_study_job (jobs.pack: {pack})",
        chosen["share"],
        f"<= {FIXED_SHARE_GOAL}",
        chosen["share"] <= FIXED_SHARE_GOAL,
    )


def whole_study(root: Path) -> None:
    """The default study end to end, then again with nothing to do."""
    workdir = study_folder(root, "study")
    whole = snakemake(workdir)
    noop = snakemake(workdir)
    print(f"default study end to end: {whole:.0f} s; again with nothing to do: {noop:.1f} s")
    target(
        "default_study_end_to_end", whole, f"<= {STUDY_GOAL_S:.0f} s", whole <= STUDY_GOAL_S, " s"
    )
    target("noop_run", noop, f"<= {NOOP_GOAL_S:.0f} s", noop <= NOOP_GOAL_S, " s")
    shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--skip-study", action="store_true", help="leave out the whole default study"
    )
    parser.add_argument(
        "--only-startup", action="store_true", help="only validate and dry-run every study"
    )
    parser.add_argument("--repeats", type=int, default=3, help="start-up measurements (median)")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="config.yaml's start-up once and its pack: run job of 1 epoch: checks the script",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        startup(root, study_files(args.smoke), 1 if args.smoke else args.repeats)
        if args.only_startup:
            return
        if args.smoke:
            training_jobs(root, ("run",), epochs=1)
            return
        training_jobs(root, ("run", "folds", "case"), epochs=None)
        if not args.skip_study:
            whole_study(root)


if __name__ == "__main__":
    main()
