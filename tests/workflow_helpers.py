"""Helpers for tests: the repository, running Snakemake for real in a scratch folder, and
runs.csv tables to aggregate and compare."""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def snakemake(
    workdir: Path, *args: str, check: bool = True, repo: Path = REPO
) -> subprocess.CompletedProcess:
    """Run the project's Snakefile (of ``repo``) in ``workdir`` (which holds its config.yaml)."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(
        [str(BIN / "snakemake"), "-s", str(repo / "Snakefile"), "-d", str(workdir), *args],
        capture_output=True,
        text=True,
        env=env,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"snakemake {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        )
    return result


def planned_jobs(workdir: Path, *args: str, repo: Path = REPO) -> dict[str, int]:
    """Jobs per rule that a dry run plans (empty when there is nothing to do)."""
    result = snakemake(workdir, "--dry-run", *args, repo=repo)
    text = result.stdout + result.stderr
    counts: dict[str, int] = {}
    if "Job stats:" not in text:
        assert "Nothing to be done" in text, text
        return counts
    table = text.split("Job stats:", 1)[1]
    for line in table.splitlines()[3:]:
        match = re.fullmatch(r"\s*(\w+)\s+(\d+)\s*", line)
        if not match:
            break
        if match[1] != "total":
            counts[match[1]] = int(match[2])
    return counts


def write_config(workdir: Path, config: dict, name: str = "config.yaml") -> Path:
    path = workdir / name
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def tiny_config() -> dict:
    """The tiny study the workflow tests run: 2 activations × 2 folds × 1 epoch."""
    return yaml.safe_load((REPO / "tests" / "configs" / "tiny.yaml").read_text())


def copy_of_the_workflow(target: Path) -> Path:
    """The Snakefile, rules, package and notebooks copied to ``target``, to edit in tests."""
    for part in ("Snakefile", "workflow", "src", "notebooks", "envs"):
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, target / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target / part)
    return target


def readme_block(heading: str, language: str, index: int = 0) -> str:
    """The ``index``-th fenced ``language`` block under a ``## heading`` of the README."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(rf"```{language}\n(.*?)```", section, flags=re.S)
    return blocks[index]


def runs_table(
    scores: dict[str, list[float]],
    diverged: dict[str, list[int]] | None = None,
    case: tuple[str, str] = ("d", "m"),
) -> pd.DataFrame:
    """runs.csv rows of one dataset × model: a validation accuracy per fold per activation;
    the folds ``diverged`` names ({activation: [folds]}) diverged, with no metrics."""
    diverged = diverged or {}
    rows = []
    for activation, values in scores.items():
        for fold, value in enumerate(values):
            bad = fold in diverged.get(activation, ())
            rows.append(
                {
                    "dataset": case[0],
                    "model": case[1],
                    "activation": activation,
                    "fold": fold,
                    "status": "diverged" if bad else "completed",
                    "val_accuracy": math.nan if bad else value,
                    "val_loss": math.nan if bad else 1 - value,
                }
            )
    return pd.DataFrame(rows)


def job_intervals(workdir: Path, benchmarks: str) -> list[tuple[float, float]]:
    """(start, end) in seconds of every job with a benchmark file under ``benchmarks`` (of
    ``workdir``): the file is written when the job ends and records how long it ran (``s``)."""
    intervals = []
    for tsv in sorted((workdir / benchmarks).rglob("*.tsv")):
        end = tsv.stat().st_mtime
        intervals.append((end - float(pd.read_csv(tsv, sep="\t")["s"].iloc[0]), end))
    return intervals


def most_at_once(intervals: list[tuple[float, float]]) -> int:
    """The largest number of intervals open at one moment (one ending as another starts: 1)."""
    events = sorted([(end, -1) for _, end in intervals] + [(start, 1) for start, _ in intervals])
    running = peak = 0
    for _, change in events:
        running += change
        peak = max(peak, running)
    return peak
