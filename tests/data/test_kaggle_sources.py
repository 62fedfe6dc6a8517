"""Fruits-360, Mini-ImageNet and the MIT-BIH heartbeat CSVs through the real kaggle client,
pointed at a local server that answers its DownloadDataset call with generated archives."""

from __future__ import annotations

import hashlib
import logging

import numpy as np
import pytest

from actstudy.data import load_prepared, missing, prepare
from actstudy.data import mini_imagenet as mini

FRUITS = {"Banana": (230, 220, 40), "Apple Red 1": (200, 20, 30), "Cherry 2": (120, 0, 40)}


def _fruits_members(jpeg_bytes, extra_test_class: bool = False) -> dict[str, bytes]:
    """The Kaggle archive's layout: the 100x100 branch nested, next to an original-size branch."""
    root = "fruits-360_dataset/fruits-360"
    members = {"fruits-360_dataset/LICENSE": b"CC BY-SA 4.0"}
    for name, colour in FRUITS.items():
        for i in range(4):
            prefix = "r_" if i % 2 else ""
            members[f"{root}/Training/{name}/{prefix}{i}_100.jpg"] = jpeg_bytes(colour)
        for i in range(2):
            members[f"{root}/Test/{name}/{i}_100.jpg"] = jpeg_bytes(colour)
    if extra_test_class:
        members[f"{root}/Test/Kiwi/0_100.jpg"] = jpeg_bytes((90, 120, 20))
    for split in ("Training", "Test", "Validation"):
        members[f"fruits-360-original-size/fruits-360-original-size/{split}/Apple 5/0.jpg"] = (
            jpeg_bytes((1, 2, 3), (320, 240))
        )
    return members


def test_fruits360_is_downloaded_through_the_kaggle_client(
    tmp_path, kaggle, zip_bytes, jpeg_bytes, caplog
):
    kaggle.serve("moltean/fruits", zip_bytes(_fruits_members(jpeg_bytes)))
    resources = tmp_path / "resources"
    assert missing({"source": "fruits360"}, resources) is None

    with caplog.at_level(logging.DEBUG):
        prepare({"source": "fruits360", "size": 32}, tmp_path / "out", resources)

    assert kaggle.download_requests() == [{"ownerSlug": "moltean", "datasetSlug": "fruits"}]
    prepared = load_prepared(tmp_path / "out", verify=True)
    classes = sorted(FRUITS)
    assert prepared.classes == classes
    assert prepared.train.x.shape == (12, 32, 32, 3) and prepared.test.x.shape == (6, 32, 32, 3)
    for label, name in enumerate(classes):
        mean = prepared.train.x[prepared.train.y == label].mean(axis=(0, 1, 2))
        np.testing.assert_allclose(mean, FRUITS[name], atol=3)
    source = prepared.manifest["source"]
    assert source["branch"] == "fruits/fruits-360_dataset/fruits-360"
    assert source["classes"] == 3 and source["images"] == {"train": 12, "test": 6}
    assert source["release"] is None and source["report_release"] is False
    assert "unpacking fruits.zip" in caplog.text and "100%" in caplog.text
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "Fruits-360 here has 3 classes (12 training / 6 test images, a release not known here); "
        "the report used 131 (67,692 / 22,688, release 2020.05.18.0): results are not directly "
        "comparable with the report's"
    ]
    manifest_text = (tmp_path / "out" / "manifest.json").read_text()
    assert kaggle.key not in caplog.text and kaggle.key not in manifest_text


def test_fruits360_releases_are_named_and_only_the_reports_is_quiet():
    from actstudy.data.fruits360 import differs_from_report, release

    assert differs_from_report(131, 67692, 22688) is None
    assert release(131, 67692, 22688).startswith("2020.05.18.0")
    newer = differs_from_report(155, 76893, 25746)
    assert newer.startswith("Fruits-360 here has 155 classes (76,893 training / 25,746 test")
    assert "images, 2025 (155 classes)); the report used 131" in newer
    assert release(131, 67692, 22000) is None
    assert "131 classes (67,692 training / 22,000 test images, a release not known" in (
        differs_from_report(131, 67692, 22000)
    )


def test_fruits360_placed_by_hand_needs_no_credentials(
    tmp_path, no_kaggle_credentials, zip_bytes, jpeg_bytes
):
    folder = tmp_path / "resources" / "fruits360"
    folder.mkdir(parents=True)
    (folder / "my-copy.zip").write_bytes(zip_bytes(_fruits_members(jpeg_bytes)))

    assert missing({"source": "fruits360"}, tmp_path / "resources") is None
    prepare({"source": "fruits360"}, tmp_path / "out", tmp_path / "resources")

    assert load_prepared(tmp_path / "out").train.x.shape == (12, 100, 100, 3)


def test_fruits360_test_class_absent_from_training_is_an_error(
    tmp_path, kaggle, zip_bytes, jpeg_bytes
):
    kaggle.serve("moltean/fruits", zip_bytes(_fruits_members(jpeg_bytes, extra_test_class=True)))
    with pytest.raises(ValueError, match=r"Test has classes that Training lacks \(Kiwi\)"):
        prepare({"source": "fruits360"}, tmp_path / "out", tmp_path / "resources")


def test_missing_credentials_give_our_sentence_not_the_library_help(
    tmp_path, no_kaggle_credentials, capsys
):
    resources = tmp_path / "resources"
    sentence = missing({"source": "fruits360", "size": 32}, resources)
    assert "~/.kaggle/kaggle.json" in sentence and "KAGGLE_USERNAME and KAGGLE_KEY" in sentence
    assert str(resources / "fruits360") in sentence and sentence.count(". ") == 0

    with pytest.raises(FileNotFoundError) as caught:
        prepare({"source": "fruits360"}, tmp_path / "out", resources)

    assert "~/.kaggle/kaggle.json" in str(caught.value)
    assert "moltean/fruits" in str(caught.value)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    ("serve", "error", "reason"),
    [
        ({"cut": True}, ConnectionError, "not a readable zip archive"),
        ({"wrong_key": True}, ConnectionError, "HTTP 401"),
        ({"hostile": True}, ValueError, "outside its folder"),
    ],
)
def test_bad_kaggle_downloads_end_in_one_sentence(
    tmp_path, kaggle, zip_bytes, jpeg_bytes, monkeypatch, serve, error, reason
):
    members = _fruits_members(jpeg_bytes)
    if serve.get("hostile"):
        members["../../escaped.txt"] = b"gotcha"
    archive = zip_bytes(members)
    kaggle.serve("moltean/fruits", archive[: len(archive) - 200] if serve.get("cut") else archive)
    if serve.get("wrong_key"):
        monkeypatch.setenv("KAGGLE_KEY", "not-the-key")
    folder = tmp_path / "resources" / "fruits360"

    with pytest.raises(error, match=reason) as caught:
        prepare({"source": "fruits360"}, tmp_path / "out", tmp_path / "resources")

    assert kaggle.key not in str(caught.value) and "not-the-key" not in str(caught.value)
    assert not (tmp_path / "out").exists() and not list(tmp_path.rglob("escaped.txt"))
    kept = [p.relative_to(folder).as_posix() for p in tmp_path.rglob("*") if p.is_file()]
    assert kept == (["fruits.zip"] if serve.get("hostile") else [])


WNIDS = ["n01000001", "n01000002", "n01000003", "n01000004", "n01000005"]
SPLIT_OF = {"n01000001": "train", "n01000002": "train", "n01000003": "train"}
SPLIT_OF |= {"n01000004": "val", "n01000005": "test"}
RANKS = [2, 3, 5, 7]


def _colour(wnid: str, rank: int) -> tuple[int, int, int]:
    return (40 * WNIDS.index(wnid) + 20, 25 * rank, 128)


def _mini_imagenet(tmp_path, http_server, kaggle, zip_bytes, jpeg_bytes, monkeypatch) -> None:
    """Split files at the (patched) authors' URL and a Kaggle copy mixing the layouts: raw
    ImageNet names per class folder (exactly the listed images, or the whole class) and
    split-file names in one folder."""
    for split in mini.SPLIT_NAMES:
        rows = ["filename,label"] + [
            f"{wnid}{rank:08d}.jpg,{wnid}"
            for wnid in WNIDS
            if SPLIT_OF[wnid] == split
            for rank in RANKS
        ]
        data = ("\n".join(rows) + "\n").encode()
        http_server.add(f"/splits/{split}.csv", data)
        monkeypatch.setitem(mini.SPLITS_SHA256, split, hashlib.sha256(data).hexdigest())
    monkeypatch.setattr(mini, "SPLITS_URL", f"{http_server.url}/splits/")
    members = {}
    for wnid in WNIDS[:2]:  # exactly the listed images, under ImageNet numbers
        for rank, number in zip(RANKS, [17, 230, 1004, 1299], strict=True):
            members[f"mini/{wnid}/{wnid}_{number}.JPEG"] = jpeg_bytes(_colour(wnid, rank), (60, 50))
    for wnid in WNIDS[2:4]:  # the whole class: the ranks pick the images
        for number in range(1, 9):
            members[f"mini/{wnid}/{wnid}_{number}.JPEG"] = jpeg_bytes(
                _colour(wnid, number), (90, 70)
            )
    for rank in RANKS:  # the split-file names
        members[f"mini/images/{WNIDS[4]}{rank:08d}.jpg"] = jpeg_bytes(
            _colour(WNIDS[4], rank), (84, 84)
        )
    kaggle.serve(mini.DEFAULT_DATASET, zip_bytes(members))


def test_mini_imagenet_pool_and_ravi_splits(
    tmp_path, http_server, kaggle, zip_bytes, jpeg_bytes, monkeypatch
):
    _mini_imagenet(tmp_path, http_server, kaggle, zip_bytes, jpeg_bytes, monkeypatch)
    resources = tmp_path / "resources"

    prepare({"source": "mini_imagenet", "size": 32}, tmp_path / "pool", resources)
    prepare({"source": "mini_imagenet", "split": "ravi"}, tmp_path / "ravi", resources)

    pool = load_prepared(tmp_path / "pool", verify=True)
    assert pool.classes == WNIDS and pool.test is None
    assert pool.train.x.shape == (20, 32, 32, 3)
    np.testing.assert_array_equal(pool.train.y, np.repeat(np.arange(5), 4))
    expected = [_colour(wnid, rank) for wnid in WNIDS for rank in RANKS]
    np.testing.assert_allclose(pool.train.x.mean(axis=(1, 2)), expected, atol=3)
    ravi = load_prepared(tmp_path / "ravi")
    assert ravi.train.x.shape == (12, 84, 84, 3) and ravi.test.x.shape == (4, 84, 84, 3)
    assert set(ravi.test.y.tolist()) == {4}
    assert ravi.manifest["source"]["ravi_classes"]["val"] == ["n01000004"]
    assert set(ravi.splits) == {"train", "val", "test"}
    assert set(ravi.splits["val"].y.tolist()) == {3}
    assert len(kaggle.download_requests()) == 1


def test_mini_imagenet_incomplete_class_is_reported(
    tmp_path, http_server, kaggle, zip_bytes, jpeg_bytes, monkeypatch
):
    _mini_imagenet(tmp_path, http_server, kaggle, zip_bytes, jpeg_bytes, monkeypatch)
    prepare({"source": "mini_imagenet", "size": 8}, tmp_path / "out", tmp_path / "resources")
    folder = tmp_path / "resources" / "mini_imagenet"
    for file in list(folder.rglob("n01000003_*.JPEG"))[:3]:
        file.unlink()

    with pytest.raises(FileNotFoundError, match="holds 5 images of class n01000003 but the split"):
        prepare({"source": "mini_imagenet", "size": 8}, tmp_path / "out", tmp_path / "resources")


def _heartbeat_csv(rng, rows: int) -> tuple[bytes, np.ndarray, np.ndarray]:
    beats = rng.random((rows, 187))
    labels = rng.integers(0, 5, rows)
    table = np.column_stack([beats, labels.astype(float)])
    text = "\n".join(",".join(f"{v:.18e}" for v in row) for row in table) + "\n"
    return text.encode(), beats, labels


def test_mitbih_kaggle_csvs(tmp_path, kaggle, zip_bytes):
    rng = np.random.default_rng(4)
    train, train_beats, train_labels = _heartbeat_csv(rng, 40)
    test, _, test_labels = _heartbeat_csv(rng, 10)
    kaggle.serve(
        "shayanfazeli/heartbeat",
        zip_bytes({"mitbih_train.csv": train, "mitbih_test.csv": test, "ptbdb_normal.csv": test}),
    )

    prepare({"source": "mitbih_kaggle"}, tmp_path / "out", tmp_path / "resources")

    prepared = load_prepared(tmp_path / "out", verify=True)
    assert prepared.classes == ["N", "S", "V", "F", "Q"]
    assert prepared.train.x.shape == (40, 1, 187) and prepared.train.x.dtype == np.float32
    np.testing.assert_allclose(prepared.train.x[:, 0], train_beats, rtol=1e-6)
    np.testing.assert_array_equal(prepared.train.y, train_labels)
    np.testing.assert_array_equal(prepared.test.y, test_labels)


def test_mitbih_kaggle_truncated_csv_names_the_file(tmp_path, no_kaggle_credentials):
    train, _, _ = _heartbeat_csv(np.random.default_rng(5), 5)
    folder = tmp_path / "resources" / "mitbih_kaggle"
    folder.mkdir(parents=True)
    (folder / "mitbih_train.csv").write_bytes(train[: len(train) // 2])
    (folder / "mitbih_test.csv").write_bytes(train)

    with pytest.raises(ValueError, match="corrupt or truncated; delete it and rerun") as caught:
        prepare({"source": "mitbih_kaggle"}, tmp_path / "out", tmp_path / "resources")

    assert str(folder / "mitbih_train.csv") in str(caught.value)


def test_a_busy_kaggle_storage_server_is_retried(tmp_path, kaggle, zip_bytes, jpeg_bytes, caplog):
    archive = zip_bytes(_fruits_members(jpeg_bytes))
    kaggle.serve("moltean/fruits", archive)
    kaggle.server.add_sequence(
        "/storage/moltean/fruits.zip",
        {"status": 503},
        {"drop": True},
        {"body": archive, "headers": {"Content-Type": "application/zip"}},
    )

    with caplog.at_level(logging.INFO):
        prepare({"source": "fruits360", "size": 8}, tmp_path / "out", tmp_path / "resources")

    assert load_prepared(tmp_path / "out").train.x.shape == (12, 8, 8, 3)
    assert kaggle.server.count("/storage/moltean/fruits.zip") == 3
    assert len(kaggle.download_requests()) == 3
    retries = [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and r.name == "actstudy.data.retry"
    ]
    assert [line.split("; ")[1].split(" in ")[0] for line in retries] == [
        "attempt 2 of 4",
        "attempt 3 of 4",
    ]
    assert retries[0].startswith("download of Kaggle dataset moltean/fruits failed (HTTP 503)")
    assert "failed (ConnectionError)" in retries[1]
    assert kaggle.key not in caplog.text


@pytest.mark.parametrize(("status", "attempts"), [(401, 1), (404, 1), (503, 4)])
def test_kaggle_refusals_fail_at_once_and_outages_after_the_attempts(
    tmp_path, kaggle, zip_bytes, jpeg_bytes, status, attempts
):
    kaggle.serve("moltean/fruits", zip_bytes(_fruits_members(jpeg_bytes)))
    kaggle.server.add("/storage/moltean/fruits.zip", b"{}", status=status)

    with pytest.raises(ConnectionError) as caught:
        prepare({"source": "fruits360"}, tmp_path / "out", tmp_path / "resources")

    message = str(caught.value)
    assert kaggle.server.count("/storage/moltean/fruits.zip") == attempts
    if attempts == 1:
        assert message.startswith(
            f"Kaggle refused the download of dataset moltean/fruits (HTTP {status})"
        )
    else:
        assert f"failed in 4 attempts (HTTP {status}); rerun to download it again" in message
    assert message.count(". ") == 0 and kaggle.key not in message


@pytest.mark.parametrize(("mode", "warned"), [(0o644, True), (0o600, False)])
def test_a_kaggle_token_others_can_read_gets_the_kaggle_tools_warning(
    tmp_path, no_kaggle_credentials, caplog, mode, warned
):
    from actstudy.data.kaggle_datasets import client_credentials

    token = tmp_path / "home" / ".kaggle" / "kaggle.json"
    token.parent.mkdir()
    token.write_text('{"username": "someone", "key": "0123"}')
    token.chmod(mode)
    with caplog.at_level(logging.WARNING):
        assert client_credentials() == {"username": "someone", "password": "0123"}
    assert ("readable by other users" in caplog.text) == warned
    assert f"chmod 600 {token}" in caplog.text or not warned
