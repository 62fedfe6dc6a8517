import json
import sys
from pathlib import Path

# The rules call the package as `python -m actstudy`; make it importable from this checkout
# (also inside conda environments and cluster jobs, which re-read this file).
REPO = Path(workflow.basedir)
SRC = str(REPO / "src")
sys.path.insert(0, SRC)
# (Snakemake formats the prefix after Python does, hence the quadrupled braces.)
shell.prefix(
    f"set -euo pipefail; export PYTHONPATH={SRC}${{{{PYTHONPATH:+:$PYTHONPATH}}}}; "
)

from actstudy.config import (
    ConfigError,
    evaluation,
    run_grid,
    run_spec,
    source_options,
    validate_config,
)

try:
    validate_config(config)
except ConfigError as error:
    sys.exit(f"Invalid study configuration: {error}.")


def unavailable_datasets():
    """One sentence per dataset that is neither prepared nor placed nor downloadable."""
    from actstudy.data import missing

    sentences = []
    for label in config["datasets"]:
        if Path("resources/prepared", label, "manifest.json").exists():
            continue
        sentence = missing(source_options(config, label), "resources")
        if sentence:
            sentences.append(f"dataset '{label}': {sentence}")
    return sentences


if unavailable := unavailable_datasets():
    sys.exit("Cannot run this study:\n  " + "\n  ".join(unavailable))

NOTEBOOKS = REPO / "notebooks"
STUDY = config["study"]
DATASETS = list(config["datasets"])
MODELS = list(config["models"])
ACTIVATIONS = list(config["activations"])
RUNS = run_grid(config)
SLICES = (
    ["all"]
    + [f"activation-{a}" for a in ACTIVATIONS]
    + [f"dataset-{d}" for d in DATASETS]
)


def package_sources(*parts):
    """Python files of the named package folders or files, as inputs that make outputs stale."""
    paths = []
    for part in parts:
        path = Path(SRC, "actstudy", part)
        paths += sorted(path.glob("*.py")) if path.is_dir() else [path]
    return [str(p) for p in paths]


# Training results depend on this code, so it is an input of every training job.
TRAIN_CODE = package_sources("activations", "models", "training", "data/prepared.py")


def _choice(names):
    return "|".join(sorted(names, key=len, reverse=True))


wildcard_constraints:
    study=STUDY,
    dataset=_choice(DATASETS),
    model=_choice(MODELS),
    activation=_choice(ACTIVATIONS),
    fold=r"\d+",
    slice=_choice(SLICES),


def as_json(data):
    return json.dumps(data, sort_keys=True)


def dataset_options(wildcards):
    return as_json(source_options(config, wildcards.dataset))


def fold_options(wildcards):
    return as_json({k: v for k, v in evaluation(config).items() if k != "test"})


def train_spec(wildcards):
    return as_json(
        run_spec(
            config,
            wildcards.dataset,
            wildcards.model,
            wildcards.activation,
            int(wildcards.fold),
        )
    )


def run_dir(wildcards):
    return str(Path(rules.train.output.metrics.format(**wildcards)).parent)


def run_metrics(slice_name="all"):
    """Metrics files of every run in a slice: all, one activation or one dataset."""
    kind, _, name = slice_name.partition("-")
    return [
        rules.train.output.metrics.format(study=STUDY, **run)
        for run in RUNS
        if kind == "all" or run[kind] == name
    ]


def slice_runs(wildcards):
    return run_metrics(wildcards.slice)


def run_dirs_of(paths):
    return " ".join(sorted({str(Path(p).parent) for p in paths}))
