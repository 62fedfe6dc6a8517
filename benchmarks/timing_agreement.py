"""Do two runs of the workflow's timing step agree? Each activation's ratio to ReLU, twice.

The timing step (``python -m actstudy timing``, ``actstudy.evaluation.timing``) times every
activation's training step of a dataset × model in alternating rounds within one process, so
that load from other processes hits all of them alike. This script runs it twice, one run after
the other, on each dataset × model of a study (default: the default study, ``config.yaml``,
whose data is bundled) and compares each activation's ratio to ReLU between the two runs.

Run ``python benchmarks/timing_agreement.py [--config config.yaml] [--smoke]``; ``--smoke``
times ReLU and one other activation, 2 rounds of 1 step. It ends with
``target timing_agreement: <largest difference> (goal <= 10 %) met|missed``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

from actstudy.data import prepare
from actstudy.data.prepared import load_prepared
from actstudy.study.grid import evaluation, run_cases, run_spec, source_options
from actstudy.study.validate import load_config
from actstudy.training.folds import assign_folds, write_folds

GOAL = 0.10
"""The largest relative difference between the two runs' ratios to ReLU that counts as agreeing."""
SMOKE = {"rounds": 2, "steps": 1, "warmup": 1}


def _inputs(config: dict, dataset: str, root: Path) -> tuple[Path, Path]:
    """The dataset prepared and its folds drawn, as the workflow's prepare and folds steps do."""
    prepared, folds = root / "prepared" / dataset, root / "folds" / f"{dataset}.json"
    prepare(source_options(config, dataset), prepared, root / "resources")
    options = evaluation(config)
    labels = load_prepared(prepared).train.y
    assignment = assign_folds(
        labels,
        options["mode"],
        options["folds"],
        options["val_fraction"],
        seed=options["seed"],
        repeats=options["repeats"],
        test_fraction=options["test_fraction"],
    )
    folds.parent.mkdir(parents=True, exist_ok=True)
    write_folds(folds, assignment, **options)
    return prepared, folds


def _timing(
    specs: list[Path], prepared: Path, folds: Path, options: dict, out: Path
) -> pd.DataFrame:
    """One run of the timing step, in a process of its own (as its Snakemake job runs)."""
    command = [sys.executable, "-m", "actstudy", "timing", "--spec", *map(str, specs)]
    command += ["--prepared", str(prepared), "--folds", str(folds), "--threads", "1"]
    command += ["--options", json.dumps(options), "--out", str(out)]
    subprocess.run(command, check=True, env={**os.environ, "ACTSTUDY_DEBUG": "1"})
    return pd.read_csv(out)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=Path("config.yaml"))
    parser.add_argument("--smoke", action="store_true", help="ReLU and one other, 2 rounds")
    args = parser.parse_args(argv)
    config = load_config(args.config)
    options = SMOKE if args.smoke else config["timing"]
    tables = []
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        cases: dict[tuple[str, str], list[str]] = {}
        for dataset, model, activation in run_cases(config):
            cases.setdefault((dataset, model), []).append(activation)
        for (dataset, model), activations in cases.items():
            if args.smoke:
                activations = ["relu", *[a for a in activations if a != "relu"][:1]]
            prepared, folds = _inputs(config, dataset, root)
            specs = []
            for activation in activations:
                path = root / "specs" / dataset / model / f"{activation}.json"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps(run_spec(config, dataset, model, activation, 0)))
                specs.append(path)
            runs = [
                _timing(specs, prepared, folds, options, root / f"timing{i}.csv") for i in (1, 2)
            ]
            for i, run in enumerate(runs, 1):
                print(
                    f"run {i} ({dataset}/{model}): {run['device'].iloc[0]}, "
                    f"{run['threads'].iloc[0]} thread(s), {run['clock'].iloc[0]}, load "
                    f"{run['load_before'].iloc[0]} → {run['load_after'].iloc[0]}",
                    flush=True,
                )
            first, second = (r.set_index("activation") for r in runs)
            tables.append(
                pd.DataFrame(
                    {
                        "case": f"{dataset}/{model}",
                        "step_ms_1": first["step_seconds"] * 1e3,
                        "step_ms_2": second["step_seconds"] * 1e3,
                        "ratio_1": first["ratio_to_relu"],
                        "ratio_2": second["ratio_to_relu"],
                    }
                )
            )
    table = pd.concat(tables).reset_index()
    table["difference"] = table["ratio_2"] / table["ratio_1"] - 1
    print()
    print(table.round(3).to_markdown(index=False))
    worst = float(table["difference"].abs().max())
    verdict = "met" if worst <= GOAL else "missed"
    print(
        f"\ntarget timing_agreement: largest difference of a ratio to ReLU {worst:.1%} "
        f"(goal <= {GOAL:.0%}) {verdict}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
