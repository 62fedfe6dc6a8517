"""The probe's answers kept across processes: a formula's key, a study activation's key and a
formula's pre-screen (:mod:`actstudy.search.probe`), each computed once per formula (or spec),
probe grid, code and torch version.

A search's DAG needs these before any job runs (the run folders of its references, of the first
generation's candidates, and the keys of the functions the study already evaluates), and
computing them takes torch, whose import alone is about 2 s. Kept here, a dry run of a study
whose search has run before answers from the store and imports no torch; the answers are those
the same code and torch computed, so a key never changes because it was remembered.

The store is a folder ``probe/`` of the run cache (``ACTSTUDY_RUN_CACHE``,
:func:`actstudy.training.run_cache.cache_root`; ``make clean-cache`` empties both), one small
JSON file per answer, named by the sha256 of what determines it: the kind of answer, the
formula or spec, the probe grid, the digest of the code that computes it (``probe.py``, the
expression parser, an activation's modules, with their imports) and torch's version. With the
run cache off, every answer is computed. A file that cannot be read or written is recomputed or
left unwritten: the store only saves time.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any, TypeVar

from actstudy.io import write_json
from actstudy.run_code import closure, digest
from actstudy.training.run_cache import cache_root

T = TypeVar("T")
FOLDER = "probe"


@cache
def _torch_version() -> str:
    return version("torch")


def answer_file(
    kind: str, subject: Any, grid: Mapping[str, Any], code: Iterable[str | Path]
) -> Path | None:
    """Where the answer of ``kind`` for ``subject`` on the probe ``grid`` (low, high, points) is
    kept, or None with the store off."""
    root = cache_root()
    if root is None:
        return None
    determined = {
        "kind": kind,
        "subject": subject,
        "probe": dict(grid),
        "code": digest(closure(code)),
        "torch": _torch_version(),
    }
    name = hashlib.sha256(json.dumps(determined, sort_keys=True).encode()).hexdigest()
    return root / FOLDER / name[:2] / f"{name}.json"


def remembered(
    kind: str,
    subject: Any,
    grid: Mapping[str, Any],
    code: Iterable[str | Path],
    compute: Callable[[], T],
) -> T:
    """``compute()``'s answer, from the store where it is there, else computed and kept."""
    path = answer_file(kind, subject, grid, code)
    if path is None:
        return compute()
    try:
        return json.loads(path.read_text(encoding="utf-8"))["answer"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    answer = compute()
    with contextlib.suppress(OSError):
        write_json(path, {"kind": kind, "subject": subject, "answer": answer})
    return answer
