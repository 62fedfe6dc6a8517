"""The project's own style gates: snakemake --lint, snakefmt and ruff are clean."""

from __future__ import annotations

import subprocess
import sys

import pytest
from workflow_helpers import BIN, REPO, snakemake


def run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True)


@pytest.mark.workflow
def test_snakemake_lint_is_clean(tmp_path):
    (tmp_path / "config.yaml").write_text((REPO / "config.yaml").read_text())
    result = snakemake(tmp_path, "--lint", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Congratulations, your workflow is in a good condition!" in result.stdout + result.stderr


def test_snakefmt_is_clean():
    result = run(str(BIN / "snakefmt"), "--check", "Snakefile", "workflow")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_is_clean():
    for command in (["check", "."], ["format", "--check", "."]):
        result = run(sys.executable, "-m", "ruff", *command)
        assert result.returncode == 0, result.stdout + result.stderr


def test_every_path_in_every_shell_command_is_quoted():
    """A path with a space or a newline must never split a command: every {input}, {output},
    {params} and {log} of a shell command carries :q."""
    import re

    unquoted = []
    for rules in sorted((REPO / "workflow" / "rules").glob("*.smk")):
        text = rules.read_text(encoding="utf-8")
        for block in re.findall(r"shell:\n((?:\s+\".*\"\n)+)", text):
            for field in re.findall(r"\{((?:input|output|params|log|wildcards)[^}]*)\}", block):
                if not field.endswith(":q"):
                    unquoted.append(f"{rules.name}: {{{field}}}")
    assert not unquoted, unquoted
    assert "shell:" in (REPO / "workflow/rules/train.smk").read_text()
