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

from actstudy.data import retry as retry_module
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
    ("route", "reason", "attempts"),
    [
        ({"body": b"half a file", "length": 1000}, "stopped after 11 of 1,000 bytes", 4),
        ({"body": b"not the published bytes"}, "MD5 differs from the published", 1),
        ({"body": b"gone", "status": 404}, "HTTP 404", 1),
    ],
)
def test_failed_download_leaves_nothing_and_says_what_to_do(
    tmp_path, http_server, route, reason, attempts
):
    http_server.add("/f.gz", **route)
    target = tmp_path / "res" / "f.gz"
    with pytest.raises(ConnectionError, match=reason) as caught:
        fetch_url([f"{http_server.url}/f.gz"], target, ("md5", "0" * 32))
    message = str(caught.value)
    assert f"place a good copy at {target}" in message and message.count(". ") == 0
    assert f"could not download f.gz in {attempts} attempt" in message
    assert http_server.count("/f.gz") == attempts
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


@pytest.mark.parametrize(
    ("failure", "logged"),
    [
        ({"status": 503}, "HTTP 503"),
        ({"status": 500}, "HTTP 500"),
        ({"status": 429}, "HTTP 429"),
        ({"status": 408}, "HTTP 408"),
        ({"drop": True}, "Remote end closed connection without response"),
        ({"body": b"cut", "length": 1 << 20}, "the body stopped after 3 of 1,048,576 bytes"),
    ],
)
def test_transient_failures_are_retried_and_each_retry_is_logged(
    tmp_path, http_server, caplog, failure, logged
):
    body = os.urandom(100_000)
    http_server.add_sequence("/flaky.bin", failure, failure, {"body": body})
    target = tmp_path / "res" / "flaky.bin"
    url = f"{http_server.url}/flaky.bin"

    with caplog.at_level(logging.INFO):
        fetch_url([url], target, ("md5", hashlib.md5(body).hexdigest()))

    assert target.read_bytes() == body and os.listdir(target.parent) == ["flaky.bin"]
    assert http_server.count("/flaky.bin") == 3
    retries = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(retries) == 2
    for number, line in enumerate(retries, start=2):
        prefix = f"download of flaky.bin from {url} failed ({logged}); attempt {number} of 4 in "
        assert line.startswith(prefix) and line.endswith(" s"), line


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410])
def test_a_refusal_is_not_retried(tmp_path, http_server, caplog, status):
    http_server.add("/refused.bin", b"no", status=status)
    target = tmp_path / "refused.bin"

    with pytest.raises(ConnectionError, match=f"in 1 attempt \\(HTTP {status} from "):
        fetch_url([f"{http_server.url}/refused.bin"], target)

    assert http_server.count("/refused.bin") == 1
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_server_that_keeps_failing_is_given_up_after_the_bounded_attempts(
    tmp_path, http_server, monkeypatch
):
    http_server.add("/down.bin", b"busy", status=503)
    http_server.add("/also-down.bin", b"", drop=True)
    urls = [f"{http_server.url}/down.bin", f"{http_server.url}/also-down.bin"]
    target = tmp_path / "down.bin"

    with pytest.raises(ConnectionError) as caught:
        fetch_url(urls, target)

    assert str(caught.value).startswith(
        f"could not download down.bin in 8 attempts (HTTP 503 from {urls[0]}; {urls[1]}: "
    )
    assert http_server.count("/down.bin") == http_server.count("/also-down.bin") == 4

    monkeypatch.setenv("ACTSTUDY_RETRY_ATTEMPTS", "2")
    with pytest.raises(ConnectionError, match="in 2 attempts"):
        fetch_url(urls[:1], target)
    assert http_server.count("/down.bin") == 6 and not target.exists()


def _recorded_sleeps(monkeypatch) -> list[float]:
    sleeps: list[float] = []
    monkeypatch.setattr(retry_module, "_sleep", sleeps.append)
    return sleeps


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [
        ("7", 7.0),
        ("86400", retry_module.RETRY_AFTER_CAP_S),
        ("Wed, 21 Oct 2037 07:28:00 GMT", None),
    ],
)
def test_retry_after_is_honoured_when_it_is_a_few_seconds(
    tmp_path, http_server, monkeypatch, retry_after, expected
):
    sleeps = _recorded_sleeps(monkeypatch)
    http_server.add_sequence(
        "/busy.bin", {"status": 429, "headers": {"Retry-After": retry_after}}, {"body": b"ok"}
    )

    fetch_url([f"{http_server.url}/busy.bin"], tmp_path / "busy.bin")

    assert (tmp_path / "busy.bin").read_bytes() == b"ok"
    assert len(sleeps) == 1
    if expected is None:  # a date is not honoured: the ordinary backoff applies
        assert sleeps[0] < 0.01
    else:
        assert sleeps[0] == expected


def test_backoff_grows_with_jitter_and_is_bounded(monkeypatch):
    sleeps = _recorded_sleeps(monkeypatch)
    calls = []

    def failing() -> None:
        calls.append(1)
        raise TimeoutError("timed out")

    with pytest.raises(TimeoutError) as caught:
        retry_module.retry(
            failing, what="test", attempts=8, base_delay=1, max_delay=10, max_total_wait=30
        )

    assert retry_module.attempts_made(caught.value) == len(calls)
    for number, delay in enumerate(sleeps[:4]):
        assert 2**number <= delay <= 1.25 * 2**number
    assert all(delay <= 10 for delay in sleeps) and sum(sleeps) == pytest.approx(30)
    assert len(calls) == len(sleeps) + 1 < 8  # the total wait ran out before the attempts


def test_only_transient_errors_are_retried(monkeypatch):
    sleeps = _recorded_sleeps(monkeypatch)
    for error in (ValueError("its MD5 differs"), FileNotFoundError("no credentials")):
        calls = []

        def refuse(error=error, calls=calls) -> None:
            calls.append(1)
            raise error

        with pytest.raises(type(error)):
            retry_module.retry(refuse, what="test", attempts=5)
        assert len(calls) == 1 and retry_module.attempts_made(error) == 1
    assert sleeps == []
    assert retry_module.retry(lambda: 42, what="test") == 42


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ACTSTUDY_RETRY_ATTEMPTS", "0"),
        ("ACTSTUDY_RETRY_ATTEMPTS", "inf"),
        ("ACTSTUDY_RETRY_ATTEMPTS", "2.5"),
        ("ACTSTUDY_RETRY_BASE_DELAY", "soon"),
        ("ACTSTUDY_RETRY_BASE_DELAY", "nan"),
    ],
)
def test_a_bad_retry_setting_is_one_sentence(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError, match=f"^the environment variable {variable} must be a"):
        retry_module.retry(lambda: None, what="test")
