"""A study's ``search`` section: what the schema cannot say of it, and the recipe, split and
run spec of its candidates."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from actstudy.errors import ConfigError
from actstudy.plugins import used_plugins
from actstudy.schema import schema, training_schema
from actstudy.search.canonical import canonical
from actstudy.search.results import run_generation, searched_labels
from actstudy.study.grid import source_options
from actstudy.study.schema_errors import check_schema


def search_option_problems(search: Mapping[str, Any]) -> list[str]:
    """What the schema cannot say of a search section: elites within the population, and a
    probe grid that runs upwards."""
    problems = []
    if search["elite"] > search["population"]:
        problems.append(
            f"config key 'search.elite' keeps {search['elite']} candidates of a population of "
            f"{search['population']}; give an elite of at most the population"
        )
    probe = search["probe"]
    if not probe["low"] < probe["high"]:
        problems.append(
            f"config key 'search.probe' runs from {probe['low']} to {probe['high']}; give a low "
            "below the high"
        )
    for label, formula in search["references"].items():
        try:
            canonical(formula)
        except ValueError as error:
            problems.append(f"config key 'search.references.{label}': {error}")
    if search["evaluate_baseline"] and not (search["baseline"] and search["method"] == "ga"):
        problems.append(
            "config key 'search.evaluate_baseline' evaluates the random baseline's best "
            "functions, but the study runs no baseline; set baseline: true (with method: ga) or "
            "evaluate_baseline: false"
        )
    return problems


def search_problems(config: Mapping[str, Any]) -> list[str]:
    """A search on a dataset the study does not define, or with a model that is not
    registered or does not fit the dataset."""
    from actstudy import data, models

    search = config["search"]
    if search is None:
        return []
    problems = search_option_problems(search)
    for label in sorted(set(config["activations"]) & set(searched_labels(search))):
        problems.append(
            f"config key 'activations.{label}' takes a label of the search's best functions "
            f"(search.evaluate_top: {search['evaluate_top']}); rename it, or to evaluate given "
            "functions without searching set search: null (or search.evaluate_top: 0)"
        )
    if search["dataset"] not in config["datasets"]:
        problems.append(
            f"config key 'search.dataset' names {search['dataset']!r}, which the study does not "
            f"define; allowed: {', '.join(config['datasets'])}"
        )
    elif search["model"] not in models.names():
        problems.append(
            f"config key 'search.model' names the unknown model {search['model']!r}; allowed: "
            f"{', '.join(models.names())}"
        )
    else:
        shape = data.input_shape(source_options(config, search["dataset"]))
        try:
            models.check_input(search["model"], shape)
        except ValueError as error:
            problems.append(f"config key 'search.model': {error}")
        if search["init"] != "keras" and "init" not in models.options(search["model"]):
            problems.append(
                f"config key 'search.init' is {search['init']!r}, but the model "
                f"{search['model']!r} takes no init option; leave init at keras"
            )
    return problems


def validate_search(options: Any) -> dict[str, Any]:
    """A study's ``search`` section on its own (as ``search-next --options`` gets it), checked
    and with the schema's defaults filled in, in place; raises ConfigError."""
    if not isinstance(options, dict):
        raise ConfigError(
            f"the search options are {options!r}, not a mapping; pass the study's search section"
        )
    check_schema(
        options, {**schema()["properties"]["search"], "$defs": schema()["$defs"]}, "search"
    )
    if problems := search_option_problems(options):
        raise ConfigError("\n".join(problems))
    return options


def search_recipe(search: Mapping[str, Any], generation: int | None = None) -> dict[str, Any]:
    """The training recipe of every candidate of a validated search section (S3): SGD with
    its lr and momentum, its epochs, batch size, precision and stop_below, scored at the last
    epoch; a member trained again in ``generation`` (``retrain_elites``) is seeded
    ``seed + generation``."""
    recipe = {
        "epochs": search["epochs"],
        "batch_size": search["batch_size"],
        "seed": search["seed"] + (generation or 0),
        "precision": search["precision"],
        "optimizer": {"name": "sgd", "lr": search["lr"], "momentum": search["momentum"]},
        "stop_below": copy.deepcopy(search["stop_below"]),
        "select": "last",
    }
    check_schema(recipe, training_schema(), "search")
    return recipe


def search_evaluation(search: Mapping[str, Any]) -> dict[str, Any]:
    """The seeded hold-out that scores a search's candidates (``search-next``'s folds file and
    the candidates' ``evaluation``): no test set."""
    split = {"mode": "holdout", "val_fraction": search["val_fraction"], "seed": search["val_seed"]}
    check_schema(split, schema()["properties"]["evaluation"], "search")
    return {**split, "test": False}


def fitness_model(search: Mapping[str, Any]) -> dict[str, Any]:
    """The fitness network of a validated search section, as a run spec's ``model``: with
    its ``init`` when the model takes one (afos_cnn)."""
    from actstudy import models

    model = {"label": "search", "name": search["model"]}
    if "init" in models.options(search["model"]):
        model["init"] = search["init"]
    return model


def fitness_setup(search: Mapping[str, Any]) -> str:
    """The fitness set-up of a validated search section in words (the sanity gate's)."""
    return (
        f"{search['model']} (init {search['init']}, inputs {search['inputs']}, "
        f"{search['precision']}) trained on {search['dataset']} with SGD lr {search['lr']} "
        f"momentum {search['momentum']}, batch {search['batch_size']}, {search['epochs']} "
        "epoch(s)"
    )


def search_run_spec(config: Mapping[str, Any], run: str, formula: str) -> dict[str, Any]:
    """Everything the training run of one search candidate (run folder ``run``: its cache
    key, or ``<key>_g<generation>`` when trained again; trained as ``formula``) depends on,
    shaped as :func:`run_spec`'s. Inputs: divided by 255 (``inputs: scale``) or the
    dataset's normalize (``standardize``)."""
    from actstudy import models

    search = config["search"]
    dataset = search["dataset"]
    normalize = config["datasets"][dataset]["normalize"]
    return {
        "study": config["study"],
        "plugins": used_plugins(config["plugins"], [models.source_file(search["model"])]),
        "dataset": {
            "label": dataset,
            "normalize": "none" if search["inputs"] == "scale" else normalize,
        },
        "model": fitness_model(search),
        "activation": {"label": run, "spec": {"expr": formula}},
        "evaluation": {**search_evaluation(search), "fold": 0},
        "training": search_recipe(search, run_generation(run)),
    }
