"""Hostile files a study's run meets after its start: text in the study that the report would
render, files in ``results/`` edited or cut short by hand, and a second trainer of the same run.
Each ends in one sentence naming the file and the fix (or is made harmless), and nothing
outside the run's folder changes. Part of the hostile suite (marker ``hostile``)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from test_hostile_inputs import TINY, repository_state, tree
from workflow_helpers import snakemake, write_config

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
