"""Atomic file writing: a killed job never leaves a half file that looks done."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# numpy's short write ("800 requested and 32 written") and torch.save's ("unexpected pos 704 vs
# 598") carry no errno: both mean the disk filled up under them.
_SHORT_WRITE = re.compile(
    r"\d+ requested and \d+ written|PytorchStreamWriter failed|unexpected pos"
)


def is_disk_full(error: BaseException) -> bool:
    """Whether ``error`` is a write that failed because the disk (or the quota) is full."""
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return isinstance(error, OSError | RuntimeError) and bool(_SHORT_WRITE.search(str(error)))


@contextmanager
def _naming_a_full_disk(target: Path) -> Iterator[None]:
    """Re-raise a full disk met while writing ``target`` as ENOSPC naming ``target``."""
    try:
        yield
    except Exception as error:
        if is_disk_full(error) and not getattr(error, "filename", None):
            raise OSError(errno.ENOSPC, "No space left on device", str(target)) from error
        raise


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with _naming_a_full_disk(target):
            yield tmp
        tmp.chmod(0o666 & ~_umask())  # mkstemp made it private; give it a normal file's mode
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def atomic_dir(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; it replaces ``path`` only on success."""
    target = Path(path)
    if target.is_symlink():
        raise ValueError(
            f"{target} is a symbolic link, and this step replaces that folder as a whole; remove "
            f"the link (link the folder above it, {target.parent}, to move the data elsewhere)"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        with _naming_a_full_disk(target):
            yield tmp
        tmp.chmod(0o777 & ~_umask())  # mkdtemp made it private; give it a normal folder's mode
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_text(path: str | os.PathLike[str], text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: str | os.PathLike[str], data: Any) -> None:
    write_text(path, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def write_with(path: str | os.PathLike[str], writer: Callable[[Path], None]) -> None:
    """Call ``writer(tmp_path)`` and move the result onto ``path`` atomically."""
    with atomic_path(path) as tmp:
        writer(tmp)


def file_digest(path: str | os.PathLike[str], algorithm: str = "sha256") -> str:
    """Hex digest of a file's bytes (``sha256``, ``md5``, ...)."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, algorithm).hexdigest()


class InvalidJSON(ValueError):
    """A JSON file that does not parse: one sentence naming it (``where``: what failed)."""

    def __init__(self, path: str | os.PathLike[str], where: str) -> None:
        super().__init__(
            f"{path} is not valid JSON ({where}); it was cut short or edited: delete it so that "
            "the step that writes it runs again, or fix it"
        )
        self.where = where


def read_json(path: str | os.PathLike[str]) -> Any:
    """A JSON file's content; one that does not parse is :class:`InvalidJSON`."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise InvalidJSON(path, f"{error.msg}, line {error.lineno}") from None
    except UnicodeDecodeError:
        raise InvalidJSON(path, "not UTF-8 text") from None


def read_csv(path: str | os.PathLike[str], **options: Any) -> Any:
    """``pandas.read_csv`` of a table a step wrote; an empty or garbled one names the file."""
    import pandas as pd

    try:
        return pd.read_csv(path, **options)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as error:
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ValueError(
            f"{path} is not a readable CSV table ({detail}); it was cut short or edited: delete "
            "it so that the step that writes it runs again, or fix it"
        ) from None
