"""Every study's wiring, proven: its smoke variant (generated data of the same shapes, 1 epoch)
runs end to end through paper_vs_ours.csv, claims.csv and both notebooks, and the full study
plans the runs it should."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from workflow_helpers import REPO, planned_jobs, snakemake

from actstudy.evaluation.reported import load_claims, load_reported
from actstudy.search.results import searched_labels
from actstudy.search.state import search_next
from actstudy.study.grid import run_grid
from actstudy.study.validate import load_config

pytestmark = [pytest.mark.workflow, pytest.mark.slow]

STUDIES = sorted(p.stem for p in (REPO / "studies").glob("s*.yaml"))


@pytest.fixture
def offline_env(tmp_path, monkeypatch) -> Path:
    """Fake Kaggle credentials (nothing is downloaded) and a file where S1's transfer model
    looks for its ImageNet weights, so that the full studies plan their jobs."""
    monkeypatch.setenv("KAGGLE_USERNAME", "smoke")
    monkeypatch.setenv("KAGGLE_KEY", "smoke")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    weights = tmp_path / "torch/hub/checkpoints/resnet50-0676ba61.pth"
    weights.parent.mkdir(parents=True)
    weights.touch()
    return tmp_path


@pytest.mark.parametrize("study", STUDIES)
def test_the_full_study_plans_every_run(offline_env, study):
    workdir = offline_env / "full"
    shutil.copytree(REPO / "studies", workdir / "studies")
    config_file = f"studies/{study}.yaml"
    config = load_config(REPO / config_file)
    expected = len(run_grid(config))
    jobs = planned_jobs(workdir, "--configfile", config_file, "--replace-workflow-config")
    assert jobs["train"] == expected
    if config["search"]:  # S3: the search's first generation, and a checkpoint per generation
        first = search_next(config["search"], None, None)
        assert 0 < len(first["train"]) <= config["search"]["population"]
        assert jobs["search_train"] == len(first["train"])
        assert (jobs["search_start"], jobs["search_generation"]) == (
            1,
            config["search"]["generations"],
        )
    else:
        assert "search_train" not in jobs


@pytest.mark.smoke
@pytest.mark.parametrize("study", STUDIES)
def test_the_smoke_variant_runs_end_to_end(offline_env, study):
    workdir = offline_env / "smoke"
    workdir.mkdir()
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "actstudy",
            "smoke",
            f"studies/{study}.yaml",
            "--out",
            str(workdir / "config.yaml"),
        ],
        cwd=REPO,
        check=True,
        env=env,
        capture_output=True,
    )
    smoke = yaml.safe_load((workdir / "config.yaml").read_text())
    full = load_config(REPO / f"studies/{study}.yaml")
    snakemake(workdir, "--cores", "2")

    tables = workdir / "results" / full["study"] / "tables/all"
    runs = pd.read_csv(tables / "runs.csv")
    searched = set(searched_labels(full["search"]))  # S3: the functions its search found
    for kind, column in (
        ("models", "model"),
        ("activations", "activation"),
        ("datasets", "dataset"),
    ):
        assert set(runs[column]) - searched == set(full[kind]), kind
    assert (runs["status"] != "diverged").all()
    reported = load_reported(smoke["reported"]["results"])
    paper = pd.read_csv(tables / "paper_vs_ours.csv")
    assert len(paper) == len(reported)
    claims = pd.read_csv(tables / "claims.csv")
    assert len(claims) == len(load_claims(smoke["reported"]["claims"], full["study"]))
    assert set(claims["verdict"]) <= {
        "supported",
        "not supported",
        "inconclusive",
        "not run",
        "not comparable",
        "not tested; the point estimates agree with it",
        "not tested; the point estimates contradict it",
    }
    notebook = workdir / "results" / full["study"] / "notebooks/figures.ipynb"
    cells = json.loads(notebook.read_text())["cells"]
    outputs = [output for cell in cells for output in cell.get("outputs", [])]
    assert not [o for o in outputs if o["output_type"] == "error"]
    html = notebook.with_suffix(".html").read_text()
    assert "numbers beside ours" in html  # the paper's numbers and claims, in the notebook
    if search := smoke.get("search"):  # S3: its search ran too, and its notebook
        folder = workdir / "results" / full["study"] / "search"
        candidates = pd.read_csv(folder / "candidates.csv")
        assert len(candidates) == search["population"] * search["generations"]
        assert candidates["fitness"].notna().all()
        assert (folder / search["method"] / "top.yaml").is_file()
        assert (folder / "figures" / "fitness.png").is_file()
        # the functions it found were evaluated in the same run, each in some run
        found = json.loads((folder / search["method"] / "evaluated.json").read_text())
        assert {f["label"] for f in found["functions"]} == set(runs["activation"]) & searched
