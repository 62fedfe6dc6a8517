"""Smoke variants: a study's wiring on generated data in minutes, for CI and for a first look.

A smoke variant keeps a study's models, activations, recipe options, reported numbers and
claims, and swaps each dataset for generated data of the same input shape and class count
(:mod:`actstudy.data.synthetic`); it trains 1 epoch, on 2 folds where the study cross-validates
or on half-and-half hold-out splits, as many as the study repeats (``evaluation.repeats``: kept,
so that a study whose statistics decide over repeats, S4, decides in its smoke variant too); a
dataset × model's runs in one job (``jobs.pack: case``) where that can group them, else each
activation's runs (``folds``); it searches 2 generations of SEARCH_POPULATION candidates (1 epoch
each) where the study searches, times each training step in 2 rounds of 1 step (``timing``),
and, where a study crosses more than MAX_CROSS combinations, crosses each model with only some
of the activations and datasets, so that every model, activation and dataset still appears in
some run (the search's best functions, ``searched_1`` .., among the activations). A model that loads
pretrained weights (a ``weights`` option) gets randomly initialised ones of torchvision's
ResNet-50, the shape the registered transfer model loads, written once under
``resources/smoke/``.
Its study is named ``<study>_smoke`` (so that its outputs never replace the study's in
results/), and ``smoke_of`` names the study: its claims and reported numbers are compared as
that study's, and its tables, figures and report say :data:`~actstudy.notes.SMOKE_NOTE`.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

from actstudy import models as registered_models
from actstudy.data.sources import input_channels, input_shape, source_of
from actstudy.notes import SMOKE_NOTE
from actstudy.study.grid import (
    case_pack_problem,
    model_runs,
    run_cases,
    source_options,
    study_labels,
)
from actstudy.study.recipes import matches_a_case

SAMPLES = 160  # generated training images per dataset (at least 2 per class for 2 folds)
HOLDOUT_VAL_FRACTION = 0.5  # a hold-out study's validation part in its smoke variant
MAX_CROSS = 30  # (dataset, model, activation) combinations above which models are limited
SEARCH_POPULATION = 4  # candidates per generation of a smoke variant's search (2 generations)
TIMING = {"rounds": 2, "steps": 1, "warmup": 1}  # the timing step's wiring, not its precision
SUFFIX = "_smoke"  # a smoke variant's study name: <study>_smoke
RANDOM_WEIGHTS = Path("resources/smoke/resnet50-random.pth")
"""Where the random weights of a model that loads pretrained ones are written."""


def _dataset(config: dict[str, Any], label: str) -> dict[str, Any]:
    """The generated dataset that stands in for one of the study's: same input shape and class
    count, enough samples a class for its folds and splits."""
    options = source_options(config, label)
    dims, size = input_shape(options)
    classes = source_of(options).classes or 10
    per_class = max(2, SAMPLES // classes)
    if config["evaluation"]["mode"] == "holdout":  # a stratified hold-out needs every class
        per_class = max(per_class, math.ceil(1.5 / HOLDOUT_VAL_FRACTION))
    if (search := config.get("search")) and search["dataset"] == label:  # so does the search's
        per_class = max(per_class, math.ceil(1.5 / search["val_fraction"]))
    kept = {k: v for k, v in config["datasets"][label].items() if k in ("normalize", "training")}
    if dims == 1:
        return {
            "source": "synthetic_signals",
            "length": size or 187,
            "classes": classes,
            "per_class": per_class,
            **kept,
        }
    channels = input_channels(options) or 3
    return {
        "source": "synthetic_images",
        "size": size or 32,
        "channels": channels,
        "classes": classes,
        "per_class": per_class,
        **kept,
    }


def _cover(labels: list[str], allowed: dict[str, list[str]]) -> dict[str, list[str]]:
    """Each model's share of ``labels``: every label to some model allowed it, round robin,
    and every model at least one label."""
    models = list(allowed)
    chosen: dict[str, list[str]] = {model: [] for model in models}
    for index, label in enumerate(labels):
        takers = [m for m in models if label in allowed[m]]
        if takers:
            chosen[takers[index % len(takers)]].append(label)
    for model in models:
        if not chosen[model] and allowed[model]:
            chosen[model].append(allowed[model][0])
    return chosen


def _one_epoch(training: dict[str, Any] | None) -> None:
    """Train 1 epoch where a recipe gives its epochs."""
    if isinstance(training, dict) and "epochs" in training:
        training["epochs"] = 1


def _random_weights(path: Path) -> Path:
    """torchvision's ResNet-50 state dict, randomly initialised (the shape the registered
    transfer model loads), saved once."""
    if not path.exists():
        import torch
        from torchvision.models import resnet50

        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(resnet50().state_dict(), path)
    return path.resolve()


def smoke_name(study: str) -> str:
    """``<study>_smoke``, within the 64 characters a study name may have."""
    return f"{study[: 64 - len(SUFFIX)]}{SUFFIX}"


def smoke_variant(config: dict[str, Any], study: str | None = None) -> dict[str, Any]:
    """The smoke variant of a validated study (see the module docstring), named ``study``
    (default ``<study>_smoke``)."""
    smoke = copy.deepcopy(config)
    of = config.get("smoke_of") or config["study"]
    smoke["study"] = study or smoke_name(of)
    smoke["smoke_of"] = of
    smoke["description"] = f"Smoke variant of {of}: {SMOKE_NOTE} (1 epoch)."
    smoke["datasets"] = {label: _dataset(config, label) for label in config["datasets"]}
    models = smoke["models"]
    # each label to some model, the search's best functions among the activations
    for kind in ("activations", "datasets") if len(run_cases(config)) > MAX_CROSS else ():
        every = getattr(study_labels(config), kind)
        allowed = {model: getattr(model_runs(smoke, model), kind) for model in models}
        for model, labels in _cover(every, allowed).items():
            models[model][kind] = labels
    cases = run_cases(smoke)
    smoke["overrides"] = [o for o in smoke["overrides"] if matches_a_case(o, cases)]
    for entry in models.values():
        _one_epoch(entry.get("training"))
        if "weights" in registered_models.options(entry["name"]):
            entry["weights"] = str(_random_weights(RANDOM_WEIGHTS))
    for entry in [*smoke["datasets"].values(), *smoke["overrides"]]:
        _one_epoch(entry.get("training"))
    _one_epoch(smoke["training"])
    smoke["timing"] = dict(TIMING)
    if smoke["evaluation"]["mode"] == "kfold":
        smoke["evaluation"]["folds"] = 2
    else:  # half for validation: 3 generated images a class suffice (CIFAR-100: 300, not 1,500)
        smoke["evaluation"]["val_fraction"] = HOLDOUT_VAL_FRACTION
    # one process trains every run of a dataset × model where it can, else every fold of a
    # dataset × model × activation
    pack = "folds" if case_pack_problem(smoke) else "case"
    smoke["jobs"] = {**smoke["jobs"], "pack": pack}
    if smoke.get("search"):  # a search of 2 generations of 4 candidates, 1 epoch each
        population = min(smoke["search"]["population"], SEARCH_POPULATION)
        smoke["search"].update(
            population=population,
            generations=min(smoke["search"]["generations"], 2),
            elite=min(smoke["search"]["elite"], population // 2),
            epochs=1,
            gate_margin=None,  # generated data teach nothing in an epoch: no sanity gate
        )
    if smoke.get("reported"):
        smoke["reported"] = {k: str(Path(v).resolve()) for k, v in smoke["reported"].items()}
    smoke["plugins"] = [str(Path(p).resolve()) for p in smoke["plugins"]]
    return smoke
