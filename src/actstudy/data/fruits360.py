"""Fruits-360 (Kaggle ``moltean/fruits``), 100 by 100 pixel branch.

The official layout is ``Training/<class>/*.jpg`` and ``Test/<class>/*.jpg``; the Kaggle archive
nests it (``fruits-360_dataset/fruits-360/``, ``fruits-360_100x100/fruits-360/``) beside other
branches (original size, multi-fruit), so the branch whose images are 100 by 100 pixels and that
has the most classes is used. Classes are the Training folder names, sorted.

The release changes over time (131 classes in S1's report, 155 in 2025): the prepared
manifest's ``source`` records the branch folder, the class and image counts and the release they
match (None when unknown), and preparing warns when they are not the report's.
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
# Known releases of the 100x100 branch by (classes, training images, test images).
RELEASES = {
    (131, 67692, 22688): "2020.05.18.0 (131 classes, the S1 report's)",
    (155, 76893, 25746): "2025 (155 classes)",
}
REPORT_RELEASE = (131, 67692, 22688)


def release(classes: int, train: int, test: int) -> str | None:
    """The name of the known release with these counts, or None."""
    return RELEASES.get((classes, train, test))


def differs_from_report(classes: int, train: int, test: int) -> str | None:
    """One sentence when the data is not the release the S1 report used, else None."""
    if (classes, train, test) == REPORT_RELEASE:
        return None
    report_classes, report_train, report_test = REPORT_RELEASE
    name = release(classes, train, test) or "a release not known here"
    counts = f"{classes} classes ({train:,} training / {test:,} test images, {name})"
    report = (
        f"{report_classes} ({report_train:,} / {report_test:,}, "
        f"release {RELEASES[REPORT_RELEASE].split()[0]})"
    )
    return (
        f"Fruits-360 here has {counts}; the report used {report}: results are not directly "
        "comparable with the report's"
    )


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
    counts = (len(classes), len(arrays["train"][1]), len(arrays["test"][1]))
    warning = differs_from_report(*counts)
    if warning:
        logger.warning(warning)
    write_prepared(
        out_dir,
        arrays,
        classes=classes,
        source={
            "name": "fruits360",
            "provider": f"Kaggle {DATASET}",
            "branch": branch.relative_to(folder).as_posix(),
            "size": size,
            "classes": counts[0],
            "images": {"train": counts[1], "test": counts[2]},
            "release": release(*counts),
            "report_release": counts == REPORT_RELEASE,
            "images_sha256": digests,
        },
    )
