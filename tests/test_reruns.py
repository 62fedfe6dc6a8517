"""Reruns follow the code a run executes: edits elsewhere leave runs as they are.

A copy of the workflow and package runs the tiny study plus the README's own activation, in a
plugin file; each test edits one file of the copy, counts the jobs of a dry run, and puts the
file back (the digests are of contents, so putting it back makes the runs current again).
"""

from __future__ import annotations

import copy
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
import yaml
from workflow_helpers import (
    copy_of_the_workflow,
    planned_jobs,
    readme_block,
    snakemake,
    tiny_config,
    write_config,
)

# one pytest-xdist worker runs this file: its module-scoped fixtures are built once
pytestmark = [pytest.mark.workflow, pytest.mark.xdist_group("test_reruns")]


def plugin_study() -> dict:
    """The tiny study with the README's example activation added as the README says."""
    config = tiny_config()
    readme = yaml.safe_load(readme_block("Adding an activation", "yaml"))
    config["plugins"] = readme["plugins"]
    config["activations"].update(readme["activations"])
    return config


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> tuple[Path, Path]:
    """(copy of the repository, working folder) after a full run of the plugin study."""
    repo = copy_of_the_workflow(tmp_path_factory.mktemp("repo"))
    workdir = tmp_path_factory.mktemp("work")
    (workdir / "my_acts.py").write_text(readme_block("Adding an activation", "python"))
    write_config(workdir, plugin_study())
    snakemake(workdir, "--cores", "2", repo=repo)
    return repo, workdir


@contextmanager
def edited(path: Path, text: str = "\n# an edit\n") -> Iterator[None]:
    original = path.read_text(encoding="utf-8")
    path.write_text(original + text, encoding="utf-8")
    try:
        yield
    finally:
        path.write_text(original, encoding="utf-8")


def trained(study: tuple[Path, Path]) -> int:
    repo, workdir = study
    return planned_jobs(workdir, repo=repo).get("train", 0)


def test_the_readme_activation_in_a_plugin_file_trains(study):
    _, workdir = study
    for fold in (0, 1):
        run = workdir / f"results/tiny/runs/digits/lenet5/my_act/fold{fold}"
        history = pd.read_csv(run / "history.csv")
        assert history["val_accuracy"].iloc[-1] > 0.2  # it learned
        manifest = yaml.safe_load((run / "manifest.json").read_text())
        assert manifest["spec"]["plugins"] == ["my_acts.py"]
        assert "my_acts.py" in manifest["code"]["files"]
    relu = yaml.safe_load(
        (workdir / "results/tiny/runs/digits/lenet5/relu/fold0/manifest.json").read_text()
    )
    assert relu["spec"]["plugins"] == [] and "my_acts.py" not in relu["code"]["files"]
    assert planned_jobs(workdir, repo=study[0]) == {}


@pytest.mark.parametrize(
    "relative",
    [
        "src/actstudy/models/cifar_resnet.py",  # a model the study does not use
        "src/actstudy/activations/eelu.py",  # activations it does not use
        "src/actstudy/activations/trainable.py",
        "src/actstudy/data/mitbih.py",  # another dataset's source
        "src/actstudy/evaluation/statistics.py",  # after training
    ],
)
def test_editing_code_a_run_does_not_execute_reruns_no_training(study, relative):
    repo, _ = study
    with edited(repo / relative):
        assert trained(study) == 0


def test_adding_an_activation_module_reruns_nothing(study):
    repo, workdir = study
    new = repo / "src/actstudy/activations/builtin/brand_new.py"
    new.write_text(
        "from actstudy.activations.registry import register\n\n\n"
        '@register("brand_new")\ndef brand_new():\n    from torch import nn\n\n'
        "    return nn.Hardswish()\n"
    )
    try:
        assert planned_jobs(workdir, repo=repo) == {}
    finally:
        new.unlink()


def test_a_run_whose_files_are_gone_is_trained_again_with_what_reads_it(study):
    """A failed training job's outputs are deleted by Snakemake; the next run retrains it and
    remakes the tables from it, not "Nothing to be done" over tables of the old run."""
    repo, workdir = study
    metrics = next((workdir / "results/tiny/runs").glob("*/*/relu/fold0/metrics.json"))
    kept = workdir / "metrics.json.kept"
    shutil.copy2(metrics, kept)
    metrics.unlink()
    try:
        planned = planned_jobs(workdir, repo=repo)
    finally:
        shutil.move(kept, metrics)
    assert planned.get("train") == 1
    assert planned.get("aggregate") == 1
    assert planned_jobs(workdir, repo=repo) == {}


@pytest.mark.parametrize(
    ("relative", "runs"),
    [
        ("src/actstudy/activations/piecewise.py", 2),  # DSReLU: its two folds
        ("src/actstudy/activations/standard.py", 2),  # ReLU: its two folds
        ("src/actstudy/models/lenet.py", 6),  # the model every run uses
        ("src/actstudy/training/loop.py", 6),  # the training loop
        ("src/actstudy/data/prepared.py", 6),  # the prepared-data reader
        ("src/actstudy/activations/registry.py", 6),  # what builds every activation
    ],
)
def test_editing_code_a_run_executes_reruns_exactly_those_runs(study, relative, runs):
    repo, _ = study
    with edited(repo / relative):
        assert trained(study) == runs
    assert trained(study) == 0  # the same content again: current again


def test_editing_the_plugin_reruns_only_the_runs_of_its_activation(study):
    _, workdir = study
    with edited(workdir / "my_acts.py"):
        jobs = planned_jobs(workdir, repo=study[0])
    assert jobs.get("train") == 2
    assert "prepare" not in jobs and "folds" not in jobs


def test_a_dry_run_prints_short_commands_without_specs(study):
    repo, workdir = study
    result = snakemake(workdir, "--dry-run", "--printshellcmds", "--forcerun", "train", repo=repo)
    text = result.stdout + result.stderr
    commands = [line for line in text.splitlines() if "actstudy train" in line]
    assert len(commands) == 6
    assert all(len(line) < 400 for line in commands), max(commands, key=len)
    assert '"training"' not in text and "optimizer" not in text


def test_two_studies_that_give_one_label_other_options_keep_their_own_arrays(study):
    repo, workdir = study
    other = copy.deepcopy(tiny_config())
    other["study"] = "tiny16"
    other["datasets"]["digits"]["size"] = 16
    other["activations"] = {"relu": "relu"}
    other.pop("statistics", None)  # its control is an activation this study leaves out
    config = write_config(workdir, other, "tiny16.yaml")
    snakemake(
        workdir, "--cores", "2", "--configfile", str(config), "--replace-workflow-config", repo=repo
    )
    prepared = sorted(p.name for p in (workdir / "resources/prepared").iterdir())
    assert len(prepared) == 2 and all(name.startswith("digits-") for name in prepared)
    sizes = {}
    for study_name in ("tiny", "tiny16"):
        manifest = yaml.safe_load(
            (
                workdir / f"results/{study_name}/runs/digits/lenet5/relu/fold0/manifest.json"
            ).read_text()
        )
        prepared = workdir / manifest["prepared_manifest"]
        source = yaml.safe_load(prepared.read_text())["source"]
        sizes[study_name] = source["size"]
    assert sizes == {"tiny": 32, "tiny16": 16}
    assert planned_jobs(workdir, repo=repo) == {}  # the first study's arrays are untouched
