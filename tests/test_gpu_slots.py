"""Small runs sharing one device: the train jobs' slots of the ``gpu_slot`` pool, run for real.

On a GPU machine profiles/gpu-node lets N training jobs run at once on the one GPU; here, with
no GPU, the same pool ("CPU slots") caps how many train at once while more cores would allow
more. Each job's interval is read back from its benchmark file: it was written when the job
ended (the file's time) and records how long the job ran (``s``).
"""

from __future__ import annotations

import pytest
import yaml
from workflow_helpers import (
    REPO,
    job_intervals,
    most_at_once,
    snakemake,
    tiny_config,
    write_config,
)

pytestmark = pytest.mark.workflow

PROFILE = REPO / "profiles" / "gpu-node"


def test_most_at_once_counts_overlaps_only():
    assert most_at_once([(0, 2), (1, 3), (2.5, 4)]) == 2
    assert most_at_once([(0, 1), (1, 2), (2, 3)]) == 1
    assert most_at_once([(0, 10), (1, 9), (2, 8)]) == 3


def test_the_gpu_node_profile_gives_a_pool_of_gpu_slots():
    profile = yaml.safe_load((PROFILE / "config.yaml").read_text())
    assert profile["resources"]["gpu_slot"] >= 2
    assert "executor" not in profile  # jobs run on this machine, beside one another


def test_train_jobs_share_the_device_two_slots_at_a_time(tmp_path):
    """Four training runs, four cores, two slots: two train at once, never three."""
    write_config(tmp_path, tiny_config())
    result = snakemake(
        tmp_path,
        "train_all",
        "--profile",
        str(PROFILE),
        "--cores",
        "4",
        "--resources",  # takes every word after it: the target comes first
        "gpu_slot=2",
    )
    assert "gpu_slot" in result.stdout + result.stderr  # the pool was in force
    intervals = job_intervals(tmp_path, "results/tiny/benchmarks/train")
    assert len(intervals) == 4
    assert most_at_once(intervals) == 2, intervals
