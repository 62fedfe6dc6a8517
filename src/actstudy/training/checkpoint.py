"""Epoch checkpoints for resuming, written atomically, tied to the run they belong to."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import torch

from actstudy.io import atomic_path

log = logging.getLogger(__name__)


def save_checkpoint(path: str | os.PathLike[str], state: dict[str, Any]) -> None:
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def load_resume_state(path: Path, run_fingerprint: str) -> dict[str, Any] | None:
    """The resume state at ``path`` if it belongs to this exact run, else None (and delete it)."""
    if not path.exists():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as error:  # a checkpoint cut short by a kill is not worth failing for
        log.warning("ignoring unreadable resume checkpoint %s (%s); starting over", path, error)
        path.unlink()
        return None
    if state.get("fingerprint") != run_fingerprint:
        log.info("resume checkpoint %s belongs to another configuration; starting over", path)
        path.unlink()
        return None
    return state
