import itertools
import json
import math
import os
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

from actstudy import layout
from actstudy.training.folds import FORMAT as FOLDS_FORMAT
from actstudy.notes import SMOKE_NOTE
from actstudy.study import grid
from actstudy.study.jobs import Study, StudyError
from actstudy.training.run_cache import FRESH_VARIABLE as FRESH_RUNS

try:
    # validates the study files and the config (filling in defaults) and its data
    # (a study file given with --configfile replaces config.yaml, which Snakemake would extend
    # without --replace-workflow-config: that is refused)
    study = Study(
        config,
        files=workflow.configfiles,
        workflow_config="config.yaml",
        given=workflow.overwrite_configfiles,
        command_line=workflow.config_settings.config,  # --config values, nested ones as text
    )
except StudyError as error:
    sys.exit(str(error))

# Runs the user forced (--forcerun, --forceall, -f) train afresh instead of being restored
# from the run cache (actstudy.training.run_cache). Worked out at the start of Snakemake's
# main process, once its DAG settings are known, and passed to every job in the environment:
# a cluster job's own Snakemake runs with --force, so it could not tell.
os.environ.setdefault(FRESH_RUNS, "")


envvars:
    FRESH_RUNS,


def forced_runs():
    """ACTSTUDY_FRESH_RUNS: the runs that --forcerun, --forceall or -f force."""
    dag = workflow.dag_settings
    forced = set(dag.forcerun) | (set(dag.targets) if dag.forcetargets else set())
    return study.fresh_runs(forced, dag.forceall)


onstart:
    if workflow.is_main_process:
        os.environ[FRESH_RUNS] = forced_runs()


NOTEBOOKS = REPO / "notebooks"
STUDY = config["study"]
DATASETS = list(config["datasets"])
MODELS = list(config["models"])
ACTIVATIONS = list(config["activations"])
PREPARED = study.prepared_names()
RUNS = study.runs
# The labels of the search's best functions in the evaluation (searched_1 ..; search.evaluate_top):
# known now, their formulas and runs once the search has found them (slice_files).
SEARCHED = study.searched_labels()
SLICES = (
    ["all"]
    + [f"activation-{a}" for a in ACTIVATIONS + SEARCHED]
    + [f"dataset-{d}" for d in DATASETS]
)


def _choice(names):
    return "|".join(sorted(names, key=len, reverse=True))


wildcard_constraints:
    study=STUDY,
    dataset=_choice(DATASETS),
    model=_choice(MODELS),
    activation=_choice(ACTIVATIONS + SEARCHED),
    fold=r"\d+",
    slice=_choice(SLICES),
    prepared=_choice(PREPARED),


def prepared_dir(wildcards):
    """The prepared arrays of a dataset label (keyed by its options)."""
    return layout.PREPARED.format(prepared=study.prepared_name(wildcards.dataset))


def prepare_options(wildcards):
    return study.prepare_options(wildcards.prepared)


def prepare_plugins(wildcards):
    return study.prepare_plugins(wildcards.prepared)


def fold_options(wildcards):
    return study.fold_options()


def statistics_options(wildcards):
    return study.statistics_options()


def timing_options(wildcards):
    return study.timing_options()


def timing_runs(wildcards):
    """Each activation's first run of a dataset × model (the timing step builds its model,
    recipe and device from that run's spec)."""
    return [
        {
            "dataset": wildcards.dataset,
            "model": wildcards.model,
            "activation": activation,
            "fold": FOLD_IDS[0],
        }
        for activation in study.timing_activations(wildcards.dataset, wildcards.model)
    ]


def timing_specs(wildcards):
    return [layout.SPEC.format(study=STUDY, **run) for run in timing_runs(wildcards)]


def timing_digests(wildcards):
    """The digest of each spec the timing step reads: it refuses a differing file."""
    return [study.spec_digest(run) for run in timing_runs(wildcards)]


# A train job trains one run (`jobs: {pack: run}`), every fold of one (dataset, model,
# activation) (pack: folds) or every activation and fold of one (dataset, model) (pack: case);
# its outputs are then those of all its runs.
FOLD_IDS = grid.fold_ids(config)
# the wildcards one job trains every value of, with those values (pack: case needs every
# model to run the same activations: config validation says so)
PACKED = {
    "run": {},
    "folds": {"fold": FOLD_IDS},
    "case": {
        "activation": grid.model_runs(config, MODELS[0]).activations,
        "fold": FOLD_IDS,
    },
}[config["jobs"]["pack"]]
RUNS_PER_JOB = math.prod(len(values) for values in PACKED.values())
# a train job's log and benchmark name: the run's, less the wildcards it packs
TRAIN_JOB = layout.run_id_prefix(4 - len(PACKED))


def job_files(pattern):
    """A train job's pattern of one file of each of its runs."""
    return expand(pattern, **PACKED, allow_missing=True)


def job_runs(wildcards):
    """The runs (dataset, model, activation, fold) of one train job."""
    return [
        {**dict(wildcards), **dict(zip(PACKED, values))}
        for values in itertools.product(*PACKED.values())
    ]


def run_spec(wildcards):
    """A run's spec (JSON): the content of its spec file, so a changed spec reruns the run."""
    return study.spec_json(dict(wildcards))


def spec_digests(wildcards):
    """The digest of each spec file of a train job (in its order): the job checks its files."""
    return [study.spec_digest(run) for run in job_runs(wildcards)]


def train_code(wildcards):
    """Digest of the code the runs execute (actstudy.run_code): edits elsewhere change nothing."""
    return " ".join(sorted({study.code_digest(run) for run in job_runs(wildcards)}))


def run_dirs(wildcards):
    return [layout.RUN.format(**run) for run in job_runs(wildcards)]


def slice_files(slice_name="all", file="metrics.json", searched=False):
    """A file (``metrics.json`` by default) of each run in a slice (all, one activation or one
    dataset): of the study's activations, or (searched) of the search's best functions once the
    search has found them. Asking for these waits for the checkpoint search_winners of each
    evaluated search: an input function that asks must be its rule's last (Snakemake
    re-evaluates a job after a checkpoint by the last input function's wait only), so that the
    study's runs need not wait."""
    kind, _, name = slice_name.partition("-")
    runs = RUNS
    if searched:
        runs = []
        if SEARCHED and not (kind == "activation" and name in ACTIVATIONS):
            for method in study.evaluated_methods():
                checkpoints.search_winners.get(study=STUDY, method=method)
            runs = study.searched_runs()
    return [
        f"{layout.RUN}/{file}".format(study=STUDY, **run)
        for run in runs
        if kind == "all" or run[kind] == name
    ]


def slice_runs(wildcards):
    return slice_files(wildcards.slice)


def slice_searched_runs(wildcards):
    return slice_files(wildcards.slice, searched=True)


def searched_runs(wildcards):
    return slice_files("all", searched=True)


def run_dirs_of_input(wildcards, input):
    """The run folders of a job's metrics files, the study's and the searched functions'."""
    return run_dirs_of([*input.metrics, *input.searched])


def run_dirs_of(paths):
    """The run folders of ``paths``, once each, in the study's order (its config's): the
    tables and figures list activations as the study does."""
    return list(dict.fromkeys(str(Path(p).parent) for p in paths))


def reported_file(kind):
    """The study's reported-results or claims file (a path relative to the working directory)."""
    return (config["reported"] or {}).get(kind, [])


def figures_parameters(wildcards, input, output):
    """The figure notebook's parameters (JSON): its tables, its figures, the study's statistics
    options, and the paper's tables and figure where the study reports a paper's numbers.
    """
    parameters = {
        "study": wildcards.study,
        "histories_csv": input.histories,
        "runs_csv": input.runs,
        "summary_csv": input.summary,
        "diagnostics_csv": input.diagnostics,
        "statistics_csv": input.statistics,
        "timing_csv": input.timing,
        "curves_csv": input.curves,
        "statistics_options": study.statistics_options(),
        "smoke_note": SMOKE_NOTE if config["smoke_of"] else "",
        "curves_png": output.curves,
        "accuracy_png": output.accuracy,
        "diagnostics_png": output.diagnostics,
    }
    if config["reported"]:
        parameters |= {
            "paper_vs_ours_csv": input.paper_vs_ours,
            "claims_csv": input.claims,
            "paper_png": output.paper,
        }
    return json.dumps(parameters)


# Each table, by the step that writes it (its subcategory in the report).
TABLE_STEPS = {
    "summary": "aggregate",
    "runs": "aggregate",
    "histories": "aggregate",
    "diagnostics": "aggregate",
    "statistics": "statistics",
    "timing": "timing",
    "paper_vs_ours": "compare",
    "claims": "compare",
}


# The tables' steps, in reading order: the menu lists them (and each step's tables) so.
READING_ORDER = ["headline", "aggregate", "statistics", "compare", "timing"]
TABLE_ORDER = list(TABLE_STEPS)  # summary first


def step_subcategory(step):
    """A step's subcategory of the report's tables, numbered in reading order (the report sorts
    its menu by name)."""
    return f"{READING_ORDER.index(step) + 1} {step}"


def table_subcategory(wildcards):
    """A table's step, as its subcategory (:func:`step_subcategory`)."""
    return step_subcategory(TABLE_STEPS[wildcards.table])


def table_labels(wildcards):
    """A table's labels: its name, numbered in reading order, and its slice."""
    number = TABLE_ORDER.index(wildcards.table) + 1
    return {"table": f"{number} {wildcards.table}", "slice": wildcards.slice}


def claims_argument(wildcards, input):
    """``--claims claims.csv`` where the study has a paper's claims."""
    return ["--claims", input.claims] if input.claims else []


def activation_order(wildcards):
    """The study's activations, in the order its file names them."""
    return list(config["activations"])
