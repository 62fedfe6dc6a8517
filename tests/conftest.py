"""Fixtures shared by the top-level tests."""

from __future__ import annotations

import pytest
import workflow_helpers


@pytest.fixture
def tiny_config() -> dict:
    return workflow_helpers.tiny_config()
