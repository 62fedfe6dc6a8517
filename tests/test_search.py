"""The activation search of S3 (actstudy.search): its operators and decoding, the genetic
algorithm's operators measured, the random baseline, the cache key and pre-screen, the fitness
rule on real runs, and one generation to the next through state files."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from scipy.special import erf, expit

from actstudy.activations.expression import parse
from actstudy.cli import main
from actstudy.data import load_prepared
from actstudy.errors import ConfigError
from actstudy.search.canonical import canonical
from actstudy.search.fitness import fitness_of
from actstudy.search.ga import crossover, elites, mutate, next_generation
from actstudy.search.probe import Probe, function_key, prescreen
from actstudy.search.space import BINARY, UNARY, check, decode, random_chromosome
from actstudy.search.state import COLUMNS, candidates_table, read_state, search_next
from actstudy.study.search_options import (
    search_evaluation,
    search_recipe,
    search_run_spec,
    validate_search,
)
from actstudy.study.validate import validate_config
from actstudy.training.folds import assign_folds, write_folds
from actstudy.training.loop import train_run

# one pytest-xdist worker runs this file: its module-scoped fixtures are built once
pytestmark = pytest.mark.xdist_group("test_search")

# S3's operators (docs/studies.md, S3), written again with numpy and scipy: the reference the
# decoding must match.
UNARY_REFERENCE = {
    "x": lambda x: x,
    "exp": np.exp,
    "abs": np.abs,
    "neg": np.negative,
    "exp_neg": lambda x: np.exp(-x),
    "min0": lambda x: np.minimum(x, 0),
    "erf": erf,
    "sigmoid": expit,
    "x_erf": lambda x: x * erf(x),
    "relu": lambda x: np.maximum(x, 0),
    "sin": np.sin,
    "arctan": np.arctan,
    "tanh": np.tanh,
    "softplus": lambda x: np.logaddexp(0, x),
    "sinh": np.sinh,
    "artanh": np.arctanh,
    "arsinh": np.arcsinh,
}
BINARY_REFERENCE = {
    "add": np.add,
    "mul": np.multiply,
    "max_relu": lambda a, b: np.maximum(np.maximum(a, 0), b),
    "mul_erf": lambda a, b: a * erf(b),
    "max": np.maximum,
    "mul_exp": lambda a, b: a * np.exp(b),
    "sigmoid_mul": lambda a, b: expit(a) * b,
}
X = np.linspace(-3, 3, 61)


def reference(genes: tuple[str, ...], x: np.ndarray) -> np.ndarray:
    """The tree shapes of S3 (docs/studies.md, S3), genes read in order
    (U1, B, U2, B0, U3, B2, U4)."""
    u = [UNARY_REFERENCE[g](x) for g in genes[0::2]]
    b = [BINARY_REFERENCE[g] for g in genes[1::2]]
    if len(genes) == 3:
        return b[0](u[0], u[1])
    if len(genes) == 5:
        return b[1](b[0](u[0], u[1]), u[2])
    return b[1](b[0](u[0], u[1]), b[2](u[2], u[3]))


def evaluated(formula: str, x: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return parse(formula)(torch.from_numpy(x)).numpy()


def search_options(**given: object) -> dict:
    return validate_search({"dataset": "digits", **given})


PROBE = Probe.from_options(search_options()["probe"])


def key(chromosome: tuple[str, ...]) -> str:
    return function_key(decode(chromosome), PROBE)


# --- search space and decoding --------------------------------------------------------------


def test_the_operators_are_the_17_distinct_unary_and_7_binary_of_the_study():
    assert list(UNARY) == list(UNARY_REFERENCE) and len(UNARY) == 17
    assert list(BINARY) == list(BINARY_REFERENCE) and len(BINARY) == 7
    # distinct functions: no two unary operators share a cache key (arsinh is one of them)
    assert len({key((name, "add", "x")) for name in UNARY}) == 17


def test_every_length_3_chromosome_decodes_to_a_formula_that_computes_its_tree():
    for u1 in UNARY:
        for b in BINARY:
            for u2 in UNARY:
                genes = (u1, b, u2)
                with np.errstate(all="ignore"):
                    expected = reference(genes, X)
                actual = evaluated(decode(genes), X)
                np.testing.assert_allclose(
                    actual, expected, rtol=1e-9, atol=1e-12, equal_nan=True, err_msg=str(genes)
                )


@pytest.mark.parametrize("length", [5, 7])
def test_longer_chromosomes_decode_to_the_studys_tree_shapes(length):
    rng = np.random.default_rng(length)
    for _ in range(300):
        genes = random_chromosome(rng, [length])
        with np.errstate(all="ignore"):
            expected = reference(genes, X)
        np.testing.assert_allclose(
            evaluated(decode(genes), X), expected, rtol=1e-9, atol=1e-12, equal_nan=True
        )


def test_the_best_reported_function_decodes_as_written():
    assert decode(["neg", "mul_erf", "exp_neg"]) == "-x * erf(exp(-x))"


@pytest.mark.hostile
@pytest.mark.parametrize(
    ("genes", "expected"),
    [
        (["x", "add"], "the chromosome ['x', 'add'] is not a list of 3 or 5 or 7 operator names"),
        ("x add x", "the chromosome 'x add x' is not a list of 3 or 5 or 7 operator names"),
        (["x", "exp", "x"], "gene 1 of the chromosome ['x', 'exp', 'x'] is 'exp', not a binary"),
        (["add", "add", "x"], "gene 0 of the chromosome ['add', 'add', 'x'] is 'add', not a unary"),
        (["x", "add", 3], "gene 2 of the chromosome ['x', 'add', 3] is 3, not a unary operator"),
    ],
)
def test_a_malformed_chromosome_is_one_sentence(genes, expected):
    with pytest.raises(ValueError) as error:
        check(genes)
    assert str(error.value).startswith(expected) and "\n" not in str(error.value)


# --- GA operators ---------------------------------------------------------------------------


def test_crossover_keeps_every_gene_in_a_slot_of_its_kind_across_lengths():
    rng = np.random.default_rng(0)
    lengths_seen = set()
    for _ in range(2000):
        a, b = random_chromosome(rng, [3, 5, 7]), random_chromosome(rng, [3, 5, 7])
        first, second = crossover(a, b, rng)
        check(first), check(second)  # every gene in a slot of its kind
        cuts = [c for c in range(1, len(a)) if (first, second) == (a[:c] + b[c:], b[:c] + a[c:])]
        assert cuts and cuts[0] < min(len(a), len(b)), (a, b, first, second)
        parse(decode(first)), parse(decode(second))
        lengths_seen.add((len(a), len(b)))
    assert lengths_seen == {(m, n) for m in (3, 5, 7) for n in (3, 5, 7)}


def test_mutation_fires_at_its_rate_and_changes_one_gene_within_its_kind():
    rng = np.random.default_rng(1)
    draws, fired = 10_000, 0
    for _ in range(draws):
        parent = random_chromosome(rng, [3, 5, 7])
        child = mutate(parent, rng, 0.7)
        changed = [i for i, (p, c) in enumerate(zip(parent, child, strict=True)) if p != c]
        assert len(changed) <= 1
        check(child)
        fired += bool(changed)
    assert abs(fired / draws - 0.7) <= 0.02, fired / draws
    parent = ("x", "add", "x")
    assert all(mutate(parent, rng, 0.0) == parent for _ in range(500))
    assert all(mutate(parent, rng, 1.0) != parent for _ in range(500))


def scored_generation() -> list[tuple[tuple[str, ...], float]]:
    """Ten chromosomes of distinct functions, fitness 10 down to 1, and a second chromosome of
    the fittest function ((-x)·(-x) = x·x) ranked second."""
    rng = np.random.default_rng(2)
    chromosomes: dict[str, tuple[str, ...]] = {key(("x", "mul", "x")): ("x", "mul", "x")}
    while len(chromosomes) < 10:
        chromosome = random_chromosome(rng, [3, 5, 7])
        chromosomes.setdefault(key(chromosome), chromosome)
    ranked = [(c, 10.0 - i) for i, c in enumerate(chromosomes.values())]
    return [ranked[0], (("neg", "mul", "neg"), 9.5), *ranked[1:]]


def test_elitism_keeps_the_fittest_distinct_functions_first():
    previous = scored_generation()
    options = search_options(population=12, elite=3)
    proposals = next_generation(previous, 1, options, key)
    kept = [p.chromosome for p in proposals if p.origin == "elite"]
    expected = [previous[0][0], previous[2][0], previous[3][0]]  # (-x)·(-x) is x·x again
    assert kept == expected == elites(previous, 3, key)
    assert [p.chromosome for p in proposals[:3]] == expected


def test_no_function_twice_and_the_rest_filled_at_random():
    previous = scored_generation()
    # no crossover and no mutation: every child is a copy of an elite, so all are dropped
    options = search_options(population=12, elite=4, crossover=0.0, mutation=0.0)
    proposals = next_generation(previous, 1, options, key)
    keys = [key(p.chromosome) for p in proposals]
    assert len(proposals) == 12 and len(set(keys)) == 12
    assert [p.origin for p in proposals] == ["elite"] * 4 + ["random"] * 8
    # with them, children appear, still without a repeated function
    options = search_options(population=12, elite=6, crossover=1.0, mutation=1.0)
    proposals = next_generation(previous, 1, options, key)
    assert len({key(p.chromosome) for p in proposals}) == 12
    assert any(p.origin == "crossover+mutation" for p in proposals)


def test_a_generation_is_a_function_of_the_seed_its_number_and_the_scores():
    previous = scored_generation()
    options = search_options(population=10)
    first = next_generation(previous, 3, options, key)
    assert next_generation(previous, 3, options, key) == first
    assert next_generation(previous, 4, options, key) != first
    assert next_generation(previous, 3, {**options, "seed": 1}, key) != first


def test_random_search_draws_whole_generations_and_starts_where_the_ga_starts():
    options = search_options(population=8, method="random")
    generation0 = next_generation([], 0, options, key)
    assert generation0 == next_generation([], 0, {**options, "method": "ga"}, key)
    later = next_generation(scored_generation(), 1, options, key)
    assert {p.origin for p in later} == {"random"}
    assert len({key(p.chromosome) for p in later}) == 8


@pytest.mark.hostile
def test_a_space_too_small_for_the_population_is_one_sentence():
    def one_function(chromosome: tuple[str, ...]) -> str:
        return "every chromosome computes the same function"

    with pytest.raises(
        ValueError, match=r"gave only 1 distinct functions of 2; lower search\.population"
    ):
        next_generation([], 0, search_options(population=2, elite=1), one_function)


# --- canonical form, cache key, pre-screen --------------------------------------------------


def test_algebraically_identical_chromosomes_share_the_cache_key():
    assert key(("relu", "add", "min0")) == key(("x", "max", "x"))
    assert key(("neg", "mul", "neg")) == key(("x", "mul", "x")) == key(("abs", "mul", "abs"))
    assert key(("x", "mul", "exp_neg")) == key(("x", "mul_exp", "neg"))
    assert key(("x", "mul", "x")) != key(("x", "add", "x")) != key(("x", "mul", "exp"))
    # the structural form only reorders: commutative swaps read the same, identities do not
    assert canonical(decode(("erf", "mul", "x"))) == canonical(decode(("x", "mul", "erf")))
    assert canonical(decode(("neg", "mul", "neg"))) != canonical(decode(("x", "mul", "x")))


def test_the_canonical_form_computes_the_same_function():
    rng = np.random.default_rng(3)
    for _ in range(200):
        formula = decode(random_chromosome(rng, [3, 5, 7]))
        np.testing.assert_allclose(
            evaluated(canonical(formula), X), evaluated(formula, X), rtol=1e-9, equal_nan=True
        )


@pytest.mark.parametrize(
    ("genes", "reason"),
    [
        (("artanh", "add", "x"), "value not finite at x = -10"),
        (("x", "mul_exp", "exp"), "value not finite at x = "),  # x·e^(e^x) overflows
        (("x", "add", "neg"), "constant (0) on the probe grid"),
        (("min0", "mul", "relu"), "constant (0) on the probe grid"),
        (("neg", "mul_erf", "exp_neg"), None),
        (("x", "mul", "sigmoid"), None),
    ],
)
def test_the_prescreen_names_why_a_candidate_needs_no_training(genes, reason):
    found = prescreen(decode(genes), PROBE)
    assert found == reason if reason is None else found.startswith(reason)


def test_a_gradient_zero_at_every_grid_point_is_screened():
    # x - sin(2πx)/(2π) rises, but its gradient 1 - cos(2πx) is 0 at every integer
    formula = "x - sin(6.283185307179586*x)/6.283185307179586"
    integers = Probe(-3.0, 3.0, 7)
    assert prescreen(formula, integers) == "zero gradient everywhere on the probe grid"
    assert prescreen(formula, Probe(-3.0, 3.0, 13)) is None


# --- config ---------------------------------------------------------------------------------


def study(**search: object) -> dict:
    return {
        "study": "unit",
        "datasets": {"digits": {"source": "digits", "size": 16}},
        "models": {"lenet5": {"name": "lenet5"}},
        "activations": {"relu": "relu"},
        "evaluation": {"mode": "holdout"},
        "training": {"epochs": 1, "batch_size": 64, "optimizer": {"name": "adam", "lr": 1e-3}},
        "search": {"dataset": "digits", **search},
    }


def test_the_search_defaults_are_the_studys_numbers():
    search = validate_config(study())["search"]
    assert (search["method"], search["model"]) == ("ga", "afos_cnn")
    assert (search["population"], search["generations"], search["elite"]) == (30, 50, 6)
    assert (search["crossover"], search["mutation"], search["lengths"]) == (0.8, 0.7, [3, 5, 7])
    recipe = search_recipe(search)
    assert recipe["optimizer"] | {"weight_decay": 0.0, "nesterov": False} == {
        "name": "sgd",
        "lr": 0.001,
        "momentum": 0.9,
        "weight_decay": 0.0,
        "nesterov": False,
    }
    assert (recipe["epochs"], recipe["batch_size"], recipe["select"]) == (15, 64, "last")
    assert recipe["stop_below"] == {"epoch": 1, "val_accuracy": 0.25}
    evaluation = search_evaluation(search)
    assert (evaluation["mode"], evaluation["val_fraction"], evaluation["seed"]) == (
        "holdout",
        0.1,
        1234,
    )
    assert validate_config(study())["training"]["stop_below"] is None


@pytest.mark.hostile
@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ({"dataset": "cifar"}, "config key 'search.dataset' names 'cifar', which the study does"),
        ({"model": "afos"}, "config key 'search.model' names the unknown model 'afos'; allowed:"),
        ({"elite": 31}, "config key 'search.elite' keeps 31 candidates of a population of 30;"),
        ({"probe": {"low": 1, "high": 1}}, "config key 'search.probe' runs from 1 to 1; give"),
        ({"mutation": 1.5}, "config key 'search.mutation' must be ≤ 1 (got 1.5)"),
        ({"lengths": [4]}, "config key 'search.lengths.0' must be one of 3, 5, 7 (got 4)"),
        ({"method": "cmaes"}, "config key 'search.method' must be one of ga, random"),
        (
            {"stop_below": {"epoch": 0, "val_accuracy": 0.3}},
            "config key 'search.stop_below.epoch' must be ≥ 1 (got 0)",
        ),
    ],
)
def test_a_bad_search_section_is_one_sentence_naming_the_key(search, expected):
    with pytest.raises(ConfigError) as error:
        validate_config(study(**search))
    assert str(error.value).startswith(expected), str(error.value)


@pytest.mark.hostile
def test_a_bad_stop_below_of_a_recipe_is_one_sentence():
    config = study()
    config["training"]["stop_below"] = {"epoch": 1, "val_accuracy": 2}
    with pytest.raises(ConfigError, match=r"'training.stop_below.val_accuracy' must be ≤ 1"):
        validate_config(config)


# --- fitness from real runs, and a whole tiny search ----------------------------------------


@pytest.fixture(scope="module")
def search_data(tmp_path_factory) -> tuple[dict, Path, Path]:
    """A validated study with a search on 16×16 digits, its prepared arrays and the search's
    hold-out (as the workflow's folds step writes it)."""
    # 2 epochs of 101 steps (batch 16): ReLU reaches about 0.7 (the gate: chance + 0.1 = 0.2)
    config = validate_config(
        study(population=3, elite=2, generations=2, epochs=2, lengths=[3], lr=0.005, batch_size=16)
    )
    return config, *search_holdout(tmp_path_factory.mktemp("search"), config["search"])


def search_holdout(root: Path, search: dict) -> tuple[Path, Path]:
    """16×16 digits prepared under ``root`` and the hold-out of the (validated) ``search``,
    as the workflow's folds step writes it."""
    from actstudy.data import prepare

    prepare({"source": "digits", "size": 16}, root / "prepared", root / "resources")
    split = {k: v for k, v in search_evaluation(search).items() if k != "test"}
    labels = load_prepared(root / "prepared").train.y
    folds = assign_folds(
        labels,
        split["mode"],
        split["folds"],
        split["val_fraction"],
        seed=split["seed"],
        repeats=split["repeats"],
        test_fraction=split["test_fraction"],
    )
    write_folds(root / "folds.json", folds, **split)
    return root / "prepared", root / "folds.json"


def train_candidate(search_data, formula: str, out: Path, **search: object) -> Path:
    config, prepared, folds = search_data
    config = copy.deepcopy(config)
    config["search"].update(search)
    train_run(search_run_spec(config, out.name, formula), prepared, folds, out, threads=1)
    return out


@pytest.mark.slow
@pytest.mark.parametrize(
    ("threshold", "run_status", "status", "epochs", "reason"),
    [
        (1.0, "stopped_below", "low_accuracy", 1, "< 1.0 after epoch 1"),  # always below
        (0.0, "completed", "trained", 2, ""),  # never below
    ],
)
def test_fitness_is_accuracy_over_loss_of_the_last_epoch_run(
    search_data, tmp_path, threshold, run_status, status, epochs, reason
):
    below = {"epoch": 1, "val_accuracy": threshold}
    run = train_candidate(search_data, "x*sigmoid(x)", tmp_path / "f1", stop_below=below)
    history = pd.read_csv(run / "history.csv")
    assert json.loads((run / "metrics.json").read_text())["status"] == run_status
    assert len(history) == epochs
    fitness = fitness_of(run)
    assert (fitness.status, fitness.epochs) == (status, epochs)
    last = history.iloc[-1]
    assert fitness.fitness == pytest.approx(last.val_accuracy / last.val_loss)
    assert fitness.reason.endswith(reason)


@pytest.mark.slow
def test_a_candidate_whose_loss_is_not_finite_has_fitness_zero(search_data, tmp_path):
    run = train_candidate(search_data, "exp(x)", tmp_path / "f2", lr=1e6)
    fitness = fitness_of(run)
    assert (fitness.fitness, fitness.status) == (0.0, "nan_loss")
    with pytest.raises(ValueError, match=r"holds no finished run .*; train the candidate"):
        fitness_of(tmp_path / "never")


def actstudy(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    return subprocess.run(
        [sys.executable, "-m", "actstudy", *args], capture_output=True, text=True, cwd=cwd, env=env
    )


@pytest.mark.slow
def test_a_tiny_search_runs_generation_by_generation_and_trains_each_function_once(
    search_data, tmp_path
):
    config, _, _ = search_data
    options = json.dumps(config["search"])
    runs = tmp_path / "runs"
    result = actstudy("search-next", "--options", options, "--out", "gen0.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    state, trained = json.loads((tmp_path / "gen0.json").read_text()), []
    for generation in (0, 1):
        for candidate_key, formula in state["train"].items():
            train_candidate(search_data, formula, runs / candidate_key)
            trained.append(candidate_key)
        out = f"gen{generation + 1}.json"
        result = actstudy(
            "search-next",
            "--options",
            options,
            "--state",
            f"gen{generation}.json",
            "--results",
            str(runs),
            "--out",
            out,
            "--table",
            "candidates.csv",
            cwd=tmp_path,
        )
        assert result.returncode == 0, result.stderr
        state = json.loads((tmp_path / out).read_text())
    assert state["generation"] == 2 and state["candidates"] == [] and state["train"] == {}
    assert len(trained) == len(set(trained)) == len(state["cache"])  # none trained twice
    table = pd.read_csv(tmp_path / "candidates.csv")
    assert list(table.columns) == ["method", *COLUMNS] and len(table) == 7
    assert set(table.method) == {"ga"}
    # the reference trained first, in generation 0, and cleared the gate (chance 0.1 + 0.1)
    references = table[table.origin == "reference"]
    assert references[["generation", "label", "expression"]].values.tolist() == [
        [0, "relu", "max(0, x)"]
    ]
    assert references.accuracy.iloc[0] >= 0.5 and not references.cached.iloc[0]
    table = table[table.origin != "reference"]
    assert table.fitness.notna().all() and (table.fitness >= 0).all()
    assert set(table.status) <= {"trained", "low_accuracy", "nan_loss", "prescreened"}
    assert (table.reason.notna() | ~table.prescreened).all()
    first, second = table[table.generation == 0], table[table.generation == 1]
    elite = second[second.origin == "elite"]
    assert sorted(elite.fitness) == sorted(first.fitness)[-2:]
    assert elite[~elite.prescreened].cached.all() and (second[second.cached].seconds == 0).all()
    # the same scores give the same next generation; the table is the state's rows
    again = search_next(
        config["search"], read_state(tmp_path / "gen0.json", config["search"]), runs
    )
    generation1 = json.loads((tmp_path / "gen1.json").read_text())
    assert again["candidates"] == generation1["candidates"]
    assert again["scored"] == generation1["scored"]
    assert candidates_table(state).equals(candidates_table(json.loads(json.dumps(state))))


@pytest.mark.hostile
def test_search_next_refuses_bad_options_a_changed_search_and_missing_runs(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    options = search_options(population=4, elite=2)

    def search_next_with(changes: dict, *state: str) -> tuple[int, str]:
        """search-next's exit code and its one sentence (empty when it succeeds)."""
        given = json.dumps({**options, **changes})
        code = main(["search-next", "--options", given, *state, "--out", "t.json"])
        lines = capsys.readouterr().err.splitlines()
        errors = [line for line in lines if line.startswith("actstudy search-next: error: ")]
        assert len(errors) == (code != 0), lines
        return code, "".join(errors).removeprefix("actstudy search-next: error: ")

    assert search_next_with({"elite": 9}) == (
        2,
        "config key 'search.elite' keeps 9 candidates of a population of 4; give an elite of at "
        "most the population",
    )
    assert not (tmp_path / "t.json").exists()
    assert search_next_with({}) == (0, "")
    (tmp_path / "t.json").rename(tmp_path / "s.json")
    code, sentence = search_next_with({"seed": 7}, "--state", "s.json")
    assert code == 2 and "s.json was made with other search options (seed); restore" in sentence
    # a longer search is allowed, but generation 0 has runs to read first
    code, sentence = search_next_with({"generations": 60}, "--state", "s.json")
    assert code == 1 and "must be trained; pass --results" in sentence
    (tmp_path / "s.json").write_text('{"format": "actstudy-search-state/1", "generation": ')
    code, sentence = search_next_with({}, "--state", "s.json")
    assert code == 1 and "is not a search state" in sentence
    assert not (tmp_path / "t.json").exists()


def scored_state() -> dict:
    """A finished search's state: two generations, a function found twice, one pre-screened."""

    def row(generation, index, key, fitness, expression="x", origin="random"):
        return {
            "generation": generation,
            "index": index,
            "chromosome": ["x", "add", "x"] if origin != "reference" else [],
            "expression": expression,
            "key": key,
            "fitness": fitness,
            "origin": origin,
            "label": "relu" if origin == "reference" else "",
        }

    scored = [
        row(0, 0, "fr", 9.0, "max(x, 0)", "reference"),  # the best, but no candidate
        row(0, 0, "fa", 0.5, "x + x"),
        row(0, 1, "fb", 0.0),
        row(0, 2, "fc", 0.7, "sin(x) * x"),
        row(1, 0, "fc", 0.7, "sin(x) * x"),
        row(1, 1, "fd", 0.5, "tanh(x)"),
        row(1, 2, "fe", float("inf"), "erf(x) * x"),
    ]
    cache = {r["key"]: {"formula": r["expression"]} for r in scored if r["fitness"] > 0}
    return {
        "generation": 2,
        "options": {"method": "ga"},
        "candidates": [],
        "train": {},
        "cache": cache,
        "scored": scored,
    }


def test_the_top_functions_are_distinct_ranked_by_fitness_and_written_as_activations(tmp_path):
    from actstudy.search.results import final_state, top_functions, top_text

    state = scored_state()
    top = top_functions(state, 3)
    assert [(t["label"], t["key"]) for t in top] == [
        ("searched_1", "fe"),
        ("searched_2", "fc"),
        ("searched_3", "fa"),  # a tie: the earlier generation first
    ]
    assert [t["key"] for t in top_functions(state, 10)] == ["fe", "fc", "fa", "fd"]  # not fb
    assert [t["rank"] for t in top] == [1, 2, 3]
    assert top[0]["simplified"] == "x*erf(x)"
    # a function the study already evaluates is named, and the next distinct one takes its place
    listed = top_functions(state, 3, listed={"fc": "silu"})
    assert [(t["label"], t["key"], t.get("same_as")) for t in listed] == [
        ("searched_1", "fe", None),
        (None, "fc", "silu"),
        ("searched_2", "fa", None),
        ("searched_3", "fd", None),
    ]
    assert "# x*sin(x) (fitness 0.7, generation 0, x add x) is silu, which the study already" in (
        top_text(listed, "unit", "ga", 3)
    )
    assert [t["label"] for t in top_functions(state, 2, "random")] == ["random_1", "random_2"]
    text = top_text(top, "unit", "ga", 3)
    given = yaml.safe_load(text)["activations"]
    config = study()
    config["activations"] = {"relu": "relu", **given}
    config["search"] = None  # a given list of functions, evaluated without searching
    validate_config(config)  # a study takes them as they are
    assert given["searched_1"] == {"expr": "erf(x) * x"}
    assert "fitness inf" in text
    assert yaml.safe_load(top_text([], "unit", "ga", 3)) == {"activations": {}}
    with pytest.raises(ValueError, match=r"still has candidates to score; pass the state after"):
        final_state({**state, "candidates": [{}]}, "gen1.json")


def test_a_candidates_formula_is_found_in_the_newest_state_that_names_it(tmp_path):
    from actstudy.search.results import formula_of

    for generation, train, cache in (
        (0, {"fa": "x + x"}, {}),
        (1, {"fb": "sin(x)"}, {"fa": {"formula": "x + x"}}),
    ):
        state = {"train": train, "cache": cache}
        (tmp_path / f"gen{generation}.json").write_text(json.dumps(state))
    states = sorted(tmp_path.glob("gen*.json"))
    assert formula_of("fa", states) == "x + x"
    assert formula_of("fb", states) == "sin(x)"
    assert formula_of("fz", states) is None


# --- what the study's evaluation takes from its search --------------------------------------


@pytest.mark.parametrize(
    ("search", "methods", "evaluated", "labels"),
    [
        ({}, ["ga"], ["ga"], ["searched_1", "searched_2", "searched_3", "searched_4"]),
        ({"evaluate_top": 0, "baseline": True}, ["ga", "random"], [], []),
        ({"evaluate_top": 1, "baseline": True}, ["ga", "random"], ["ga"], ["searched_1"]),
        (
            {"evaluate_top": 2, "baseline": True, "evaluate_baseline": True},
            ["ga", "random"],
            ["ga", "random"],
            ["searched_1", "searched_2", "random_1", "random_2"],
        ),
        # the study's own search's are searched_<rank>, whatever its method
        (
            {"evaluate_top": 1, "method": "random", "baseline": True},
            ["random"],
            ["random"],
            ["searched_1"],
        ),
    ],
)
def test_which_searches_best_functions_the_evaluation_trains_and_their_labels(
    search, methods, evaluated, labels
):
    from actstudy.search import results

    options = validate_config(study(**search))["search"]
    assert results.methods(options) == methods
    assert results.evaluated_methods(options) == evaluated
    assert results.searched_labels(options) == labels
    assert results.methods(None) == results.searched_labels(None) == []


@pytest.mark.hostile
def test_a_label_of_the_searched_functions_or_a_baseline_not_run_is_one_sentence():
    config = study(evaluate_top=2)
    config["activations"] = {"relu": "relu", "searched_2": {"expr": "x * sigmoid(x)"}}
    with pytest.raises(ConfigError) as error:
        validate_config(config)
    assert str(error.value) == (
        "config key 'activations.searched_2' takes a label of the search's best functions "
        "(search.evaluate_top: 2); rename it, or to evaluate given functions without searching "
        "set search: null (or search.evaluate_top: 0)"
    )
    config = study(evaluate_top=0)
    config["activations"] = {"relu": "relu", "searched_2": {"expr": "x * sigmoid(x)"}}
    validate_config(config)  # no searched function joins the evaluation: the label is free
    with pytest.raises(ConfigError, match=r"^config key 'search.evaluate_baseline' evaluates "):
        validate_config(study(evaluate_baseline=True))
    config = study()
    config["models"]["lenet5"]["activations"] = ["relu", "searched_9"]
    with pytest.raises(ConfigError, match=r"names searched_9, which the study does not define"):
        validate_config(config)


def test_winners_carry_each_functions_formula_and_origin_and_are_checked(tmp_path):
    from actstudy.search.results import origin, read_winners, winners

    found = winners(scored_state(), 2, "ga", "searched", {"fe": "erf_x"})
    assert [f["key"] for f in found["same_as_listed"]] == ["fe"]
    found = winners(scored_state(), 2, "ga", "searched")
    assert [f["label"] for f in found["functions"]] == ["searched_1", "searched_2"]
    path = tmp_path / "evaluated.json"
    path.write_text(json.dumps(found))
    entries = read_winners(path, ["searched_1", "searched_2"])
    assert entries["searched_2"]["formula"] == "sin(x) * x"
    assert origin(entries["searched_1"]) == {
        "method": "ga",
        "rank": 1,
        "generation": 1,
        "fitness": float("inf"),
        "key": "fe",
        "chromosome": "x add x",
        "expression": "erf(x) * x",
    }
    # a file written with a larger evaluate_top: its labels beyond are left out
    assert list(read_winners(path, ["searched_1"])) == ["searched_1"]
    for bad in ('{"format": "actstudy-search-winners/1"', json.dumps({**found, "format": "x"})):
        path.write_text(bad)
        with pytest.raises(ValueError, match=r"is not a winners file of a search \(actstudy"):
            read_winners(path, ["searched_1", "searched_2"])


def test_candidates_csv_holds_every_search_with_its_method():
    ga = scored_state()
    baseline = {**scored_state(), "options": {"method": "random"}}
    baseline["scored"] = [{**row, "chromosome": ["x"]} for row in ga["scored"][:2]]
    table = candidates_table(ga, baseline)
    assert list(table.columns) == ["method", *COLUMNS]
    assert table.method.tolist() == ["ga"] * 7 + ["random"] * 2
    assert table.chromosome.tolist()[-2:] == ["x", "x"]


def test_the_evaluation_grid_takes_the_searched_functions_once_the_search_has_found_them(
    tmp_path, monkeypatch
):
    from actstudy.search.results import winners
    from actstudy.study.jobs import Study, StudyError

    def config(evaluate_top: int) -> dict:
        config = study(baseline=True, evaluate_top=evaluate_top)
        config["evaluation"] = {"mode": "kfold", "folds": 2}
        limited = ["relu", "searched_2"] if evaluate_top else ["relu"]
        config["models"]["limited"] = {"name": "lenet5", "activations": limited}
        return config

    monkeypatch.chdir(tmp_path)
    grid = Study(config(3))
    assert grid.searched_labels() == ["searched_1", "searched_2", "searched_3"]
    assert grid.evaluated_methods() == ["ga"]  # not the baseline's, unless asked
    assert "evaluate_top" not in json.loads(grid.search_options("ga"))  # remakes no generation
    run = {"dataset": "digits", "model": "lenet5", "activation": "searched_2", "fold": 1}
    assert grid.searched_runs() == []  # before the search has found them
    with pytest.raises(StudyError, match=r"searched_2 is one of the functions the study's search"):
        grid.spec(run)

    winners_file = grid.winners_file("ga")
    winners_file.parent.mkdir(parents=True)
    winners_file.write_text(json.dumps(winners(scored_state(), 3, "ga", "searched")))
    added = grid.searched_runs()
    cells = sorted({(r["model"], r["activation"]) for r in added})
    assert cells == [  # a model limited to a list trains the searched functions it names
        ("lenet5", "searched_1"),
        ("lenet5", "searched_2"),
        ("lenet5", "searched_3"),
        ("limited", "searched_2"),
    ]
    assert len(added) == 2 * len(cells)  # every fold
    spec = json.loads(grid.spec_json(run))
    assert spec["activation"] == {
        "label": "searched_2",
        "spec": {"expr": "sin(x) * x"},
        "origin": {
            "method": "ga",
            "rank": 2,
            "generation": 0,
            "fitness": 0.7,
            "key": "fc",
            "chromosome": "x add x",
            "expression": "sin(x) * x",
        },
    }
    assert spec["evaluation"]["fold"] == 1 and spec["model"]["label"] == "lenet5"
    relu = {**run, "activation": "relu"}
    assert grid.spec(relu) == Study(config(0)).spec(relu)  # the study's own: as without
    assert grid.code_digest(run) == grid.code_digest({**run, "activation": "searched_3"})

    # a search that found fewer: the grid follows its winners file
    winners_file.write_text(json.dumps(winners(scored_state(), 1, "ga", "searched")))
    os.utime(winners_file, ns=(1, 1))
    assert {r["activation"] for r in grid.searched_runs()} == {"searched_1"}
    winners_file.write_text("{}")
    with pytest.raises(StudyError, match=r"is not a winners file of a search"):
        grid.searched_runs()
