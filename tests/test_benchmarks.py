"""Every benchmark script runs: ``--smoke`` (tiny sizes, seconds) exits 0 and prints each of its
target lines. Whether a target is met is the benchmark's own finding, never asserted here."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import torch
from workflow_helpers import BIN, REPO

BENCHMARKS = REPO / "benchmarks"
HELPERS = {"digits_folds.py"}  # imported by the training benchmarks, not run on its own
VERDICT = r"(met|missed|unjudged)"
TARGETS = {
    "activations.py": ["eager/relu", "eager/lrelu", "resnet20_step/relu", "resnet20_step/lrelu"],
    "diagnostics.py": ["probe_share/relu"],
    "gpu.py": [
        "resnet20_images_per_second",
        "resnet20_vs_plain_loop",
        "packed_lenet5_vs_sequential",
    ],
    "integrity.py": [
        "verify_digits_vs_lenet5_epoch",
        "verify_synthetic_vs_lenet5_epoch",
        "checkpoint_digest_vs_plain",
    ],
    "startup.py": [
        "validate/config.yaml",
        "dry_run/config.yaml",
        "fixed_share_of_a_default_study_job (jobs.pack: run)",
    ],
    "timing_agreement.py": ["timing_agreement"],
    "training.py": ["vs_plain_loop_lenet5", "vs_bare_compute_lenet5"],
}


def test_every_benchmark_script_has_a_smoke_test():
    scripts = {path.name for path in BENCHMARKS.glob("*.py")} - HELPERS
    assert scripts == set(TARGETS), "add the new script's targets to TARGETS"


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted(TARGETS))
def test_the_benchmark_smoke_runs_and_prints_its_targets(script):
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO / "src"), os.getenv("PYTHONPATH")])),
    }
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), "--smoke"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    for name in TARGETS[script]:
        pattern = re.compile(rf"target {re.escape(name)}: .+ {VERDICT}")
        assert any(pattern.fullmatch(line) for line in lines), (name, result.stdout[-3000:])
    if script == "gpu.py" and not torch.cuda.is_available():
        refusal = [line for line in lines if line.startswith("smoke without CUDA")]
        assert len(refusal) == 1 and "torch.compile" in refusal[0], result.stdout[-3000:]
