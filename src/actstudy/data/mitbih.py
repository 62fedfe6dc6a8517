"""MIT-BIH Arrhythmia Database (PhysioNet ``mitdb``): beats cut around the annotated R peaks of
lead MLII and labelled with the AAMI classes.

Records are read from ``resources/mitdb/<record>.hea/.dat/.atr`` or downloaded there through
``wfdb.dl_database`` (into a temporary folder, checked against PhysioNet's published SHA-256 sums
and read back before they are moved in). DS1/DS2 are the inter-patient record sets of de Chazal et
al. (2004); the paced records are in neither.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import posixpath
import tempfile
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from actstudy.data.downloads import TIMEOUT_S
from actstudy.data.prepared import write_prepared
from actstudy.data.progress import Progress
from actstudy.data.retry import attempts_made, attempts_phrase, reason, retry
from actstudy.data.sources import register_source
from actstudy.io import file_digest

if TYPE_CHECKING:
    import wfdb

logger = logging.getLogger(__name__)

DATABASE = "mitdb"
DS1 = (
    "101", "106", "108", "109", "112", "114", "115", "116", "118", "119", "122",
    "124", "201", "203", "205", "207", "208", "209", "215", "220", "223", "230",
)  # fmt: skip
DS2 = (
    "100", "103", "105", "111", "113", "117", "121", "123", "200", "202", "210",
    "212", "213", "214", "219", "221", "222", "228", "231", "232", "233", "234",
)  # fmt: skip
AAMI_CLASSES = ("N", "S", "V", "F", "Q")
AAMI_SYMBOLS = {"N": "NLRej", "S": "AaJS", "V": "VE", "F": "F", "Q": "/fQ"}
CLASS_OF_SYMBOL = {s: label for label, c in enumerate(AAMI_CLASSES) for s in AAMI_SYMBOLS[c]}
LEAD = "MLII"
RECORD_SUFFIXES = (".dat", ".atr", ".hea")
SPLITS = ("pool", "interpatient")
NORMALISATIONS = ("none", "zscore", "minmax")


@dataclass(frozen=True)
class Record:
    """Lead MLII of one record (mV) and its annotations."""

    signal: np.ndarray
    fs: float
    samples: np.ndarray
    symbols: np.ndarray


def _load(folder: Path, name: str, fix: str) -> tuple[wfdb.Record, wfdb.Annotation]:
    """All leads and the annotations of a record; a corrupt or truncated file raises one
    sentence ending in ``fix``."""
    import wfdb  # here, as scipy and download below: a study's options are checked without them

    base = folder / name
    try:
        record = wfdb.rdrecord(str(base))
        annotation = wfdb.rdann(str(base), "atr")
    except Exception as error:  # wfdb raises many kinds on malformed files
        raise ValueError(
            f"MIT-BIH record {base} cannot be read ({type(error).__name__}), so its files are "
            f"corrupt or truncated; {fix}"
        ) from error
    if not (folder / f"{name}.atr").read_bytes().endswith(b"\0\0"):
        raise ValueError(f"{base}.atr lacks the end-of-annotations mark, so it is truncated; {fix}")
    return record, annotation


def read_record(folder: Path, name: str) -> Record:
    """Read record ``name`` from ``folder``; a bad file or a missing lead raises one sentence."""
    base = folder / name
    record, annotation = _load(
        folder,
        name,
        f"delete {base}.hea/.dat/.atr and rerun to download it again, or place a good copy",
    )
    if LEAD not in record.sig_name:
        raise ValueError(
            f"MIT-BIH record {base} has no {LEAD} lead (only {', '.join(record.sig_name)}); "
            "leave it out of the records option"
        )
    return Record(
        record.p_signal[:, record.sig_name.index(LEAD)],
        float(record.fs),
        np.asarray(annotation.sample, dtype=np.int64),
        np.asarray(annotation.symbol),
    )


def cut_beats(
    record: Record, rate: float, length: int, before: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Beats resampled to ``rate`` Hz, ``length`` samples with the R peak at index ``before``.

    Returns the beats (float32, n x length), their AAMI labels, and per class the number of beats
    skipped because their window runs off the record. Non-beat annotations are skipped.
    """
    signal, positions = record.signal, record.samples
    if rate != record.fs:
        ratio = Fraction(rate).limit_denominator(1000) / Fraction(record.fs).limit_denominator(1000)
        from scipy.signal import resample_poly

        signal = resample_poly(signal, ratio.numerator, ratio.denominator)
        positions = np.rint(positions * float(ratio)).astype(np.int64)
    labels = np.array([CLASS_OF_SYMBOL.get(s, -1) for s in record.symbols], dtype=np.int64)
    starts = positions - before
    inside = (starts >= 0) & (starts + length <= len(signal))
    beat = labels >= 0
    skipped = np.bincount(labels[beat & ~inside], minlength=len(AAMI_CLASSES))
    kept = beat & inside
    windows = starts[kept][:, None] + np.arange(length)
    return signal[windows].astype(np.float32), labels[kept], skipped


def normalise(beats: np.ndarray, how: str) -> np.ndarray:
    """Per-beat ``zscore`` (mean 0, sd 1), ``minmax`` (to [0, 1]) or ``none``."""
    if how == "zscore":
        centred = beats - beats.mean(axis=1, keepdims=True)
        spread = beats.std(axis=1, keepdims=True)
    elif how == "minmax":
        centred = beats - beats.min(axis=1, keepdims=True)
        spread = np.ptp(beats, axis=1, keepdims=True)
    else:
        return beats
    return (centred / np.where(spread > 0, spread, 1)).astype(np.float32)


def _read_url(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
        return response.read()


def _published_sha256(version: str) -> dict[str, str]:
    """PhysioNet's SHA256SUMS.txt for the database version ({} with a warning if absent)."""
    from wfdb.io import download

    url = posixpath.join(download.config.db_index_url, DATABASE, version, "SHA256SUMS.txt")
    try:
        text = retry(partial(_read_url, url), what=f"download of {url}").decode("utf-8")
    except urllib.error.HTTPError as error:
        if error.code != 404:
            raise
        logger.warning("%s is absent: records are checked by reading them only", url)
        return {}
    pairs = (line.split(maxsplit=1) for line in text.splitlines() if line.strip())
    return {name.strip().lstrip("*"): digest.lower() for digest, name in pairs}


def _index() -> tuple[list[str], dict[str, str]]:
    """The database's record names and published SHA-256 sums."""
    from wfdb.io import download

    listed = retry(partial(download.get_record_list, DATABASE), what=f"listing of {DATABASE}")
    version = retry(partial(download.get_version, DATABASE), what=f"version of {DATABASE}")
    return listed, _published_sha256(version)


def _download_record(name: str, tmp: str) -> None:
    import wfdb

    with contextlib.redirect_stdout(io.StringIO()):  # wfdb prints every step
        wfdb.dl_database(DATABASE, tmp, records=[name], annotators=["atr"])


def download_records(folder: Path, names: Sequence[str]) -> None:
    """Download records through wfdb into a temporary folder, check them, then move them in.

    Transient failures are retried (:func:`actstudy.data.retry.retry`); a file that differs
    from its published SHA-256 is not downloaded again.
    """
    fix = f"check the network and rerun, or place the record files in {folder}"
    try:
        listed, sums = _index()
    except OSError as error:
        raise ConnectionError(
            f"could not reach PhysioNet database {DATABASE} in "
            f"{attempts_phrase(attempts_made(error))} ({reason(error)}); {fix}"
        ) from error
    unknown = sorted(set(names) - set(listed))
    if unknown:
        raise ValueError(
            f"PhysioNet database {DATABASE} has no records {', '.join(unknown)}; "
            "remove them from the records option"
        )
    folder.mkdir(parents=True, exist_ok=True)
    progress = Progress("downloading MIT-BIH records", len(names), "records")
    with tempfile.TemporaryDirectory(prefix=".download-", dir=folder) as tmp:
        for name in names:
            try:
                retry(
                    partial(_download_record, name, tmp), what=f"download of MIT-BIH record {name}"
                )
            except OSError as error:
                raise ConnectionError(
                    f"could not download MIT-BIH record {name} in "
                    f"{attempts_phrase(attempts_made(error))} ({reason(error)}); {fix}"
                ) from error
            for suffix in RECORD_SUFFIXES:
                file = Path(tmp, name + suffix)
                expected = sums.get(file.name)
                if expected is not None and file_digest(file, "sha256") != expected:
                    raise ConnectionError(
                        f"could not download MIT-BIH record {name} ({file.name} differs from "
                        f"its published SHA-256); {fix}"
                    )
            _load(Path(tmp), name, f"rerun to download it again, or place it in {folder}")
            for suffix in RECORD_SUFFIXES:
                os.replace(Path(tmp, name + suffix), folder / (name + suffix))
            progress.advance()


def _absent(folder: Path, names: Sequence[str]) -> list[str]:
    return [n for n in names if not all((folder / (n + s)).is_file() for s in RECORD_SUFFIXES)]


def _record_sets(split: str, records: Sequence[str | int] | None) -> dict[str, list[str]]:
    if split not in SPLITS:
        raise ValueError(f"mitdb option split must be one of {', '.join(SPLITS)}, not {split!r}")
    if split == "interpatient":
        if records is not None:
            raise ValueError("mitdb takes no records option with split: interpatient (DS1/DS2)")
        return {"train": sorted(DS1), "test": sorted(DS2)}
    return {"train": sorted(str(r) for r in (records or DS1 + DS2))}


def _missing(
    resources: Path,
    split: str = "pool",
    records: Sequence[str | int] | None = None,
    download: bool = True,
    **_: object,
) -> str | None:
    if download:
        return None
    names = [n for part in _record_sets(split, records).values() for n in part]
    absent = _absent(resources / DATABASE, names)
    if not absent:
        return None
    return (
        f"MIT-BIH records {', '.join(absent)} are not in {resources / DATABASE} and download "
        "is off; place their .hea/.dat/.atr files there, or allow the download"
    )


@register_source(
    "mitdb", missing=_missing, input_size=lambda length, **_: length, dims=1, channels=1, classes=5
)
def prepare_mitdb(
    out_dir: Path,
    resources: Path,
    split: str = "pool",
    records: Sequence[str | int] | None = None,
    rate: float = 125.0,
    length: int = 187,
    before: int | None = None,
    beat_normalize: str = "none",
    download: bool = True,
) -> None:
    """Beats of lead MLII as float32 N x 1 x ``length`` at ``rate`` Hz (360 is the native rate).

    ``split: pool`` puts ``records`` (default DS1 + DS2, the 44 unpaced records) in ``train``;
    ``split: interpatient`` puts DS1 in ``train`` and DS2 in ``test``. ``before`` is the number of
    samples before the R peak (default half the window). Beats are in record order and the
    manifest's ``record_beats`` lists (record, beat count) runs, so folds can go by patient.
    """
    if beat_normalize not in NORMALISATIONS:
        raise ValueError(
            f"mitdb option beat_normalize must be one of {', '.join(NORMALISATIONS)}, "
            f"not {beat_normalize!r}"
        )
    before = length // 2 if before is None else before
    parts = _record_sets(split, records)
    folder = resources / DATABASE
    names = [n for part in parts.values() for n in part]
    if sentence := _missing(resources, split, records, download):
        raise FileNotFoundError(sentence)
    if absent := _absent(folder, names):
        download_records(folder, absent)
    progress = Progress("cutting MIT-BIH beats", len(names), "records")
    arrays, runs, skipped, groups = {}, {}, {}, {}
    for part, part_names in parts.items():
        beats, labels, runs[part] = [], [], []
        edge = np.zeros(len(AAMI_CLASSES), dtype=np.int64)
        for name in part_names:
            record_beats, record_labels, record_skipped = cut_beats(
                read_record(folder, name), rate, length, before
            )
            beats.append(normalise(record_beats, beat_normalize))
            labels.append(record_labels)
            runs[part].append([name, len(record_labels)])
            edge += record_skipped
            progress.advance()
        y = np.concatenate(labels)
        arrays[part] = (np.concatenate(beats)[:, None, :], y)
        skipped[part] = dict(zip(AAMI_CLASSES, edge.tolist(), strict=True))
        groups[part] = np.repeat([int(n) for n, _ in runs[part]], [c for _, c in runs[part]])
        logger.info("MIT-BIH %s: %d beats, %d skipped at record edges", part, len(y), edge.sum())
    write_prepared(
        out_dir,
        arrays,
        classes=list(AAMI_CLASSES),
        source={
            "name": "mitdb",
            "provider": "PhysioNet mitdb through wfdb",
            "lead": LEAD,
            "split": split,
            "rate": rate,
            "length": length,
            "before": before,
            "beat_normalize": beat_normalize,
            "record_beats": runs,
            "skipped_at_edges": skipped,
        },
        source_files=[folder / (n + s) for n in names for s in RECORD_SUFFIXES],
        groups=groups,
    )
