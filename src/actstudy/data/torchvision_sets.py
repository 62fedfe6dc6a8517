"""CIFAR-10, CIFAR-100, MNIST and Fashion-MNIST through torchvision's dataset classes.

Raw files live in ``resources/<source>/`` in torchvision's layout: CIFAR's archive
(``cifar-10-python.tar.gz``, ``cifar-100-python.tar.gz``) or the folder it unpacks to, and the four
MNIST-style ``*-ubyte.gz`` files in ``MNIST/raw/`` or ``FashionMNIST/raw/`` (MNIST's also
uncompressed, ``train-images-idx3-ubyte`` …, as torchvision reads them and many mirrors ship them).
Missing files are downloaded from the URL or mirrors the class names and checked against its MD5s;
every placed file is checked against them too, an uncompressed one against
:data:`UNCOMPRESSED_MD5`. When one cannot be downloaded (no network), one sentence names every
file still to place. Both the training set and the official test set are prepared.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from actstudy.data.archives import gunzip, unpacked
from actstudy.data.downloads import DownloadError, fetch_url
from actstudy.data.prepared import write_prepared
from actstudy.data.sources import register_source
from actstudy.data.transforms import resize_uint8
from actstudy.io import file_digest, write_with

logger = logging.getLogger(__name__)

# source name → torchvision dataset class, imported only where a file must be found or read:
# checking a study's options must not wait for torchvision (seconds to import)
FAMILIES = {
    "cifar10": "CIFAR10",
    "cifar100": "CIFAR100",
    "mnist": "MNIST",
    "fashion_mnist": "FashionMNIST",
}


UNCOMPRESSED_MD5: dict[str, dict[str, str]] = {
    "MNIST": {
        "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
        "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
        "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
        "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
    },
}
"""The MD5s of the uncompressed IDX files, by torchvision class, where they are published
(Fashion-MNIST publishes only its ``.gz`` files'): a placed uncompressed file is checked
against them."""


def _family(name: str) -> type:
    """The torchvision dataset class of source ``name``."""
    from torchvision import datasets

    return getattr(datasets, FAMILIES[name])


def _is_cifar(name: str) -> bool:
    return name in ("cifar10", "cifar100")


def _check_md5(path: Path, md5: str, fix: str) -> None:
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing; {fix}")
    if file_digest(path, "md5") != md5:
        raise ValueError(f"{path} is corrupt or truncated (its MD5 is not {md5}); {fix}")


def _required(name: str, root: Path) -> list[Path]:
    """The raw files to place by hand when downloading is off and they are absent."""
    cls = _family(name)
    if _is_cifar(name):
        has_data = (root / cls.base_folder).is_dir() or (root / cls.filename).is_file()
        return [] if has_data else [root / cls.filename]
    raw = root / cls.__name__ / "raw"
    return [raw / name for name, _ in cls.resources if _placed(cls, raw, name) is None]


def _placed(cls: type, raw: Path, name: str) -> tuple[Path, str] | None:
    """The placed (or downloaded) copy of the ``.gz`` file ``name`` and the MD5 to check it
    against: the ``.gz`` itself, else the uncompressed file where its MD5 is known; else None."""
    packed = raw / name
    if packed.is_file():
        return packed, dict(cls.resources)[name]
    plain = packed.with_suffix("")
    md5 = UNCOMPRESSED_MD5.get(cls.__name__, {}).get(plain.name)
    return (plain, md5) if md5 is not None and plain.is_file() else None


def _cifar_ready(cls: type, root: Path) -> list[Path]:
    """Verify (unpacking or downloading first) CIFAR's batches; return the files they came from."""
    folder = root / cls.base_folder
    archive = root / cls.filename
    batches = [*cls.train_list, *cls.test_list, [cls.meta["filename"], cls.meta["md5"]]]
    if not folder.is_dir():
        if archive.is_file():
            _check_md5(archive, cls.tgz_md5, "delete it and rerun, or place a good copy")
        else:
            fetch_url([cls.url], archive, ("md5", cls.tgz_md5))
        with unpacked(archive, root) as tmp:
            if not (tmp / cls.base_folder).is_dir():
                raise ValueError(
                    f"{archive} holds no folder {cls.base_folder}; delete it and rerun, "
                    "or place the genuine archive"
                )
            os.replace(tmp / cls.base_folder, folder)
    for name, md5 in batches:
        _check_md5(folder / name, md5, f"delete {folder} and rerun, or place a good copy")
    return [archive] if archive.is_file() else [folder / name for name, _ in batches]


def _mnist_ready(cls: type, root: Path) -> list[Path]:
    """Verify the placed files, download the absent ``.gz`` ones and unzip them for the class to
    read; return the files the data came from."""
    raw = root / cls.__name__ / "raw"
    files, absent = [], []
    for name, md5 in cls.resources:
        if (placed := _placed(cls, raw, name)) is None:
            absent.append((name, md5))
            continue
        _check_md5(*placed, "delete it and rerun, or place a good copy")
        files.append(placed[0])
    for position, (name, md5) in enumerate(absent):
        try:
            fetch_url([f"{mirror}{name}" for mirror in cls.mirrors], raw / name, ("md5", md5))
        except DownloadError as error:
            names = ", ".join(name for name, _ in absent[position:])
            raise DownloadError(
                error.detail,
                f"place {names} in {raw} (the .gz files"
                f"{', or uncompressed' if cls.__name__ in UNCOMPRESSED_MD5 else ''}) and rerun, "
                "or rerun with the network",
            ) from None
        files.append(raw / name)
    for packed in files:
        if packed.suffix == ".gz":
            write_with(packed.with_suffix(""), partial(gunzip, packed))
    return files


def _missing(name: str) -> Callable[..., str | None]:
    """The family's ``missing``: the raw files to place when downloading is off."""

    def missing(resources: Path, download: bool = True, **_: object) -> str | None:
        absent = [] if download else _required(name, resources / name)
        if not absent:
            return None
        unchecked = [path.with_suffix("").name for path in absent if path.with_suffix("").is_file()]
        note = (
            f" ({', '.join(unchecked)} cannot be checked uncompressed: no MD5s of them are "
            "published)"
            if unchecked
            else ""
        )
        return (
            f"{', '.join(map(str, absent))} not found and download is off for {name}{note}; "
            "place the original files there, or set download: true in the dataset's entry of the "
            "study file"
        )

    return missing


def _declared(name: str) -> dict[str, Any]:
    """What the family declares at :func:`register_source`, beside its name."""
    native = 32 if _is_cifar(name) else 28

    def input_size(size: int | None = None, pad: int = 0, **_: object) -> int:
        return size if size is not None else native + 2 * pad

    return {
        "missing": _missing(name),
        "input_size": input_size,
        "channels": 3 if _is_cifar(name) else 1,
        "classes": 100 if name == "cifar100" else 10,
        "flip_safe": name != "mnist",  # a mirrored digit is another digit or none
    }


def _preparer(name: str) -> Callable[..., None]:
    """The family's ``prepare``."""
    ready: Callable[[type, Path], list[Path]] = _cifar_ready if _is_cifar(name) else _mnist_ready
    missing = _missing(name)

    def prepare(
        out_dir: Path,
        resources: Path,
        size: int | None = None,
        pad: int = 0,
        download: bool = True,
    ) -> None:
        """Zero-pad ``pad`` pixels on every side (S4's 36 by 36 MNIST: 4), then resize to
        ``size`` (default: keep the size)."""
        root = resources / name
        if not download and (sentence := missing(resources, download)):
            raise FileNotFoundError(sentence)
        cls = _family(name)
        sources = ready(cls, root)
        splits = {}
        for split in ("train", "test"):
            dataset = cls(root, train=split == "train", download=False)
            images = np.asarray(dataset.data, dtype=np.uint8)
            if images.ndim == 3:
                images = images[..., None]
            images = np.pad(images, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
            if size is not None:
                images = resize_uint8(images, size)
            splits[split] = (images, np.asarray(dataset.targets, dtype=np.int64))
            logger.info("%s %s: %d images of %s", name, split, len(images), images.shape[1:])
        write_prepared(
            out_dir,
            splits,
            classes=list(dataset.classes),
            source={
                "name": name,
                "provider": f"torchvision.datasets.{cls.__name__}",
                "size": size,
                "pad": pad,
            },
            source_files=sources,
        )

    return prepare


# Each name written out: actstudy.data.sources finds it here without importing this module.
register_source("cifar10", **_declared("cifar10"))(_preparer("cifar10"))
register_source("cifar100", **_declared("cifar100"))(_preparer("cifar100"))
register_source("mnist", **_declared("mnist"))(_preparer("mnist"))
register_source("fashion_mnist", **_declared("fashion_mnist"))(_preparer("fashion_mnist"))
