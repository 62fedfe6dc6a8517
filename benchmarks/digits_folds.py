"""The data the training benchmarks share: the default study's digits, prepared, and its folds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import yaml

from actstudy.cli import main as actstudy
from actstudy.data import load_prepared, prepare
from actstudy.study import grid
from actstudy.study.validate import validate_config

REPO = Path(__file__).resolve().parents[1]


def prepare_digits(workdir: Path) -> np.ndarray:
    """scikit-learn's digits at 32×32 in ``workdir/prepared`` and the default study's folds
    (``config.yaml``'s evaluation: 5 folds, a test part held out) in ``workdir/folds.json``,
    written by the workflow's own step (``actstudy folds``); returns the labels."""
    prepare({"source": "digits", "size": 32}, workdir / "prepared", workdir / "resources")
    config = validate_config(yaml.safe_load((REPO / "config.yaml").read_text()))
    options = {k: v for k, v in grid.evaluation(config).items() if k != "test"}
    command = ["folds", "--prepared", str(workdir / "prepared"), "--out"]
    if actstudy([*command, str(workdir / "folds.json"), "--options", json.dumps(options)]):
        raise SystemExit("actstudy folds failed on the digits (its sentence is above)")
    return load_prepared(workdir / "prepared").train.y
