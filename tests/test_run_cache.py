"""The run cache (actstudy.training.run_cache) with real Snakemake runs of the tiny study: a
finished run is never trained twice, whatever packs it into jobs or whichever study holds it,
and a run the user forces is trained afresh."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from workflow_helpers import planned_jobs, snakemake, tiny_config, write_config

from actstudy.training.run_cache import RESULT_FILES

pytestmark = pytest.mark.workflow


@pytest.fixture(autouse=True)
def run_cache(monkeypatch) -> None:
    """The cache where a study keeps it by default: resources/run_cache of its folder."""
    monkeypatch.delenv("ACTSTUDY_RUN_CACHE")


def manifests(workdir: Path, study: str) -> dict[str, dict]:
    """Each run folder (relative to the study's runs/) with its manifest."""
    runs = workdir / "results" / study / "runs"
    return {
        str(path.parent.relative_to(runs)): json.loads(path.read_text())
        for path in sorted(runs.glob("*/*/*/fold*/manifest.json"))
    }


def results(workdir: Path, study: str) -> dict[str, bytes]:
    """Every result file of every run but the manifest, byte for byte."""
    runs = workdir / "results" / study / "runs"
    return {
        str(path.relative_to(runs)): path.read_bytes()
        for path in sorted(runs.glob("*/*/*/fold*/*"))
        if path.name in RESULT_FILES and path.name != "manifest.json"
    }


def restored(workdir: Path, study: str) -> dict[str, bool]:
    return {
        run: manifest["run_cache"]["restored_from"] is not None
        for run, manifest in manifests(workdir, study).items()
    }


def train(workdir: Path, *args: str) -> None:
    snakemake(workdir, "--cores", "2", "train_all", *args)


def test_repacking_adding_and_forcing_train_only_what_they_must(tmp_path):
    config = tiny_config()
    write_config(tmp_path, config)
    train(tmp_path)
    first = results(tmp_path, "tiny")
    assert restored(tmp_path, "tiny") == dict.fromkeys(manifests(tmp_path, "tiny"), False)
    entries = list((tmp_path / "resources" / "run_cache").glob("*/*/entry.json"))
    assert len(entries) == len(first) // 5 == 4  # 2 activations × 2 folds, 5 files each

    # packing the runs otherwise: Snakemake reruns the (new) job, which trains nothing
    config["jobs"] = {"pack": "case"}
    write_config(tmp_path, config)
    assert planned_jobs(tmp_path, "train_all")["train"] == 1
    train(tmp_path)
    assert results(tmp_path, "tiny") == first  # byte for byte
    assert all(restored(tmp_path, "tiny").values())
    manifest = manifests(tmp_path, "tiny")["digits/lenet5/relu/fold0"]
    assert manifest["run_cache"]["trained_as"] == "results/tiny/runs/digits/lenet5/relu/fold0"
    assert manifest["spec"]["study"] == "tiny" and manifest["fingerprint"]

    # one activation more under pack: case: the job holds 6 runs and trains its 2
    config["activations"]["tanh"] = "tanh"
    write_config(tmp_path, config)
    train(tmp_path)
    now = restored(tmp_path, "tiny")
    assert sorted(run for run, was in now.items() if not was) == [
        "digits/lenet5/tanh/fold0",
        "digits/lenet5/tanh/fold1",
    ]

    # a forced run is trained afresh; the other runs of its job are restored
    forced = "results/tiny/runs/digits/lenet5/relu/fold1/metrics.json"
    train(tmp_path, "--forcerun", forced)
    now = restored(tmp_path, "tiny")
    assert [run for run, was in now.items() if not was] == ["digits/lenet5/relu/fold1"]
    # and the next run of the workflow has nothing to do
    assert planned_jobs(tmp_path, "train_all") == {}


def test_two_studies_share_a_run_and_the_cache_can_be_turned_off(tmp_path, monkeypatch):
    config = tiny_config()
    write_config(tmp_path, config)
    train(tmp_path)
    other = {**config, "study": "tiny_again"}
    write_config(tmp_path, other, "again.yaml")
    again = ("--configfile", str(tmp_path / "again.yaml"), "--replace-workflow-config")
    train(tmp_path, *again)
    assert all(restored(tmp_path, "tiny_again").values())
    assert results(tmp_path, "tiny_again") == results(tmp_path, "tiny")
    trained_as = {m["run_cache"]["trained_as"] for m in manifests(tmp_path, "tiny_again").values()}
    assert all(path.startswith("results/tiny/runs/") for path in trained_as)

    monkeypatch.setenv("ACTSTUDY_RUN_CACHE", "off")
    train(tmp_path, *again, "--forceall")
    assert not any(restored(tmp_path, "tiny_again").values())


def test_a_damaged_cache_entry_is_not_restored(tmp_path):
    write_config(tmp_path, tiny_config())
    train(tmp_path)
    for metrics in (tmp_path / "resources" / "run_cache").glob("*/*/metrics.json"):
        metrics.unlink()
        metrics.write_text("{}")  # a new file: the run folder's hard link keeps the old bytes
    for run in (tmp_path / "results" / "tiny" / "runs").glob("*/*/*/fold*"):
        (run / "metrics.json").unlink()
    train(tmp_path)
    assert not any(restored(tmp_path, "tiny").values())
