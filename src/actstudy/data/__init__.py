"""Datasets: acquisition and preparation into the shared prepared-array format."""

from actstudy.data import (
    digits,  # noqa: F401  (registers the source)
    fruits360,  # noqa: F401  (registers the source)
    mini_imagenet,  # noqa: F401  (registers the source)
    mitbih,  # noqa: F401  (registers the source)
    mitbih_kaggle,  # noqa: F401  (registers the source)
    torchvision_sets,  # noqa: F401  (registers the source)
)
from actstudy.data.prepared import Prepared, load_prepared, write_prepared
from actstudy.data.sources import missing, prepare, register_source, source_names

__all__ = [
    "Prepared",
    "load_prepared",
    "missing",
    "prepare",
    "register_source",
    "source_names",
    "write_prepared",
]
