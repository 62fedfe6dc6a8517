"""The activation search as a stage of the DAG, run for real: a tiny search on scikit-learn
digits (population 6, 3 generations, 1 epoch) with its random baseline, killed once in the
middle of a generation and resumed with the same command; each function is trained once."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from workflow_helpers import BIN, REPO, snakemake, write_config

from actstudy.config import validate_config

pytestmark = [pytest.mark.workflow, pytest.mark.slow]

STUDY = "tinysearch"
SEARCH = {
    "dataset": "digits",
    "model": "lenet5",  # the smallest model that takes 16×16 images: the stage, not the CNN
    "population": 6,
    "generations": 3,
    "elite": 2,
    "epochs": 1,
    "top": 3,
    "baseline": True,
}


def search_config() -> dict:
    return {
        "study": STUDY,
        "datasets": {"digits": {"source": "digits", "size": 16}},
        "models": {"lenet5": {"name": "lenet5"}},
        "activations": {"relu": "relu"},
        "evaluation": {"mode": "holdout", "seed": 0},
        "training": {"epochs": 1, "batch_size": 128, "optimizer": {"name": "adam", "lr": 1e-3}},
        "search": dict(SEARCH),
    }


def command(workdir: Path) -> list[str]:
    """The search's command line: the same before the kill and after it."""
    return [
        str(BIN / "snakemake"),
        "-s",
        str(REPO / "Snakefile"),
        "-d",
        str(workdir),
        "--cores",
        "2",
        "--rerun-incomplete",
        "search_all",
    ]


def finished(log: Path, keys: list[str]) -> list[str]:
    """The keys among ``keys`` whose search_train job Snakemake has finished, by its log (a
    run folder complete on disk is not yet a finished job: a job killed before Snakemake
    registers it has its outputs removed)."""
    text = log.read_text()
    started = re.findall(
        r"rule search_train:\n(?:    .*\n)*?    jobid: (\d+)\n(?:    .*\n)*?"
        r"    wildcards: study=\w+, key=(\w+)",
        text,
    )
    keys_of = {jobid: key for jobid, key in started}
    done = {
        keys_of.get(j) for j in re.findall(r"Finished jobid: (\d+) \(Rule: search_train\)", text)
    }
    return [key for key in keys if key in done]


def kill_mid_generation(workdir: Path, state: Path, log: Path) -> list[str]:
    """Start the search, and kill its process group once Snakemake has finished some but not
    all of the candidates of ``state``'s generation; the keys finished by then."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    with log.open("w") as out:
        process = subprocess.Popen(
            command(workdir), stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        try:
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline and process.poll() is None:
                if state.is_file():
                    keys = sorted(json.loads(state.read_text())["train"])
                    done = finished(log, keys)
                    if 0 < len(done) < len(keys):
                        os.killpg(process.pid, signal.SIGTERM)
                        process.wait(timeout=120)
                        return done
                time.sleep(0.05)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    raise AssertionError(f"the search ended before it could be killed:\n{log.read_text()}")


def test_a_killed_search_resumes_trains_each_function_once_and_scores_every_candidate(
    tmp_path,
):
    workdir = tmp_path
    write_config(workdir, search_config())
    search = workdir / "results" / STUDY / "search"
    runs = search / "runs"

    # killed while generation 1's candidates train (2 at a time): some have finished, some not
    state = search / "ga" / "gen1.json"
    done = kill_mid_generation(workdir, state, tmp_path / "killed.log")
    keys = sorted(json.loads(state.read_text())["train"])
    assert len(keys) >= 2 and 0 < len(done) < len(keys)
    assert all((runs / key / "manifest.json").is_file() for key in done)
    assert not all((runs / key / "manifest.json").is_file() for key in keys)
    before = {key: (runs / key / "manifest.json").stat().st_mtime_ns for key in done}
    snakemake(workdir, *command(workdir)[5:])

    # nothing finished before the kill was trained again; every run is one function
    assert {key: (runs / key / "manifest.json").stat().st_mtime_ns for key in done} == before
    trained = sorted(p.name for p in runs.iterdir() if (p / "manifest.json").is_file())
    tables = {m: pd.read_csv(search / m / "candidates.csv") for m in ("ga", "random")}
    rows = pd.concat(tables.values())
    to_train = rows[~rows.prescreened]
    assert trained == sorted(set(to_train.key))  # one run per function, across both searches
    ga = tables["ga"]
    assert ga.cached.sum() > 0  # the elites (a repeated function) came from the cache
    assert len(trained) < len(to_train)
    assert (ga[ga.cached | ga.prescreened].seconds == 0).all()

    # every candidate of every generation has a fitness, and a reason where it is not trained
    for table in tables.values():
        assert len(table) == SEARCH["population"] * SEARCH["generations"]
        assert sorted(set(table.generation)) == [0, 1, 2]
        assert table.fitness.notna().all() and (table.fitness >= 0).all()
        assert set(table.status) <= {"trained", "low_accuracy", "nan_loss", "prescreened"}
        assert table[table.status != "trained"].reason.notna().all()
        assert table.chromosome.notna().all() and table.expression.notna().all()
    # the GA and the random search start from the same generation, then part
    assert tables["ga"][ga.generation == 0].key.tolist() == (
        tables["random"].query("generation == 0").key.tolist()
    )
    assert set(tables["random"].origin) == {"random"}
    assert "elite" in set(ga.origin)

    # the best functions, as activations a study can evaluate (fitness order, distinct)
    top = yaml.safe_load((search / "ga" / "top.yaml").read_text())["activations"]
    assert 0 < len(top) <= SEARCH["top"]
    assert list(top) == [f"searched_{rank}" for rank in range(1, len(top) + 1)]
    config = search_config()
    config["activations"] = {**config["activations"], **top}
    validate_config(config)
    best = ga[ga.fitness > 0].sort_values("fitness", ascending=False).drop_duplicates("key")
    assert len(top) == min(SEARCH["top"], len(best))

    # the notebook ran without an error, both curves in it
    cells = json.loads((search / "notebooks/search.ipynb").read_text())["cells"]
    outputs = [o for cell in cells for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o["output_type"] == "error"]
    assert (search / "figures/fitness.png").stat().st_size > 0
    assert (search / "figures/best_functions.png").stat().st_size > 0

    # done: a second run has nothing to do
    again = snakemake(workdir, "-n", "search_all")
    assert "Nothing to be done" in again.stdout + again.stderr


def test_snakemake_lint_is_clean_with_the_search_stage(tmp_path):
    """search.smk is included only for a study with a search: lint it with one."""
    write_config(tmp_path, search_config())
    result = snakemake(tmp_path, "--lint", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Congratulations, your workflow is in a good condition!" in result.stdout + result.stderr
