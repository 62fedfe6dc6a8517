"""What a finished search hands on: its best distinct functions, as the ``activations:`` of a
study and as the functions the study's own evaluation trains, and where a candidate's formula is
found while the search runs.

The top functions are the candidates of every generation ranked by fitness (ties: the earlier
candidate first), one per cache key (the same function reached twice counts once), fitness 0
left out (pre-screened or not finite: nothing to evaluate). Each is an expression activation,
``{expr: <formula>}``, labelled ``<prefix>_<rank>``: ``searched_1`` (the best) to
``searched_<k>`` for the study's search (``search.method``), ``random_1`` .. for the random
baseline beside it (:func:`label_prefix`).

The study's evaluation trains the best ``search.evaluate_top`` of the study's search (and of the
random baseline's with ``search.evaluate_baseline``) on its datasets, models and folds like the
activations it lists. Their labels are known when the workflow starts (:func:`searched_labels`),
their formulas once the search has finished: the winners file ``search/<method>/evaluated.json``
(:func:`winners`, format :data:`WINNERS_FORMAT`) holds each one's formula and where it came from
(method, rank, generation, fitness, chromosome), which every run of it records in its spec.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

WINNERS_FORMAT = "actstudy-search-winners/1"
REFERENCE = "reference"
"""The ``origin`` of a reference function's row (the sanity gate's, not a candidate)."""
_AGAIN = "_g"
WORKFLOW_OPTIONS = frozenset({"top", "baseline", "evaluate_top", "evaluate_baseline"})
"""Search options that only say what the workflow does with the search's results: they change
no generation's candidates (a state may differ in them; ``search-next`` is not given them)."""


def methods(search: Mapping[str, Any] | None) -> list[str]:
    """The searches a study runs (its validated ``search`` section): its method, and the random
    baseline when asked for."""
    if search is None:
        return []
    baseline = search["baseline"] and search["method"] != "random"
    return [search["method"], *(["random"] if baseline else [])]


def budget_method(search: Mapping[str, Any], method: str) -> str | None:
    """The search whose trainings a search's generations match: the GA's for the random
    baseline beside it (equal trainings, generation by generation); None for the study's own
    search (a whole population each generation)."""
    return "ga" if method == "random" and methods(search) == ["ga", "random"] else None


def evaluated_methods(search: Mapping[str, Any] | None) -> list[str]:
    """The searches whose best functions the study's evaluation trains: its method's, and the
    random baseline's with ``evaluate_baseline``; none with ``evaluate_top: 0``."""
    if search is None or search["evaluate_top"] == 0:
        return []
    return [m for m in methods(search) if m == search["method"] or search["evaluate_baseline"]]


def label_prefix(search: Mapping[str, Any], method: str) -> str:
    """``searched`` for the study's search, the method's name (``random``) for the baseline."""
    return "searched" if method == search["method"] else method


def searched_labels(search: Mapping[str, Any] | None) -> list[str]:
    """Every label the evaluated searches' best functions may take (fewer are trained when a
    search finds fewer functions with a fitness above 0)."""
    return [
        f"{label_prefix(search, method)}_{rank}"
        for method in evaluated_methods(search)
        for rank in range(1, search["evaluate_top"] + 1)
    ]


def final_state(state: Mapping[str, Any], path: str | Path) -> Mapping[str, Any]:
    """``state`` when it is a finished search's (no candidates left); else one sentence."""
    if state["candidates"]:
        raise ValueError(
            f"{path} is the state of generation {state['generation']}, which still has "
            "candidates to score; pass the state after the last generation"
        )
    return state


def top_functions(
    state: Mapping[str, Any],
    k: int,
    prefix: str = "searched",
    listed: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The ``k`` best distinct functions of a finished search, best first (fewer when the
    search scored fewer with a fitness above 0; the references are not candidates):
    ``label`` (``<prefix>_<rank>``), ``rank, key, formula, simplified, expression, fitness,
    generation, chromosome``. ``listed``: key → label of the activations the study already
    evaluates; a function of one of their keys is no winner and the next distinct one takes
    its place: it comes in the list with ``same_as`` (that label) and no rank."""
    from actstudy.search.display import plain  # SymPy: not at the workflow's start-up

    listed = listed or {}
    rows = [row for row in state["scored"] if row["fitness"] > 0 and row["origin"] != REFERENCE]
    rows.sort(key=lambda row: (-row["fitness"], row["generation"], row["index"]))
    chosen: dict[str, Mapping[str, Any]] = {}
    for row in rows:
        if len(chosen.keys() - listed.keys()) == k:
            break
        chosen.setdefault(row["key"], row)
    cache, entries, rank = state["cache"], [], 0
    for key, row in chosen.items():
        formula = cache[key]["formula"] if key in cache else row["expression"]
        entry = {
            "key": key,
            "formula": formula,
            "simplified": plain(formula),
            "expression": row["expression"],
            "fitness": row["fitness"],
            "generation": row["generation"],
            "chromosome": " ".join(row["chromosome"]),
        }
        if key in listed:
            entries.append({"label": None, "rank": None, "same_as": listed[key], **entry})
        else:
            rank += 1
            entries.append({"label": f"{prefix}_{rank}", "rank": rank, **entry})
    return entries


def shown_curves(state: Mapping[str, Any], top: Iterable[Mapping[str, Any]]) -> Any:
    """f and f′ of the functions a search's figures draw (its winners, then its references),
    each with its fitness: function_curves' columns and ``fitness``, ``reference``."""
    from actstudy.evaluation.activation_curves import function_curves

    references = [row for row in state["scored"] if row["origin"] == REFERENCE]
    shown = [
        *({"label": e["label"], "formula": e["formula"], "fitness": e["fitness"]} for e in top),
        *(
            {"label": row["label"], "formula": row["expression"], "fitness": row["fitness"]}
            for row in references
        ),
    ]
    shown = [entry for entry in shown if entry["label"]]
    curves = function_curves(shown)
    fitness = {entry["label"]: entry["fitness"] for entry in shown}
    return curves.assign(
        fitness=curves.activation.map(fitness),
        reference=curves.activation.isin({row["label"] for row in references}),
    )


def top_text(top: list[dict[str, Any]], study: str, method: str, k: int) -> str:
    """A YAML file whose ``activations:`` are the top functions (to paste into another study),
    each with its fitness in a comment."""
    count = sum(bool(entry["label"]) for entry in top)
    lines = [
        f"# The best {count} distinct functions of study {study}'s {method} search "
        f"(search.top: {k}), best first.",
        "# The study's evaluation trains the best search.evaluate_top of them by itself; to "
        "evaluate them elsewhere,",
        "# paste these lines under another study's activations: (without a search of its own).",
        "activations:",
    ]
    for entry in top:
        fitness = "inf" if math.isinf(entry["fitness"]) else f"{entry['fitness']:.6g}"
        where = f"fitness {fitness}, generation {entry['generation']}, {entry['chromosome']}"
        if entry["label"] is None:
            lines.append(
                f"  # {entry['simplified']} ({where}) is {entry['same_as']}, which the study "
                "already evaluates: the next distinct function takes its place"
            )
            continue
        lines.append(
            f"  {entry['label']}: {{expr: {json.dumps(entry['formula'])}}}"
            f"  # {entry['simplified']}; {where}"
        )
    if not any(entry["label"] for entry in top):
        lines[-1] = "activations: {}  # no candidate had a fitness above 0"
    return "\n".join(lines) + "\n"


def winners(
    state: Mapping[str, Any],
    k: int,
    method: str,
    prefix: str,
    listed: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The winners file of a finished search (``search/<method>/evaluated.json``): its best
    ``k`` distinct functions not among the study's activations (``listed``: key → label),
    labelled ``<prefix>_<rank>``, as the evaluation trains them; ``same_as_listed``: the
    better ones that equal a listed activation."""
    top = [{**entry, "method": method} for entry in top_functions(state, k, prefix, listed)]
    return {
        "format": WINNERS_FORMAT,
        "method": method,
        "functions": [entry for entry in top if entry["label"]],
        "same_as_listed": [entry for entry in top if not entry["label"]],
    }


def read_winners(path: str | Path, labels: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Label → entry of a winners file, for the entries labelled one of ``labels`` (a file
    written with a larger ``evaluate_top`` names more, until the workflow writes it again);
    ValueError with one sentence when it is not a winners file."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = {entry["label"]: entry for entry in data["functions"]}
        valid = data["format"] == WINNERS_FORMAT and all(
            isinstance(entry["formula"], str) for entry in entries.values()
        )
    except (ValueError, TypeError, KeyError):
        valid = False
    if not valid:
        raise ValueError(
            f"{path} is not a winners file of a search ({WINNERS_FORMAT}); delete it and run "
            "the workflow again"
        )
    return {label: entry for label, entry in entries.items() if label in set(labels)}


def origin(entry: Mapping[str, Any]) -> dict[str, Any]:
    """Where a searched function came from, as its runs' specs record it."""
    keys = ("method", "rank", "generation", "fitness", "key", "chromosome", "expression")
    return {key: entry[key] for key in keys}


def formula_of(key: str, states: Iterable[str | Path]) -> str | None:
    """The formula a search trains as ``key`` (a run folder's name), fixed once its spec is
    written (``<search>/specs/<key>.json``, beside the searches' folders): every search that
    reaches the key later by another formula trains it as the spec says, so the spec never
    changes. Before that, from the newest state of ``states`` that names it (the newest holds
    every key trained or to train so far; older ones are read only when it does not); None when
    none does."""
    paths = sorted(map(Path, states), key=_generation, reverse=True)
    if paths and (spec := paths[0].parent.parent / "specs" / f"{key}.json").is_file():
        return json.loads(spec.read_text(encoding="utf-8"))["activation"]["spec"]["expr"]
    for path in paths:
        known = _keys(str(path), path.stat().st_mtime_ns)
        if key in known:
            return known[key]
    return None


def run_name(key: str, generation: int) -> str:
    """The run folder of a function trained again in ``generation`` (``retrain_elites``)."""
    return f"{key}{_AGAIN}{generation}"


def run_generation(run: str) -> int | None:
    """The generation a run folder trained a function again in; None for its first training."""
    return int(run.rsplit(_AGAIN, 1)[1]) if _AGAIN in run else None


def _generation(path: Path) -> int:
    return int(path.stem.removeprefix("gen"))


_KEYS: dict[tuple[str, int], dict[str, str]] = {}


def _keys(path: str, mtime: int) -> dict[str, str]:
    """Key → formula of a state file's ``train`` and ``cache`` (read once per version)."""
    if (path, mtime) not in _KEYS:
        state = json.loads(Path(path).read_text(encoding="utf-8"))
        known = {key: entry["formula"] for key, entry in state["cache"].items()}
        _KEYS[(path, mtime)] = {**known, **state["train"]}
    return _KEYS[(path, mtime)]
