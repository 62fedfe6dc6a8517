"""The prepared-array format shared by every dataset.

A prepared dataset is one folder holding, for each split (``train`` always; ``test`` where the
dataset has an official test set; ``val`` where it has an official validation set):
  ``<split>_x.npy``  uint8 images N×H×W×C, or float32 signals N×1×L (ECG beats);
  ``<split>_y.npy``  int64 labels N;
  ``<split>_groups.npy``  optional int64 group per sample (e.g. the patient of an ECG beat), so
                          folds can keep a group on one side (no patient in train and validation);
and ``manifest.json``: class names, shapes, counts per class and split, the source, sha256 of the
source files and of every array. Arrays are memory-mapped when read, after their sha256 is checked
against the manifest's (once per process that opens them: a training job, the folds step).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from actstudy.io import atomic_dir, file_digest, read_json, write_json

FORMAT_VERSION = 1
SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class Split:
    x: np.ndarray
    y: np.ndarray
    groups: np.ndarray | None = None


@dataclass(frozen=True)
class Prepared:
    """A prepared dataset read back: arrays are read-only memory maps."""

    path: Path
    manifest: dict[str, Any]
    splits: dict[str, Split]

    @property
    def classes(self) -> list[str]:
        return list(self.manifest["classes"])

    @property
    def train(self) -> Split:
        return self.splits["train"]

    @property
    def test(self) -> Split | None:
        return self.splits.get("test")


def _check_split(name: str, x: np.ndarray, y: np.ndarray, num_classes: int) -> None:
    if name not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {name!r}")
    if x.dtype == np.uint8:
        if x.ndim != 4:
            raise ValueError(f"{name} images must be N×H×W×C uint8, got shape {x.shape}")
    elif x.dtype == np.float32:
        if x.ndim != 3:
            raise ValueError(f"{name} signals must be N×C×L float32, got shape {x.shape}")
    else:
        raise ValueError(f"{name} arrays must be uint8 images or float32 signals, not {x.dtype}")
    if y.dtype != np.int64 or y.shape != (len(x),):
        raise ValueError(f"{name} labels must be int64 of length {len(x)}")
    if len(y) and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(f"{name} labels must lie in [0, {num_classes})")


def write_prepared(
    out_dir: str | os.PathLike[str],
    splits: dict[str, tuple[np.ndarray, np.ndarray]],
    classes: list[str],
    source: dict[str, Any],
    source_files: list[str | os.PathLike[str]] = (),
    groups: dict[str, np.ndarray] | None = None,
) -> dict[str, Any]:
    """Write a prepared dataset atomically and return its manifest.

    ``groups`` optionally gives, per split, an int64 group id per sample.
    """
    groups = groups or {}
    if "train" not in splits:
        raise ValueError("a prepared dataset needs a 'train' split")
    manifest: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "classes": list(classes),
        "source": source,
        "source_sha256": {str(p): file_digest(p) for p in source_files},
        "splits": {},
    }
    with atomic_dir(out_dir) as tmp:
        for name, (x, y) in splits.items():
            x = np.ascontiguousarray(x)
            y = np.ascontiguousarray(y, dtype=np.int64)
            _check_split(name, x, y, len(classes))
            files = {}
            parts = [("x", x), ("y", y)]
            if name in groups:
                group = np.ascontiguousarray(groups[name], dtype=np.int64)
                if group.shape != y.shape:
                    raise ValueError(f"{name} groups must be int64 of length {len(y)}")
                parts.append(("groups", group))
            for part, array in parts:
                file = tmp / f"{name}_{part}.npy"
                np.save(file, array)
                files[part] = {"file": file.name, "sha256": file_digest(file)}
            counts = np.bincount(y, minlength=len(classes))
            manifest["splits"][name] = {
                "count": len(y),
                "shape": list(x.shape),
                "dtype": str(x.dtype),
                "per_class": {c: int(n) for c, n in zip(classes, counts, strict=True)},
                "files": files,
            }
        write_json(tmp / "manifest.json", manifest)
    return manifest


def _differs(file: Path, root: Path, what: str) -> ValueError:
    return ValueError(
        f"{file} differs from its manifest ({what}); delete {root} and run again to re-prepare it"
    )


def _open_array(
    root: Path, entry: dict[str, str], shape: tuple[int, ...], verify: bool
) -> np.ndarray:
    """Memory-map one array of the manifest, after checking its sha256 when ``verify``."""
    file = root / entry["file"]
    if not file.is_file():
        raise FileNotFoundError(
            f"{file} is missing from the prepared dataset; delete {root} and run again to "
            "re-prepare it"
        )
    if verify:
        actual = file_digest(file)
        if actual != entry["sha256"]:
            raise _differs(file, root, f"sha256 {actual[:12]}…, manifest {entry['sha256'][:12]}…")
    array = np.load(file, mmap_mode="r")
    if array.shape != shape:
        raise _differs(file, root, f"shape {array.shape}, manifest {shape}")
    return array


def manifest_file(path: str | os.PathLike[str]) -> Path:
    """The manifest of the prepared dataset in ``path``; a folder without one is a sentence."""
    manifest = Path(path) / "manifest.json"
    if not manifest.exists():
        raise FileNotFoundError(
            f"{path} is not a prepared dataset (no manifest.json); run the 'prepare' rule for it"
        )
    return manifest


def load_prepared(path: str | os.PathLike[str], verify: bool = True) -> Prepared:
    """Open a prepared dataset: arrays are memory-mapped and checked against the manifest's
    shapes and, when ``verify`` (the default), its sha256 (one read of every array)."""
    root = Path(path)
    manifest = read_json(manifest_file(root))
    splits = {}
    for name, info in manifest["splits"].items():
        shapes = {"x": tuple(info["shape"]), "y": (info["count"],), "groups": (info["count"],)}
        arrays = {
            part: _open_array(root, entry, shapes[part], verify)
            for part, entry in info["files"].items()
        }
        splits[name] = Split(arrays["x"], arrays["y"], arrays.get("groups"))
    return Prepared(root, manifest, splits)
