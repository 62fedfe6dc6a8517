"""Checks for tests/slurm/run.sh: a Slurm run's results against a local run's, the Slurm
jobs behind it (submitted by sbatch, completed, grouped, and with the GPUs they asked for), and
training runs sharing the GPU of one Slurm job.

    python check_run.py outputs --slurm WORKDIR --local WORKDIR
    python check_run.py jobs --log SNAKEMAKE_LOG --ctld-log SLURMCTLD_LOG --slurm-logs DIR
                             --expect train=1,... [--grouped train=4] [--gpus train=1]
    python check_run.py requeue --job SLURM_JOB_ID --epochs N --resumed RUN_DIR --runs RUN_DIR...
    python check_run.py slots --job SLURM_JOB_ID --workdir WORKDIR --runs N --at-once N

Prints what it found; exits non-zero with the reasons when a check fails.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from workflow_helpers import job_intervals, most_at_once

STUDY = "results/tiny"
SUBMITTED = re.compile(r"Job (\S+) has been submitted with SLURM jobid (\d+) \(log: (.+?)\)\.")
SBATCH_CALL = re.compile(r"^sbatch call: (sbatch .*)$", re.M)


class Checks:
    def __init__(self) -> None:
        self.failures: list[str] = []

    def expect(self, ok: bool, message: str) -> None:
        if not ok:
            self.failures.append(message)

    def finish(self, what: str) -> int:
        if self.failures:
            print(f"{what}: {len(self.failures)} check(s) failed:", file=sys.stderr)
            for failure in self.failures:
                print(f"  - {failure}", file=sys.stderr)
            return 1
        print(f"{what}: all checks passed")
        return 0


def result_files(workdir: Path) -> set[str]:
    return {
        p.relative_to(workdir).as_posix()
        for top in ("results", "resources")
        for p in (workdir / top).rglob("*")
        if p.is_file()
    }


def check_outputs(slurm: Path, local: Path) -> int:
    checks = Checks()
    on_slurm, on_local = result_files(slurm), result_files(local)
    checks.expect(bool(on_local), f"the local run left no results in {local}")
    checks.expect(
        on_slurm == on_local,
        f"different files; only on Slurm: {sorted(on_slurm - on_local)}, "
        f"only local: {sorted(on_local - on_slurm)}",
    )
    print(f"results and resources: {len(on_slurm)} files on Slurm, {len(on_local)} locally")

    for name in ("runs", "histories", "summary", "statistics"):
        path = f"{STUDY}/tables/all/{name}.csv"
        if not (slurm / path).exists() or not (local / path).exists():
            continue
        a, b = pd.read_csv(slurm / path), pd.read_csv(local / path)
        checks.expect(list(a.columns) == list(b.columns), f"{path}: columns differ")
        checks.expect(a.shape == b.shape, f"{path}: shape {a.shape} on Slurm, {b.shape} locally")

    summary_path = slurm / STUDY / "tables/all/summary.csv"
    if summary_path.exists():
        summary = pd.read_csv(summary_path)
        checks.expect(len(summary) == 2, f"summary has {len(summary)} rows, not 2")
        checks.expect(
            sorted(summary["activation"]) == ["dsrelu", "relu"],
            f"summary activations {sorted(summary['activation'])}",
        )
        checks.expect(bool((summary["folds"] == 2).all()), "summary: not 2 folds per activation")
        print(summary[["activation", "folds", "val_accuracy_mean"]].to_string(index=False))
    else:
        checks.expect(False, f"no {summary_path}")

    for metrics in sorted((slurm / STUDY / "runs").glob("*/*/*/fold*/metrics.json")):
        status = json.loads(metrics.read_text())["status"]
        checks.expect(status == "completed", f"{metrics}: status {status}")
    checks.expect(
        not list((slurm / STUDY / "runs").glob("*/*/*/fold*/last.pt")),
        "a resume checkpoint (last.pt) was left behind",
    )

    notebook = slurm / STUDY / "notebooks/figures.ipynb"
    if notebook.exists():
        cells = json.loads(notebook.read_text())["cells"]
        errors = [
            o
            for c in cells
            if c["cell_type"] == "code"
            for o in c.get("outputs", [])
            if o["output_type"] == "error"
        ]
        checks.expect(not errors, "the figure notebook has error outputs")
        checks.expect((slurm / STUDY / "notebooks/figures.html").stat().st_size > 0, "empty html")
    else:
        checks.expect(False, f"no {notebook}")

    same = []
    for metrics in sorted((slurm / STUDY / "runs").glob("*/*/*/fold*/metrics.json")):
        twin = local / metrics.relative_to(slurm)
        if twin.exists():
            a = json.loads(metrics.read_text())["val"]["accuracy"]
            b = json.loads(twin.read_text())["val"]["accuracy"]
            same.append(abs(a - b) < 1e-9)
    print(f"validation accuracy identical to the local run's in {sum(same)}/{len(same)} runs")
    return checks.finish("outputs")


def scontrol(job_id: str) -> dict[str, str]:
    """``scontrol show job -d`` of one job as a dict (first value of each key)."""
    text = subprocess.run(
        ["scontrol", "show", "job", "-d", "-o", job_id],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    fields: dict[str, str] = {}
    for key, value in re.findall(r"(\w[\w/:]*)=(\S*)", text):
        fields.setdefault(key, value)
    return fields


def pairs(text: str) -> dict[str, int]:
    return {k: int(v) for k, v in (item.split("=") for item in text.split(",") if item)}


def check_jobs(args: argparse.Namespace) -> int:
    checks = Checks()
    log = args.log.read_text()
    submitted = SUBMITTED.findall(log)
    calls = [shlex.split(m) for m in SBATCH_CALL.findall(log)]
    calls_by_comment = {c[c.index("--comment") + 1]: c for c in calls if "--comment" in c}
    checks.expect(bool(submitted), f"no 'submitted with SLURM jobid' lines in {args.log}")
    checks.expect(len(calls) == len(submitted), f"{len(calls)} sbatch calls, {len(submitted)} jobs")
    ctld_log = args.ctld_log.read_text()
    grouped, gpus_wanted = pairs(args.grouped), pairs(args.gpus)

    rules: Counter[str] = Counter()
    for _, slurm_id, slurm_log in submitted:
        job = scontrol(slurm_id)
        log_path = Path(slurm_log)
        # The jobs that really ran inside this Slurm job: the job step's Snakemake logs each one.
        text = log_path.read_text() if log_path.exists() else ""
        ran = Counter(re.findall(r"^localrule (\w+):", text, re.M))
        rule = "+".join(sorted(ran)) or "(nothing ran)"
        rules[rule] += 1
        call = calls_by_comment.get(job.get("Comment", ""), [])
        gpus = [a for a in call if a.startswith("--gpus")]
        print(
            f"Slurm job {slurm_id}: {rule} x{sum(ran.values())}, {job.get('JobState')}, exit "
            f"{job.get('ExitCode')}, TRES {job.get('TRES')}, sbatch {' '.join(gpus) or 'no --gpus'}"
        )
        checks.expect(job.get("JobState") == "COMPLETED", f"job {slurm_id}: {job.get('JobState')}")
        checks.expect(job.get("ExitCode") == "0:0", f"job {slurm_id}: exit {job.get('ExitCode')}")
        checks.expect(
            f"_slurm_rpc_submit_batch_job: JobId={slurm_id} " in ctld_log,
            f"job {slurm_id} is not in slurmctld's log as a batch submission",
        )
        checks.expect(bool(call), f"job {slurm_id}: no sbatch call logged for it")
        checks.expect(
            log_path.is_relative_to(args.slurm_logs) and log_path.exists(),
            f"job {slurm_id}: no plugin log {log_path} under {args.slurm_logs}",
        )
        want = grouped.get(rule, 1)
        checks.expect(
            sum(ran.values()) == want, f"job {slurm_id} ran {dict(ran)}, not {want} {rule} job(s)"
        )
        if rule in gpus_wanted:
            n = gpus_wanted[rule]
            checks.expect(gpus == [f"--gpus={n}"], f"job {slurm_id}: sbatch asked {gpus or 'none'}")
            # Without an accounting database TRES leaves GRES out; JOB_GRES is the allocation.
            checks.expect(
                job.get("JOB_GRES") == f"gpu:{n}",
                f"job {slurm_id}: Slurm allocated JOB_GRES={job.get('JOB_GRES')}, not gpu:{n}",
            )
            print(f"  Slurm allocated: JOB_GRES={job.get('JOB_GRES')}")
        else:
            checks.expect(not gpus, f"job {slurm_id} ({rule}) asked for GPUs: {gpus}")

    checks.expect(
        dict(rules) == pairs(args.expect),
        f"Slurm jobs per rule {dict(rules)}, expected {pairs(args.expect)}",
    )
    return checks.finish(f"Slurm jobs of {args.log.name}")


def check_requeue(job_id: str, epochs: int, resumed_run: Path, runs: list[Path]) -> int:
    checks = Checks()
    job = scontrol(job_id)
    restarts = job.get("Restarts")
    print(
        f"Slurm job {job_id}: {job.get('JobState')}, exit {job.get('ExitCode')}, "
        f"restarts {restarts}, requeue {job.get('Requeue')}"
    )
    checks.expect(job.get("JobState") == "COMPLETED", f"job {job_id}: {job.get('JobState')}")
    checks.expect(restarts == "1", f"job {job_id}: {restarts} restarts, not 1")
    checks.expect(job.get("Requeue") == "1", f"job {job_id} was not submitted with --requeue")
    for run in runs:
        manifest = json.loads((run / "manifest.json").read_text())
        resumed = manifest.get("resumed_from_epoch")
        history = pd.read_csv(run / "history.csv")
        status = json.loads((run / "metrics.json").read_text())["status"]
        print(f"run {run.name}: {status}, {len(history)} epochs, resumed from epoch {resumed}")
        if run == resumed_run:
            ok = isinstance(resumed, int) and 1 <= resumed < epochs
            checks.expect(ok, f"{run.name} was cut off but resumed from {resumed}")
        checks.expect(status == "completed", f"{run.name}: status {status}")
        checks.expect(len(history) == epochs, f"{run.name}: {len(history)} epochs, not {epochs}")
        checks.expect(
            list(history["epoch"]) == list(range(1, epochs + 1)),
            f"{run.name}: epochs in history.csv are not 1..{epochs}",
        )
        checks.expect(not (run / "last.pt").exists(), f"{run.name}: last.pt left behind")
    return checks.finish("requeue")


def check_slots(job_id: str, workdir: Path, runs: int, at_once: int) -> int:
    """One Slurm job that holds one GPU ran the study's training runs, ``at_once`` at a time."""
    checks = Checks()
    job = scontrol(job_id)
    print(
        f"Slurm job {job_id}: {job.get('JobState')}, exit {job.get('ExitCode')}, "
        f"JOB_GRES={job.get('JOB_GRES')}"
    )
    checks.expect(job.get("JobState") == "COMPLETED", f"job {job_id}: {job.get('JobState')}")
    checks.expect(job.get("JOB_GRES") == "gpu:1", f"job {job_id}: JOB_GRES {job.get('JOB_GRES')}")
    intervals = job_intervals(workdir, f"{STUDY}/benchmarks/train")
    start = min((s for s, _ in intervals), default=0.0)
    print(
        "training runs (s from the first start):",
        [(round(s - start, 1), round(e - start, 1)) for s, e in intervals],
    )
    checks.expect(len(intervals) == runs, f"{len(intervals)} training runs, not {runs}")
    peak = most_at_once(intervals)
    checks.expect(peak == at_once, f"at most {peak} training runs at once, not {at_once}")
    for metrics in sorted((workdir / STUDY / "runs").glob("*/*/*/fold*/metrics.json")):
        status = json.loads(metrics.read_text())["status"]
        checks.expect(status == "completed", f"{metrics}: status {status}")
    return checks.finish("slots")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    outputs = sub.add_parser("outputs")
    outputs.add_argument("--slurm", type=Path, required=True)
    outputs.add_argument("--local", type=Path, required=True)
    jobs = sub.add_parser("jobs")
    jobs.add_argument("--log", type=Path, required=True)
    jobs.add_argument("--ctld-log", type=Path, required=True)
    jobs.add_argument("--slurm-logs", type=Path, required=True)
    jobs.add_argument("--expect", required=True, help="Slurm jobs per rule: rule=n,...")
    jobs.add_argument("--grouped", default="", help="rule=n: n jobs ran in each of its Slurm jobs")
    jobs.add_argument("--gpus", default="", help="rule=n: its Slurm job asked for n GPUs")
    requeue = sub.add_parser("requeue")
    requeue.add_argument("--job", required=True)
    requeue.add_argument("--epochs", type=int, required=True)
    requeue.add_argument("--resumed", type=Path, required=True, help="the run that was cut off")
    requeue.add_argument("--runs", type=Path, nargs="+", required=True)
    slots = sub.add_parser("slots")
    slots.add_argument("--job", required=True)
    slots.add_argument("--workdir", type=Path, required=True)
    slots.add_argument("--runs", type=int, required=True)
    slots.add_argument("--at-once", type=int, required=True)
    args = parser.parse_args(argv)
    if args.command == "slots":
        return check_slots(args.job, args.workdir, args.runs, args.at_once)
    if args.command == "outputs":
        return check_outputs(args.slurm, args.local)
    if args.command == "requeue":
        return check_requeue(args.job, args.epochs, args.resumed, args.runs)
    return check_jobs(args)


if __name__ == "__main__":
    sys.exit(main())
