"""Fixtures shared by the top-level tests, and the hostile-input tally."""

from __future__ import annotations

import pytest
import workflow_helpers

HOSTILE: dict[str, str] = {}  # test id → outcome, for the tests marked `hostile`


@pytest.fixture
def tiny_config() -> dict:
    return workflow_helpers.tiny_config()


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
