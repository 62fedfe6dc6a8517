"""benchmarks/gpu.py on a machine without CUDA: one sentence that says so, and a failing exit."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from workflow_helpers import REPO


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is here: the benchmark would run")
def test_the_gpu_benchmark_refuses_without_cuda_in_one_sentence():
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "gpu.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    sentence = lines[0]
    assert "needs CUDA" in sentence and "torch.cuda.is_available() is False" in sentence
    assert sentence.endswith(".") and sentence.count(". ") == 0
