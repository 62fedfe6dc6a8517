"""The pre-segmented MIT-BIH heartbeats of Kaggle dataset ``shayanfazeli/heartbeat`` (Kachuee et al.
2018, used by S5's code): ``mitbih_train.csv``/``mitbih_test.csv``, one beat per row, 187 samples at
125 Hz scaled to [0, 1] and zero-padded, then the AAMI class 0-4 (N, S, V, F, Q)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from actstudy.data.kaggle_datasets import missing_sentence, obtain, walk_unpacked
from actstudy.data.mitbih import AAMI_CLASSES
from actstudy.data.prepared import write_prepared
from actstudy.data.sources import register_source

DATASET = "shayanfazeli/heartbeat"
FILES = {"train": "mitbih_train.csv", "test": "mitbih_test.csv"}
BEAT_LENGTH = 187
LAYOUT = "MIT-BIH heartbeat files (mitbih_train.csv and mitbih_test.csv)"


def locate_csvs(folder: Path) -> dict[str, Path] | None:
    """The first folder under ``folder`` holding both CSV files, as split -> path."""
    for top, _, files in walk_unpacked(folder):
        if all(name in files for name in FILES.values()):
            return {split: top / name for split, name in FILES.items()}
    return None


def read_beats(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Beats (float32 N x 1 x 187) and labels of one CSV; a malformed file raises one sentence."""
    import pandas as pd  # here: a study's options are checked without it

    fix = "delete it and rerun, or place a good copy"
    try:
        table = pd.read_csv(path, header=None, dtype=np.float64).to_numpy()
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise ValueError(f"{path} is not a numeric CSV ({error}); {fix}") from error
    labels = table[:, -1]
    if table.shape[1:] != (BEAT_LENGTH + 1,) or not np.isin(labels, range(len(AAMI_CLASSES))).all():
        raise ValueError(
            f"{path} is not a heartbeat file (rows must be {BEAT_LENGTH} samples and a class "
            f"0-{len(AAMI_CLASSES) - 1}), so it is corrupt or truncated; {fix}"
        )
    return table[:, None, :BEAT_LENGTH].astype(np.float32), labels.astype(np.int64)


def _missing(resources: Path, download: bool = True, **_: object) -> str | None:
    return missing_sentence(DATASET, resources / "mitbih_kaggle", locate_csvs, download, LAYOUT)


@register_source(
    "mitbih_kaggle",
    missing=_missing,
    input_size=lambda **_: BEAT_LENGTH,
    dims=1,
    channels=1,
    classes=5,
)
def prepare_mitbih_kaggle(out_dir: Path, resources: Path, download: bool = True) -> None:
    """The Kaggle train and test beats as they are."""
    files = obtain(DATASET, resources / "mitbih_kaggle", locate_csvs, download, LAYOUT)
    write_prepared(
        out_dir,
        {split: read_beats(path) for split, path in files.items()},
        classes=list(AAMI_CLASSES),
        source={"name": "mitbih_kaggle", "provider": f"Kaggle {DATASET}", "rate": 125.0},
        source_files=list(files.values()),
    )
