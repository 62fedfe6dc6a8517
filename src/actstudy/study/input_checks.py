"""Checks of a study's inputs before any job: sizes, channels and batches that fit this
machine, flips that keep a sample's class, models that fit the datasets they run, and data that
is prepared, placed or downloadable."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from actstudy.study.grid import (
    model_options,
    model_runs,
    prepared_name,
    run_cases,
    source_options,
)
from actstudy.study.recipes import training_for


def memory_bytes() -> int:
    """This machine's physical memory."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def _dataset_problems(config: Mapping[str, Any], label: str) -> list[str]:
    """A prepared size below 1, a normalize with the wrong number of channels, and batches
    whose inputs alone would not fit this machine's memory (an estimate, before any job)."""
    from actstudy import data

    options = source_options(config, label)
    dims, size = data.input_shape(options)
    channels = data.input_channels(options)
    if size is not None and size < 1:
        return [f"config key 'datasets.{label}': the samples would be {size} wide; give a size ≥ 1"]
    problems = []
    normalize = config["datasets"][label]["normalize"]
    if isinstance(normalize, Mapping) and dims == 2 and channels is not None:
        for key in ("mean", "std"):
            if len(normalize[key]) != channels:
                problems.append(
                    f"config key 'datasets.{label}.normalize.{key}' has {len(normalize[key])} "
                    f"values but the images have {channels} channel(s); give {channels}"
                )
    if size is not None and channels is not None:
        for model in config["models"]:
            crossed = [a for d, m, a in run_cases(config) if (d, m) == (label, model)]
            batch = max(  # the largest of the model's runs on this dataset
                training_for(config, label, model, activation)["batch_size"]
                for activation in crossed or [None]
            )
            needed = batch * channels * size**dims * 4  # one batch of float32 inputs
            if needed > memory_bytes():
                problems.append(
                    f"config key 'datasets.{label}': one batch of {batch} inputs of {channels}×"
                    f"{size}{'×' + str(size) if dims == 2 else ''} needs "
                    f"{needed / 2**30:,.0f} GiB, more than this machine's "
                    f"{memory_bytes() / 2**30:,.0f} GiB; lower the size or the batch size"
                )
                break
    return problems


def _flip_problems(config: Mapping[str, Any]) -> list[str]:
    """Horizontal flips on a dataset whose mirrored samples change class (handwritten digits)."""
    from actstudy import data

    problems = []
    for label in config["datasets"]:
        if data.flip_safe(source_options(config, label)):
            continue
        recipes = [training_for(config, d, m, a) for d, m, a in run_cases(config) if d == label]
        flips = sorted({r["augmentation"] for r in recipes if "flip" in r["augmentation"]})
        if flips:
            problems.append(
                f"config key 'datasets.{label}': augmentation {', '.join(flips)} mirrors the "
                "images, which turns a digit into another class or none; give the dataset "
                "training: {augmentation: crop} (or none)"
            )
    return problems


def input_problems(config: Mapping[str, Any]) -> list[str]:
    """Datasets whose values do not make sense, and models whose input size or dimensionality
    does not fit a dataset they are crossed with."""
    from actstudy import data, models

    problems = [p for label in config["datasets"] for p in _dataset_problems(config, label)]
    problems += _flip_problems(config)
    if problems:
        return problems
    for label, entry in config["models"].items():
        for dataset in model_runs(config, label).datasets:
            shape = data.input_shape(source_options(config, dataset))
            try:
                models.check_input(entry["name"], shape, **model_options(config, label))
            except ValueError as error:
                problems.append(f"config key 'models.{label}' with dataset '{dataset}': {error}")
    return problems


def data_problems(config: Mapping[str, Any], resources: str | Path) -> list[str]:
    """One sentence per dataset that is neither prepared (under ``resources``/prepared) nor
    placed nor downloadable, naming every file to place; none for a dataset whose source or
    options are wrong (the registries' checks say so)."""
    from actstudy.data import missing

    problems = []
    for label in config["datasets"]:
        try:
            folder = Path(resources) / "prepared" / prepared_name(config, label)
            if (folder / "manifest.json").exists():
                continue
            sentence = missing(source_options(config, label), resources)
        except (ValueError, TypeError):  # an unknown source or a wrong option: said elsewhere
            continue
        if sentence:
            problems.append(f"dataset '{label}': {sentence}")
    return problems
