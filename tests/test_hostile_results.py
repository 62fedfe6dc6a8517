"""Hostile files a study's run meets after its start: text in the study that the report would
render, files in ``results/`` edited or cut short by hand, and a second trainer of the same run.
Each ends in one sentence naming the file and the fix (or is made harmless), and nothing
outside the run's folder changes. Part of the hostile suite (marker ``hostile``)."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import torch
from test_hostile_inputs import TINY, actstudy, one_sentence, repository_state, tree
from test_training import make_spec
from workflow_helpers import snakemake, write_config

from actstudy.data import load_prepared
from actstudy.provenance import fingerprint
from actstudy.study.jobs import Study
from actstudy.training.checkpoint import load_verified
from actstudy.training.folds import DIGEST_KEY, HELD_OUT, assign_folds, write_folds
from actstudy.training.loop import train_run
from actstudy.training.run_lock import LOCK_FILE

pytestmark = pytest.mark.hostile

SECRET = "kaggle-key-5ecr3t"
SCRIPT = "<script>alert('report')</script>"
# a study description carrying each reStructuredText directive that reads or injects more than
# text; ``{secret}`` is a file outside the study holding a key
DESCRIPTIONS = {
    "raw-html": f"A study.\n\n.. raw:: html\n\n   {SCRIPT}\n",
    "include-file": "A study.\n\n.. include:: {secret}\n",
    "include-literal": "A study.\n\n.. include:: {secret}\n   :literal:\n",
    "raw-file": "A study.\n\n.. raw:: html\n   :file: {secret}\n",
    "unindent-escape": f"A study.\r.. raw:: html\u2028\u2028   {SCRIPT}\n",
}


def report_members(workdir: Path) -> dict[str, str]:
    """Every file of ``snakemake --report`` on the study in ``workdir`` (its results stood in
    for by empty files: the overview page is what is tested), by name, as text."""
    planned = snakemake(workdir, "--summary").stdout.splitlines()[1:]
    for line in planned:
        output = workdir / line.split("\t", 1)[0]
        output.parent.mkdir(parents=True, exist_ok=True)
        output.touch()
    snakemake(workdir, "--report", "report.zip")
    with zipfile.ZipFile(workdir / "report.zip") as archive:
        return {name: archive.read(name).decode(errors="replace") for name in archive.namelist()}


@pytest.mark.workflow
@pytest.mark.parametrize("case", sorted(DESCRIPTIONS))
def test_the_report_shows_the_description_as_text(tmp_path, case):
    before = repository_state()
    outside = tmp_path / "home"
    outside.mkdir()
    secret = outside / "kaggle.json"
    secret.write_text(f'{{"username": "u", "key": "{SECRET}"}}\n')
    listing = tree(outside)
    study = tmp_path / "study"
    study.mkdir()
    description = DESCRIPTIONS[case].format(secret=secret)
    write_config(study, {**TINY, "description": description})
    members = report_members(study)
    page = next(text for name, text in members.items() if name.endswith("report.html"))
    for name, text in members.items():
        assert SECRET not in text, f"{name} holds the included file's key"
        assert SCRIPT not in text and "<script>alert" not in text, f"{name} runs the script"
    assert ".. raw::" in page or ".. include::" in page  # shown, as the words they are
    assert tree(outside) == listing and repository_state() == before


# A run's files in results/, edited or held by another process: the train job refuses them.
RUN = {"dataset": "digits", "model": "lenet5", "activation": "relu", "fold": 0}


def tiny_run_spec(tmp_path: Path) -> tuple[Path, str, dict]:
    """The spec file of the tiny study's first run (as the rule ``spec`` writes it), the
    digest the train job is given for it, and the spec."""
    study = Study(copy.deepcopy(TINY))
    spec = json.loads(study.spec_json(RUN))
    path = tmp_path / "fold0.json"
    path.write_text(json.dumps(spec, indent=4, sort_keys=True) + "\n")
    return path, study.spec_digest(RUN), spec


def train(tmp_path: Path, spec: Path, *extra: str) -> subprocess.CompletedProcess:
    """``actstudy train`` of one run into ``tmp_path/run`` (no data: each case stops before)."""
    return actstudy(
        "train",
        "--spec",
        str(spec),
        *extra,
        "--prepared",
        "p",
        "--folds",
        "f",
        "--out",
        "run",
        cwd=tmp_path,
    )


SPEC_EDITS = {
    "lr": lambda spec: spec["training"]["optimizer"].update(lr=0.5),
    "epochs": lambda spec: spec["training"].update(epochs=999),
    "activation": lambda spec: spec["activation"].update(spec="tanh"),
    "fold": lambda spec: spec["evaluation"].update(fold=1),
}


def timing(tmp_path: Path, spec: Path, *extra: str) -> subprocess.CompletedProcess:
    """``actstudy timing`` of one spec into ``tmp_path/timing.csv`` (no data, as ``train``)."""
    options = ("--options", "{}", "--out", "timing.csv")
    return actstudy("timing", "--spec", str(spec), *extra, "--prepared", "p", "--folds", "f",
                    *options, cwd=tmp_path)  # fmt: skip


@pytest.mark.parametrize("step", [train, timing], ids=["train", "timing"])
@pytest.mark.parametrize("case", sorted(SPEC_EDITS))
def test_an_edited_spec_file_is_refused_by_its_digest(tmp_path, case, step):
    path, expected, spec = tiny_run_spec(tmp_path)
    SPEC_EDITS[case](spec)
    path.write_text(json.dumps(spec, indent=4, sort_keys=True))
    listing = tree(tmp_path)
    result = step(tmp_path, path, "--digest", expected)
    assert result.returncode == 1
    sentence = one_sentence(result.stderr, step.__name__)
    assert sentence.startswith(f"{path} is not the spec the study gives this run (its digest ")
    assert sentence.endswith("rerun `snakemake --forcerun spec` (or delete the file) and run again")
    assert tree(tmp_path) == listing  # no run folder, nothing written


def test_the_spec_file_as_written_matches_its_digest(tmp_path):
    """The digest the job gets is that of the file the rule writes (key order and indentation
    aside): an unedited spec passes the check and the job goes on to read its data."""
    path, expected, _ = tiny_run_spec(tmp_path)
    result = train(tmp_path, path, "--digest", expected)
    assert "is not the spec" not in result.stderr
    assert one_sentence(result.stderr, "train").startswith("p is not a prepared dataset")


@pytest.mark.workflow
def test_each_train_job_is_given_its_specs_digests(tmp_path):
    write_config(tmp_path, TINY)
    planned = snakemake(tmp_path, "--dry-run", "--printshellcmds", "--forceall").stdout
    commands = [line for line in planned.splitlines() if "actstudy train " in line]
    study = Study(copy.deepcopy(TINY))
    assert len(commands) == len(study.runs)
    for run in study.runs:
        command = next(c for c in commands if f"/{run['activation']}/fold{run['fold']}.json" in c)
        assert f"--digest {study.spec_digest(run)} " in command
    timings = [line for line in planned.splitlines() if "actstudy timing " in line]
    assert len(timings) == 1
    assert (
        f"--digest {' '.join(study.spec_digest(run) for run in study.runs if run['fold'] == 0)} "
        in timings[0]
    )


HOLDER = """
import sys, time
from actstudy.training.run_lock import run_locks
with run_locks([sys.argv[1]]):
    print("held", flush=True)
    time.sleep(120)
"""


def test_a_second_trainer_of_a_run_stops_naming_the_first(tmp_path):
    path, expected, _ = tiny_run_spec(tmp_path)
    first = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path / "run")],
        stdout=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        assert first.stdout.readline() == "held\n"
        listing = tree(tmp_path)
        result = train(tmp_path, path, "--digest", expected)
        assert result.returncode == 1
        assert one_sentence(result.stderr, "train") == (
            f"run is being trained by another process (pid {first.pid}, which locks "
            "run/.train.lock); wait for it to finish, or stop it (kill it by that pid) and rerun"
        )
        assert tree(tmp_path) == listing
    finally:
        first.kill()
        first.wait()
    # killed (as by kill -9), the first trainer leaves no lock behind: the run can be trained
    result = train(tmp_path, path, "--digest", expected)
    assert one_sentence(result.stderr, "train").startswith("p is not a prepared dataset")


# A fold file edited by hand: refused when a job reads it, whether or not its digest was forged.
def forge(content: dict) -> dict:
    """``content`` with its digest recomputed, as an editor who knew the format would do."""
    content = {k: v for k, v in content.items() if k != DIGEST_KEY}
    return {**content, DIGEST_KEY: fingerprint(content)}


def every_value(content: dict, change) -> dict:
    content = copy.deepcopy(content)
    content["assignment"] = [
        [change(i, v) for i, v in enumerate(row)] for row in content["assignment"]
    ]
    return content


FOLD_EDITS = {
    "eight-folds": (
        lambda c: forge(every_value(c, lambda i, v: v if v == HELD_OUT else i % 8)),
        "assigns folds [-2, 0, 1, 2, 3, 4, 5, 6, 7], not -2..1",
    ),
    "unsigned-edit": (
        lambda c: every_value(c, lambda i, v: 1 - v if v in (0, 1) and i < 10 else v),
        "was changed after the 'folds' rule wrote it (its digest differs)",
    ),
    "test-dropped": (
        lambda c: forge(every_value(c, lambda i, v: i % 2 if v == HELD_OUT else v)),
        "holds out no test part although its test_fraction is 0.2",
    ),
    "out-of-range": (
        lambda c: forge(every_value(c, lambda i, v: -7 if i == 3 else v)),
        "assigns folds [-7, -2, 0, 1], not -2..1",
    ),
    "fewer-samples": (
        lambda c: forge(
            {
                **every_value(c, lambda i, v: v),
                "n": 600,
                "assignment": [row[:600] for row in c["assignment"]],
            }
        ),
        "assigns 600 samples, but the data has",
    ),
    "no-digest": (
        lambda c: {k: v for k, v in c.items() if k != DIGEST_KEY},
        "is not a fold file of format actstudy-folds/2 (an earlier version's?)",
    ),
}


@pytest.mark.parametrize("case", sorted(FOLD_EDITS))
def test_an_edited_fold_file_stops_the_job(tmp_path, digits16, case):
    prepared, _ = digits16
    labels = load_prepared(prepared).train.y
    options = {"mode": "kfold", "folds": 2, "repeats": 1, "seed": 0, "test_fraction": 0.2}
    folds = tmp_path / "digits.json"
    write_folds(folds, assign_folds(labels, **options), **options)
    change, expected = FOLD_EDITS[case]
    folds.write_text(json.dumps(change(json.loads(folds.read_text()))))
    spec, digest, _ = tiny_run_spec(tmp_path)
    listing = tree(tmp_path)
    result = actstudy(
        "train",
        "--spec",
        str(spec),
        "--digest",
        digest,
        "--prepared",
        str(prepared),
        "--folds",
        str(folds),
        "--out",
        "run",
        cwd=tmp_path,
    )
    assert result.returncode == 1
    sentence = one_sentence(result.stderr, "train")
    assert sentence.startswith(f"{folds} {expected}"), sentence
    assert sentence.endswith(
        "; delete it (or run `snakemake --forcerun folds`) and run again, which draws the folds "
        "again"
    )
    assert set(tree(tmp_path)) == set(listing) | {f"run/{LOCK_FILE}"}  # no output of the run


# A finished run's files damaged afterwards: the steps that read them name the file and the fix.
@pytest.fixture(scope="module")
def finished_run(digits16, tmp_path_factory) -> Path:
    """A finished one-epoch run with a trainable activation (its best.pt is read for curves)."""
    prepared, folds = digits16
    out = tmp_path_factory.mktemp("finished") / "run"
    train_run(make_spec("coslu", epochs=1), prepared, folds, out)
    return out


def cut_short(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def flip_a_byte(path: Path) -> None:
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(raw)


def replace_the_weights(path: Path) -> None:
    """A best.pt of other weights, written as torch writes one (no sidecar made for it)."""
    state = torch.load(path, weights_only=True)
    state["model"] = {k: torch.zeros_like(v) for k, v in state["model"].items()}
    torch.save(state, path)


DAMAGES = {
    "best-cut-short": ("activation-curves", "best.pt", cut_short, "its sha256 "),
    "best-byte-flipped": ("activation-curves", "best.pt", flip_a_byte, "its sha256 "),
    "best-replaced": ("activation-curves", "best.pt", replace_the_weights, "its sha256 "),
    "best-no-sidecar": (
        "activation-curves",
        "best.pt.sha256",
        Path.unlink,
        "no best.pt.sha256 digest beside it",
    ),
    "metrics-cut-short": ("aggregate", "metrics.json", cut_short, "not valid JSON: "),
    "metrics-empty": ("aggregate", "metrics.json", lambda p: p.write_text(""), "not valid JSON"),
    "metrics-no-status": (
        "aggregate",
        "metrics.json",
        lambda p: p.write_text('{"best_epoch": 1}'),
        "KeyError: ",
    ),
    "history-cut-short": (
        "aggregate",
        "history.csv",
        lambda p: p.write_text("epoch\n1\n"),
        "KeyError",
    ),
    "manifest-cut-short": ("aggregate", "manifest.json", cut_short, "not valid JSON: "),
}
FIXES = {
    "activation-curves": "; delete it and run the workflow again, which trains its run again",
    "aggregate": "; delete it and run the workflow again, which trains its run again (the tables "
    "wait for it)",
}


@pytest.mark.parametrize("case", sorted(DAMAGES))
def test_a_damaged_run_file_is_named_with_its_fix(tmp_path, finished_run, case):
    step, name, damage, reason = DAMAGES[case]
    run = shutil.copytree(finished_run, tmp_path / "run")
    damage(run / name)
    named = run / ("best.pt" if name.startswith("best.pt") else name)
    listing = tree(tmp_path)
    tables = ["--runs", "runs.csv", "--histories", "h.csv", "--summary", "s.csv"]
    arguments = {
        "aggregate": [*tables, "--diagnostics", "d.csv"],
        "activation-curves": ["--out", "curves.csv"],
    }[step]
    result = actstudy(step, *arguments, str(run), cwd=tmp_path)
    assert result.returncode == 1
    sentence = one_sentence(result.stderr, step)
    assert sentence.startswith(f"{named} is "), sentence
    assert reason in sentence and sentence.endswith(FIXES[step]), sentence
    assert tree(tmp_path) == listing  # no table written, nothing else touched


def test_an_intact_run_reads_back(tmp_path, finished_run):
    """The checks pass what the workflow wrote: the tables and curves of the run are written."""
    result = actstudy("activation-curves", "--out", "curves.csv", str(finished_run), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert ",True,digits,lenet5," in (tmp_path / "curves.csv").read_text()  # the kept values
    state = load_verified(finished_run / "best.pt")
    assert set(state) == {"model", "best_epoch"}
