"""actstudy: a reproducible pipeline for studying activation functions."""

__version__ = "0.1.0"
