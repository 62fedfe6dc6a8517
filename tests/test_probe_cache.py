"""The probe's store (actstudy.search.probe_cache): a formula's key, a study activation's key
and a pre-screen are computed once and read back, in a fresh process without torch, so a dry run
of a study whose search ran before imports none; an answer is kept only under what determines
it, a damaged one is computed again, and with the run cache off nothing is kept."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from workflow_helpers import REPO

from actstudy.search import probe_cache
from actstudy.search.probe import Probe, activation_key, function_key, prescreen

PROBE = Probe(-4.0, 4.0, 101)
ASKED = (
    "from actstudy.search.probe import Probe, activation_key, function_key, prescreen\n"
    "probe = Probe(-4.0, 4.0, 101)\n"
    "answers = [function_key('x*sigmoid(x)', probe), prescreen('exp(x)*0 + 1', probe),\n"
    "           activation_key({'name': 'lrelu', 'alpha': 0.1}, probe)]\n"
)


def answers() -> list:
    return [
        function_key("x*sigmoid(x)", PROBE),
        prescreen("exp(x)*0 + 1", PROBE),
        activation_key({"name": "lrelu", "alpha": 0.1}, PROBE),
    ]


def fresh(code: str) -> dict:
    """``answers`` and whether torch was imported, from a fresh interpreter."""
    probe = f"{code}import json, sys\nprint(json.dumps([answers, 'torch' in sys.modules]))\n"
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=REPO, check=True
    )
    found, torch_imported = json.loads(result.stdout.splitlines()[-1])
    return {"answers": found, "torch": torch_imported}


@pytest.fixture
def store(tmp_path, monkeypatch):
    root = tmp_path / "cache"
    monkeypatch.setenv("ACTSTUDY_RUN_CACHE", str(root))
    return root / probe_cache.FOLDER


def test_answers_are_kept_and_read_back_without_torch(store):
    computed = answers()
    assert computed[1].startswith("gradient") or computed[1].startswith("constant")
    assert len(list(store.rglob("*.json"))) == 3
    assert fresh(ASKED) == {"answers": computed, "torch": False}


def test_without_the_store_the_answers_are_computed_with_torch(store):
    computed = answers()
    for path in store.rglob("*.json"):
        path.unlink()
    assert fresh(ASKED) == {"answers": computed, "torch": True}


def test_an_answer_is_kept_under_its_probe_and_its_code(store):
    code = [probe_cache.__file__]
    grid = {"low": -4.0, "high": 4.0, "points": 101}
    here = probe_cache.answer_file("function_key", "x", grid, code)
    wider = probe_cache.answer_file("function_key", "x", {**grid, "low": -5.0}, code)
    other_code = probe_cache.answer_file("function_key", "x", grid, [json.__file__])
    assert len({here, wider, other_code}) == 3
    assert function_key("x", PROBE) != function_key("x", Probe(-5.0, 4.0, 101))


def test_a_damaged_answer_is_computed_again(store):
    computed = answers()
    for path in store.rglob("*.json"):
        path.write_text('{"answer": ')
    assert answers() == computed
    kept = sorted(json.loads(p.read_text())["answer"] or "" for p in store.rglob("*.json"))
    assert kept == sorted(answer or "" for answer in computed)


def test_with_the_run_cache_off_nothing_is_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("ACTSTUDY_RUN_CACHE", "off")
    monkeypatch.chdir(tmp_path)
    assert probe_cache.answer_file("function_key", "x", {}, []) is None
    assert function_key("x", PROBE).startswith("f")
    assert not any(tmp_path.rglob("*.json"))


PLANNED = (
    "from actstudy.search.fitness import reference_functions\n"
    "from actstudy.search.probe import listed_keys\n"
    "from actstudy.study.jobs import Study\n"
    "from actstudy.study.validate import load_config\n"
    "study = Study.__new__(Study)\n"
    "study.config = load_config('studies/s3_eelu_evaluation.yaml')\n"
    "search = study.config['search']\n"
    "answers = [[r['key'] for r in reference_functions(search)],\n"
    "           sorted(listed_keys(study.config['activations'], search)),\n"
    "           {m: sorted(study.search_first(m)) for m in study.search_methods()}]\n"
)


def test_a_search_planned_again_imports_no_torch(store):
    """What S3's dry run asks before any job: its references' run folders, the keys of the
    study's own activations, the first generation's candidates (keys and pre-screens)."""
    first = fresh(PLANNED)
    assert first["torch"]
    assert fresh(PLANNED) == {"answers": first["answers"], "torch": False}
