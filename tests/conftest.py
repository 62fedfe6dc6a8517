"""Fixtures shared by the top-level tests, and the hostile-input tally."""

from __future__ import annotations

from pathlib import Path

import pytest
import workflow_helpers

from actstudy.data import load_prepared, prepare
from actstudy.training.folds import assign_folds, write_folds

HOSTILE: dict[str, str] = {}  # test id → outcome, for the tests marked `hostile`


@pytest.fixture(autouse=True)
def no_run_cache(monkeypatch) -> None:
    """Tests train what they train: the run cache is off (tests/test_run_cache.py turns it on),
    so that no test restores another's run, and none writes a cache into the checkout."""
    monkeypatch.setenv("ACTSTUDY_RUN_CACHE", "off")


@pytest.fixture
def tiny_config() -> dict:
    return workflow_helpers.tiny_config()


@pytest.fixture(scope="session")
def digits16(tmp_path_factory) -> tuple[Path, Path]:
    """Real digits at 16×16 and a 2-fold assignment: small enough for many short runs."""
    root = tmp_path_factory.mktemp("digits16")
    prepare({"source": "digits", "size": 16}, root / "prepared", root / "resources")
    labels = load_prepared(root / "prepared").train.y
    write_folds(
        root / "folds.json",
        assign_folds(labels, "kfold", 2, seed=0, repeats=1, test_fraction=0.0),
        mode="kfold",
    )
    return root / "prepared", root / "folds.json"


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """A hostile-input test passes when the input was refused, cleanly; count each once."""
    if "hostile" not in report.keywords:
        return
    if report.when == "call" or (report.when == "setup" and not report.passed):
        HOSTILE[report.nodeid] = "refused" if report.passed else report.outcome


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if HOSTILE:
        refused = sum(outcome == "refused" for outcome in HOSTILE.values())
        terminalreporter.write_line(
            f"hostile inputs: {len(HOSTILE)} tried, {refused} refused with one clear sentence"
        )
