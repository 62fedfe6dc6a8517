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

from actstudy.evaluation.paper_vs_ours import smoke_noted
from actstudy.evaluation.reported import load_claims, load_reported
from actstudy.notes import SMOKE_NOTE
from actstudy.search.results import searched_labels
from actstudy.search.state import search_next
from actstudy.study.grid import run_grid
from actstudy.study.jobs import Study
from actstudy.study.smoke import smoke_variant
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

    assert smoke["study"] == f"{study}_smoke" and smoke["smoke_of"] == study
    assert not (workdir / "results" / study).exists()  # never the study's own folder
    tables = workdir / "results" / smoke["study"] / "tables/all"
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
    note = f"{SMOKE_NOTE} (of {study})"
    for table in (paper, claims, pd.read_csv(tables / "statistics.csv")):
        assert (table["note"] == note).all()
    assert set(claims["verdict"]) <= {
        "supported",
        "not supported",
        "inconclusive",
        "not run",
        "not comparable",
        "not tested; the point estimates agree with it",
        "not tested; the point estimates contradict it",
    }
    notebook = workdir / "results" / smoke["study"] / "notebooks/figures.ipynb"
    cells = json.loads(notebook.read_text())["cells"]
    outputs = [output for cell in cells for output in cell.get("outputs", [])]
    assert not [o for o in outputs if o["output_type"] == "error"]
    html = notebook.with_suffix(".html").read_text()
    assert "numbers beside ours" in html  # the paper's numbers and claims, in the notebook
    assert "Smoke run on generated data — not a reproduction." in html
    if search := smoke.get("search"):  # S3: its search ran too, and its notebook
        folder = workdir / "results" / smoke["study"] / "search"
        candidates = pd.read_csv(folder / "candidates.csv")
        references = candidates.origin == "reference"  # trained first: the sanity gate's
        assert candidates[references].label.tolist() == list(search["references"])
        candidates = candidates[~references]
        assert len(candidates) == search["population"] * search["generations"]
        assert candidates["fitness"].notna().all()
        assert (folder / search["method"] / "top.yaml").is_file()
        assert (folder / "figures" / "fitness.png").is_file()
        # the functions it found were evaluated in the same run, each in some run
        found = json.loads((folder / search["method"] / "evaluated.json").read_text())
        assert {f["label"] for f in found["functions"]} == set(runs["activation"]) & searched


def test_a_smoke_variant_has_its_own_name_and_says_what_it_is(tmp_path, monkeypatch):
    """Its study name differs from its study's (its results never replace the study's); it
    names the study it stands in for, and its tables' rows and its report say what it is."""
    monkeypatch.chdir(tmp_path)
    tiny = load_config(REPO / "tests/configs/tiny.yaml")
    smoke = load_config_of(smoke_variant(tiny))
    assert (smoke["study"], smoke["smoke_of"]) == ("tiny_smoke", "tiny")
    assert SMOKE_NOTE in smoke["description"]
    assert smoke_variant(smoke)["study"] == "tiny_smoke"  # a smoke variant of a smoke variant
    assert smoke_variant(tiny, "mine")["study"] == "mine"
    assert smoke_variant({**tiny, "study": "s" * 64})["study"] == "s" * 58 + "_smoke"
    assert json.loads(Study(smoke).statistics_options())["smoke_of"] == "tiny"
    assert "smoke_of" not in json.loads(Study(tiny).statistics_options())
    table = pd.DataFrame({"claim": ["a", "b"]})
    assert list(smoke_noted(table, "tiny")["note"]) == [f"{SMOKE_NOTE} (of tiny)"] * 2
    assert smoke_noted(table, None).equals(table)
    report = (REPO / "workflow/report/workflow.rst").read_text()
    assert "Smoke run on generated data — not a reproduction" in report


def load_config_of(config: dict) -> dict:
    """A config validated as a study file is (through YAML)."""
    path = Path("smoke.yaml")
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    return load_config(path)
