"""Hostile disks: a full disk, a linked study or prepared folder. Each ends in one sentence that
names the thing and the fix, and leaves nothing half-written."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from test_hostile_inputs import actstudy, one_sentence, tree
from workflow_helpers import planned_jobs, tiny_config, write_config

from actstudy.failures import describe
from actstudy.io import atomic_dir, atomic_path

pytestmark = pytest.mark.hostile


@pytest.fixture
def small_disk(tmp_path) -> Iterator[Path]:
    """A 256 KiB tmpfs (needs root, as CI has); skipped, saying why, where mounting is refused."""
    mount = tmp_path / "small_disk"
    mount.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({result.stderr.strip()})")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_a_full_disk_names_the_disk_that_is_full(tmp_path, small_disk):
    """Preparing digits (numpy's short write, no errno) onto a full disk: the sentence names the
    folder being written and the free space of *that* disk, not the working directory's."""
    out = small_disk / "prepared"
    result = actstudy(
        "prepare", "--options", '{"source": "digits"}', "--out", str(out), "--resources", "res",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 1
    sentence = one_sentence(result.stderr, "prepare")
    assert sentence.startswith(f"the disk is full writing {out} (0.0 GiB free on the disk holding")
    assert str(small_disk) in sentence and "free some space" in sentence
    assert tree(small_disk) == {}  # the temporary folder went with the failure


@pytest.mark.parametrize(
    "error",
    [OSError("800 requested and 32 written"), RuntimeError("unexpected pos 704 vs 598")],
    ids=["numpy-short-write", "torch-save"],
)
def test_a_short_write_is_a_full_disk_naming_the_file(tmp_path, error):
    target = tmp_path / "results" / "best.pt"
    with pytest.raises(OSError) as raised, atomic_path(target):
        raise error
    (sentence,), code = describe(raised.value)
    assert code == 1
    assert sentence.startswith(f"the disk is full writing {target} (")
    assert f"GiB free on the disk holding {target.parent})" in sentence
    assert list(target.parent.iterdir()) == []


def test_a_linked_prepared_folder_is_not_replaced(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.npy").write_bytes(b"data")
    link = tmp_path / "prepared" / "digits"
    link.parent.mkdir()
    link.symlink_to(elsewhere)
    with pytest.raises(ValueError, match="is a symbolic link") as raised, atomic_dir(link):
        np.save(link / "x.npy", np.zeros(3))
    assert f"link the folder above it, {link.parent}" in str(raised.value)
    assert tree(elsewhere) == {"keep.npy": 4}


@pytest.mark.workflow
def test_a_study_folder_linked_to_another_disk_is_accepted(tmp_path):
    """results/<study> may be a link (a larger disk): the output-path check compares the paths
    as written, so it neither refuses the study nor tells the user to rename it."""
    config = tiny_config()
    write_config(tmp_path, config)
    other_disk = tmp_path / "other_disk"
    other_disk.mkdir()
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / config["study"]).symlink_to(other_disk)
    assert planned_jobs(tmp_path)["train"] >= 1


@pytest.mark.parametrize("content", ["", 'a,b\n1,2,3,4\n"unclosed\n'], ids=["empty", "garbled"])
def test_a_cut_short_table_names_the_file(tmp_path, content):
    (tmp_path / "runs.csv").write_text(content)
    result = actstudy("concat", "--out", "all.csv", "runs.csv", cwd=tmp_path)
    assert result.returncode == 1
    sentence = one_sentence(result.stderr, "concat")
    assert sentence.startswith("runs.csv is not a readable CSV table ("), sentence
    assert sentence.endswith("delete it so that the step that writes it runs again, or fix it")
    assert not (tmp_path / "all.csv").exists()
