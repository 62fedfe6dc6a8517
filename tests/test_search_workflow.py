"""The activation search as a stage of the DAG, run for real: a tiny search on scikit-learn
digits (population 6, 3 generations, 2 epochs) with its random baseline at the GA's budget of
trainings, killed once in the middle of a generation and resumed with the same command; each
function is trained once, and the same run goes on to evaluate the best functions both searches
found (2-fold cross-validation, `jobs: {pack: folds}`) through the tables and the statistics."""

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
import torch
import yaml
from workflow_helpers import BIN, REPO, planned_jobs, snakemake, write_config

from actstudy import activations
from actstudy.search.budget import at_equal_trainings, trainings
from actstudy.search.probe import Probe, function_key

pytestmark = [pytest.mark.workflow, pytest.mark.slow]

STUDY = "tinysearch"
SEARCH = {
    "dataset": "digits",
    "model": "afos_cnn",  # the fitness network, with its released init and inputs / 255
    # 2 epochs of 101 steps (16×16 digits, batch 16): ReLU reaches about 0.7, well above the
    # gate's chance + margin (0.2; one epoch of 26 steps at lr 0.01 gave 0.23)
    "lr": 0.005,
    "batch_size": 16,
    "population": 6,
    "generations": 3,
    "elite": 2,
    "epochs": 2,
    "top": 3,
    "baseline": True,
    "evaluate_top": 2,
    "evaluate_baseline": True,
}


def search_config() -> dict:
    return {
        "study": STUDY,
        "datasets": {"digits": {"source": "digits", "size": 16}},
        "models": {"lenet5": {"name": "lenet5"}},
        "activations": {"relu": "relu"},
        "evaluation": {"mode": "kfold", "folds": 2, "seed": 0},
        "training": {"epochs": 1, "batch_size": 128, "optimizer": {"name": "adam", "lr": 1e-3}},
        "jobs": {"pack": "folds"},
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
        "1",  # one candidate at a time: the kill after one finished lands in the next one's
        "--rerun-incomplete",
        "search_all",  # the search, then the evaluation of its best functions
        "evaluate_all",
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
    """Start the search, and interrupt its process group (Ctrl-C) once Snakemake has finished
    some but not all of the candidates of ``state``'s generation; the keys finished by then.

    Not SIGTERM: Snakemake 9.27's SIGTERM handler takes the scheduler's lock, which the main
    thread holds while it logs a finished job and updates the DAG after it (a checkpoint's
    update evaluates the input functions of the whole evaluation), so a SIGTERM landing there,
    right when this test sees the line, hangs Snakemake for good."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    env["PYTHONUNBUFFERED"] = "1"  # Snakemake's lines reach the log when they happen, not later
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
                        os.killpg(process.pid, signal.SIGINT)
                        process.wait(timeout=300)
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

    # killed while generation 1's candidates train (one at a time): some have finished, some not
    state = search / "ga" / "gen1.json"
    done = kill_mid_generation(workdir, state, tmp_path / "killed.log")
    keys = sorted(json.loads(state.read_text())["train"])
    assert len(keys) >= 2 and 0 < len(done) < len(keys)
    assert all((runs / key / "manifest.json").is_file() for key in done)
    # (the interrupt usually lands while a candidate trains; on a busy machine the running one
    # can finish before Snakemake stops, and then the resume below must still retrain nothing)
    before = {key: (runs / key / "manifest.json").stat().st_mtime_ns for key in done}
    snakemake(workdir, *command(workdir)[5:])

    # nothing finished before the kill was trained again; every run is one function
    assert {key: (runs / key / "manifest.json").stat().st_mtime_ns for key in done} == before
    trained = sorted(p.name for p in runs.iterdir() if (p / "manifest.json").is_file())
    rows = pd.read_csv(search / "candidates.csv")  # every search's candidates, in one table
    assert not list(search.glob("*/candidates.csv"))
    # each search trained the reference (ReLU) first, in generation 0: it cleared the gate
    references = rows[rows.origin == "reference"]
    assert references[["method", "label", "generation"]].values.tolist() == [
        ["ga", "relu", 0],
        ["random", "relu", 0],
    ]
    assert (references.accuracy >= 0.5).all() and references.key.nunique() == 1
    assert json.loads((search / "gate.json").read_text())["relu"]["key"] == references.key.iloc[0]
    to_train = rows[~rows.prescreened]
    assert trained == sorted(set(to_train.key))  # one run per function, across both searches
    rows = rows[rows.origin != "reference"]
    tables = {m: rows[rows.method == m] for m in ("ga", "random")}
    # the candidates differ by more than noise (at chance every fitness is 0.1 / ln 10 ≈ 0.043)
    scored = rows[rows.status.isin(["trained", "low_accuracy"]) & ~rows.cached]
    assert scored.fitness.max() - scored.fitness.min() > 0.05, scored.fitness.tolist()
    # equal training budgets, counted as the notebook counts them (the reference not counted)
    candidates = pd.read_csv(search / "candidates.csv")
    counts = trainings(candidates)
    assert counts["ga"] == counts["random"] > 0
    for method, table in tables.items():
        assert counts[method] == (~table.cached & ~table.prescreened).sum()
        # and generation by generation: the baseline drew until it trained as many as the GA
        state = json.loads((search / method / f"gen{SEARCH['generations']}.json").read_text())
        rule = {"ga": "population", "random": "ga_trainings"}[method]
        assert state["budget"]["rule"] == rule
    per_generation = {
        method: (~table.cached & ~table.prescreened).groupby(table.generation).sum().tolist()
        for method, table in tables.items()
    }
    assert per_generation["ga"] == per_generation["random"]
    budgets = at_equal_trainings(candidates).set_index("method")
    assert (budgets.budget == budgets.trainings).all()
    ga = tables["ga"]
    assert ga.cached.sum() > 0  # the elites (a repeated function) came from the cache
    assert len(trained) < len(to_train)
    assert (ga[ga.cached | ga.prescreened].seconds == 0).all()

    # every candidate of every generation has a fitness, and a reason where it is not trained
    assert len(ga) == SEARCH["population"] * SEARCH["generations"]
    for table in tables.values():
        assert sorted(set(table.generation)) <= [0, 1, 2]
        assert table.fitness.notna().all() and (table.fitness >= 0).all()
        assert set(table.status) <= {"trained", "low_accuracy", "nan_loss", "prescreened"}
        assert table[table.status != "trained"].reason.notna().all()
        assert table.chromosome.notna().all() and table.expression.notna().all()
    # the GA and the random search start from the same draws, then part
    first_random = tables["random"].query("generation == 0").key.tolist()
    assert ga[ga.generation == 0].key.tolist()[: len(first_random)] == first_random
    assert set(tables["random"].origin) == {"random"}
    assert "elite" in set(ga.origin)

    # the best functions, as activations another study can take (fitness order, distinct)
    top = yaml.safe_load((search / "ga" / "top.yaml").read_text())["activations"]
    assert 0 < len(top) <= SEARCH["top"]
    # none of them is ReLU, which the study evaluates (same cache key): named, and replaced
    probe = Probe(-10.0, 10.0, 2001)
    relu_key = function_key("max(x, 0)", probe)
    assert relu_key not in {function_key(spec["expr"], probe) for spec in top.values()}
    assert list(top) == [f"searched_{rank}" for rank in range(1, len(top) + 1)]
    best = ga[ga.fitness > 0].sort_values("fitness", ascending=False).drop_duplicates("key")
    assert len(top) == min(SEARCH["top"], len(best[best.key != relu_key]))
    # and their shapes, for the search notebook (which draws them without torch)
    curves = pd.read_csv(search / "ga" / "best_curves.csv")
    assert curves.activation.unique().tolist() == [*top, "relu"]  # the reference drawn too
    curves = curves[~curves.reference]
    for label, spec in top.items():
        curve = curves[curves.activation == label]
        assert (curve.curve == spec["expr"]).all()
        x = torch.tensor(curve.x.to_numpy(), dtype=torch.float32)
        expected = activations.create(spec)(x).numpy()
        assert curve.f.to_numpy() == pytest.approx(expected, rel=1e-5, abs=1e-6, nan_ok=True)
    random_top = yaml.safe_load((search / "random" / "top.yaml").read_text())["activations"]
    assert set(random_top) <= {f"random_{rank}" for rank in range(1, SEARCH["top"] + 1)}

    # the same run evaluated the best evaluate_top of both searches, as the study's activations
    found = {**top, **random_top}
    evaluated = [f"{prefix}_{rank}" for prefix in ("searched", "random") for rank in (1, 2)]
    evaluated = [label for label in evaluated if label in found]
    tables_dir = workdir / "results" / STUDY / "tables" / "all"
    summary = pd.read_csv(tables_dir / "summary.csv")
    assert sorted(summary.activation) == sorted(["relu", *evaluated])
    assert (summary.set_index("activation").loc[evaluated, "folds"] == 2).all()
    statistics = pd.read_csv(tables_dir / "statistics.csv")
    compared = set(statistics.a) | set(statistics.b)
    assert set(evaluated) <= compared
    for label in evaluated:
        method = "ga" if label.startswith("searched") else "random"
        for fold in (0, 1):
            run = workdir / "results" / STUDY / "runs/digits/lenet5" / label / f"fold{fold}"
            spec = json.loads((run / "manifest.json").read_text())["spec"]["activation"]
            assert spec["spec"] == found[label]  # the found expression
            origin = spec["origin"]
            assert (origin["method"], origin["rank"]) == (method, int(label.rsplit("_")[1]))
            row = rows[(rows.method == method) & (rows.key == origin["key"])].iloc[0]
            assert origin["fitness"] == pytest.approx(row.fitness)
            assert (
                origin["generation"]
                == rows[rows.key == origin["key"]].query("method == @method").generation.min()
            )

    # the notebook ran without an error, both curves in it
    cells = json.loads((search / "notebooks/search.ipynb").read_text())["cells"]
    outputs = [o for cell in cells for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o["output_type"] == "error"]
    assert (search / "figures/fitness.png").stat().st_size > 0
    assert (search / "figures/best_functions.png").stat().st_size > 0

    # done: a second run has nothing to do
    again = snakemake(workdir, "-n", *command(workdir)[5:])
    assert "Nothing to be done" in again.stdout + again.stderr

    # evaluating fewer of them remakes the winners and the tables, and retrains nothing
    fewer = write_config(workdir, {"search": {"evaluate_top": 1}}, "fewer.yaml")
    files = (str(workdir / "config.yaml"), str(fewer))
    jobs = planned_jobs(workdir, "--configfile", *files, "--", *command(workdir)[-2:])
    assert "train" not in jobs and jobs["search_winners"] == 2 and "search_results" not in jobs

    # with a job per run the searched functions' runs are jobs of their own
    pack_run = write_config(workdir, {"jobs": {"pack": "run"}}, "pack_run.yaml")
    files = (str(workdir / "config.yaml"), str(pack_run))
    jobs = planned_jobs(workdir, "--configfile", *files, "--forcerun", "train")
    assert jobs["train"] == 2 * (1 + len(evaluated))


def test_a_dry_run_plans_the_search_and_a_given_list_is_evaluated_without_searching(tmp_path):
    """Before the search: its first generation and the study's own runs (the searched ones join
    after the search); with search: null the functions listed are evaluated, nothing searched."""
    study = write_config(tmp_path, search_config())
    jobs = planned_jobs(tmp_path)
    assert (jobs["search_start"], jobs["search_winners"], jobs["train"]) == (2, 2, 1)
    given = {"search": None, "activations": {"mine": {"expr": "x * erf(exp(x))"}}}
    files = (str(study), str(write_config(tmp_path, given, "given.yaml")))
    jobs = planned_jobs(tmp_path, "--configfile", *files)
    assert jobs["train"] == 2 and not [rule for rule in jobs if rule.startswith("search")]
    plan = snakemake(tmp_path, "--dry-run", "--printshellcmds", "--configfile", *files).stdout
    assert '"spec": {"expr": "x * erf(exp(x))"}' in plan  # the spec job writes its formula
    search_plan = snakemake(tmp_path, "--dry-run", "--printshellcmds").stdout
    search_train = search_plan[search_plan.index("rule search_train:") :]
    assert "gpu_slot=1" in search_train[: search_train.index("\n\n")]  # the GPU pool's slot
    assert not (tmp_path / "results").exists()  # a dry run writes nothing


def test_snakemake_lint_is_clean_with_the_search_stage(tmp_path):
    """search.smk is included only for a study with a search: lint it with one."""
    write_config(tmp_path, search_config())
    result = snakemake(tmp_path, "--lint", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Congratulations, your workflow is in a good condition!" in result.stdout + result.stderr
