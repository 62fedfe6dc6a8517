"""CIFAR-10/100, MNIST and Fashion-MNIST downloaded by the real code from a local server that
serves generated files in the original formats (CIFAR python pickles in a tar.gz, IDX gz)."""

from __future__ import annotations

import gzip
import hashlib
import io
import pickle
import struct
import tarfile

import numpy as np
import pytest
from torchvision import datasets

from actstudy.data import load_prepared, missing, prepare

PER_BATCH = 20


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def _cifar(rng, classes: int, fine: bool) -> tuple[dict[str, bytes], dict[str, np.ndarray]]:
    """Pickled batch files (as in the original archives) and the images/labels they hold."""
    label_key = "fine_labels" if fine else "labels"
    files, arrays = {}, {}
    names = ["train", "test"] if fine else [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for name in names:
        data = rng.integers(0, 256, (PER_BATCH, 3072), dtype=np.uint8)
        labels = rng.integers(0, classes, PER_BATCH).tolist()
        batch = {"batch_label": name, label_key: labels, "data": data, "filenames": []}
        if fine:
            batch["coarse_labels"] = [label // 5 for label in labels]
        files[name] = pickle.dumps(batch, protocol=2)
        arrays[name] = (data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), np.array(labels))
    meta_key = "fine_label_names" if fine else "label_names"
    files["meta" if fine else "batches.meta"] = pickle.dumps(
        {meta_key: [f"class {i:02d}" for i in range(classes)]}, protocol=2
    )
    return files, arrays


def _serve_cifar(cls, folder: str, files, http_server, monkeypatch) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"{folder}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    archive = buffer.getvalue()
    http_server.add(f"/cifar/{cls.filename}", archive)
    monkeypatch.setattr(cls, "url", f"{http_server.url}/cifar/{cls.filename}")
    monkeypatch.setattr(cls, "tgz_md5", _md5(archive))
    monkeypatch.setattr(cls, "train_list", [[n, _md5(files[n])] for n, _ in cls.train_list])
    monkeypatch.setattr(cls, "test_list", [[n, _md5(files[n])] for n, _ in cls.test_list])
    meta = dict(cls.meta, md5=_md5(files[cls.meta["filename"]]))
    monkeypatch.setattr(cls, "meta", meta)
    return archive


@pytest.mark.parametrize(
    ("source", "cls", "folder", "classes", "fine"),
    [
        ("cifar10", datasets.CIFAR10, "cifar-10-batches-py", 10, False),
        ("cifar100", datasets.CIFAR100, "cifar-100-python", 100, True),
    ],
)
def test_cifar_is_downloaded_verified_and_prepared(
    tmp_path, http_server, monkeypatch, source, cls, folder, classes, fine
):
    files, arrays = _cifar(np.random.default_rng(0), classes, fine)
    _serve_cifar(cls, folder, files, http_server, monkeypatch)
    resources = tmp_path / "resources"

    prepare({"source": source}, tmp_path / "out", resources)

    prepared = load_prepared(tmp_path / "out", verify=True)
    train_names = [n for n in arrays if n not in ("test", "test_batch")]
    test_name = "test" if fine else "test_batch"
    assert prepared.train.x.shape == (PER_BATCH * len(train_names), 32, 32, 3)
    assert prepared.test.x.dtype == np.uint8 and prepared.test.y.dtype == np.int64
    np.testing.assert_array_equal(
        prepared.train.x, np.concatenate([arrays[n][0] for n in train_names])
    )
    np.testing.assert_array_equal(prepared.test.y, arrays[test_name][1])
    assert prepared.classes == [f"class {i:02d}" for i in range(classes)]
    assert (resources / source / folder).is_dir() and (resources / source / cls.filename).is_file()
    assert http_server.paths("GET") == [f"/cifar/{cls.filename}"]

    prepare({"source": source, "size": 16, "download": False}, tmp_path / "small", resources)
    assert load_prepared(tmp_path / "small").train.x.shape[1:] == (16, 16, 3)


def _idx(images: np.ndarray, labels: np.ndarray) -> tuple[bytes, bytes]:
    """Gzipped IDX files: magic 0x803 with 3 dimensions for images, 0x801 for labels."""
    image_file = struct.pack(">IIII", 0x803, *images.shape) + images.tobytes()
    label_file = struct.pack(">II", 0x801, len(labels)) + labels.astype(np.uint8).tobytes()
    return gzip.compress(image_file), gzip.compress(label_file)


@pytest.mark.parametrize(
    ("source", "cls"), [("mnist", datasets.MNIST), ("fashion_mnist", datasets.FashionMNIST)]
)
def test_mnist_style_sets_use_the_mirrors_and_pad(tmp_path, http_server, monkeypatch, source, cls):
    rng = np.random.default_rng(1)
    generated, resources = {}, []
    for prefix, count in (("train", 30), ("t10k", 12)):
        images = rng.integers(1, 256, (count, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, count)
        generated[prefix] = (images, labels)
        for kind, data in zip(("images-idx3", "labels-idx1"), _idx(images, labels), strict=True):
            name = f"{prefix}-{kind}-ubyte.gz"
            http_server.add(f"/mirror2/{name}", data)
            resources.append((name, _md5(data)))
    mirrors = [f"{http_server.url}/mirror1/", f"{http_server.url}/mirror2/"]
    monkeypatch.setattr(cls, "mirrors", mirrors)
    monkeypatch.setattr(cls, "resources", resources)

    prepare({"source": source, "pad": 4}, tmp_path / "out", tmp_path / "resources")

    prepared = load_prepared(tmp_path / "out", verify=True)
    assert prepared.train.x.shape == (30, 36, 36, 1) and prepared.test.x.shape == (12, 36, 36, 1)
    np.testing.assert_array_equal(prepared.train.x[:, 4:32, 4:32, 0], generated["train"][0])
    assert prepared.train.x[:, :4].max() == 0 and prepared.train.x[:, :, 32:].max() == 0
    np.testing.assert_array_equal(prepared.test.y, generated["t10k"][1])
    assert prepared.classes == list(cls.classes)
    assert sum(path.startswith("/mirror1/") for path in http_server.paths("GET")) == 4


def test_corrupt_placed_archive_names_the_file_and_the_fix(tmp_path, http_server, monkeypatch):
    files, _ = _cifar(np.random.default_rng(2), 10, False)
    archive = _serve_cifar(datasets.CIFAR10, "cifar-10-batches-py", files, http_server, monkeypatch)
    placed = tmp_path / "resources" / "cifar10" / datasets.CIFAR10.filename
    placed.parent.mkdir(parents=True)
    placed.write_bytes(archive[:-100])

    with pytest.raises(ValueError) as caught:
        prepare({"source": "cifar10"}, tmp_path / "out", tmp_path / "resources")

    assert str(placed) in str(caught.value) and "delete it and rerun" in str(caught.value)
    assert not (tmp_path / "out").exists() and http_server.requests == []


def test_cut_download_leaves_nothing_behind(tmp_path, http_server, monkeypatch):
    files, _ = _cifar(np.random.default_rng(3), 10, False)
    archive = _serve_cifar(datasets.CIFAR10, "cifar-10-batches-py", files, http_server, monkeypatch)
    http_server.add(f"/cifar/{datasets.CIFAR10.filename}", archive[:5000], length=len(archive))

    with pytest.raises(ConnectionError, match="stopped after 5,000 of") as caught:
        prepare({"source": "cifar10"}, tmp_path / "out", tmp_path / "resources")

    assert "rerun" in str(caught.value)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_without_download_absent_files_are_reported_before_anything_runs(tmp_path):
    options = {"source": "mnist", "download": False}
    sentence = missing(options, tmp_path)
    assert "train-images-idx3-ubyte.gz" in sentence and "download is off" in sentence
    with pytest.raises(FileNotFoundError, match="download is off"):
        prepare(options, tmp_path / "out", tmp_path)
    assert missing({"source": "cifar10"}, tmp_path) is None
