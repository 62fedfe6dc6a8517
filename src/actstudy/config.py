"""Study configuration: schema validation with one-sentence errors, and per-run specs."""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from actstudy.errors import ConfigError
from actstudy.schema import schema, training_schema
from actstudy.search.results import searched_labels

MOVED_KEYS = {
    "training.dsrelu_progress": "it is an option of the activation now, "
    "e.g. {name: dsrelu, progress: code}",
}
"""Keys of earlier versions, and where they went."""


def _filling_defaults(validator_class: type) -> type:
    """A validator class that writes each missing property's ``default`` into the instance
    before validating it (jsonschema's extend-with-default recipe)."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def properties(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for key, sub_schema in properties.items():
                if "default" in sub_schema and key not in instance:
                    instance[key] = copy.deepcopy(sub_schema["default"])
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": properties})


def _strict_integers(validator_class: type) -> type:
    """JSON Schema counts 3.0 (and 1e30) as an integer; a study means an int, not a float."""
    checker = validator_class.TYPE_CHECKER.redefine(
        "integer", lambda _, value: isinstance(value, int) and not isinstance(value, bool)
    )
    return jsonschema.validators.extend(validator_class, type_checker=checker)


FillingValidator = _filling_defaults(_strict_integers(jsonschema.Draft202012Validator))


def _non_finite(node: Any, path: str = "") -> list[str]:
    """Every NaN or infinite number in a config (YAML reads .nan and .inf), by key."""
    if isinstance(node, float) and not math.isfinite(node):
        return [f"config key '{path}' must be a finite number (got {node})"]
    items: Iterable[tuple[Any, Any]] = ()
    if isinstance(node, Mapping):
        items = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    return [p for k, v in items for p in _non_finite(v, f"{path}.{k}" if path else str(k))]


def _key(path: list[Any], prefix: str = "") -> str:
    parts = [prefix] if prefix else []
    parts += [str(p) for p in path]
    return ".".join(parts) or "(top level)"


def _sentence(error: jsonschema.ValidationError, prefix: str) -> str:
    key = _key(list(error.absolute_path), prefix)
    value = error.instance
    match error.validator:
        case "required":
            missing = [k for k in error.validator_value if k not in error.instance]
            where = "" if key == "(top level)" else f"under '{key}' "
            return f"config is missing the key '{missing[0]}' {where}; add it".replace(" ;", ";")
        case "additionalProperties":
            allowed = sorted(error.schema.get("properties", {}))
            extra = sorted(set(value) - set(allowed))
            return (
                f"config key '{key}' has the unknown key '{extra[0]}'; "
                f"allowed keys are {', '.join(allowed)}"
            )
        case "enum":
            options = ", ".join(str(v) for v in error.validator_value)
            return f"config key '{key}' must be one of {options} (got {value!r})"
        case "minimum" | "exclusiveMinimum" | "maximum" | "exclusiveMaximum":
            sign = {
                "minimum": "≥",
                "exclusiveMinimum": ">",
                "maximum": "≤",
                "exclusiveMaximum": "<",
            }[error.validator]
            return f"config key '{key}' must be {sign} {error.validator_value} (got {value!r})"
        case "type" if "propertyNames" in error.schema_path:
            return (
                f"config key '{key}' has the label {value!r}, which is not a string; "
                f"quote it ('{value}') or rename it"
            )
        case "type":
            return f"config key '{key}' must be of type {error.validator_value} (got {value!r})"
        case "minProperties":
            return f"config key '{key}' must name at least one entry"
        case "pattern" if "propertyNames" in error.schema_path:
            rule = error.schema.get("x-rule", f"match {error.validator_value}")
            return f"config key '{key}' has the label {value!r}; a label is {rule}; rename it"
        case "pattern":
            rule = error.schema.get("x-rule", f"match {error.validator_value}")
            return f"config key '{key}' must be {rule} (got {value!r})"
        case "oneOf" | "anyOf":
            choices = " or ".join(_describe(option) for option in error.validator_value)
            return f"config key '{key}' must be {choices} (got {value!r})"
        case "const":
            return f"config key '{key}' must be {error.validator_value!r} (got {value!r})"
        case _:
            return f"config key '{key}' is invalid: {error.message}"


def _describe(option: Mapping[str, Any]) -> str:
    """A short phrase for one alternative of a oneOf/anyOf schema."""
    if "const" in option:
        return repr(option["const"])
    if "enum" in option:
        return " or ".join(repr(v) for v in option["enum"])
    if option.get("type") == "object" and "required" in option:
        return f"a mapping with {', '.join(option['required'])}"
    kind = option.get("type", "a value")
    return {"boolean": "true/false", "string": "a name", "object": "a mapping"}.get(kind, kind)


def _validate(instance: Any, sub_schema: Mapping[str, Any], prefix: str = "") -> None:
    """Validate ``instance`` in place: missing keys get the schema's defaults."""
    validator = FillingValidator(sub_schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
    if error is not None:
        raise ConfigError(_sentence(error, prefix))


def _merged(recipe: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``recipe`` with ``overrides`` merged in key by key: a mapping merges into the recipe's
    mapping unless it names another ``name`` (another optimiser, schedule or loss), which
    replaces it whole, as does any other value."""
    merged = dict(recipe)
    for key, value in overrides.items():
        base = merged.get(key)
        if (
            isinstance(value, Mapping)
            and isinstance(base, Mapping)
            and value.get("name", base.get("name")) == base.get("name")
        ):
            merged[key] = _merged(dict(base), value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _matches(entry: Mapping[str, Any], **labels: str | None) -> bool:
    """Whether an ``overrides`` entry applies to these labels: each list it gives holds the
    label (a label not given, None, matches no list)."""
    return all(kind not in entry or label in entry[kind] for kind, label in labels.items())


def training_for(
    config: Mapping[str, Any],
    dataset: str,
    model: str | None = None,
    activation: str | None = None,
) -> dict[str, Any]:
    """The study's training recipe, then the dataset's and the model's overrides (each key
    given replaces the recipe's), then every matching entry of ``overrides`` in order (merged
    key by key, see ``_merged``), with the schema's defaults filled in. Each step is validated
    on its own, so that a mistake is named by the key that made it."""
    recipe = copy.deepcopy(dict(config["training"]))
    steps: list[tuple[str, Mapping[str, Any], bool]] = [
        (f"datasets.{dataset}.training", config["datasets"][dataset].get("training", {}), False)
    ]
    if model is not None:
        steps.append(
            (f"models.{model}.training", config["models"][model].get("training", {}), False)
        )
    steps += [
        (f"overrides.{index}.training", entry["training"], True)
        for index, entry in enumerate(config["overrides"])
        if _matches(entry, datasets=dataset, models=model, activations=activation)
    ]
    validated = False
    for prefix, overrides, merge in steps:
        if not overrides:
            continue
        if merge:
            recipe = _merged(recipe, overrides)
        else:
            recipe.update(copy.deepcopy(dict(overrides)))
        _validate(recipe, training_schema(), prefix)
        validated = True
    if not validated:
        _validate(recipe, training_schema(), "training")
    return recipe


def source_options(config: Mapping[str, Any], dataset: str) -> dict[str, Any]:
    """The dataset's source and its preparation options (not normalisation or training)."""
    options = config["datasets"][dataset]
    return {k: v for k, v in options.items() if k not in ("normalize", "training")}


def prepared_name(config: Mapping[str, Any], dataset: str) -> str:
    """The folder under resources/prepared/ of a dataset: its source and a digest of its
    options with the source's defaults (not ``download``), so that labels with other options
    never share, or overwrite, prepared arrays, and labels with the same options share them."""
    from actstudy.data.sources import resolved_options
    from actstudy.provenance import fingerprint

    options = source_options(config, dataset)
    _, resolved = resolved_options(options)
    content = {k: v for k, v in resolved.items() if k != "download"}  # download: a permission
    return f"{options['source']}-{fingerprint(content)[:10]}"


def source_plugins(config: Mapping[str, Any], dataset: str) -> list[str]:
    """The plugin files a dataset's preparation must load (the one defining its source)."""
    from actstudy.data.sources import source_file
    from actstudy.plugins import used_plugins

    return used_plugins(config["plugins"], [source_file(config["datasets"][dataset]["source"])])


def evaluation(config: Mapping[str, Any]) -> dict[str, Any]:
    """The evaluation section of a validated config (defaults filled in)."""
    return dict(config["evaluation"])


def fold_ids(config: Mapping[str, Any]) -> list[int]:
    """The fold index of every run of a dataset × model × activation: 0 .. r·k − 1 for
    r-times repeated k-fold (see actstudy.training.folds), 0 for a hold-out split."""
    ev = evaluation(config)
    return list(range(ev["folds"] * ev["repeats"])) if ev["mode"] == "kfold" else [0]


MODEL_KEYS = ("name", "datasets", "activations", "training")  # not options of the model builder


def model_options(config: Mapping[str, Any], model: str) -> dict[str, Any]:
    """The options a study gives the model's builder (not its name, limits or training)."""
    return {k: v for k, v in config["models"][model].items() if k not in MODEL_KEYS}


def _source_problems(config: Mapping[str, Any]) -> list[str]:
    from actstudy import data

    problems = []
    for label in config["datasets"]:
        options = source_options(config, label)
        if options["source"] not in data.source_names():
            problems.append(
                f"config key 'datasets.{label}.source' names the unknown dataset "
                f"{options['source']!r}; allowed: {', '.join(data.source_names())}"
            )
            continue
        try:
            data.check_options(options)
        except ValueError as error:
            problems.append(f"config key 'datasets.{label}': {error}")
    return problems


def _model_problems(config: Mapping[str, Any]) -> list[str]:
    from actstudy import models

    problems = []
    for label, entry in config["models"].items():
        if entry["name"] not in models.names():
            problems.append(
                f"config key 'models.{label}.name' names the unknown model {entry['name']!r}; "
                f"allowed: {', '.join(models.names())}"
            )
            continue
        limits = {
            "datasets": list(config["datasets"]),
            "activations": [*config["activations"], *searched_labels(config["search"])],
        }
        for key, defined in limits.items():
            unknown = sorted(set(entry.get(key, [])) - set(defined))
            if unknown:
                problems.append(
                    f"config key 'models.{label}.{key}' names {', '.join(unknown)}, which the "
                    f"study does not define; allowed: {', '.join(defined)}"
                )
        try:
            models.check(entry["name"], **model_options(config, label))
        except (ValueError, FileNotFoundError) as error:
            problems.append(f"config key 'models.{label}': {error.args[0]}")
    return problems


def _activation_problems(config: Mapping[str, Any]) -> list[str]:
    from actstudy import activations

    problems = []
    for label, spec in config["activations"].items():
        try:
            activations.factory(spec)
        except ValueError as error:
            problems.append(f"config key 'activations.{label}': {error}")
    return problems


def _reported_problems(config: Mapping[str, Any]) -> list[str]:
    """The study's reported results and claims files: each row's format, and labels the study
    defines (see actstudy.evaluation.reported)."""
    from actstudy.evaluation.reported import load_claims, load_reported

    files = config.get("reported") or {}
    problems = []
    for key, load in (
        ("results", lambda path: load_reported(path, config)),
        ("claims", lambda path: load_claims(path, config["study"], config)),
    ):
        if key in files:
            try:
                load(files[key])
            except ValueError as error:
                problems += [f"config key 'reported.{key}': {s}" for s in str(error).splitlines()]
    return problems


def _search_option_problems(search: Mapping[str, Any]) -> list[str]:
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
    if search["evaluate_baseline"] and not (search["baseline"] and search["method"] == "ga"):
        problems.append(
            "config key 'search.evaluate_baseline' evaluates the random baseline's best "
            "functions, but the study runs no baseline; set baseline: true (with method: ga) or "
            "evaluate_baseline: false"
        )
    return problems


def _search_problems(config: Mapping[str, Any]) -> list[str]:
    """A search on a dataset the study does not define, or with a model that is not
    registered or does not fit the dataset."""
    from actstudy import data, models

    search = config["search"]
    if search is None:
        return []
    problems = _search_option_problems(search)
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
    return problems


def validate_search(options: Any) -> dict[str, Any]:
    """A study's ``search`` section on its own (as ``search-next --options`` gets it), checked
    and with the schema's defaults filled in, in place; raises ConfigError."""
    if not isinstance(options, dict):
        raise ConfigError(
            f"the search options are {options!r}, not a mapping; pass the study's search section"
        )
    _validate(options, {**schema()["properties"]["search"], "$defs": schema()["$defs"]}, "search")
    if problems := _search_option_problems(options):
        raise ConfigError("\n".join(problems))
    return options


def search_recipe(search: Mapping[str, Any]) -> dict[str, Any]:
    """The training recipe of every candidate of a validated search section (S3): SGD with
    its lr and momentum, its epochs, batch size and stop_below, scored at the last epoch."""
    recipe = {
        "epochs": search["epochs"],
        "batch_size": search["batch_size"],
        "seed": search["seed"],
        "optimizer": {"name": "sgd", "lr": search["lr"], "momentum": search["momentum"]},
        "stop_below": copy.deepcopy(search["stop_below"]),
        "select": "last",
    }
    _validate(recipe, training_schema(), "search")
    return recipe


def search_evaluation(search: Mapping[str, Any]) -> dict[str, Any]:
    """The seeded hold-out that scores a search's candidates (``search-next``'s folds file and
    the candidates' ``evaluation``): no test set."""
    split = {"mode": "holdout", "val_fraction": search["val_fraction"], "seed": search["val_seed"]}
    _validate(split, schema()["properties"]["evaluation"], "search")
    return {**split, "test": False}


def search_run_spec(config: Mapping[str, Any], key: str, formula: str) -> dict[str, Any]:
    """Everything the training run of one search candidate (cache key ``key``, trained as
    ``formula``) depends on, shaped as :func:`run_spec`'s."""
    from actstudy import models
    from actstudy.plugins import used_plugins

    search = config["search"]
    dataset = search["dataset"]
    return {
        "study": config["study"],
        "plugins": used_plugins(config["plugins"], [models.source_file(search["model"])]),
        "dataset": {"label": dataset, "normalize": config["datasets"][dataset]["normalize"]},
        "model": {"label": "search", "name": search["model"]},
        "activation": {"label": key, "spec": {"expr": formula}},
        "evaluation": {**search_evaluation(search), "fold": 0},
        "training": search_recipe(search),
    }


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
            crossed = [a for d, m, a in _cells(config) if (d, m) == (label, model)]
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
        recipes = [training_for(config, d, m, a) for d, m, a in _cells(config) if d == label]
        flips = sorted({r["augmentation"] for r in recipes if "flip" in r["augmentation"]})
        if flips:
            problems.append(
                f"config key 'datasets.{label}': augmentation {', '.join(flips)} mirrors the "
                "images, which turns a digit into another class or none; give the dataset "
                "training: {augmentation: crop} (or none)"
            )
    return problems


def _input_problems(config: Mapping[str, Any]) -> list[str]:
    """Datasets whose values do not make sense, and models whose input size or dimensionality
    does not fit a dataset they are crossed with."""
    from actstudy import data, models

    problems = [p for label in config["datasets"] for p in _dataset_problems(config, label)]
    problems += _flip_problems(config)
    if problems:
        return problems
    for label, entry in config["models"].items():
        for dataset in entry.get("datasets", config["datasets"]):
            shape = data.input_shape(source_options(config, dataset))
            try:
                models.check_input(entry["name"], shape, **model_options(config, label))
            except ValueError as error:
                problems.append(f"config key 'models.{label}' with dataset '{dataset}': {error}")
    return problems


def _override_problems(config: Mapping[str, Any]) -> list[str]:
    """``overrides`` entries that name labels the study does not define, or match no run."""
    problems = []
    cells = _cells(config)
    for index, entry in enumerate(config["overrides"]):
        unknown = False
        for kind in ("datasets", "models", "activations"):
            missing = [label for label in entry.get(kind, []) if label not in config[kind]]
            if missing:
                unknown = True
                problems.append(
                    f"config key 'overrides.{index}.{kind}' names {', '.join(missing)}, which the "
                    f"study does not define; allowed: {', '.join(config[kind])}"
                )
        if not unknown and not any(
            _matches(entry, datasets=d, models=m, activations=a) for d, m, a in cells
        ):
            problems.append(
                f"config key 'overrides.{index}' matches no run (a model limited to other "
                "datasets or activations?); correct its lists or remove it"
            )
    return problems


def _moved_key_problems(config: Mapping[str, Any]) -> list[str]:
    problems = []
    for key, where in MOVED_KEYS.items():
        section, name = key.split(".")
        trainings = [(section, config.get(section))]
        trainings += [
            (f"{kind}.{label}.training", entry.get("training"))
            for kind in ("datasets", "models")
            for label, entry in (config.get(kind) or {}).items()
            if isinstance(entry, Mapping)
        ]
        overrides = config.get("overrides")
        trainings += [
            (f"overrides.{index}.training", entry.get("training"))
            for index, entry in enumerate(overrides if isinstance(overrides, list) else [])
            if isinstance(entry, Mapping)
        ]
        for where_key, node in trainings:
            if isinstance(node, Mapping) and name in node:
                problems.append(f"config key '{where_key}.{name}' is no longer read: {where}")
    return problems


KFOLD_KEYS = ("folds", "repeats")
"""Evaluation keys that only k-fold reads."""


def _kfold_keys_given(evaluation_given: Any) -> list[str]:
    """The k-fold-only evaluation keys a study gives with other than their default value (a
    resolved config, as validate --show prints it, carries the defaults: that is fine)."""
    if not isinstance(evaluation_given, Mapping):
        return []
    properties = schema()["properties"]["evaluation"]["properties"]
    return [
        key
        for key in KFOLD_KEYS
        if evaluation_given.get(key, properties[key]["default"]) != properties[key]["default"]
    ]


def case_pack_problem(config: Mapping[str, Any]) -> str | None:
    """Why ``jobs.pack: case`` cannot group this study's runs, or None: a job's outputs are the
    case's activations × folds, one pattern for every case, known when the workflow starts."""
    default = config["activations"]
    if len({tuple(m.get("activations", default)) for m in config["models"].values()}) > 1:
        return (
            "case needs every model to run the same activations, and models here list "
            "different ones"
        )
    if (config.get("search") or {}).get("evaluate_top"):
        return "case cannot hold the search's best functions, found while the workflow runs"
    return None


def _pack_problems(config: Mapping[str, Any]) -> list[str]:
    problem = case_pack_problem(config) if config["jobs"]["pack"] == "case" else None
    return [f"config key 'jobs.pack': {problem}; use pack: folds"] if problem else []


def _evaluation_problems(config: Mapping[str, Any]) -> list[str]:
    """A test part nobody scores, and statistics that name what the study does not have."""
    evaluation, statistics = config["evaluation"], config["statistics"]
    problems = []
    if evaluation["test_fraction"] > 0 and not evaluation["test"]:
        problems.append(
            "config key 'evaluation.test_fraction' holds out a test part that evaluation.test: "
            "false never scores; set test: true or test_fraction: 0"
        )
    if statistics["metric"].startswith("test_") and not evaluation["test"]:
        problems.append(
            f"config key 'statistics.metric' is {statistics['metric']}, but evaluation.test is "
            "false; set test: true or choose a val_ or train_ metric"
        )
    if statistics["control"] is not None and statistics["control"] not in config["activations"]:
        problems.append(
            f"config key 'statistics.control' names {statistics['control']!r}, which the study "
            f"does not define; allowed: {', '.join(config['activations'])}"
        )
    return problems


def validate_config(config: dict[str, Any]) -> dict[str, Any]:
    """Check a study and fill in the schema's defaults, in place; return it.

    Raises ConfigError with one sentence per problem (on its own line), each naming the key and
    the fix: first the schema's, then everything the registries can tell before any job runs
    (unknown names and options, plugins, missing pretrained weights, input sizes, the
    reported results and claims files).
    """
    if problems := _moved_key_problems(config) + _non_finite(config):
        raise ConfigError("\n".join(problems))
    kfold_given = _kfold_keys_given(config.get("evaluation"))
    _validate(config, schema())
    if problems := _override_problems(config):
        raise ConfigError("\n".join(problems))
    for dataset in config["datasets"]:
        training_for(config, dataset)
        for model in config["models"]:
            training_for(config, dataset, model)
    for dataset, model, activation in _cells(config):
        training_for(config, dataset, model, activation)
    if config["evaluation"]["mode"] == "holdout" and kfold_given:
        raise ConfigError(
            f"config key 'evaluation.{kfold_given[0]}' applies to mode kfold; remove it or set "
            "mode: kfold"
        )
    if problems := _evaluation_problems(config) + _pack_problems(config):
        raise ConfigError("\n".join(problems))
    from actstudy.plugins import load_plugins

    try:
        load_plugins(config["plugins"])
    except (ValueError, FileNotFoundError) as error:
        raise ConfigError(f"config key 'plugins': {error}") from None
    problems = _source_problems(config) + _model_problems(config) + _activation_problems(config)
    problems += _reported_problems(config) + _search_problems(config)
    if not problems:
        problems = _input_problems(config)
    if problems:
        raise ConfigError("\n".join(problems))
    return config


def run_grid(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every (dataset, model, activation, fold) the study runs, as wildcard dicts.

    A model crosses every dataset and activation unless its entry lists the ``datasets`` or
    ``activations`` it is limited to (e.g. a 1-D ECG model, or a pretrained ReLU baseline). A
    list may name the labels of the search's best functions (``searched_1`` ..), which are
    activations only once the search has found them (``actstudy.workflow.Study``).
    """
    grid = []
    for model, options in config["models"].items():
        limited = options.get("activations", config["activations"])
        for dataset in options.get("datasets", config["datasets"]):
            for activation in [a for a in limited if a in config["activations"]]:
                for fold in fold_ids(config):
                    grid.append(
                        {"dataset": dataset, "model": model, "activation": activation, "fold": fold}
                    )
    return grid


def run_spec(
    config: Mapping[str, Any], dataset: str, model: str, activation: str, fold: int
) -> dict[str, Any]:
    """Everything one training run depends on (of a validated config), with the plugin files
    that define its model or activation (and no others)."""
    from actstudy import activations, models
    from actstudy.plugins import used_plugins

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


def _cells(config: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """Every (dataset, model, activation) the study runs, once (not once per fold)."""
    runs = run_grid(config)
    return list(dict.fromkeys((r["dataset"], r["model"], r["activation"]) for r in runs))


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a mapping that gives one key twice (YAML keeps the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise ConfigError(
                    f"the key {key!r} is given twice (line {key_node.start_mark.line + 1}); "
                    "keep one, since YAML would silently use the last"
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_config(path: str | Path) -> dict[str, Any]:
    """A study file as YAML, unvalidated; a key given twice is an error."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"study file {path} does not exist; check the path") from None
    try:
        config = yaml.load(text, Loader=_UniqueKeyLoader)
    except ConfigError as error:
        raise ConfigError(f"study file {path}: {error}") from None
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = f" at line {where.line + 1}" if where else ""
        raise ConfigError(f"study file {path} is not valid YAML{line}; fix its syntax") from None
    if not isinstance(config, dict):
        raise ConfigError(f"study file {path} holds no mapping of keys; see config.yaml")
    return config


def load_config(path: str | Path) -> dict[str, Any]:
    """Read and validate a study file (for use outside Snakemake); defaults filled in."""
    return validate_config(read_config(path))
