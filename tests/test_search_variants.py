"""The search's named variants (the released code's behaviour where ours departs from it), its
run specs, one formula per key, and what a reader sees of a found function."""

from __future__ import annotations

import json

import numpy as np
import pytest

from actstudy.search.display import math_text, plain
from actstudy.search.ga import CUT_FROM, crossover, next_generation
from actstudy.search.probe import Probe, function_key, listed_keys
from actstudy.search.results import formula_of
from actstudy.search.space import decode
from actstudy.search.state import search_next
from actstudy.study.search_options import search_run_spec, validate_search
from actstudy.study.validate import validate_config

PROBE = Probe(-10.0, 10.0, 2001)


def options(**given: object) -> dict:
    return validate_search({"dataset": "digits", **given})


def test_the_released_codes_mutation_mutates_one_elite_copy_at_its_rate():
    """elite_copy: one mutated copy of an elite with probability `mutation`; no child mutated."""
    given = options(mutation_mode="elite_copy", mutation=0.7, population=30)
    previous = [
        (("relu", "add", "sin"), 3.0),
        (("x", "mul", "tanh"), 2.0),
        (("exp", "max", "abs"), 1),
    ]
    fired = 0
    for generation in range(1, 401):
        origins = [p.origin for p in next_generation(previous, generation, given, " ".join)]
        assert not {"crossover+mutation", "copy+mutation"} & set(origins)
        fired += "elite+mutation" in origins
    assert fired / 400 == pytest.approx(0.7, abs=0.07)
    per_child = options(mutation=1.0, population=30)
    origins = [p.origin for p in next_generation(previous, 1, per_child, " ".join)]
    assert "elite+mutation" not in origins
    assert {"crossover+mutation", "copy+mutation"} & set(origins)


def elite_state(**given: object) -> tuple[dict, dict]:
    """A search after generation 0 whose one scored candidate (trained) is the elite."""
    search = options(population=4, elite=1, **given)
    chromosome = ["x", "mul", "sigmoid"]
    elite = function_key(decode(chromosome), PROBE)
    row = {"generation": 0, "index": 0, "chromosome": chromosome, "fitness": 1.0, "origin": "r"}
    entry = {"fitness": 1.0, "status": "trained", "reason": "", "epochs": 1, "seconds": 1.0}
    state = {
        "generation": 0,
        "options": search,
        "candidates": [],
        "references": [],
        "cache": {elite: {**entry, "accuracy": 0.5, "formula": "x * sigmoid(x)"}},
        "scored": [row],
    }
    return search, state


@pytest.mark.parametrize("retrain", [False, True])
def test_elites_train_again_with_a_fresh_seed_only_with_retrain_elites(retrain):
    search, state = elite_state(retrain_elites=retrain)
    following = search_next(search, state, None)
    elite = next(c for c in following["candidates"] if c["origin"] == "elite")
    run = f"{elite['key']}_g1"
    assert (run in following["train"]) == retrain and elite["cached"]
    assert elite["run"] == (run if retrain else None)
    if retrain:
        assert following["train"][run] == "x * sigmoid(x)"  # the formula it first trained with
        config = validate_config(
            {
                "study": "unit",
                "datasets": {"digits": {"source": "digits", "size": 16}},
                "models": {"lenet5": {"name": "lenet5"}},
                "activations": {"relu": "relu"},
                "evaluation": {"mode": "holdout"},
                "training": {"epochs": 1, "batch_size": 64, "optimizer": {"name": "sgd", "lr": 1}},
                "search": {"dataset": "digits", "seed": 5},
            }
        )
        assert search_run_spec(config, run, "x")["training"]["seed"] == 6
        assert search_run_spec(config, elite["key"], "x")["training"]["seed"] == 5


def test_generation_0_trains_the_references_and_the_code_trains_every_candidate():
    first = search_next(options(), None, None)
    relu = function_key("max(x, 0)", PROBE)
    assert first["references"] == [{"label": "relu", "expression": "max(0, x)", "key": relu}]
    assert first["train"][relu] == "max(0, x)"
    screened = [c for c in first["candidates"] if c["screen"]]
    assert screened and not set(c["key"] for c in screened) & set(first["train"])
    everything = search_next(options(prescreen=False), None, None)
    assert not any(c["screen"] for c in everything["candidates"])
    assert {c["key"] for c in screened} <= set(everything["train"])


def study(**search: object) -> dict:
    return validate_config(
        {
            "study": "unit",
            "datasets": {"digits": {"source": "digits", "size": 16}},
            "models": {"lenet5": {"name": "lenet5"}},
            "activations": {"relu": "relu", "swish": "silu"},
            "evaluation": {"mode": "holdout"},
            "training": {"epochs": 1, "batch_size": 64, "optimizer": {"name": "adam", "lr": 1}},
            "search": {"dataset": "digits", **search},
        }
    )


def test_a_candidates_spec_records_the_fitness_set_up():
    spec = search_run_spec(study(), "f0123456789abcdef", "x")
    assert spec["model"] == {"label": "search", "name": "afos_cnn", "init": "keras"}
    assert spec["dataset"]["normalize"] == "none"  # inputs / 255
    assert spec["training"]["precision"] == "fp32"
    ours = search_run_spec(
        study(init="pytorch", inputs="standardize", precision="auto"), "f0123456789abcdef", "x"
    )
    assert ours["model"]["init"] == "pytorch" and ours["dataset"]["normalize"] == "fold"
    assert ours["training"]["precision"] == "auto"
    lenet = search_run_spec(study(model="lenet5"), "f0123456789abcdef", "x")
    assert "init" not in lenet["model"]  # a model without the option


@pytest.mark.hostile
@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ({"model": "lenet5", "init": "pytorch"}, "config key 'search.init' is 'pytorch', but the"),
        ({"references": {"relu": "max(x, y)"}}, "config key 'search.references.relu': "),
        ({"references": {}}, "config key 'search.references' "),
    ],
)
def test_a_bad_fitness_set_up_is_one_sentence(search, expected):
    from actstudy.errors import ConfigError

    with pytest.raises(ConfigError) as error:
        study(**search)
    assert str(error.value).startswith(expected), str(error.value)


def test_a_keys_formula_is_fixed_by_its_spec_once_written(tmp_path):
    """Two searches reach one key by different formulas: the first spec written decides."""
    for method, formula in (("ga", "x + x"), ("random", "2 * x")):
        (tmp_path / method).mkdir()
        state = {"train": {"fa": formula}, "cache": {}}
        (tmp_path / method / "gen3.json").write_text(json.dumps(state))
    states = [tmp_path / "ga" / "gen3.json", tmp_path / "random" / "gen3.json"]
    assert formula_of("fa", states) == "x + x"
    (tmp_path / "specs").mkdir()
    spec = {"activation": {"label": "fa", "spec": {"expr": "2 * x"}}}
    (tmp_path / "specs" / "fa.json").write_text(json.dumps(spec))
    assert formula_of("fa", states) == "2 * x"


def test_the_studys_activations_and_references_are_keyed_like_candidates():
    listed = listed_keys(study()["activations"], options())
    assert listed[function_key("max(x, 0)", PROBE)] == "relu"  # the activation's label wins
    assert listed[function_key("x * sigmoid(x)", PROBE)] == "swish"


def test_a_found_formula_is_simplified_and_written_as_math():
    assert plain("max(max(x, 0), x)") == "Max(0, x)"
    assert plain("x * exp(-x) + x * exp(-x)") == "2*x*exp(-x)"
    assert plain("-x * erf(exp(-x))") == "-x*erf(exp(-x))"
    assert math_text("x * sigmoid(x)") == r"$x \sigma{\left(x \right)}$"
    assert math_text("abs(x)") == "$|{x}|$"


ELITES = [  # four functions of distinct operators: a child shows which parents it came from
    (("relu", "add", "sin"), 4.0),
    (("x", "mul", "tanh"), 3.0),
    (("exp", "max", "abs"), 2.0),
    (("neg", "sigmoid_mul", "erf"), 1.0),
]


def parents_of(child: tuple[str, ...]) -> frozenset[int]:
    return frozenset(i for i, (elite, _) in enumerate(ELITES) if set(child) & set(elite))


def test_the_elites_pair_in_rank_order_as_the_code_or_shuffled_by_name():
    pairs: dict[str, set[frozenset[int]]] = {}
    for pairing in ("ranked", "shuffled"):
        given = options(pairing=pairing, population=12, elite=4, crossover=1.0, mutation=0.0)
        pairs[pairing] = {
            parents_of(p.chromosome)
            for generation in range(1, 60)
            for p in next_generation(ELITES, generation, given, " ".join)
            if p.origin == "crossover"
        }
    assert pairs["ranked"] == {frozenset({0, 1}), frozenset({2, 3})}  # best with second, ..
    assert len(pairs["shuffled"]) == 6  # every pair of the four


def test_the_codes_crossover_cut_may_fall_at_0_and_give_back_the_parents():
    rng = np.random.default_rng(0)
    a, b = ELITES[0][0], ELITES[1][0]
    ours = {crossover(a, b, rng, CUT_FROM["from_1"]) for _ in range(300)}
    code = {crossover(a, b, rng, CUT_FROM["from_0"]) for _ in range(300)}
    assert (b, a) not in ours and len(ours) == 2  # cuts 1 and 2: a tail always swapped
    assert code == ours | {(b, a)}  # cut 0: whole chromosomes swapped
    # through the options: a cut at 0 makes copies of the elites, which are dropped
    for cut, share in (("from_1", 0.0), ("from_0", 1 / 3)):
        given = options(crossover_cut=cut, population=6, elite=2, crossover=1.0, mutation=0.0)
        none = [
            not any(p.origin == "crossover" for p in next_generation(ELITES, g, given, " ".join))
            for g in range(1, 301)
        ]
        assert np.mean(none) == pytest.approx(share, abs=0.08)
