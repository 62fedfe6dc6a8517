"""actstudy: a reproducible pipeline for studying activation functions.

``actstudy.load_run(run_dir)`` reads a trained run back: its model with the kept weights and its
input transform (:mod:`actstudy.training.trained`)."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["__version__", "load_run"]


def __getattr__(name: str) -> Any:
    # load_run imports torch: only when asked for, so that `import actstudy` stays light
    if name == "load_run":
        from actstudy.training.trained import load_run

        return load_run
    raise AttributeError(f"module 'actstudy' has no attribute {name!r}")
