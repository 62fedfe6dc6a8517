"""Safe unpacking of zip and tar archives: every member must land inside the unpack folder.

A member with an absolute name or one that climbs out with ``..``, a link pointing outside, a device
or pipe, or (in a zip) any symbolic link is refused before anything is written.
"""

from __future__ import annotations

import gzip
import logging
import posixpath
import re
import stat
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from actstudy.data.progress import Progress

logger = logging.getLogger(__name__)

CORRUPT_ERRORS = (zipfile.BadZipFile, tarfile.TarError, gzip.BadGzipFile, zlib.error, EOFError)


def _leaves(path: str) -> bool:
    """Whether an archive path, taken relative to the unpack folder, ends up outside it."""
    path = path.replace("\\", "/")
    if path.startswith("/") or re.match(r"[A-Za-z]:", path):
        return True
    normal = posixpath.normpath(path)
    return normal == ".." or normal.startswith("../")


def _refuse(archive: Path, name: str, why: str) -> ValueError:
    return ValueError(
        f"{archive} is refused because its member {name!r} {why}; delete the archive and rerun, "
        "or place a genuine copy"
    )


def _unzip(archive: Path, into: Path) -> None:
    with zipfile.ZipFile(archive) as zipped:
        members = zipped.infolist()
        for member in members:
            if _leaves(member.filename):
                raise _refuse(archive, member.filename, "would be written outside its folder")
            if stat.S_ISLNK(member.external_attr >> 16):
                raise _refuse(archive, member.filename, "is a symbolic link")
        progress = Progress(f"unpacking {archive.name}", len(members), "files")
        for member in members:
            zipped.extract(member, into)
            progress.advance()


def _tar_problem(member: tarfile.TarInfo) -> str | None:
    """Why a tar member must not be unpacked, or None."""
    if _leaves(member.name):
        return "would be written outside its folder"
    if member.issym():
        target = posixpath.join(posixpath.dirname(member.name), member.linkname)
    elif member.islnk():
        target = member.linkname
    elif member.isfile() or member.isdir():
        return None
    else:
        return "is a device or pipe"
    return f"links to {member.linkname!r} outside its folder" if _leaves(target) else None


def _untar(archive: Path, into: Path) -> None:
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
        for member in members:
            if problem := _tar_problem(member):
                raise _refuse(archive, member.name, problem)
        progress = Progress(f"unpacking {archive.name}", len(members), "files")
        for member in members:
            tar.extract(member, into, filter="data")
            progress.advance()


@contextmanager
def unpacked(archive: Path, beside: Path) -> Iterator[Path]:
    """Unpack ``archive`` into a new folder inside ``beside`` and yield that folder.

    The folder is deleted on exit, so move out what you keep (``os.replace`` is atomic there);
    it is made with the usual permissions, unlike the private temporary folder around it.
    """
    beside.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".unpack-", dir=beside) as tmp:
        into = Path(tmp, "unpacked")
        into.mkdir()
        logger.info("unpacking %s", archive)
        try:
            if zipfile.is_zipfile(archive):
                _unzip(archive, into)
            elif tarfile.is_tarfile(archive):
                _untar(archive, into)
            else:
                raise zipfile.BadZipFile("it is neither a zip nor a tar archive")
        except CORRUPT_ERRORS as error:
            raise ValueError(
                f"{archive} is corrupt or truncated ({error}); delete it and rerun, "
                "or place a good copy"
            ) from error
        yield into
