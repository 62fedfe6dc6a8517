"""Datasets: acquisition and preparation into the shared prepared-array format.

A source module is imported when one of its sources is first used (see :mod:`.sources`).
"""

from actstudy.data.prepared import Prepared, load_prepared, write_prepared
from actstudy.data.sources import (
    check_options,
    flip_safe,
    input_channels,
    input_shape,
    missing,
    prepare,
    register_source,
    source_names,
)

__all__ = [
    "Prepared",
    "check_options",
    "flip_safe",
    "input_channels",
    "input_shape",
    "load_prepared",
    "missing",
    "prepare",
    "register_source",
    "source_names",
    "write_prepared",
]
