"""Hostile study files and commands: each is refused with one sentence before anything is
written, and nothing outside the scratch folder changes (the repository's own files included)."""

from __future__ import annotations

import copy
import errno
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from workflow_helpers import REPO, planned_jobs, snakemake, tiny_config, write_config

from actstudy.errors import ConfigError
from actstudy.failures import describe
from actstudy.study.jobs import Study, StudyError
from actstudy.study.yaml_file import read_config

pytestmark = pytest.mark.hostile


def tree(folder: Path) -> dict[str, int]:
    """Every file under ``folder`` with its size (what a test must leave unchanged)."""
    return {str(p.relative_to(folder)): p.stat().st_size for p in folder.rglob("*") if p.is_file()}


def repository_state() -> str:
    result = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    return result.stdout


def actstudy(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "ACTSTUDY_RETRY_ATTEMPTS": "1", "TORCH_HOME": str(cwd / "torch")}
    return subprocess.run(
        [sys.executable, "-m", "actstudy", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


def one_sentence(stderr: str, step: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith(f"actstudy {step}: ")]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr, stderr
    return lines[0].removeprefix(f"actstudy {step}: error: ")


def edit(config: dict, path: str, value: object) -> dict:
    config = copy.deepcopy(config)
    *parents, last = path.split(".")
    node = config
    for key in parents:
        node = node[key]
    node[last] = value
    return config


def relabel(config: dict, section: str, old: str, new: object) -> dict:
    config = copy.deepcopy(config)
    config[section] = {(new if k == old else k): v for k, v in config[section].items()}
    return config


TINY = tiny_config()
LABEL = "a label is 1 to 64 letters, digits or _, starting with a letter or digit"
STUDY_RULE = "must be 1 to 64 letters, digits, _ or -, starting with a letter or digit"
CASES = {
    "study-dotdot": (edit(TINY, "study", ".."), f"config key 'study' {STUDY_RULE}"),
    "study-slash": (edit(TINY, "study", "../../etc"), f"config key 'study' {STUDY_RULE}"),
    "study-newline": (edit(TINY, "study", "tiny\n"), f"config key 'study' {STUDY_RULE}"),
    "study-number": (edit(TINY, "study", 7), "config key 'study' must be of type string"),
    "dataset-newline": (
        relabel(TINY, "datasets", "digits", "digits\n"),
        f"config key 'datasets' has the label 'digits\\n'; {LABEL}; rename it",
    ),
    "activation-dot": (
        relabel(TINY, "activations", "relu", ".."),
        f"config key 'activations' has the label '..'; {LABEL}; rename it",
    ),
    "activation-slash": (
        relabel(TINY, "activations", "relu", "a/b"),
        f"config key 'activations' has the label 'a/b'; {LABEL}; rename it",
    ),
    "model-too-long": (
        relabel(TINY, "models", "lenet5", "m" * 300),
        f"config key 'models' has the label '{'m' * 300}'; {LABEL}; rename it",
    ),
    "label-integer": (
        relabel(TINY, "activations", "relu", 1),
        "config key 'activations' has the label 1, which is not a string",
    ),
    "lr-nan": (
        edit(TINY, "training.optimizer.lr", float("nan")),
        "config key 'training.optimizer.lr' must be a finite number (got nan)",
    ),
    "lr-inf": (
        edit(TINY, "training.optimizer.lr", float("inf")),
        "config key 'training.optimizer.lr' must be a finite number (got inf)",
    ),
    "lr-integer-overflow": (
        edit(TINY, "training.optimizer.lr", 10**400),
        "config key 'training.optimizer.lr' must be a finite number (got about 10^400)",
    ),
    "epochs-float": (
        edit(TINY, "training.epochs", 1e30),
        "config key 'training.epochs' must be of type integer (got 1e+30)",
    ),
    "epochs-huge": (
        edit(TINY, "training.epochs", 10**30),
        "config key 'training.epochs' must be ≤ 100000",
    ),
    "batch-huge": (
        edit(TINY, "training.batch_size", 10**9),
        "config key 'training.batch_size' must be ≤ 1048576",
    ),
    "size-zero": (
        edit(TINY, "datasets.digits.size", 0),
        "config key 'datasets.digits': the samples would be 0 wide; give a size ≥ 1",
    ),
    "size-string": (
        edit(TINY, "datasets.digits.size", "big"),
        "config key 'datasets.digits': option size of dataset source 'digits' must be an integer",
    ),
    "size-absurd": (
        edit(TINY, "datasets.digits.size", 100000),
        "config key 'datasets.digits': one batch of 128 inputs of 1×100000×100000 needs",
    ),
    "normalize-channels": (
        edit(TINY, "datasets.digits.normalize", {"mean": [0.5] * 3, "std": [0.2]}),
        "config key 'datasets.digits.normalize.mean' has 3 values but the images have 1 channel",
    ),
    "model-option-type": (
        edit(TINY, "models.lenet5.input_size", "32"),
        "config key 'models.lenet5': option input_size of model 'lenet5' must be an integer",
    ),
    "plugin-missing": (
        edit(TINY, "plugins", ["nowhere.py"]),
        "config key 'plugins': plugin file nowhere.py does not exist",
    ),
    "role-typo-with-default": (
        edit(
            TINY,
            "activations.mix",
            {"roles": {"conv1": "relu", "conv3": "tanh"}, "default": "relu"},
        ),
        "config key 'activations.mix.roles' names the role 'conv3', which model 'lenet5' (lenet5) "
        "does not have; use one of its roles, conv1, conv2, fc (did you mean 'conv2'?)",
    ),
    "role-missing-without-default": (
        edit(TINY, "activations.mix", {"roles": {"conv1": "relu", "fc": "tanh"}}),
        "config key 'activations.mix' gives no activation for the role 'conv2' of model 'lenet5' "
        "(lenet5); add it under 'roles' or give a 'default'",
    ),
    "adam-momentum": (
        edit(TINY, "training.optimizer", {"name": "adam", "lr": 0.001, "momentum": 0.9}),
        "config key 'training.optimizer.momentum' applies to optimizer sgd only, and adam ignores "
        "it; remove it or set optimizer.name: sgd",
    ),
    "sgd-betas": (
        edit(TINY, "training.optimizer", {"name": "sgd", "lr": 0.01, "betas": [0.9, 0.99]}),
        "config key 'training.optimizer.betas' applies to optimizer adam or adamw only, and sgd "
        "ignores it; remove it or set optimizer.name: adam",
    ),
    "cosine-milestones": (
        edit(TINY, "training.schedule", {"name": "cosine", "milestones": [3]}),
        "config key 'training.schedule.milestones' applies to schedule multistep only, and cosine "
        "ignores it; remove it or set schedule.name: multistep",
    ),
    "override-gamma-without-multistep": (
        edit(TINY, "overrides", [{"models": ["lenet5"], "training": {"schedule": {"gamma": 0.5}}}]),
        "config key 'overrides.0.training.schedule.gamma' applies to schedule multistep only, and "
        "none ignores it; remove it or set schedule.name: multistep",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_hostile_study_is_refused_by_validate(tmp_path, case):
    config, expected = CASES[case]
    before = repository_state()
    study = write_config(tmp_path, config)
    listing = tree(tmp_path)
    result = actstudy("validate", str(study), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert one_sentence(result.stderr, "validate").startswith(expected)
    assert tree(tmp_path) == listing and repository_state() == before


def alias_bomb(folder: Path) -> Path:
    """A study file of under a kilobyte whose aliases expand to 9**9 mappings."""
    lines = ["study: bomb", "a0: &a0 {x: 1, y: 2}"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    path = folder / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    assert path.stat().st_size < 900
    return path


def fifo(folder: Path) -> Path:
    path = folder / "study.fifo"
    os.mkfifo(path)  # opening it to read would wait for a writer forever
    return path


def latin1(folder: Path) -> Path:
    path = folder / "latin1.yaml"
    path.write_bytes(b"study: tiny\ndescription: caf\xe9\n")
    return path


def oversized(folder: Path) -> Path:
    path = folder / "big.yaml"
    path.write_text("study: big\n" + "# padding\n" * 200_000)
    return path


NOT_REGULAR = "is not a regular file (a pipe, device or folder); give the path of a YAML file"
UNREADABLE_FILES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "alias-bomb": (
        alias_bomb,
        "expands to more than 100000 values through its YAML aliases (&anchor/*alias); write "
        "the values out, or use fewer aliases",
    ),
    "fifo": (fifo, NOT_REGULAR),
    "dev-zero": (lambda _: Path("/dev/zero"), NOT_REGULAR),
    "dev-urandom": (lambda _: Path("/dev/urandom"), NOT_REGULAR),
    "folder": (lambda folder: folder, NOT_REGULAR),
    "latin-1": (latin1, "is not UTF-8 (byte 0xe9 at line 2); save it as UTF-8"),
    "oversized": (oversized, "bytes, more than a study's limit of 1048576; give the right file"),
}


@pytest.mark.parametrize("case", sorted(UNREADABLE_FILES))
def test_a_study_file_that_could_hang_is_refused_at_once(tmp_path, case):
    make, expected = UNREADABLE_FILES[case]
    path = make(tmp_path)
    listing = tree(tmp_path)
    start = time.perf_counter()
    with pytest.raises(ConfigError, match=r"^study file ") as error:
        read_config(path)
    assert time.perf_counter() - start < 1.0
    assert expected in str(error.value) and str(path) in str(error.value)
    # Snakemake's start-up reads each config file the same way before it validates the config
    with pytest.raises(StudyError, match="Invalid study configuration") as refused:
        Study(tiny_config(), files=[path])
    assert expected in str(refused.value)
    result = actstudy("validate", str(path), cwd=tmp_path)
    assert result.returncode == 2
    assert expected in one_sentence(result.stderr, "validate")
    assert tree(tmp_path) == listing


def test_validate_refuses_what_snakemake_refuses_or_says_it_checked_the_config_only(tmp_path):
    """A study whose data is neither there nor downloadable (no Kaggle credentials) is never
    "valid": Snakemake would stop at start-up."""
    shutil.copytree(REPO / "studies", tmp_path / "studies")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAGGLE_")}
    env |= {"HOME": str(tmp_path / "home"), "TORCH_HOME": str(tmp_path / "torch")}
    run = [sys.executable, "-m", "actstudy", "validate", "studies/s5_dsrelu.yaml"]
    listing = tree(tmp_path)
    result = subprocess.run(run, capture_output=True, text=True, cwd=tmp_path, env=env)
    assert result.returncode == 2 and "valid" not in result.stdout
    sentences = result.stderr.splitlines()
    assert sentences[0].startswith(
        "actstudy validate: error: dataset 'mini_imagenet84': resources/mini_imagenet holds no "
        "Mini-ImageNet images"
    )
    assert all("Kaggle" in line for line in sentences), result.stderr
    result = subprocess.run(
        [*run, "--config-only"], capture_output=True, text=True, cwd=tmp_path, env=env
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        "studies/s5_dsrelu.yaml: valid as a config (data, prepared folders and output paths not "
        "checked: run `actstudy validate` without --config-only"
    )
    assert tree(tmp_path) == listing


def merged(study: str | Path) -> str:
    return (
        f"Snakemake merged {study} into config.yaml (its activations.dsrelu came from "
        "config.yaml); add --replace-workflow-config after --configfile so that the study file "
        "alone is the config"
    )


def two_activation_study(folder: Path) -> Path:
    """config.yaml (the tiny study) and a study file of its own that drops one activation."""
    write_config(folder, TINY)
    study = relabel(TINY, "activations", "dsrelu", "elu")
    study["activations"]["elu"] = "elu"
    study["statistics"]["control"] = "elu"
    return write_config(folder, {**study, "study": "mine"}, "study.yaml")


def test_a_study_file_merged_into_config_yaml_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    study = two_activation_study(tmp_path)
    extended = copy.deepcopy(TINY)
    extended |= {**read_config(study), "activations": {**TINY["activations"], "elu": "elu"}}
    files = [Path("study.yaml"), Path("config.yaml")]  # Snakemake's order: its own file last
    with pytest.raises(StudyError) as error:
        Study(extended, files=files, workflow_config="config.yaml")
    assert error.value.sentences == [merged("study.yaml")]
    replaced = read_config(study)  # --replace-workflow-config: the study file alone
    assert Study(replaced, files=files, workflow_config="config.yaml").config["study"] == "mine"


@pytest.mark.workflow
def test_snakemake_refuses_a_configfile_merged_into_config_yaml(tmp_path):
    before = repository_state()
    study = str(two_activation_study(tmp_path))
    result = snakemake(tmp_path, "--dry-run", "--configfile", study, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0 and merged(study) in output, output
    assert "Traceback" not in output
    jobs = planned_jobs(tmp_path, "--configfile", study, "--replace-workflow-config")
    assert jobs["train"] == 2 * 2  # its 2 activations × 2 folds, not config.yaml's too
    assert repository_state() == before


def test_a_key_given_twice_is_refused(tmp_path):
    study = tmp_path / "study.yaml"
    text = (REPO / "tests/configs/tiny.yaml").read_text()
    study.write_text(text + "\ntraining:\n  epochs: 3\n  batch_size: 8\n")
    result = actstudy("validate", str(study), cwd=tmp_path)
    assert result.returncode == 2
    line = len(text.splitlines()) + 2  # after a blank line
    assert one_sentence(result.stderr, "validate").endswith(
        f"the key 'training' is given twice (line {line}); keep one, since YAML would silently "
        "use the last"
    )


@pytest.mark.workflow
@pytest.mark.parametrize("case", ["study-dotdot", "dataset-newline", "label-integer", "lr-nan"])
def test_snakemake_refuses_a_hostile_study_before_any_job(tmp_path, case):
    config, expected = CASES[case]
    before = repository_state()
    write_config(tmp_path, config)
    result = snakemake(tmp_path, "--cores", "1", check=False)
    assert result.returncode != 0
    assert expected in result.stderr and "Traceback" not in result.stderr, result.stderr
    produced = {p.name for p in tmp_path.iterdir()} - {"config.yaml", ".snakemake"}
    assert not produced, produced
    assert repository_state() == before
    assert (REPO / "notebooks/figures.ipynb").is_file()


def test_a_memory_hungry_preparation_is_one_sentence(tmp_path):
    options = '{"source": "digits", "size": 100000}'
    result = actstudy(
        "prepare", "--options", options, "--out", "out", "--resources", "res", cwd=tmp_path
    )
    assert result.returncode == 1
    assert one_sentence(result.stderr, "prepare").startswith("ran out of memory (")
    assert not (tmp_path / "out").exists()


def test_a_failed_download_is_one_sentence(tmp_path):
    options = '{"source": "cifar10"}'
    result = actstudy(
        "prepare", "--options", options, "--out", "out", "--resources", "res", cwd=tmp_path
    )
    assert result.returncode == 1
    sentence = one_sentence(result.stderr, "prepare")
    assert sentence.startswith("could not download cifar-10-python.tar.gz in 1 attempt (")
    assert "place a good copy at" in sentence
    assert not (tmp_path / "out").exists()
    assert not [p for p in (tmp_path / "res").rglob("*") if p.is_file()]


def test_debug_shows_the_traceback(tmp_path):
    train = ["train", "--spec", "absent.json", "--prepared", "p", "--folds", "f", "--out", "o"]
    result = actstudy("--debug", *train, cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" in result.stderr
    result = actstudy(*train, cwd=tmp_path)
    assert one_sentence(result.stderr, "train").startswith("absent.json does not exist; ")


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            OSError(errno.ENOSPC, "No space left on device", "results/x/best.pt"),
            "the disk is full writing results/x/best.pt (",
        ),
        (
            RuntimeError("[enforce fail at inline_container.cc:664] . unexpected pos 64 vs 0"),
            "the disk is full (",
        ),
        (MemoryError(), "ran out of memory; lower the batch size"),
        (
            ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"),
            "a network request failed (ConnectionResetError: ",
        ),
        (
            PermissionError(errno.EACCES, "Permission denied", "/root/x"),
            "permission denied for /root/x; give yourself write access to it",
        ),
        (KeyError("oops"), "unexpected KeyError: 'oops' (in an unknown place); rerun with --debug"),
    ],
)
def test_every_failure_is_one_sentence_with_the_fix(error, expected):
    sentences, code = describe(error)
    assert code == 1 and len(sentences) == 1
    assert sentences[0].startswith(expected), sentences[0]
    assert "; " in sentences[0]  # it names what to do


def _first_of(items: list) -> object:
    return next(iter(items))


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda: _first_of([]), "unexpected StopIteration (in "),
        (lambda: [][0], "unexpected IndexError: list index out of range (in "),
    ],
    ids=["StopIteration", "IndexError"],
)
def test_an_unexpected_error_names_where_it_happened(call, expected):
    """A bug of ours still ends in one sentence: what, where (file, line, function), and what
    to do (the traceback with --debug, and report it)."""
    with pytest.raises(Exception) as raised:
        call()
    (sentence,), code = describe(raised.value)
    assert code == 1 and sentence.startswith(expected), sentence
    assert "test_hostile_inputs.py line " in sentence
    assert sentence.endswith(
        "rerun with --debug (or ACTSTUDY_DEBUG=1) for the traceback, and "
        "report it with the command that failed"
    )
