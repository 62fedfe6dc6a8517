"""Every path a study reads or writes, spelled once: the rules (``workflow/rules/common.smk``
imports this module) and the package build them from these patterns.

A pattern's ``{names}`` are Snakemake wildcards; ``str.format`` (or :func:`fill`) fills them the
same way. Everything a study produces lies under ``results/<study>/``; downloads and prepared
arrays under ``resources/``, shared by every study.
"""

from __future__ import annotations

from pathlib import Path

RESULTS = "results"
RESOURCES = "resources"
STUDY = f"{RESULTS}/{{study}}"

PREPARED_ROOT = f"{RESOURCES}/prepared"
PREPARED = f"{PREPARED_ROOT}/{{prepared}}"
"""A dataset's prepared arrays, named by its source and the digest of its resolved options."""
RUN_CACHE = f"{RESOURCES}/run_cache"
"""Finished runs by what determines their result (actstudy.training.run_cache), shared by
every study of this folder; ``ACTSTUDY_RUN_CACHE`` moves it (or turns it ``off``)."""
PREPARE_LOG = f"{RESOURCES}/logs/prepare/{{prepared}}.log"
PREPARE_BENCHMARK = f"{RESOURCES}/benchmarks/prepare/{{prepared}}.tsv"

FOLDS = f"{STUDY}/folds/{{dataset}}.json"
RUN_ID = "{dataset}/{model}/{activation}/fold{fold}"
"""A run within its study: the path of its folder, its spec, its log."""
RUNS = f"{STUDY}/runs"
RUN = f"{RUNS}/{RUN_ID}"
"""One training run's folder (history, metrics, weights, manifest)."""
SPEC = f"{STUDY}/specs/{RUN_ID}.json"
"""One run's spec as its training job reads it (the output of the rule ``spec``)."""

TIMING = f"{STUDY}/timing/{{dataset}}/{{model}}.csv"
"""One dataset × model's training-step times (the rule ``timing``; all of them: the table
``timing`` of the slice ``all``)."""

TABLES = f"{STUDY}/tables/{{slice}}"
FIGURES = f"{STUDY}/figures"
NOTEBOOKS = f"{STUDY}/notebooks"

SEARCH = f"{STUDY}/search"
SEARCH_RUN = f"{SEARCH}/runs/{{key}}"
"""A search candidate's run folder, named by its function's cache key."""
SEARCH_SPEC = f"{SEARCH}/specs/{{key}}.json"
SEARCH_METHOD = f"{SEARCH}/{{method}}"
SEARCH_STATE = f"{SEARCH_METHOD}/gen{{generation}}.json"
SEARCH_WINNERS = f"{SEARCH_METHOD}/evaluated.json"
"""The best functions of a search that the evaluation trains (checkpoint search_winners)."""


def table(name: str, slice: str = "{slice}", suffix: str = ".csv") -> str:
    """A table's CSV (or its HTML page, ``suffix=".html"``); ``slice``: ``all``,
    ``activation-<label>`` or ``dataset-<label>``."""
    return f"{TABLES.replace('{slice}', slice)}/{name}{suffix}"


def log(step: str, name: str = "") -> str:
    """A job's log: ``results/<study>/logs/<step>[/<name>].log``."""
    return f"{STUDY}/logs/{step}{'/' + name if name else ''}.log"


def benchmark(step: str, name: str) -> str:
    """A job's timing (Snakemake's ``benchmark:``), mirroring its log."""
    return f"{STUDY}/benchmarks/{step}/{name}.tsv"


def run_id_prefix(parts: int) -> str:
    """The first ``parts`` wildcards of :data:`RUN_ID` (a training job's name when it trains
    every value of the others)."""
    return "/".join(RUN_ID.split("/")[:parts])


def fill(pattern: str, **values: object) -> Path:
    """``pattern`` with its wildcards filled in."""
    return Path(pattern.format(**values))


def run_dir(study: str, dataset: str, model: str, activation: str, fold: int | str) -> Path:
    return fill(RUN, study=study, dataset=dataset, model=model, activation=activation, fold=fold)
