"""Mini-ImageNet: 100 ImageNet classes of 600 images, chosen by the split files of Ravi &
Larochelle (2017), ``train.csv``/``val.csv``/``test.csv`` (header ``filename,label``; 64/16/20
classes, class-disjoint).

A file name ``n0153282900000005.jpg`` is the WordNet id (the label) and the 1-based rank of the
image among the class's ImageNet training files sorted by their number (``n01532829_<number>``).
Images are found under ``resources/mini_imagenet/`` either under those names (any folder) or as
one folder of JPEGs per WordNet id; a folder holding the whole ImageNet class is narrowed to the
listed ranks. The default Kaggle copy, ``arjunashok33/miniimagenet``, holds one folder of 600 raw
ImageNet JPEGs per class. Missing split files are downloaded from the authors' repository and
checked against the SHA-256 of the published files.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from pathlib import Path

import numpy as np

from actstudy.data.downloads import fetch_url
from actstudy.data.images import IMAGE_SUFFIXES, image_files, read_images
from actstudy.data.kaggle_datasets import missing_sentence, obtain, walk_unpacked
from actstudy.data.prepared import write_prepared
from actstudy.data.sources import register_source

logger = logging.getLogger(__name__)

DEFAULT_DATASET = "arjunashok33/miniimagenet"
SPLIT_NAMES = ("train", "val", "test")
SPLITS_URL = (
    "https://raw.githubusercontent.com/twitter/meta-learning-lstm/master/data/miniImagenet/"
)
SPLITS_SHA256 = {
    "train": "498519cd8e49ce97ed26a4a3638966698ae41ab35e9c68538319fc9b46ba7d2f",
    "val": "5658a59921ca027ee76af92949869c5d6f41d77592ff3b18db325a9d10c893b9",
    "test": "2b7cfa78342995761a572a8158e539bc4e0a80f9bbd7d00c1e17a460fbbb93fa",
}
RAVI_NAME = re.compile(r"(n\d{8})(\d{8})\.jpg")
WNID = re.compile(r"n\d{8}")
LAYOUT = (
    "Mini-ImageNet images (a folder of JPEGs per WordNet id, or files like n0153282900000005.jpg)"
)
MODES = ("pool", "ravi")


def read_split_file(path: Path) -> dict[str, list[int]]:
    """WordNet id -> the image ranks a split file lists for it, in file order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or lines[0].strip() != "filename,label":
        raise ValueError(
            f"{path} is not a Ravi & Larochelle split file (its header is not 'filename,label'); "
            "delete it and rerun, or place the genuine file"
        )
    ranks: dict[str, list[int]] = defaultdict(list)
    for number, line in enumerate(lines[1:], start=2):
        name, _, label = line.strip().partition(",")
        match = RAVI_NAME.fullmatch(name)
        if match is None or match.group(1) != label:
            raise ValueError(
                f"{path} line {number} ({line!r}) is not '<wnid><8 digits>.jpg,<wnid>'; "
                "delete it and rerun, or place the genuine file"
            )
        ranks[label].append(int(match.group(2)))
    return dict(ranks)


def _split_files(folder: Path, download: bool) -> dict[str, Path]:
    """Paths of train.csv, val.csv and test.csv: the first folder under ``folder`` holding all
    three, else downloaded into ``folder``."""
    wanted = [f"{name}.csv" for name in SPLIT_NAMES]
    for top, _, files in walk_unpacked(folder):
        if all(name in files for name in wanted):
            return {name: top / f"{name}.csv" for name in SPLIT_NAMES}
    if not download:
        raise FileNotFoundError(
            f"{folder} holds no Ravi & Larochelle split files ({', '.join(wanted)}) and download "
            f"is off; place them there (from {SPLITS_URL})"
        )
    for name in SPLIT_NAMES:
        fetch_url(
            [f"{SPLITS_URL}{name}.csv"], folder / f"{name}.csv", ("sha256", SPLITS_SHA256[name])
        )
    return {name: folder / f"{name}.csv" for name in SPLIT_NAMES}


def locate_images(folder: Path) -> dict[str, list[Path]] | None:
    """WordNet id -> image files, from per-class folders and split-file names; None if none."""
    if not folder.is_dir():
        return None
    found: dict[str, list[Path]] = defaultdict(list)
    for top, folders, files in walk_unpacked(folder):
        if WNID.fullmatch(top.name):
            found[top.name].extend(image_files(top))
            folders.clear()
            continue
        for name in sorted(files):
            if match := RAVI_NAME.fullmatch(name):
                found[match.group(1)].append(top / name)
    return dict(found) or None


def _rank_key(path: Path) -> tuple[int, str]:
    """Sort key of an ImageNet file by its number (``n01532829_10003.JPEG`` -> 10003)."""
    match = re.search(r"(\d+)$", path.stem)
    return (int(match.group(1)) if match else -1, path.name)


def _select(wnid: str, ranks: list[int], files: list[Path], folder: Path) -> list[Path]:
    """The files of class ``wnid`` that the split file lists under ``ranks``."""
    by_name = {}
    for file in files:
        if (match := RAVI_NAME.fullmatch(file.name)) and match.group(1) == wnid:
            by_name[int(match.group(2))] = file
    if all(rank in by_name for rank in ranks):
        return [by_name[rank] for rank in ranks]
    ranked = sorted((f for f in files if f.suffix.lower() in IMAGE_SUFFIXES), key=_rank_key)
    if len(ranked) == len(ranks):
        return ranked
    if len(ranked) >= max(ranks):
        return [ranked[rank - 1] for rank in ranks]
    raise FileNotFoundError(
        f"{folder} holds {len(ranked)} images of class {wnid} but the split files list "
        f"{len(ranks)}; place the complete class"
    )


def _missing(
    resources: Path, dataset: str = DEFAULT_DATASET, download: bool = True, **_: object
) -> str | None:
    return missing_sentence(dataset, resources / "mini_imagenet", locate_images, download, LAYOUT)


@register_source("mini_imagenet", missing=_missing, channels=3, classes=100)
def prepare_mini_imagenet(
    out_dir: Path,
    resources: Path,
    split: str = "pool",
    size: int = 84,
    dataset: str = DEFAULT_DATASET,
    download: bool = True,
) -> None:
    """Images resized to ``size`` (paper 84, its code 128).

    ``split: pool`` puts all 100 classes in ``train`` (for k-fold); ``split: ravi`` puts the
    64 train.csv classes in ``train``, the 16 val.csv classes in ``val`` and the 20 test.csv
    classes in ``test``. Either way the labels index the same 100 sorted WordNet ids and the
    manifest lists which ids each split file holds.
    """
    if split not in MODES:
        raise ValueError(
            f"mini_imagenet option split must be one of {', '.join(MODES)}, not {split!r}"
        )
    folder = resources / "mini_imagenet"
    images = obtain(dataset, folder, locate_images, download, LAYOUT)
    ranks = {name: read_split_file(path) for name, path in _split_files(folder, download).items()}
    classes = sorted(wnid for by_class in ranks.values() for wnid in by_class)
    absent = [wnid for wnid in classes if wnid not in images]
    if absent:
        raise FileNotFoundError(
            f"{folder} holds no images of {len(absent)} of the {len(classes)} Mini-ImageNet "
            f"classes (such as {absent[0]}); place the complete dataset there"
        )
    members = (
        {"train": classes}
        if split == "pool"
        else {name: sorted(ranks[name]) for name in SPLIT_NAMES}
    )
    rank_of = {wnid: r for by_class in ranks.values() for wnid, r in by_class.items()}
    label_of = {wnid: label for label, wnid in enumerate(classes)}
    arrays = {}
    digests = {}
    for part, wnids in members.items():
        files, labels = [], []
        for wnid in wnids:
            chosen = _select(wnid, rank_of[wnid], images[wnid], folder)
            files += chosen
            labels += [label_of[wnid]] * len(chosen)
        x, digests[part] = read_images(files, size, folder, f"reading Mini-ImageNet {part}")
        arrays[part] = (x, np.array(labels, dtype=np.int64))
    write_prepared(
        out_dir,
        arrays,
        classes=classes,
        source={
            "name": "mini_imagenet",
            "provider": f"Kaggle {dataset}",
            "split": split,
            "size": size,
            "ravi_classes": {name: sorted(by_class) for name, by_class in ranks.items()},
            "images_sha256": digests,
        },
    )
