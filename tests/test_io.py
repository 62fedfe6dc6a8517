"""Atomic writes: nothing half-written on failure, normal permissions on success."""

from __future__ import annotations

import os
import re
import stat

import pytest

from actstudy.io import atomic_dir, atomic_path, read_json, write_json


def test_a_failed_write_leaves_neither_the_target_nor_a_temporary_file(tmp_path):
    target = tmp_path / "out.json"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_folder_keeps_the_previous_version(tmp_path):
    target = tmp_path / "prepared"
    with atomic_dir(target) as tmp:
        (tmp / "a").write_text("old")
    with pytest.raises(RuntimeError), atomic_dir(target) as tmp:
        (tmp / "a").write_text("new")
        raise RuntimeError("killed")
    assert (target / "a").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["prepared"]


def test_written_files_and_folders_get_the_modes_the_umask_allows(tmp_path):
    old = os.umask(0o022)
    try:
        write_json(tmp_path / "m.json", {"a": 1})
        with atomic_dir(tmp_path / "d") as tmp:
            (tmp / "x").write_text("x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "m.json").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "d").stat().st_mode) == 0o755


@pytest.mark.hostile
@pytest.mark.parametrize("content", [b'{"status": "compl', b"\xff\xfe not json"])
def test_a_json_file_that_does_not_parse_is_named(tmp_path, content):
    path = tmp_path / "metrics.json"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=rf"^{re.escape(str(path))} is not valid JSON \("):
        read_json(path)
