"""A store of finished runs, keyed by what determines a run's result: the spec (less the
study's name and the labels, which name a run but do not change it), the digest of the code the
run executes, the prepared data's manifest, the folds file and the device kind. How the runs
are packed into jobs (``jobs.pack``) and how many threads a job has (``jobs.threads``) are not
part of the key, so changing them retrains nothing, and two studies that contain the same run
share it.

Why our own and not Snakemake's between-workflow cache (``cache: true`` with ``--cache``): that
cache keys a whole job by its inputs, params and code, so a packed job (``pack: folds`` or
``case``) is one entry; adding an activation, or repacking, changes the job and misses it,
while this store restores each run of a job on its own. Snakemake's cache also needs
``SNAKEMAKE_OUTPUT_CACHE`` set and does not apply to jobs with several outputs per run folder.

An entry is a folder ``<root>/<key[:2]>/<key>/`` with the run's result files and
``entry.json`` (their sha256 and where they were trained); files are hard links where the disk
allows (our writes replace files, never edit them in place), copies otherwise. An entry whose
files no longer match their digests is ignored (and replaced by the next training).

A run the user forced (``--forcerun``/``--forceall``, see ``workflow/rules/common.smk``) is
trained afresh and replaces its entry: the common.smk computes the forced run folders in
Snakemake's main process and passes them to the jobs in ``ACTSTUDY_FRESH_RUNS``.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import shutil
import time
from pathlib import Path
from typing import Any

from actstudy import layout
from actstudy.data.prepared import manifest_file
from actstudy.io import atomic_dir, file_digest, read_json, write_json
from actstudy.provenance import fingerprint

log = logging.getLogger(__name__)

CACHE_VARIABLE = "ACTSTUDY_RUN_CACHE"
FRESH_VARIABLE = "ACTSTUDY_FRESH_RUNS"
ALL_RUNS = "*"  # as actstudy.study.jobs writes it for every run
OFF = ("off", "none", "0")
# a run's results, as train_run writes them (manifest.json is rewritten on restore)
RESULT_FILES = (
    "history.csv",
    "diagnostics.csv",
    "metrics.json",
    "best.pt",
    "best.pt.sha256",
    "test_predictions.csv",
    "manifest.json",
)
ENTRY_FILE = "entry.json"


def cache_root() -> Path | None:
    """Where the store lies (``ACTSTUDY_RUN_CACHE``; ``resources/run_cache`` by default), or
    None where that variable turns it off."""
    value = os.environ.get(CACHE_VARIABLE, "").strip()
    if value.lower() in OFF:
        return None
    return Path(value or layout.RUN_CACHE)


def forced(out: str | os.PathLike[str]) -> bool:
    """Whether the user forced this run folder's training (it then bypasses the store)."""
    value = os.environ.get(FRESH_VARIABLE, "")
    if value.strip() == ALL_RUNS:
        return True
    return os.path.abspath(out) in {os.path.abspath(p) for p in value.split(os.pathsep) if p}


def _result_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec less what names a run without changing its result."""
    kept = copy.deepcopy(spec)
    kept.pop("study", None)
    for section in ("activation", "model", "dataset"):
        kept.get(section, {}).pop("label", None)
    kept.get("activation", {}).pop("origin", None)
    return kept


def run_key(
    spec: dict[str, Any],
    code_digest: str,
    prepared_dir: str | os.PathLike[str],
    folds_file: str | os.PathLike[str],
    device: dict[str, Any],
) -> str:
    """The key of a run's result (see the module's docstring)."""
    return fingerprint(
        {
            "spec": _result_spec(spec),
            "code": code_digest,
            "prepared": file_digest(manifest_file(prepared_dir)),
            "folds": file_digest(folds_file),
            "device": {k: v for k, v in device.items() if k != "threads"},
        }
    )


def _entry(root: Path, key: str) -> Path:
    return root / key[:2] / key


def _place(source: Path, target: Path) -> None:
    """``target`` becomes ``source``'s bytes: a hard link where the disk allows, else a copy;
    replaced atomically (a file already there is never edited in place)."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.link(source, tmp)
    except OSError:
        shutil.copyfile(source, tmp)
    os.replace(tmp, target)


def restore(
    key: str,
    out: str | os.PathLike[str],
    spec: dict[str, Any],
    run_id: str,
    prepared_dir: str | os.PathLike[str],
) -> dict[str, Any] | None:
    """Restore the run ``key`` into ``out`` (its result files byte for byte; its manifest with
    this run's spec, its prepared data and where it was restored from); return its metrics, or
    None where the store has no good entry."""
    root = cache_root()
    if root is None:
        return None
    entry = _entry(root, key)
    try:
        recorded = read_json(entry / ENTRY_FILE)
        damaged = [
            name for name, sha in recorded["files"].items() if file_digest(entry / name) != sha
        ]
    except (OSError, ValueError, KeyError, TypeError):
        return None  # no entry (the usual case), or one cut short: train the run
    if damaged:
        log.warning("run cache entry %s is damaged (%s): training the run", entry, damaged)
        return None
    target = Path(out)
    target.mkdir(parents=True, exist_ok=True)
    for name in recorded["files"]:
        if name != "manifest.json":
            _place(entry / name, target / name)
    manifest = read_json(entry / "manifest.json")
    # the same data (its manifest's digest is in the key), where this run reads it
    prepared = str(Path(prepared_dir) / "manifest.json")
    manifest.update(spec=spec, fingerprint=run_id, prepared_manifest=prepared)
    manifest["run_cache"] = {
        "key": key,
        "restored_from": str(entry),
        "trained_as": recorded["trained_as"],
        "restored": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    write_json(target / "manifest.json", manifest)  # last: its presence means done
    log.info(
        "restored %s from the run cache (%s, trained as %s)", out, entry, recorded["trained_as"]
    )
    return read_json(target / "metrics.json")


def store(key: str, out: str | os.PathLike[str]) -> None:
    """Keep the finished run in ``out`` under ``key`` (replacing an older entry). Best effort:
    a store that cannot be written is logged, and the run stays trained."""
    root = cache_root()
    if root is None:
        return
    source = Path(out)
    names = [name for name in RESULT_FILES if (source / name).is_file()]
    entry = _entry(root, key)
    try:
        with atomic_dir(entry) as tmp:
            for name in names:
                _place(source / name, tmp / name)
            files = {name: file_digest(tmp / name) for name in names}
            record = {"key": key, "files": files, "trained_as": str(source)}
            (tmp / ENTRY_FILE).write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    except OSError as error:
        log.warning("could not keep %s in the run cache %s (%s)", out, entry, error)


def note_key(out: str | os.PathLike[str], key: str) -> None:
    """Record in a trained run's manifest the key it is kept under."""
    path = Path(out) / "manifest.json"
    manifest = read_json(path)
    manifest["run_cache"] = {"key": key, "restored_from": None}
    write_json(path, manifest)
