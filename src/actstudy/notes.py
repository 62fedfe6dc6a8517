"""Sentences that several outputs carry word for word."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SMOKE_NOTE = "smoke run on generated data — not a reproduction"
"""What every table, figure and the report of a smoke variant say."""


def reported_study(config: Mapping[str, Any]) -> str:
    """The study whose reported numbers and claims a config compares with: its own, or, for a
    smoke variant, the study it stands in for (``smoke_of``)."""
    return config.get("smoke_of") or config["study"]
