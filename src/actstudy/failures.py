"""Any failure of a step, as the one sentence (with the fix) that the command line prints."""

from __future__ import annotations

import os
import shutil
import traceback
import urllib.error
from pathlib import Path

from actstudy.errors import ConfigError
from actstudy.io import is_disk_full

DEBUG_HINT = "rerun with --debug (or ACTSTUDY_DEBUG=1) for the traceback"


def _free_space(path: str | Path | None) -> str:
    """'<N> GiB free on the disk holding <path>' for the nearest existing folder."""
    folder = Path(path or ".").resolve()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    usage = shutil.disk_usage(folder)
    return f"{usage.free / 2**30:.1f} GiB free on the disk holding {folder}"


def _network(error: BaseException) -> bool:
    if isinstance(error, ConnectionError | TimeoutError | urllib.error.URLError):
        return True
    module = type(error).__module__ or ""
    return module.startswith(("requests", "urllib3", "http.client"))


def describe(error: BaseException) -> tuple[list[str], int]:
    """The sentences to print for a failure, and the exit code (2 for an invalid study)."""
    if isinstance(error, ConfigError):
        return str(error).splitlines(), 2
    if is_disk_full(error):
        path = getattr(error, "filename", None)
        where = f" writing {path}" if path else ""
        return [
            f"the disk is full{where} ({_free_space(path)}); free some space, or move "
            "resources/ and results/ to a larger disk, and rerun"
        ], 1
    if isinstance(error, MemoryError):
        detail = f" ({error})" if str(error) else ""
        return [
            f"ran out of memory{detail}; lower the batch size or the dataset's size, or run on "
            "a machine with more memory"
        ], 1
    if isinstance(error, ConnectionError) and error.errno is None and error.args:
        return [str(error.args[0])], 1  # our own download errors are already one sentence
    if _network(error):
        return [
            f"a network request failed ({type(error).__name__}: {error}); check the connection "
            "and rerun, or place the files by hand as the README's Datasets section says"
        ], 1
    if isinstance(error, ValueError | FileNotFoundError) and isinstance(
        error.args[0] if error.args else None, str
    ):
        return [error.args[0]], 1  # our own sentences
    if isinstance(error, FileNotFoundError):
        return [f"{error.filename} does not exist; check the path (or run the step before)"], 1
    if isinstance(error, PermissionError):
        return [f"permission denied for {error.filename}; give yourself write access to it"], 1
    if isinstance(error, OSError):
        where = f" for {error.filename}" if error.filename else ""
        return [f"{error.strerror or error}{where}; check the path and the disk, and rerun"], 1
    detail = f": {error}" if str(error) else ""
    return [
        f"unexpected {type(error).__name__}{detail} (in {_where(error)}); {DEBUG_HINT}, and "
        "report it with the command that failed"
    ], 1


def _where(error: BaseException) -> str:
    """'actstudy/<module>.py line N, <function>': the innermost frame of ours the error passed
    (else the innermost frame of all)."""
    frames = traceback.extract_tb(error.__traceback__)
    marker = f"{os.sep}actstudy{os.sep}"
    ours = [frame for frame in frames if marker in frame.filename]
    if not (ours or frames):
        return "an unknown place"
    frame = (ours or frames)[-1]
    name = "actstudy/" + frame.filename.split(marker)[-1] if ours else frame.filename
    return f"{name} line {frame.lineno}, {frame.name}"
