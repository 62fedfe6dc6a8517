"""Fruits-360 (Kaggle ``moltean/fruits``), 100 by 100 pixel branch.

The official layout is ``Training/<class>/*.jpg`` and ``Test/<class>/*.jpg``; the Kaggle archive
nests it (``fruits-360_dataset/fruits-360/``, ``fruits-360_100x100/fruits-360/``) beside other
branches (original size, multi-fruit), so the branch whose images are 100 by 100 pixels and that
has the most classes is used. Classes are the Training folder names, sorted.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PIL import Image

from actstudy.data.images import image_files, read_images
from actstudy.data.kaggle_datasets import missing_sentence, obtain, walk_unpacked
from actstudy.data.prepared import write_prepared
from actstudy.data.sources import register_source

logger = logging.getLogger(__name__)

DATASET = "moltean/fruits"
NATIVE_SIZE = 100
LAYOUT = "Fruits-360 images (Training/<class>/*.jpg and Test/<class>/*.jpg of 100x100 pixels)"
SPLITS = {"train": "Training", "test": "Test"}


def _class_folders(split_dir: Path) -> list[Path]:
    return sorted(p for p in split_dir.iterdir() if p.is_dir() and not p.name.startswith("."))


def _image_size(branch: Path) -> tuple[int, int] | None:
    """Pixel size of the first image of the first Training class, or None when there is none."""
    for class_dir in _class_folders(branch / "Training"):
        for file in image_files(class_dir):
            try:
                with Image.open(file) as image:
                    return image.size
            except OSError:
                return None
    return None


def locate_branch(folder: Path) -> Path | None:
    """The folder holding the 100x100 ``Training`` and ``Test`` folders, or None."""
    if not folder.is_dir():
        return None
    branches = []
    for top, folders, _ in walk_unpacked(folder):
        if "Training" in folders and "Test" in folders:
            folders.clear()
            if _image_size(top) == (NATIVE_SIZE, NATIVE_SIZE):
                branches.append(top)
    if not branches:
        return None
    return max(branches, key=lambda b: len(_class_folders(b / "Training")))


def _missing(resources: Path, download: bool = True, **_: object) -> str | None:
    return missing_sentence(DATASET, resources / "fruits360", locate_branch, download, LAYOUT)


@register_source("fruits360", missing=_missing, channels=3, classes=131)
def prepare_fruits360(
    out_dir: Path, resources: Path, size: int = NATIVE_SIZE, download: bool = True
) -> None:
    """Training and Test images resized to ``size`` (S1 uses 32)."""
    folder = resources / "fruits360"
    branch = obtain(DATASET, folder, locate_branch, download, LAYOUT)
    logger.info("Fruits-360: using %s", branch)
    files_by_split = {
        split: {d.name: image_files(d) for d in _class_folders(branch / name)}
        for split, name in SPLITS.items()
    }
    classes = sorted(files_by_split["train"])
    unknown = sorted(set(files_by_split["test"]) - set(classes))
    if unknown:
        raise ValueError(
            f"{branch / 'Test'} has classes that Training lacks ({', '.join(unknown)}); "
            f"place a complete copy of Kaggle dataset {DATASET} in {folder}"
        )
    arrays = {}
    digests = {}
    for split, by_class in files_by_split.items():
        files = [file for name in classes for file in by_class.get(name, [])]
        labels = np.repeat(
            np.arange(len(classes)), [len(by_class.get(name, [])) for name in classes]
        )
        images, digests[split] = read_images(files, size, branch, f"reading Fruits-360 {split}")
        arrays[split] = (images, labels.astype(np.int64))
    write_prepared(
        out_dir,
        arrays,
        classes=classes,
        source={
            "name": "fruits360",
            "provider": f"Kaggle {DATASET}",
            "branch": branch.relative_to(folder).as_posix(),
            "size": size,
            "images_sha256": digests,
        },
    )
