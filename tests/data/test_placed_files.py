"""Placed raw files and no network: MNIST's IDX files accepted uncompressed (checked against the
uncompressed MD5s), a failed name lookup given up at once, and every file still to place named
in one sentence."""

from __future__ import annotations

import gzip
import hashlib
import logging
import socket
import struct
import urllib.error
from pathlib import Path

import numpy as np
import pytest
import requests
from torchvision import datasets

from actstudy.data import load_prepared, missing, prepare
from actstudy.data import torchvision_sets as sets
from actstudy.data.downloads import DownloadError
from actstudy.data.retry import is_transient, reason

NAMES = {
    "train-images-idx3-ubyte": "images",
    "train-labels-idx1-ubyte": "labels",
    "t10k-images-idx3-ubyte": "images",
    "t10k-labels-idx1-ubyte": "labels",
}


def _idx(images: np.ndarray, labels: np.ndarray) -> dict[str, bytes]:
    """IDX files as MNIST ships them, uncompressed: magic 0x803 and the image dimensions, 0x801
    and the count for labels, then the bytes."""
    return {
        "images": struct.pack(">IIII", 0x803, *images.shape) + images.tobytes(),
        "labels": struct.pack(">II", 0x801, len(labels)) + labels.astype(np.uint8).tobytes(),
    }


@pytest.fixture
def placed_mnist(tmp_path, monkeypatch):
    """Generated MNIST files placed uncompressed in resources/mnist/MNIST/raw/, their MD5s the
    published ones (generated files cannot match MNIST's real MD5s)."""
    rng = np.random.default_rng(4)
    raw = tmp_path / "resources" / "mnist" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    arrays, md5s = {}, {}
    for prefix, count in (("train", 30), ("t10k", 12)):
        arrays[prefix] = (
            rng.integers(0, 256, (count, 28, 28), dtype=np.uint8),
            rng.integers(0, 10, count),
        )
        files = _idx(*arrays[prefix])
        for name, kind in NAMES.items():
            if name.startswith(prefix):
                (raw / name).write_bytes(files[kind])
                md5s[name] = hashlib.md5(files[kind]).hexdigest()
    monkeypatch.setitem(sets.UNCOMPRESSED_MD5, "MNIST", md5s)
    monkeypatch.setattr(datasets.MNIST, "mirrors", ["http://mnist.invalid/"])
    return tmp_path / "resources", raw, arrays


def test_uncompressed_mnist_files_are_accepted_without_a_download(tmp_path, placed_mnist):
    resources, _, arrays = placed_mnist
    options = {"source": "mnist", "download": False}
    assert missing(options, resources) is None

    prepare(options, tmp_path / "out", resources)

    prepared = load_prepared(tmp_path / "out", verify=True)
    np.testing.assert_array_equal(prepared.train.x[..., 0], arrays["train"][0])
    np.testing.assert_array_equal(prepared.test.y, arrays["t10k"][1])
    assert sorted(Path(p).name for p in prepared.manifest["source_sha256"]) == sorted(NAMES)


def test_uncompressed_fashion_mnist_files_are_named_as_uncheckable(tmp_path, placed_mnist):
    _, raw, _ = placed_mnist
    fashion = tmp_path / "resources" / "fashion_mnist" / "FashionMNIST" / "raw"
    fashion.parent.mkdir(parents=True)
    raw.rename(fashion)  # the same four files, uncompressed, where Fashion-MNIST's go
    sentence = missing({"source": "fashion_mnist", "download": False}, tmp_path / "resources")
    assert f"{fashion / 'train-images-idx3-ubyte.gz'}, " in sentence
    assert "(train-images-idx3-ubyte, " in sentence
    assert "cannot be checked uncompressed: no MD5s of them are published" in sentence
    assert sentence.endswith("or set download: true in the dataset's entry of the study file")


def test_a_corrupt_uncompressed_file_names_itself_and_the_fix(tmp_path, placed_mnist):
    resources, raw, _ = placed_mnist
    labels = raw / "t10k-labels-idx1-ubyte"
    labels.write_bytes(labels.read_bytes()[:-1])
    with pytest.raises(ValueError) as caught:
        prepare({"source": "mnist"}, tmp_path / "out", resources)
    assert f"{labels} is corrupt or truncated" in str(caught.value)
    assert "delete it and rerun" in str(caught.value)


def test_the_official_gz_files_still_take_precedence(tmp_path, placed_mnist, monkeypatch):
    resources, raw, _ = placed_mnist
    packed = raw / "train-images-idx3-ubyte.gz"
    packed.write_bytes(gzip.compress((raw / "train-images-idx3-ubyte").read_bytes()))
    monkeypatch.setattr(
        datasets.MNIST,
        "resources",
        [(f"{name}.gz", "0" * 32) for name in NAMES],  # the .gz's MD5 is checked: it differs
    )
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte\.gz is corrupt"):
        prepare({"source": "mnist"}, tmp_path / "out", resources)


def test_without_network_one_sentence_names_every_file_to_place(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(datasets.FashionMNIST, "mirrors", ["http://fashion.invalid/"])
    with caplog.at_level(logging.WARNING), pytest.raises(DownloadError) as caught:
        prepare({"source": "fashion_mnist"}, tmp_path / "out", tmp_path / "resources")
    message = str(caught.value)
    assert "could not download train-images-idx3-ubyte.gz in 1 attempt" in message
    assert "no network?" in message
    raw = tmp_path / "resources" / "fashion_mnist" / "FashionMNIST" / "raw"
    names = ", ".join(name for name, _ in datasets.FashionMNIST.resources)
    assert f"place {names} in {raw} (the .gz files) and rerun" in message
    assert [r for r in caplog.records if "attempt 2 of" in r.getMessage()] == []  # no retry


def test_a_failed_name_lookup_is_not_transient_but_a_refused_connection_is():
    lookup = urllib.error.URLError(socket.gaierror(-2, "Name or service not known"))
    assert not is_transient(lookup)
    assert reason(lookup) == "its host name could not be looked up: no network?"
    try:
        requests.get("http://host.invalid/", timeout=5)
    except requests.ConnectionError as error:
        wrapped = error
    assert not is_transient(wrapped)
    assert is_transient(urllib.error.URLError(ConnectionRefusedError(111, "refused")))
