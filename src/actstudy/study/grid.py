"""Which runs a study has (dataset × model × activation × fold), and everything one run
depends on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from actstudy.plugins import used_plugins
from actstudy.provenance import fingerprint
from actstudy.search.results import searched_labels
from actstudy.study.recipes import training_for

MODEL_KEYS = ("name", "datasets", "activations", "training")
"""Keys of a model's entry that are not options of its builder."""


class Labels(NamedTuple):
    """Activation and dataset labels, in the study's order."""

    activations: list[str]
    datasets: list[str]


def study_labels(config: Mapping[str, Any]) -> Labels:
    """Every activation of a study, the labels of the search's best functions (``searched_1``
    ..) among them, and every dataset."""
    activations = [*config["activations"], *searched_labels(config.get("search"))]
    return Labels(list(dict.fromkeys(activations)), list(config["datasets"]))


def model_runs(config: Mapping[str, Any], model: str) -> Labels:
    """The activations and datasets a model runs: the lists its entry gives, else every one of
    the study (:func:`study_labels`). An activation may be a label of the search's best
    functions, which is an activation only once the search has found it
    (``actstudy.study.jobs.Study``)."""
    entry = config["models"][model]
    every = study_labels(config)
    return Labels(
        list(entry.get("activations", every.activations)),
        list(entry.get("datasets", every.datasets)),
    )


def evaluation(config: Mapping[str, Any]) -> dict[str, Any]:
    """The evaluation section of a validated config (defaults filled in)."""
    return dict(config["evaluation"])


def fold_ids(config: Mapping[str, Any]) -> list[int]:
    """The fold index of every run of a dataset × model × activation: 0 .. r·k − 1 for
    r-times repeated k-fold, 0 .. r − 1 for r repeated hold-out splits (see
    actstudy.training.folds)."""
    ev = evaluation(config)
    per_repeat = ev["folds"] if ev["mode"] == "kfold" else 1
    return list(range(per_repeat * ev["repeats"]))


def run_grid(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every (dataset, model, activation, fold) the study runs, as wildcard dicts.

    A model crosses every dataset and activation unless its entry lists the ``datasets`` or
    ``activations`` it is limited to (e.g. a 1-D ECG model, or a pretrained ReLU baseline), see
    :func:`model_runs`; the search's best functions are left out until they are activations.
    """
    grid = []
    for model in config["models"]:
        runs = model_runs(config, model)
        for dataset in runs.datasets:
            for activation in [a for a in runs.activations if a in config["activations"]]:
                for fold in fold_ids(config):
                    grid.append(
                        {"dataset": dataset, "model": model, "activation": activation, "fold": fold}
                    )
    return grid


def run_cases(config: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """Every (dataset, model, activation) the study runs, once (not once per fold)."""
    runs = run_grid(config)
    return list(dict.fromkeys((r["dataset"], r["model"], r["activation"]) for r in runs))


def case_pack_problem(config: Mapping[str, Any]) -> str | None:
    """Why ``jobs.pack: case`` cannot group this study's runs, or None: a job's outputs are the
    case's activations × folds, one pattern for every case, known when the workflow starts."""
    activations = {frozenset(model_runs(config, model).activations) for model in config["models"]}
    if len(activations) > 1:
        return (
            "case needs every model to run the same activations, and models here list "
            "different ones"
        )
    if (config.get("search") or {}).get("evaluate_top"):
        return "case cannot hold the search's best functions, found while the workflow runs"
    return None


def source_options(config: Mapping[str, Any], dataset: str) -> dict[str, Any]:
    """The dataset's source and its preparation options (not normalisation or training)."""
    options = config["datasets"][dataset]
    return {k: v for k, v in options.items() if k not in ("normalize", "training")}


def prepared_name(config: Mapping[str, Any], dataset: str) -> str:
    """The folder under resources/prepared/ of a dataset: its source and a digest of its
    options with the source's defaults (not ``download``), so that labels with other options
    never share, or overwrite, prepared arrays, and labels with the same options share them."""
    from actstudy.data.sources import resolved_options

    options = source_options(config, dataset)
    _, resolved = resolved_options(options)
    content = {k: v for k, v in resolved.items() if k != "download"}  # download: a permission
    return f"{options['source']}-{fingerprint(content)[:10]}"


def source_plugins(config: Mapping[str, Any], dataset: str) -> list[str]:
    """The plugin files a dataset's preparation must load (the one defining its source)."""
    from actstudy.data.sources import source_file

    return used_plugins(config["plugins"], [source_file(config["datasets"][dataset]["source"])])


def model_options(config: Mapping[str, Any], model: str) -> dict[str, Any]:
    """The options a study gives the model's builder (not its name, limits or training)."""
    return {k: v for k, v in config["models"][model].items() if k not in MODEL_KEYS}


def run_spec(
    config: Mapping[str, Any], dataset: str, model: str, activation: str, fold: int
) -> dict[str, Any]:
    """Everything one training run depends on (of a validated config), with the plugin files
    that define its model or activation (and no others)."""
    from actstudy import activations, models

    name, act_spec = config["models"][model]["name"], config["activations"][activation]
    defining = [models.source_file(name), *activations.source_files(act_spec)]
    return {
        "study": config["study"],
        "plugins": used_plugins(config["plugins"], defining),
        "dataset": {
            "label": dataset,
            "normalize": config["datasets"][dataset]["normalize"],
        },
        "model": {
            "label": model,
            "name": name,
            **model_options(config, model),
        },
        "activation": {"label": activation, "spec": act_spec},
        "evaluation": {**evaluation(config), "fold": fold},
        "training": training_for(config, dataset, model, activation),
    }
