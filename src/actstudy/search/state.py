"""A search, one generation at a time, through JSON state files (``search-next``).

The state of generation g (format :data:`FORMAT`) holds:

- ``generation``: g; ``options``: the validated search section it was made with;
- ``budget``: how many candidates g has: ``{rule: population}`` (a whole population), or, for
  the random baseline beside the GA, ``{rule: ga_trainings, trainings: n}``: drawn until n of
  them need training, n the GA's trainings in its generation g
  (:func:`actstudy.search.budget.state_trainings`: both searches train as many functions,
  generation by generation);
- ``candidates``: the population, each ``{index, chromosome, expression, key, origin, cached,
  screen, run}`` (``key``: the fitness cache's, :func:`actstudy.search.probe.function_key`;
  ``cached``: trained in an earlier generation; ``screen``: the pre-screen's reason for fitness 0
  without training, or null; ``run``: the run folder of a member trained again, with
  ``retrain_elites``, or null);
- ``references`` (generation 0 only): the reference functions (``search.references``), each
  ``{label, expression, key}``, trained before any candidate: the sanity gate
  (:func:`actstudy.search.fitness.check_gate`) and the fitness a found function must beat;
- ``train``: run folder → formula of every function this generation must train (neither cached
  nor screened), each one run folder ``<results>/<run>/`` named by its cache key
  (``<key>_g<generation>`` when trained again;
  :func:`actstudy.study.search_options.search_run_spec`);
- ``cache``: key → ``{fitness, status, reason, epochs, seconds, formula, generation}`` of every
  candidate trained before g;
- ``scored``: one row per candidate of generations 0 to g - 1 (:data:`COLUMNS`).

:func:`search_next` scores generation g from its runs and proposes g + 1 (a pure function of the
seed, g + 1 and the scores); the state after the last generation has no candidates. The rows of
a state, with its method, are ``candidates.csv`` (:func:`candidates_table`; the workflow's
holds every search of the study).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from actstudy.errors import ConfigError
from actstudy.search.canonical import canonical
from actstudy.search.fitness import Fitness, check_gate, fitness_of, reference_functions
from actstudy.search.ga import Budget, next_generation
from actstudy.search.probe import Probe, function_key, prescreen
from actstudy.search.results import REFERENCE, WORKFLOW_OPTIONS, run_name
from actstudy.search.space import Chromosome, check, decode

FORMAT = "actstudy-search-state/3"
COLUMNS = (
    "generation",
    "index",
    "chromosome",
    "expression",
    "key",
    "origin",
    "label",
    "fitness",
    "accuracy",
    "status",
    "reason",
    "cached",
    "prescreened",
    "epochs",
    "seconds",
)
"""The columns of candidates.csv: ``chromosome`` is the operator names, space-separated;
``origin`` ``reference`` marks a reference function (``label``: its label; no chromosome),
trained in generation 0 before the candidates; ``accuracy`` the validation accuracy the fitness
came from; ``seconds`` the run's (0 when cached or pre-screened)."""

UNTIED = frozenset({"generations"}) | WORKFLOW_OPTIONS
"""Search options a state may differ in from the options it continues with: how long the search
runs, and what the workflow does with its results (they change no generation's candidates)."""


@dataclass(frozen=True)
class Description:
    """A chromosome's formula, its structural canonical form, cache key and pre-screen."""

    expression: str
    formula: str
    key: str
    screen: str | None


@cache
def describe(chromosome: Chromosome, probe: Probe) -> Description:
    """What a chromosome is before training (computed once per process)."""
    expression = decode(chromosome)
    return Description(
        expression,
        canonical(expression),
        function_key(expression, probe),
        prescreen(expression, probe),
    )


def _training(
    described: Description, options: Mapping[str, Any], cache: Mapping[str, Any], generation: int
) -> tuple[str, str] | None:
    """The run folder and formula a candidate trains as in ``generation``; None when its
    fitness comes from the cache or the pre-screen."""
    if described.screen and options["prescreen"]:
        return None
    if described.key not in cache:
        return described.key, described.formula
    if options["retrain_elites"]:
        return run_name(described.key, generation), cache[described.key]["formula"]
    return None


def _propose(
    options: Mapping[str, Any],
    generation: int,
    scored: list[dict[str, Any]],
    cache: dict[str, dict[str, Any]],
    budget: int | None,
) -> dict[str, Any]:
    """The state of ``generation``: its candidates from the rows of the one before (a random
    search with a ``budget`` draws until it has that many trainings)."""
    probe = Probe.from_options(options["probe"])
    previous = [
        (tuple(row["chromosome"]), row["fitness"])
        for row in scored
        if row["generation"] == generation - 1 and row["origin"] != REFERENCE
    ]
    references = reference_functions(options) if generation == 0 else []
    train = {reference["key"]: reference["expression"] for reference in references}

    def trains(chromosome: Chromosome) -> bool:
        training = _training(describe(chromosome, probe), options, cache, generation)
        return training is not None and training[0] not in train

    proposals = []
    if generation < options["generations"]:
        proposals = next_generation(
            previous,
            generation,
            options,
            lambda c: describe(c, probe).key,
            None if budget is None else Budget(budget, trains),
        )
    candidates = []
    for index, proposal in enumerate(proposals):
        described = describe(proposal.chromosome, probe)
        training = _training(described, options, cache, generation)
        if training is not None:
            train.setdefault(*training)
        run = training[0] if training and training[0] != described.key else None
        candidates.append(
            {
                "index": index,
                "chromosome": list(proposal.chromosome),
                "expression": described.expression,
                "key": described.key,
                "origin": proposal.origin,
                "cached": described.key in cache,
                "screen": described.screen if options["prescreen"] else None,
                "run": run,
            }
        )
    return {
        "format": FORMAT,
        "generation": generation,
        "options": dict(options),
        "budget": (
            {"rule": "population"}
            if budget is None
            else {"rule": "ga_trainings", "trainings": budget}
        ),
        "references": references,
        "candidates": candidates,
        "train": train,
        "cache": cache,
        "scored": scored,
    }


def _trained(run: Path, key: str, generation: int, cache: dict[str, dict[str, Any]]) -> Fitness:
    """The fitness of a function's first run, which enters the cache with the formula it
    trained with."""
    fitness = fitness_of(run)
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    formula = manifest["spec"]["activation"]["spec"]["expr"]
    cache[key] = {**vars(fitness), "formula": formula, "generation": generation}
    return fitness


def _score(
    candidate: Mapping[str, Any],
    generation: int,
    cache: dict[str, dict[str, Any]],
    results: Path | None,
) -> tuple[Fitness, bool]:
    """A candidate's fitness, and whether it came from the cache (a trained one enters it)."""
    key = candidate["key"]
    if candidate["screen"]:
        return Fitness(0.0, "prescreened", candidate["screen"]), False
    if key in cache and not candidate.get("run"):
        return cache_fitness(cache[key]), True
    if results is None:
        raise ValueError(
            f"candidate {key} must be trained; pass --results, the folder of the generation's "
            "run folders (one per key)"
        )
    if candidate.get("run"):  # trained again: its own score, the cache keeps the first
        return fitness_of(results / candidate["run"]), False
    return _trained(results / key, key, generation, cache), False


def _row(candidate: Mapping[str, Any], fitness: Fitness, **fields: Any) -> dict[str, Any]:
    row = {"label": "", "chromosome": [], **candidate, **vars(fitness), **fields}
    return {column: row[column] for column in COLUMNS}


def _reference_rows(
    state: Mapping[str, Any], cache: dict[str, dict[str, Any]], results: Path | None
) -> list[dict[str, Any]]:
    """The rows of generation 0's references, scored (they enter the cache first); the first
    must pass the sanity gate."""
    rows = []
    for index, reference in enumerate(state.get("references", [])):
        key = reference["key"]
        if results is None:
            raise ValueError(
                f"the reference {reference['label']} must be trained; pass --results, the "
                "folder of the generation's run folders (one per key)"
            )
        if index == 0:
            check_gate(results / key, reference["label"], state["options"])
        cached = key in cache
        fitness = cache_fitness(cache[key]) if cached else _trained(results / key, key, 0, cache)
        rows.append(
            _row(
                reference,
                fitness,
                generation=0,
                index=index,
                origin=REFERENCE,
                cached=cached,
                prescreened=False,
            )
        )
    return rows


def cache_fitness(entry: Mapping[str, Any]) -> Fitness:
    """A cache entry's fitness (nothing trained: 0 seconds)."""
    return Fitness(
        entry["fitness"], entry["status"], entry["reason"], entry["epochs"], 0.0, entry["accuracy"]
    )


def _scored_rows(
    state: Mapping[str, Any], cache: dict[str, dict[str, Any]], results: Path | None
) -> list[dict[str, Any]]:
    """The candidates.csv rows of ``state``'s generation, scored (its references first)."""
    rows = _reference_rows(state, cache, results)
    for candidate in state["candidates"]:
        fitness, cached = _score(candidate, state["generation"], cache, results)
        rows.append(
            _row(
                candidate,
                fitness,
                generation=state["generation"],
                cached=cached,
                prescreened=bool(candidate["screen"]),
            )
        )
    return rows


def search_next(
    options: Mapping[str, Any],
    state: Mapping[str, Any] | None,
    results: Path | None,
    budget: int | None = None,
) -> dict[str, Any]:
    """The state of the next generation: generation 0 without ``state``; else ``state``'s
    generation scored from the run folders ``results/<run>/`` of its ``train`` keys, and the
    generation after it proposed. ``budget`` (a random search: the GA's trainings in the
    generation proposed, :func:`~actstudy.search.budget.budget_of`): it draws until it has as
    many."""
    if budget is not None and options["method"] != "random":
        raise ValueError("only the random search draws to a budget of trainings; pass none")
    if state is None:
        return _propose(options, 0, [], {}, budget)
    cache = {key: dict(entry) for key, entry in state["cache"].items()}
    scored = list(state["scored"]) + _scored_rows(state, cache, results)
    return _propose(options, state["generation"] + 1, scored, cache, budget)


def read_state(path: str | Path, options: Mapping[str, Any]) -> dict[str, Any]:
    """A state file, checked against the search options it continues with (they may only
    change :data:`UNTIED`: ``generations``, to lengthen or shorten the search, and how many of
    its best functions the workflow evaluates)."""
    path = Path(path)
    state = load_state(path)
    changed = sorted(
        key
        for key in set(state["options"]) | set(options)
        if key not in UNTIED and state["options"].get(key) != options.get(key)
    )
    if changed:
        raise ConfigError(
            f"{path} was made with other search options ({', '.join(changed)}); restore them, "
            "or delete the search's results to start it again"
        )
    for candidate in state["candidates"]:
        check(candidate["chromosome"], options["lengths"])
    return state


def load_state(path: Path) -> dict[str, Any]:
    """A state file of this :data:`FORMAT`; else one sentence."""
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not a search state ({error}); delete it and rerun") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"{path} is not a search state of format {FORMAT}; delete it and rerun")
    return state


def candidates_table(*states: Mapping[str, Any]) -> pd.DataFrame:
    """Every scored candidate of the states (candidates.csv), each row with its search's
    ``method`` first: state by state, in generation and index order."""
    rows = [
        {**row, "method": state["options"]["method"], "chromosome": " ".join(row["chromosome"])}
        for state in states
        for row in state["scored"]
    ]
    return pd.DataFrame(rows, columns=["method", *COLUMNS])
