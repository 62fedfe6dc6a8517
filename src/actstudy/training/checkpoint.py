"""Checkpoints, written atomically; a resume checkpoint also carries its sha256 beside it and is
read back only if the digest matches, only as plain data and tensors (``weights_only``: loading
it can run no code), and only by the run it belongs to."""

from __future__ import annotations

import logging
import os
import pickle
import re
from pathlib import Path
from typing import Any

import torch

from actstudy.io import atomic_path, file_digest, write_text

log = logging.getLogger(__name__)

DIGEST_SUFFIX = ".sha256"


def save_checkpoint(path: str | os.PathLike[str], state: dict[str, Any]) -> None:
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def digest_path(path: Path) -> Path:
    """The file beside ``path`` holding its sha256, as ``sha256sum`` writes it."""
    return path.with_name(path.name + DIGEST_SUFFIX)


def save_verified(path: Path, state: dict[str, Any]) -> None:
    """Write ``state`` (plain values and tensors) to ``path`` and its sha256 beside it (a run's
    ``best.pt``, its ``last.pt``): read back by :func:`load_verified` only if they match.

    The digest file is replaced first and the checkpoint second: a job killed between the two
    renames leaves a pair that does not match, so the next start begins again from scratch
    instead of trusting either file.
    """
    with atomic_path(path) as tmp:
        torch.save(state, tmp)
        write_text(digest_path(path), f"{file_digest(tmp)}  {path.name}\n")


save_resume_state = save_verified


def discard_resume_state(path: Path) -> None:
    path.unlink(missing_ok=True)
    digest_path(path).unlink(missing_ok=True)


class _Unverified(Exception):
    """The digest file is missing or does not match the checkpoint's bytes."""


def _reason(error: Exception) -> str:
    """A short reason: a refused pickle names the object it wanted, not torch's long advice."""
    if isinstance(error, _Unverified):
        return str(error)
    text = str(error)
    if isinstance(error, pickle.UnpicklingError) and text.startswith("Weights only load failed"):
        wanted = re.search(r"GLOBAL (\S+)", text)
        what = f"a reference to {wanted[1]}" if wanted else "objects"
        return f"it holds {what}, not only plain data and tensors"
    lines = text.strip().splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else 'unreadable'}"


def _read_verified(path: Path) -> Any:
    """The object in ``path``, read as plain data and tensors, if its digest file vouches for
    its bytes."""
    recorded = digest_path(path)
    if not recorded.exists():
        raise _Unverified(f"no {recorded.name} digest beside it")
    actual = file_digest(path)
    if recorded.read_bytes().split(maxsplit=1)[:1] != [actual.encode()]:
        raise _Unverified(f"its sha256 {actual[:12]}… differs from the one in {recorded.name}")
    return torch.load(path, map_location="cpu", weights_only=True)


def load_verified(path: Path) -> Any:
    """The object a checkpoint written by :func:`save_verified` holds (``best.pt``), if its
    digest file vouches for it and it is plain data and tensors; else one sentence naming the
    file and the fix."""
    try:
        return _read_verified(path)
    except (_Unverified, RuntimeError, EOFError, pickle.UnpicklingError) as error:
        raise ValueError(
            f"{path} is not a checkpoint this workflow wrote ({_reason(error)}); delete it and "
            "run the workflow again, which trains its run again"
        ) from None


def load_resume_state(path: Path, run_fingerprint: str) -> dict[str, Any] | None:
    """The resume state at ``path`` if it is intact and belongs to this exact run, else None
    (and the checkpoint and its digest are deleted)."""
    if not path.exists():
        return None
    try:
        state = _read_verified(path)
    except (_Unverified, OSError, RuntimeError, EOFError, pickle.UnpicklingError) as error:
        log.warning(
            "%s is not a valid checkpoint (%s); ignoring it and starting over", path, _reason(error)
        )
        discard_resume_state(path)
        return None
    if not (isinstance(state, dict) and state.get("fingerprint") == run_fingerprint):
        log.info("resume checkpoint %s belongs to another configuration; starting over", path)
        discard_resume_state(path)
        return None
    return state
