"""A study's start-up problems come in one round: S1 without its ImageNet weights and without its
data names both at once, each with the YAML key that fixes it."""

from __future__ import annotations

import subprocess
import sys

from workflow_helpers import REPO


def test_s1_without_weights_or_data_names_both_problems_at_once(tmp_path):
    env = {
        "HOME": str(tmp_path / "home"),  # no ~/.kaggle/kaggle.json
        "TORCH_HOME": str(tmp_path / "torch"),  # no ImageNet weights in the hub cache
        "PYTHONPATH": str(REPO / "src"),
        "PATH": "/usr/bin:/bin",
    }
    study, resources = "studies/s1_lrelu_fruits.yaml", str(tmp_path / "resources")
    result = subprocess.run(
        [sys.executable, "-m", "actstudy", "validate", study, "--resources", resources],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    lines = result.stderr.splitlines()
    assert len(lines) == 2, result.stderr
    assert lines[0].startswith("actstudy validate: error: config key 'models.transfer': no ")
    assert "set download: true in the model's entry of the study file" in lines[0]
    assert "download=True" not in result.stderr
    assert lines[1].startswith("actstudy validate: error: dataset 'fruits360_32': ")
    assert "KAGGLE_USERNAME" in lines[1]
