"""One trainer per run: a training job holds an exclusive lock on each run folder it trains, for
as long as it trains them, so that a second job (started after ``kill -9`` of Snakemake left
the first one running, and ``--unlock`` let the workflow start again) stops with a sentence
naming the process that trains the run instead of training into the same folder.

The lock is ``fcntl.flock`` on ``.train.lock`` in the run folder: the kernel releases it when
the holding process exits, however it exits, so a stale lock file never blocks a rerun.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

LOCK_FILE = ".train.lock"


def _holder(handle: int) -> str:
    """The process holding a lock, as the lock file records it."""
    os.lseek(handle, 0, os.SEEK_SET)
    recorded = os.read(handle, 64).decode(errors="replace").strip()
    return f"pid {recorded}" if recorded.isdigit() else "a process that has not said its pid yet"


def _lock(folder: Path) -> int:
    """The open lock file of ``folder``, exclusively locked by this process."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_FILE
    handle = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _holder(handle)
        os.close(handle)
        raise ValueError(
            f"{folder} is being trained by another process ({holder}, which locks {path}); "
            "wait for it to finish, or stop it (kill it by that pid) and rerun"
        ) from None
    except BaseException:
        os.close(handle)
        raise
    os.ftruncate(handle, 0)
    os.pwrite(handle, f"{os.getpid()}\n".encode(), 0)
    return handle


@contextlib.contextmanager
def run_locks(folders: Sequence[str | os.PathLike[str]]) -> Iterator[None]:
    """Hold the lock of every run folder of ``folders`` (all or none) while the block runs."""
    with contextlib.ExitStack() as held:
        for folder in folders:
            handle = _lock(Path(folder))
            held.callback(os.close, handle)
        yield
