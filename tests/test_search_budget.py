"""The random baseline at the GA's budget: each of its generations is drawn until it trains as
many functions as the GA's generation of the same number, and candidates.csv counts both
searches' trainings alike (actstudy.search.budget: references, cached and pre-screened
candidates cost none)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from actstudy.cli import main
from actstudy.search.budget import (
    at_equal_trainings,
    best_by_trainings,
    budget_of,
    state_trainings,
    trainings,
)
from actstudy.search.ga import Budget, next_generation
from actstudy.search.state import search_next
from actstudy.study.search_options import validate_search


def options(**given: object) -> dict:
    return validate_search({"dataset": "digits", "population": 12, **given})


def test_the_baselines_first_generation_trains_as_many_as_the_gas():
    ga = search_next(options(), None, None)
    budget = state_trainings(ga)
    assert budget == len(ga["train"]) - 1  # the reference (ReLU) is not counted
    random = search_next(options(method="random"), None, None, budget)
    assert state_trainings(random) == budget
    assert random["budget"] == {"rule": "ga_trainings", "trainings": budget}
    assert ga["budget"] == {"rule": "population"}
    # the same draws as the GA's generation 0, up to its last function to train
    keys = [c["key"] for c in random["candidates"]]
    assert keys == [c["key"] for c in ga["candidates"]][: len(keys)]
    assert random["candidates"][-1]["key"] in random["train"]
    # a random search on its own draws a whole population
    alone = search_next(options(method="random"), None, None)
    assert len(alone["candidates"]) == 12 and alone["budget"] == {"rule": "population"}


def test_a_budgeted_generation_draws_until_it_has_that_many_trainings():
    def trains(chromosome: tuple[str, ...]) -> bool:
        return chromosome[1] != "add"  # a stand-in for "neither cached nor pre-screened"

    given = options(method="random")
    for wanted in (0, 1, 5, 20):
        drawn = next_generation([], 3, given, " ".join, Budget(wanted, trains))
        assert sum(trains(p.chromosome) for p in drawn) == wanted
        assert len({" ".join(p.chromosome) for p in drawn}) == len(drawn)
        assert not drawn or trains(drawn[-1].chromosome)  # it stops at the last training
        assert {p.origin for p in drawn} <= {"random"}
    with pytest.raises(ValueError, match=r"gave only 0 functions to train of 1; lower"):
        next_generation([], 3, given, " ".join, Budget(1, lambda chromosome: False))


def test_the_budget_comes_from_the_gas_state_of_the_same_generation(tmp_path, capsys):
    ga_options = options()
    ga = search_next(ga_options, None, None)
    (tmp_path / "ga0.json").write_text(json.dumps(ga))
    assert budget_of(tmp_path / "ga0.json", 0) == state_trainings(ga)
    with pytest.raises(ValueError, match=r"is not the GA's state of generation 1; pass the GA's"):
        budget_of(tmp_path / "ga0.json", 1)
    random = json.dumps(options(method="random"))
    out = tmp_path / "random0.json"
    argv = ["search-next", "--options", random, "--out", str(out)]
    assert main([*argv, "--budget-of", str(tmp_path / "ga0.json")]) == 0
    assert state_trainings(json.loads(out.read_text())) == state_trainings(ga)
    with pytest.raises(ValueError, match=r"is not the GA's state of generation 0"):
        budget_of(out, 0)
    assert main([*argv, "--budget-of"]) == 0  # no value: a whole population
    assert len(json.loads(out.read_text())["candidates"]) == 12
    ga_argv = ["search-next", "--options", json.dumps(ga_options), "--out", str(out)]
    assert main([*ga_argv, "--budget-of", str(tmp_path / "ga0.json")]) != 0
    assert "only the random search draws to a budget of trainings" in capsys.readouterr().err


def candidates(method: str, rows: list[tuple[str, bool, bool, float]]) -> pd.DataFrame:
    """candidates.csv rows of one search in generation 0: (origin, cached, prescreened,
    fitness)."""
    return pd.DataFrame(
        [
            {"method": method, "generation": 0, "index": i, "origin": origin, "cached": cached}
            | {"prescreened": screened, "fitness": fitness}
            for i, (origin, cached, screened, fitness) in enumerate(rows)
        ]
    )


def test_trainings_count_candidates_neither_cached_nor_prescreened_not_references():
    table = pd.concat(
        [
            candidates(
                "ga",
                [
                    ("reference", False, False, 9.0),
                    ("random", False, False, 1.0),
                    ("random", True, False, 5.0),
                    ("random", False, True, 0.0),
                    ("random", False, False, 2.0),
                ],
            ),
            candidates("random", [("reference", False, False, 9.0), ("random", False, False, 3.0)]),
        ]
    )
    assert trainings(table).to_dict() == {"ga": 2, "random": 1}
    curves = best_by_trainings(table)
    assert curves[curves.method == "ga"].best.tolist() == [1.0, 5.0]  # the reference left out
    compared = at_equal_trainings(table).set_index("method")
    assert compared.trainings.to_dict() == {"ga": 2, "random": 1}
    assert (compared.budget == 1).all()
    assert compared.best_at_budget.to_dict() == {"ga": 1.0, "random": 3.0}
