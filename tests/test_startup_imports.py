"""Checking a study starts fast: the modules that validate a config, plan the workflow and check
every dataset source import no heavy library; validating the studies imports torch (the model
and activation checks build modules) and pandas (for reported-results files) but not
torchvision, scipy, wfdb or scikit-learn (seconds each, for checks that need none of them).
Each check runs in a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

from workflow_helpers import REPO

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
    assert set(imported_after(code)) == {"torch", "pandas"}


def test_a_config_without_reported_files_is_checked_without_pandas():
    assert "pandas" not in imported_after(
        "from actstudy.cli import main\nassert main(['validate', 'config.yaml']) == 0\n"
    )


def test_the_weights_file_name_known_without_torchvision_is_torchvisions():
    from actstudy.models.transfer import HUB_FILE, imagenet_weights

    assert Path(urlparse(imagenet_weights().url).path).name == HUB_FILE
