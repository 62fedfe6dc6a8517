"""Safe, bounded unpacking of zip and tar archives and of single gzip files.

Every member must land inside the unpack folder: a member with an absolute name or one that climbs
out with ``..``, a link pointing outside (directly, or through other links in the archive), a
device or pipe, or (in a zip) any symbolic link is refused before anything is written.

Unpacking is bounded too: an archive whose headers declare more members than
``ACTSTUDY_UNPACK_MAX_MEMBERS`` or more bytes than ``ACTSTUDY_UNPACK_MAX_BYTES`` is refused before
anything is written, and the bytes are counted again while they are written, since a header can
lie: a member that yields more than its header declares, or a gzip file that decompresses past the
byte limit, is stopped there and what it wrote is deleted.
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
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from actstudy.data.progress import Progress
from actstudy.environment import environment_number

logger = logging.getLogger(__name__)

CORRUPT_ERRORS = (zipfile.BadZipFile, tarfile.TarError, gzip.BadGzipFile, zlib.error, EOFError)

MAX_BYTES_VARIABLE = "ACTSTUDY_UNPACK_MAX_BYTES"
MAX_MEMBERS_VARIABLE = "ACTSTUDY_UNPACK_MAX_MEMBERS"
MAX_RATIO_VARIABLE = "ACTSTUDY_UNPACK_MAX_RATIO"
# The defaults leave room above the largest archives this project unpacks:
# - Fruits-360, the whole Kaggle archive (moltean/fruits): the 100x100 branch alone held 90,483
#   images in 2020 (version 2020.05.18) and 151,736 in 2025, beside the original-size (71,395),
#   3-body-problem (47,033) and multi-fruit (150) branches: about 270,000 files, a few GB.
# - Mini-ImageNet, Kaggle copy arjunashok33/miniimagenet: 60,000 raw ImageNet JPEGs, 3 GB and up
#   (ImageNet's training JPEGs average about 110 KB, which would make it 6.6 GB).
# - CIFAR-10/100 python tarballs: about 180 MB unpacked, a dozen members; MNIST-style .gz files:
#   at most 47 MB each (60,000 images of 28 by 28 bytes).
# So 16 GiB is more than twice the largest and a million members more than three times the most.
DEFAULT_MAX_BYTES = 16 << 30
DEFAULT_MAX_MEMBERS = 1_000_000
# A "zip bomb" expands by hundreds or thousands of times; the datasets here are images (JPEG, PNG,
# CIFAR's raw bytes) that barely compress: CIFAR's tarball 1.1 times, Fruits-360's zip about 1,
# MNIST's .gz files 4.7 (and they are small). Past RATIO_FLOOR unpacked, an expansion beyond 100
# times the archive's size is refused.
DEFAULT_MAX_RATIO = 100
RATIO_FLOOR = 100 << 20
_CHUNK = 1 << 20
_MAX_LINK_HOPS = 40  # as Linux's limit on symbolic links followed in one path


def _leaves(path: str) -> bool:
    """Whether an archive path, taken relative to the unpack folder, ends up outside it."""
    path = path.replace("\\", "/")
    if path.startswith("/") or re.match(r"[A-Za-z]:", path):
        return True
    normal = posixpath.normpath(path)
    return normal == ".." or normal.startswith("../")


_WRITTEN_OUTSIDE = "would be written outside its folder (a path traversal)"


def _refuse(archive: Path, name: str, why: str) -> ValueError:
    return ValueError(
        f"{archive} is refused because its member {name!r} {why}; delete the archive and rerun, "
        "or place a genuine copy"
    )


def _limit(variable: str, given: int | None, default: int) -> int:
    """A limit given as an argument, else from ``variable`` in the environment, else ``default``."""
    if given is None:
        return int(environment_number(variable, default, 1, whole=True))
    if isinstance(given, bool) or not isinstance(given, int) or given < 1:
        raise ValueError(f"an unpacking limit must be a whole number of at least 1, not {given!r}")
    return given


def _amount(size: int) -> str:
    """``size`` bytes in words, e.g. "1,073,741,824 bytes (1.0 GiB)"."""
    for unit, shift in (("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if size >= 1 << shift:
            return f"{size:,} bytes ({size / (1 << shift):.1f} {unit})"
    return f"{size:,} bytes"


@dataclass
class _Budget:
    """The limits for one archive, and the bytes written from it so far."""

    archive: Path
    max_bytes: int
    max_members: int
    max_ratio: int
    written: int = 0

    @classmethod
    def of(cls, archive: Path, max_bytes: int | None, max_members: int | None) -> _Budget:
        return cls(
            archive,
            _limit(MAX_BYTES_VARIABLE, max_bytes, DEFAULT_MAX_BYTES),
            _limit(MAX_MEMBERS_VARIABLE, max_members, DEFAULT_MAX_MEMBERS),
            _limit(MAX_RATIO_VARIABLE, None, DEFAULT_MAX_RATIO),
        )

    def _check_ratio(self, size: int, at_least: str) -> None:
        """Refuse an expansion of more than ``max_ratio`` times the archive, past RATIO_FLOOR."""
        packed = max(self.archive.stat().st_size, 1)
        if size > RATIO_FLOOR and size > self.max_ratio * packed:
            raise ValueError(
                f"{self.archive} is refused because its {_amount(packed)} would unpack to "
                f"{at_least}{_amount(size)}, more than {self.max_ratio} times its size (a zip "
                f"bomb); if the archive is genuine, raise {MAX_RATIO_VARIABLE} to fit it, "
                "otherwise delete it and rerun"
            )

    def check_declared(self, members: int, size: int, complete: bool = True) -> None:
        """Refuse an archive whose headers declare too many members or bytes; ``complete`` is
        False while the headers are still being read, so the counts are only a lower bound."""
        at_least = "" if complete else "at least "
        if members > self.max_members:
            raise ValueError(
                f"{self.archive} is refused because it holds {at_least}{members:,} members, more "
                f"than the limit of {self.max_members:,}; if the archive is genuine, raise "
                f"{MAX_MEMBERS_VARIABLE} to fit it, otherwise delete it and rerun"
            )
        if size > self.max_bytes:
            raise ValueError(
                f"{self.archive} is refused because it would unpack to {at_least}{_amount(size)}, "
                f"more than the limit of {_amount(self.max_bytes)}; if the archive is genuine, "
                f"raise {MAX_BYTES_VARIABLE} to fit it, otherwise delete it and rerun"
            )
        self._check_ratio(size, at_least)

    def take(self, size: int) -> None:
        """Count ``size`` more bytes about to be written; refuse them past the byte limit."""
        self.written += size
        self._check_ratio(self.written, "more than ")
        if self.written > self.max_bytes:
            raise ValueError(
                f"{self.archive} is refused because it unpacked to more than the limit of "
                f"{_amount(self.max_bytes)} and was stopped; if it is genuine, raise "
                f"{MAX_BYTES_VARIABLE} to fit it, otherwise delete it and rerun"
            )


class _Counted:
    """A member's data stream that counts what is read from it against its header and the budget."""

    def __init__(self, stream: IO[bytes], budget: _Budget, name: str, declared: int) -> None:
        self.stream, self.budget, self.name, self.declared = stream, budget, name, declared
        self.read_so_far = 0

    def overflow(self) -> ValueError:
        return _refuse(
            self.budget.archive,
            self.name,
            f"holds more data than its header declares ({self.declared:,} bytes)",
        )

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(_CHUNK), b""))
        data = self.stream.read(size)
        self.read_so_far += len(data)
        if self.read_so_far > self.declared:
            raise self.overflow()
        self.budget.take(len(data))
        return data

    def __enter__(self) -> _Counted:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stream.close()


class _GuardedZip(zipfile.ZipFile):
    """A zip archive whose members, as :meth:`extract` reads them, are counted by ``budget``."""

    budget: _Budget

    def open(  # type: ignore[override]
        self,
        name: str | zipfile.ZipInfo,
        mode: str = "r",
        pwd: bytes | None = None,
        *,
        force_zip64: bool = False,
    ) -> IO[bytes] | _Counted:
        stream = super().open(name, mode, pwd, force_zip64=force_zip64)
        if mode != "r":
            return stream
        info = name if isinstance(name, zipfile.ZipInfo) else self.getinfo(name)
        return _Counted(stream, self.budget, info.filename, info.file_size)


def _unzip(archive: Path, into: Path, budget: _Budget) -> None:
    with _GuardedZip(archive) as zipped:
        zipped.budget = budget
        members = zipped.infolist()
        budget.check_declared(len(members), sum(member.file_size for member in members))
        for member in members:
            if _leaves(member.filename):
                raise _refuse(archive, member.filename, _WRITTEN_OUTSIDE)
            if stat.S_ISLNK(member.external_attr >> 16):
                raise _refuse(archive, member.filename, "is a symbolic link")
        progress = Progress(f"unpacking {archive.name}", len(members), "files")
        for member in members:
            zipped.extract(member, into)
            progress.advance()


_OUTSIDE = "outside"
_LOOP = "loop"


def _follow(path: str, links: dict[str, tarfile.TarInfo], last: bool = True) -> str:
    """Where ``path``, relative to the unpack folder, leads once the symbolic links unpacked so
    far (``links``: location → member) are followed, the last part too when ``last``; or
    ``_OUTSIDE`` when it leaves the folder, ``_LOOP`` when the links go round in a loop."""
    todo = path.split("/")[::-1]
    reached: list[str] = []
    hops = 0
    while todo:
        part = todo.pop()
        if part in ("", "."):
            continue
        if part == "..":
            if not reached:
                return _OUTSIDE
            reached.pop()
            continue
        reached.append(part)
        link = links.get("/".join(reached))
        if link is None or (not todo and not last):
            continue
        target = link.linkname
        hops += 1
        if hops > _MAX_LINK_HOPS:
            return _LOOP
        if target.startswith("/"):
            return _OUTSIDE
        reached.pop()
        todo.extend(reversed(target.split("/")))
    return "/".join(reached)


def _link_problem(location: str, link: str, links: dict[str, tarfile.TarInfo]) -> str | None:
    """Why the symbolic link at ``location`` to ``link`` must not be unpacked, or None."""
    where = _follow(posixpath.join(posixpath.dirname(location), link), links)
    if where == _OUTSIDE:
        return (
            f"links to {link!r}, which leads outside its folder through other links in the "
            "archive (a path traversal)"
        )
    if where == _LOOP:
        return f"links to {link!r}, which goes round a loop of links"
    return None


def _tar_problem(member: tarfile.TarInfo, links: dict[str, tarfile.TarInfo]) -> str | None:
    """Why a tar member must not be unpacked, or None; ``links`` holds the symbolic links of the
    members before it (location → member) and gains this one if it is a link."""
    if _leaves(member.name):
        return _WRITTEN_OUTSIDE
    if member.issym():
        target = posixpath.join(posixpath.dirname(member.name), member.linkname)
    elif member.islnk():
        target = member.linkname
    elif member.isfile() or member.isdir():
        target = None
    else:
        return "is a device or pipe"
    if target is not None and _leaves(target):
        return f"links to {member.linkname!r} outside its folder (a path traversal)"
    # The name and the link target stay inside on paper; follow the links on the way.
    location = _follow(member.name, links, last=not member.issym())
    if location in (_OUTSIDE, _LOOP):
        return (
            "would be written outside its folder through links in the archive (a path traversal)"
            if location == _OUTSIDE
            else "would be written through a loop of links"
        )
    links.pop(location, None)  # unpacking a member replaces whatever was there
    if member.issym():
        links[location] = member
        return _link_problem(location, member.linkname, links)
    if member.islnk() and _follow(member.linkname, links) in (_OUTSIDE, _LOOP):
        return (
            f"links to {member.linkname!r}, which leads outside its folder through other links "
            "in the archive (a path traversal)"
        )
    return None


class _GuardedTar(tarfile.TarFile):
    """A tar archive whose regular members are written counted by ``budget``."""

    budget: _Budget

    def makefile(self, tarinfo: tarfile.TarInfo, targetpath: str) -> None:
        """Write a member's data (a sparse member's pieces at their offsets), refusing it once it
        writes more than its header declares or the archive passes the byte limit."""
        source = self.fileobj
        source.seek(tarinfo.offset_data)
        stream = _Counted(source, self.budget, tarinfo.name, tarinfo.size)
        pieces = [(0, tarinfo.size)] if tarinfo.sparse is None else tarinfo.sparse
        with open(targetpath, "wb") as target:
            for offset, length in pieces:
                if offset + length > tarinfo.size:  # a piece beyond the declared size
                    raise stream.overflow()
                target.seek(offset)
                while length > 0:
                    chunk = stream.read(min(length, _CHUNK))
                    if not chunk:
                        raise tarfile.ReadError("unexpected end of data")
                    target.write(chunk)
                    length -= len(chunk)
            target.truncate(tarinfo.size)


def _untar(archive: Path, into: Path, budget: _Budget) -> None:
    with _GuardedTar.open(archive) as tar:
        tar.budget = budget
        members: list[tarfile.TarInfo] = []
        links: dict[str, tarfile.TarInfo] = {}
        declared = 0
        for member in tar:  # the headers, read one by one, so that a huge archive stops early
            members.append(member)
            declared += member.size if member.isreg() else 0
            budget.check_declared(len(members), declared, complete=False)
            if problem := _tar_problem(member, links):
                raise _refuse(archive, member.name, problem)
        for location, link in links.items():  # a later link may redirect an earlier one
            if problem := _link_problem(location, link.linkname, links):
                raise _refuse(archive, link.name, problem)
        progress = Progress(f"unpacking {archive.name}", len(members), "files")
        for member in members:
            try:
                tar.extract(member, into, filter="data")
            except tarfile.FilterError as error:
                raise _refuse(archive, member.name, f"is unsafe to unpack ({error})") from None
            progress.advance()


def _corrupt(path: Path, error: BaseException) -> ValueError:
    return ValueError(
        f"{path} is corrupt or truncated ({error}); delete it and rerun, or place a good copy"
    )


@contextmanager
def unpacked(
    archive: Path,
    beside: Path,
    *,
    max_bytes: int | None = None,
    max_members: int | None = None,
) -> Iterator[Path]:
    """Unpack ``archive`` into a new folder inside ``beside`` and yield that folder.

    The folder is deleted on exit, so move out what you keep (``os.replace`` is atomic there);
    it is made with the usual permissions, unlike the private temporary folder around it.
    ``max_bytes`` and ``max_members`` bound what it may unpack (default: the environment's
    ``ACTSTUDY_UNPACK_MAX_BYTES`` and ``ACTSTUDY_UNPACK_MAX_MEMBERS``, else 16 GiB and a million).
    """
    budget = _Budget.of(archive, max_bytes, max_members)
    beside.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".unpack-", dir=beside) as tmp:
        into = Path(tmp, "unpacked")
        into.mkdir()
        logger.info("unpacking %s", archive)
        try:
            if zipfile.is_zipfile(archive):
                _unzip(archive, into, budget)
            elif tarfile.is_tarfile(archive):
                _untar(archive, into, budget)
            else:
                raise zipfile.BadZipFile("it is neither a zip nor a tar archive")
        except CORRUPT_ERRORS as error:
            raise _corrupt(archive, error) from error
        yield into


def gunzip(packed: Path, target: Path, *, max_bytes: int | None = None) -> None:
    """Decompress the gzip file ``packed`` into ``target``, stopping once it passes ``max_bytes``
    (default: ``ACTSTUDY_UNPACK_MAX_BYTES``, else 16 GiB); ``target`` is deleted on any failure."""
    budget = _Budget.of(packed, max_bytes, None)
    try:
        with gzip.open(packed) as source, open(target, "wb") as sink:
            while chunk := source.read(_CHUNK):
                budget.take(len(chunk))
                sink.write(chunk)
    except CORRUPT_ERRORS as error:
        Path(target).unlink(missing_ok=True)
        raise _corrupt(packed, error) from error
    except BaseException:
        Path(target).unlink(missing_ok=True)
        raise
