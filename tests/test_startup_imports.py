"""Checking a study starts fast: the modules that validate a config, plan the workflow and check
every dataset source import no heavy library; validating a study and planning its runs import no
torch (models and activations are declared without it, :mod:`actstudy.models.builtin`; formulas
are parsed without it), and pandas only for reported-results files; never torchvision, scipy,
wfdb or scikit-learn (seconds each, for checks that need none of them). Each check runs in a
fresh interpreter."""

from __future__ import annotations

import inspect
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest
import torch
from workflow_helpers import REPO

from actstudy import activations, models
from actstudy.models.builtin.transfer import HUB_FILE

HEAVY = ["torch", "torchvision", "scipy", "wfdb", "pandas", "sklearn"]


def imported_after(code: str, cwd: Path = REPO) -> list[str]:
    """The heavy libraries in ``sys.modules`` after running ``code`` in a fresh interpreter."""
    probe = (
        f"{code}\nimport json, sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=cwd, env=env
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_the_checking_modules_and_every_source_import_no_heavy_library():
    code = (
        "import actstudy.cli, actstudy.study.jobs, actstudy.study.validate\n"
        "from actstudy.data import sources\n"
        "for name in sources.source_names():\n"
        "    sources.source_of({'source': name})\n"
    )
    assert imported_after(code) == []


def test_validating_every_study_imports_neither_torchvision_nor_scipy():
    studies = [
        "config.yaml",
        *sorted(str(p.relative_to(REPO)) for p in REPO.glob("studies/*.yaml")),
    ]
    code = (
        "import contextlib, io\n"
        "from actstudy.cli import main\n"
        "quiet = io.StringIO()\n"
        f"for study in {studies!r}:\n"
        "    with contextlib.redirect_stderr(quiet), contextlib.redirect_stdout(quiet):\n"
        "        main(['validate', study])\n"
    )
    assert imported_after(code) == ["pandas"]


STUDIES = ["config.yaml", *sorted(f"studies/{p.name}" for p in REPO.glob("studies/*.yaml"))]


def test_checking_and_planning_every_study_imports_no_torch(tmp_path, monkeypatch):
    """What ``snakemake -n`` does with each study at start-up: its config checked (models,
    options, pretrained weights' place, activations and their parameters, role combinations,
    the search's reference formulas) and every run's spec and code digest, which names the files
    that declare its model and activations. (S1's ImageNet weights: a file in the right place is
    all the check asks.)"""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    weights = tmp_path / "hub" / "checkpoints" / HUB_FILE
    weights.parent.mkdir(parents=True)
    weights.touch()
    code = (
        "from actstudy.study import grid\n"
        "from actstudy.study.jobs import Study\n"
        "from actstudy.study.validate import load_config\n"
        f"for path in {STUDIES!r}:\n"
        "    study = Study.__new__(Study)\n"
        "    study.config = load_config(path)\n"
        "    for run in grid.run_grid(study.config):\n"
        "        study.code_digest(run)\n"
    )
    assert "torch" not in imported_after(code)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"name": "lrelu", "beta": -1}, "activation 'lrelu': beta must be positive, not -1"),
        ({"name": "dsrelu", "progress": "later"}, "progress must be one of paper, code"),
        ({"name": "gelu", "approximate": "fast"}, "approximate must be one of none, tanh"),
        ({"name": "coslu", "a": "one"}, "option a of activation 'coslu' must be a number"),
        ({"roles": {"conv1": "relu", "fc": {"name": "elu", "beta": 1}}}, "elu' takes alpha"),
        ({"expr": "x*sigmoid(x) + sqrt(x)"}, "the function 'sqrt' is not allowed"),
    ],
)
def test_activation_parameters_are_checked_without_torch(spec, message):
    """A formula is parsed without torch too, unless a constant part of it is folded."""
    code = (
        "from actstudy.activations import check\n"
        f"try:\n    check({spec!r})\nexcept ValueError as error:\n    print(error)\n"
        "else:\n    raise SystemExit('accepted')\n"
    )
    assert imported_after(code) == []
    with pytest.raises(ValueError, match=re.escape(message)):
        activations.check(spec)


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("resnet50", {"variant": "keras"}, "variant must be one of torchvision_v1_5, keras_v1"),
        ("resnet34", {"stem": "tiny"}, "stem must be one of imagenet, cifar"),
        ("afos_cnn", {"init": "he"}, "init must be one of keras, pytorch"),
        ("resnet50_transfer", {"freeze": "all"}, "freeze must be keras or modules"),
    ],
)
def test_model_options_are_checked_without_torch(name, options, message):
    code = (
        "from actstudy import models\n"
        f"try:\n    models.check({name!r}, **{options!r})\nexcept ValueError:\n    pass\n"
        "else:\n    raise SystemExit('accepted')\n"
    )
    assert imported_after(code) == []
    with pytest.raises(ValueError, match=re.escape(message)):
        models.check(name, **options)


def test_the_declarations_name_what_the_networks_accept():
    """Choices and sizes a declaration checks without torch are those its network module uses."""
    from actstudy.activations import piecewise
    from actstudy.activations.builtin import piecewise as declared_piecewise
    from actstudy.models import afos, alexnet, lenet, mobilenet, resnet, resnet_blocks
    from actstudy.models.builtin import afos as declared_afos
    from actstudy.models.builtin import alexnet as declared_alexnet
    from actstudy.models.builtin import lenet as declared_lenet
    from actstudy.models.builtin import mobilenet as declared_mobilenet
    from actstudy.models.builtin import resnet as declared_resnet

    assert tuple(piecewise.DSRELU_VARIANTS) == declared_piecewise.DSRELU_VARIANTS
    assert tuple(piecewise.DSRELU_PROGRESS) == declared_piecewise.DSRELU_PROGRESS
    assert (declared_afos.INITS, declared_afos.MIN_SIZE) == (afos.INITS, afos.MIN_SIZE)
    assert declared_lenet.MIN_SIZE == lenet.MIN_SIZE
    assert declared_alexnet.STEMS == alexnet.STEMS
    assert declared_mobilenet.V1_STEMS == mobilenet.V1_STEMS
    assert declared_resnet.STEMS == resnet.STEMS
    assert tuple(resnet_blocks.VARIANTS) == declared_resnet.RESNET50_VARIANTS


@pytest.mark.parametrize("name", ["lrelu", "dsrelu", "coslu", "delu", "relun"])
def test_declared_activation_defaults_are_the_classes_defaults(name):
    """A class built directly (``LReLU()``) is the activation a study's bare name builds."""
    module = activations.create(name)
    signature = inspect.signature(type(module).__init__).parameters
    declared = dict(zip(activations.parameters_of(name), _defaults(name), strict=True))
    assert {k: signature[k].default for k in declared} == declared


def _defaults(name: str) -> list:
    from actstudy.activations.registry import _builder

    return [p.default for p in inspect.signature(_builder(name)).parameters.values()]


@pytest.mark.parametrize(
    "environment",
    [{}, {"TORCH_HOME": "~/models/torch"}, {"XDG_CACHE_HOME": "/tmp/xdg"}],
)
def test_the_hub_folder_found_without_torch_is_torchs(environment, monkeypatch):
    for key in ("TORCH_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(key, raising=False)
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    expected = subprocess.run(
        [sys.executable, "-c", "import torch; print(torch.hub.get_dir())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    code = (
        "from actstudy.models.builtin.transfer import hub_dir\n"
        "import json, sys\nprint(hub_dir(), file=sys.stderr)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    ).stderr.strip()
    assert found == expected


def test_a_config_without_reported_files_is_checked_without_pandas():
    assert "pandas" not in imported_after(
        "from actstudy.cli import main\nassert main(['validate', 'config.yaml']) == 0\n"
    )


def test_the_weights_file_name_known_without_torchvision_is_torchvisions():
    from actstudy.models.transfer import imagenet_weights

    assert Path(urlparse(imagenet_weights().url).path).name == HUB_FILE


def test_the_float32_limit_known_without_torch_is_torchs():
    from actstudy.activations.expression import _FLOAT32_MAX

    assert torch.finfo(torch.float32).max == _FLOAT32_MAX
