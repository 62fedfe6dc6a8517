"""MIT-BIH beats from WFDB records written with wfdb itself (format 212, 360 Hz, two leads),
downloaded by ``wfdb.dl_database`` from a local server laid out as PhysioNet serves ``mitdb``."""

from __future__ import annotations

import hashlib
import logging

import numpy as np
import pytest
import wfdb
from wfdb.io import download

from actstudy.data import load_prepared, missing, mitbih, prepare

LENGTH = 7200  # 20 s at 360 Hz
# (sample, symbol): beats of every AAMI class, non-beat annotations (rhythm '+', noise '~'),
# and a beat near each end whose 187-sample window at 125 Hz runs off the record.
ANNOTATIONS = [
    (30, "N"), (400, "N"), (800, "A"), (1200, "V"), (1600, "+"), (2000, "N"), (2400, "F"),
    (2800, "~"), (3200, "L"), (3600, "R"), (4000, "/"), (4400, "Q"), (4800, "a"), (5200, "J"),
    (5600, "E"), (6000, "e"), (6400, "j"), (6800, "S"), (7100, "V"),
]  # fmt: skip
# Per AAMI class: beats kept, beats skipped at the edges (first N, last V).
EXPECTED = {"N": (6, 1), "S": (4, 0), "V": (2, 1), "F": (1, 0), "Q": (2, 0)}


def _write_record(folder, name: str, leads=("MLII", "V5")) -> None:
    """A record with a sharp R-like peak of 2 mV on every annotated beat."""
    rng = np.random.default_rng(int(name))
    signal = rng.normal(0, 0.02, (LENGTH, len(leads)))
    for sample, symbol in ANNOTATIONS:
        if symbol not in "+~":
            signal[sample, :] += 2.0
    folder.mkdir(parents=True, exist_ok=True)
    wfdb.wrsamp(
        name, fs=360, units=["mV", "mV"], sig_name=list(leads), p_signal=signal,
        fmt=["212", "212"], adc_gain=[200.0, 200.0], baseline=[1024, 1024], write_dir=str(folder),
    )  # fmt: skip
    samples, symbols = zip(*ANNOTATIONS, strict=True)
    aux = ["(N" if symbol == "+" else "" for symbol in symbols]
    wfdb.wrann(
        name, "atr", np.array(samples), symbol=list(symbols), aux_note=aux, fs=360,
        write_dir=str(folder),
    )  # fmt: skip


@pytest.fixture
def physionet(tmp_path, http_server, monkeypatch):
    """Serve records 100 and 101 as PhysioNet does, with RECORDS, ANNOTATORS and SHA256SUMS.txt;
    wfdb finds the server through ``PN_CONTENT_URL`` and ``config.db_index_url``."""
    source = tmp_path / "physionet"
    sums = []
    for name in ("100", "101"):
        _write_record(source, name)
        for suffix in (".hea", ".dat", ".atr"):
            data = (source / f"{name}{suffix}").read_bytes()
            http_server.add(f"/files/mitdb/1.0.0/{name}{suffix}", data)
            sums.append(f"{hashlib.sha256(data).hexdigest()}  {name}{suffix}")
    http_server.add("/files/mitdb/1.0.0/RECORDS", b"100\n101\n")
    http_server.add("/files/mitdb/1.0.0/ANNOTATORS", b"atr\treference beat annotations\n")
    http_server.add("/files/mitdb/1.0.0/SHA256SUMS.txt", ("\n".join(sums) + "\n").encode())
    http_server.add("/content/mitdb/", b"<html><p>Version: 1.0.0</p></html>\n")
    http_server.add("/content/mitdb/1.0.0/", b"<html>MIT-BIH Arrhythmia Database</html>\n")
    monkeypatch.setattr(download, "PN_CONTENT_URL", f"{http_server.url}/content/")
    monkeypatch.setattr(download.config, "db_index_url", f"{http_server.url}/files/")
    return http_server


def _check_counts(manifest, split: str, records: int) -> None:
    kept = manifest["splits"][split]["per_class"]
    skipped = manifest["source"]["skipped_at_edges"][split]
    for name, (expected_kept, expected_skipped) in EXPECTED.items():
        assert (kept[name], skipped[name]) == (records * expected_kept, records * expected_skipped)


def test_records_are_downloaded_checked_and_cut_into_beats(tmp_path, physionet):
    resources = tmp_path / "resources"

    prepare({"source": "mitdb", "records": [100, 101]}, tmp_path / "out", resources)

    prepared = load_prepared(tmp_path / "out", verify=True)
    assert prepared.classes == ["N", "S", "V", "F", "Q"]
    assert prepared.train.x.shape == (30, 1, 187) and prepared.train.x.dtype == np.float32
    _check_counts(prepared.manifest, "train", records=2)
    assert prepared.manifest["source"]["record_beats"] == {"train": [["100", 15], ["101", 15]]}
    assert prepared.train.groups.tolist() == [100] * 15 + [101] * 15
    assert np.median(prepared.train.x[:, 0].argmax(axis=1)) == 93
    files = sorted(p.name for p in (resources / "mitdb").iterdir())
    assert files == ["100.atr", "100.dat", "100.hea", "101.atr", "101.dat", "101.hea"]
    fetched = physionet.paths("GET")
    assert (
        "/files/mitdb/1.0.0/RECORDS" in fetched and "/files/mitdb/1.0.0/SHA256SUMS.txt" in fetched
    )


def test_a_download_that_fails_its_checksum_is_not_kept(tmp_path, physionet):
    physionet.routes["/files/mitdb/1.0.0/100.dat"].body = b"\0" * 21600

    with pytest.raises(ConnectionError, match=r"100\.dat differs from its published SHA-256"):
        prepare({"source": "mitdb", "records": ["100"]}, tmp_path / "out", tmp_path / "res")

    assert [p for p in (tmp_path / "res").rglob("*") if p.name != "mitdb"] == []


def test_native_rate_window_with_normalisation(tmp_path):
    _write_record(tmp_path / "mitdb", "100")
    options = {"rate": 360, "length": 256, "before": 100, "beat_normalize": "minmax"}

    prepare({"source": "mitdb", "records": ["100"], **options}, tmp_path / "out", tmp_path)

    prepared = load_prepared(tmp_path / "out")
    beats = prepared.train.x[:, 0]
    assert beats.shape == (15, 256) and (beats.argmax(axis=1) == 100).all()
    assert beats.min() == 0.0 and beats.max() == 1.0
    assert prepared.manifest["source"]["skipped_at_edges"]["train"]["N"] == 1


def test_interpatient_split_uses_ds1_for_train_and_ds2_for_test(tmp_path, monkeypatch):
    _write_record(tmp_path / "mitdb", "100")
    _write_record(tmp_path / "mitdb", "101", leads=("V1", "MLII"))
    monkeypatch.setattr(mitbih, "DS1", ("101",))
    monkeypatch.setattr(mitbih, "DS2", ("100",))

    prepare({"source": "mitdb", "split": "interpatient"}, tmp_path / "out", tmp_path)

    manifest = load_prepared(tmp_path / "out").manifest
    assert manifest["source"]["record_beats"] == {"train": [["101", 15]], "test": [["100", 15]]}
    _check_counts(manifest, "test", records=1)


def test_de_chazal_record_sets():
    assert len(mitbih.DS1) == len(mitbih.DS2) == 22
    paced = {"102", "104", "107", "217"}  # in neither set
    records = set(mitbih.DS1) | set(mitbih.DS2) | paced
    assert len(records) == 48 and not set(mitbih.DS1) & set(mitbih.DS2)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("dat", "cannot be read .*corrupt or truncated; delete .*100.hea/.dat/.atr and rerun"),
        ("atr", "100.atr lacks the end-of-annotations mark, so it is truncated; delete"),
        ("lead", "has no MLII lead"),
    ],
)
def test_damaged_placed_record_names_the_file_and_the_fix(tmp_path, damage, message):
    folder = tmp_path / "mitdb"
    _write_record(folder, "100", leads=("V1", "V5") if damage == "lead" else ("MLII", "V5"))
    if damage in ("dat", "atr"):
        file = folder / f"100.{damage}"
        file.write_bytes(file.read_bytes()[: -7 if damage == "dat" else -2])

    with pytest.raises(ValueError, match=message):
        prepare(
            {"source": "mitdb", "records": ["100"], "download": False}, tmp_path / "out", tmp_path
        )

    assert not (tmp_path / "out").exists()


def test_absent_records_without_download_are_reported(tmp_path):
    _write_record(tmp_path / "mitdb", "100")
    options = {"source": "mitdb", "records": ["100", "101"], "download": False}
    assert "MIT-BIH records 101 are not in" in missing(options, tmp_path)
    assert missing({**options, "records": ["100"]}, tmp_path) is None


def test_transient_physionet_failures_are_retried(tmp_path, physionet, caplog):
    data = physionet.routes["/files/mitdb/1.0.0/100.dat"].body
    physionet.add_sequence("/files/mitdb/1.0.0/100.dat", {"status": 503}, {"body": data})
    records = physionet.routes["/files/mitdb/1.0.0/RECORDS"].body
    physionet.add_sequence("/files/mitdb/1.0.0/RECORDS", {"drop": True}, {"body": records})

    prepare({"source": "mitdb", "records": ["100"]}, tmp_path / "out", tmp_path / "res")

    assert load_prepared(tmp_path / "out", verify=True).train.x.shape == (15, 1, 187)
    retries = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(retries) == 2
    assert retries[0].startswith("listing of mitdb failed (ConnectionError); attempt 2 of 4 in")
    assert retries[1].startswith("download of MIT-BIH record 100 failed (HTTP 503); attempt 2 of")


@pytest.mark.parametrize(("status", "attempts"), [(404, 1), (500, 4)])
def test_a_record_that_cannot_be_downloaded_names_the_attempts(
    tmp_path, physionet, status, attempts
):
    physionet.add("/files/mitdb/1.0.0/100.hea", b"", status=status)

    with pytest.raises(ConnectionError) as caught:
        prepare({"source": "mitdb", "records": ["100"]}, tmp_path / "out", tmp_path / "res")

    assert str(caught.value).startswith(
        f"could not download MIT-BIH record 100 in {attempts} attempt"
    )
    assert f"(HTTP {status}); check the network and rerun" in str(caught.value)
    assert physionet.count("/files/mitdb/1.0.0/100.hea") == attempts
