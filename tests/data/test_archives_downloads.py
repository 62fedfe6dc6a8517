"""Safe unpacking (hostile and corrupt archives) and verified downloads through a temporary name."""

from __future__ import annotations

import hashlib
import io
import logging
import os
import stat
import tarfile
import zipfile

import pytest

from actstudy.data.archives import unpacked
from actstudy.data.downloads import fetch_url


def _tar(path, members) -> None:
    """Write a tar.gz of (name, kind, data_or_link_target) members."""
    with tarfile.open(path, "w:gz") as tar:
        for name, kind, payload in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload))
            else:
                info.type = tarfile.SYMTYPE if kind == "symlink" else tarfile.LNKTYPE
                info.linkname = payload
                tar.addfile(info)


def _listing(folder) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.parametrize(
    ("members", "why"),
    [
        ([("../evil.txt", "file", b"x")], "outside its folder"),
        ([("data/../../evil.txt", "file", b"x")], "outside its folder"),
        ([("/tmp/evil.txt", "file", b"x")], "outside its folder"),
        ([("data/link", "symlink", "../../outside")], "links to '../../outside'"),
        ([("data/link", "symlink", "/etc/passwd")], "links to '/etc/passwd'"),
        ([("ok.txt", "file", b"x"), ("data/hard", "hardlink", "../ok.txt")], "links to"),
    ],
)
def test_hostile_tar_is_refused_before_anything_is_written(tmp_path, members, why):
    archive = tmp_path / "hostile.tar.gz"
    _tar(archive, members)
    beside = tmp_path / "unpack" / "here"
    with pytest.raises(ValueError, match=why) as caught, unpacked(archive, beside):
        pytest.fail("a hostile archive was unpacked")
    assert str(archive) in str(caught.value) and "delete the archive" in str(caught.value)
    assert _listing(tmp_path) == ["hostile.tar.gz", "unpack", "unpack/here"]


@pytest.mark.parametrize("name", ["../evil.txt", "/abs/evil.txt", "a/../../evil.txt"])
def test_zip_member_leaving_the_folder_is_refused(tmp_path, zip_bytes, name):
    archive = tmp_path / "hostile.zip"
    archive.write_bytes(zip_bytes({"fine.txt": b"ok", name: b"x"}))
    with pytest.raises(ValueError, match="outside its folder"), unpacked(archive, tmp_path / "u"):
        pytest.fail("a hostile archive was unpacked")
    assert _listing(tmp_path / "u") == []


def test_zip_symlink_is_refused(tmp_path):
    archive = tmp_path / "link.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        info = zipfile.ZipInfo("data/link")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zipped.writestr(info, "../../outside")
    with pytest.raises(ValueError, match="symbolic link"), unpacked(archive, tmp_path / "u"):
        pytest.fail("a hostile archive was unpacked")


def test_genuine_tar_with_inner_symlink_is_unpacked_and_cleaned_up(tmp_path):
    archive = tmp_path / "fine.tar.gz"
    _tar(archive, [("d/a.txt", "file", b"hello"), ("d/alias", "symlink", "a.txt")])
    with unpacked(archive, tmp_path / "u") as folder:
        assert (folder / "d" / "a.txt").read_bytes() == b"hello"
        assert (folder / "d" / "alias").read_bytes() == b"hello"
    assert _listing(tmp_path / "u") == []


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_truncated_archive_names_the_file_and_the_fix(tmp_path, zip_bytes, kind):
    archive = tmp_path / f"cut.{kind}"
    if kind == "zip":
        whole = zip_bytes({f"f{i}.bin": os.urandom(5000) for i in range(5)})
    else:
        _tar(archive, [(f"f{i}.bin", "file", os.urandom(5000)) for i in range(5)])
        whole = archive.read_bytes()
    archive.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ValueError) as caught, unpacked(archive, tmp_path / "u"):
        pytest.fail("a truncated archive was unpacked")
    message = str(caught.value)
    assert str(archive) in message and "corrupt or truncated" in message
    assert "delete it and rerun" in message and message.count(". ") == 0


def test_download_is_verified_logged_and_falls_back_to_the_next_mirror(
    tmp_path, http_server, caplog
):
    body = os.urandom(3 << 20)
    http_server.add("/good/file.bin", body)
    target = tmp_path / "res" / "file.bin"
    with caplog.at_level(logging.INFO):
        fetch_url(
            [f"{http_server.url}/missing/file.bin", f"{http_server.url}/good/file.bin"],
            target,
            ("md5", hashlib.md5(body).hexdigest()),
        )
    assert target.read_bytes() == body
    assert "100% (3.0 of 3.0 MiB)" in caplog.text
    assert os.listdir(target.parent) == ["file.bin"]


@pytest.mark.parametrize(
    ("route", "reason"),
    [
        ({"body": b"half a file", "length": 1000}, "stopped after 11 of 1,000 bytes"),
        ({"body": b"not the published bytes"}, "MD5 differs from the published"),
        ({"body": b"gone", "status": 404}, "HTTP 404"),
    ],
)
def test_failed_download_leaves_nothing_and_says_what_to_do(tmp_path, http_server, route, reason):
    http_server.add("/f.gz", **route)
    target = tmp_path / "res" / "f.gz"
    with pytest.raises(ConnectionError, match=reason) as caught:
        fetch_url([f"{http_server.url}/f.gz"], target, ("md5", "0" * 32))
    assert f"place a good copy at {target}" in str(caught.value)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
