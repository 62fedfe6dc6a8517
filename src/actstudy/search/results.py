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
    state: Mapping[str, Any], k: int, prefix: str = "searched"
) -> list[dict[str, Any]]:
    """The ``k`` best distinct functions of a finished search, best first (fewer when the
    search scored fewer with a fitness above 0): ``label`` (``<prefix>_<rank>``), ``rank, key,
    formula, expression, fitness, generation, chromosome``."""
    rows = [row for row in state["scored"] if row["fitness"] > 0]
    rows.sort(key=lambda row: (-row["fitness"], row["generation"], row["index"]))
    chosen: dict[str, Mapping[str, Any]] = {}
    for row in rows:
        if len(chosen) == k:
            break
        chosen.setdefault(row["key"], row)
    cache = state["cache"]
    return [
        {
            "label": f"{prefix}_{rank}",
            "rank": rank,
            "key": key,
            "formula": cache[key]["formula"] if key in cache else row["expression"],
            "expression": row["expression"],
            "fitness": row["fitness"],
            "generation": row["generation"],
            "chromosome": " ".join(row["chromosome"]),
        }
        for rank, (key, row) in enumerate(chosen.items(), start=1)
    ]


def top_text(top: list[dict[str, Any]], study: str, method: str, k: int) -> str:
    """A YAML file whose ``activations:`` are the top functions (to paste into another study),
    each with its fitness in a comment."""
    lines = [
        f"# The best {len(top)} distinct functions of study {study}'s {method} search "
        f"(search.top: {k}), best first.",
        "# The study's evaluation trains the best search.evaluate_top of them by itself; to "
        "evaluate them elsewhere,",
        "# paste these lines under another study's activations: (without a search of its own).",
        "activations:",
    ]
    for entry in top:
        fitness = "inf" if math.isinf(entry["fitness"]) else f"{entry['fitness']:.6g}"
        lines.append(
            f"  {entry['label']}: {{expr: {json.dumps(entry['formula'])}}}"
            f"  # fitness {fitness}, generation {entry['generation']}, {entry['chromosome']}"
        )
    if not top:
        lines[-1] = "activations: {}  # no candidate had a fitness above 0"
    return "\n".join(lines) + "\n"


def winners(state: Mapping[str, Any], k: int, method: str, prefix: str) -> dict[str, Any]:
    """The winners file of a finished search (``search/<method>/evaluated.json``): its best
    ``k`` distinct functions, labelled ``<prefix>_<rank>``, as the evaluation trains them."""
    functions = [{**entry, "method": method} for entry in top_functions(state, k, prefix)]
    return {"format": WINNERS_FORMAT, "method": method, "functions": functions}


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
    """The formula a search trains as ``key``: from the newest state of ``states`` that names
    it (the newest holds every key trained or to train so far; older ones are read only when
    it does not); None when none does."""
    for path in sorted(map(Path, states), key=_generation, reverse=True):
        known = _keys(str(path), path.stat().st_mtime_ns)
        if key in known:
            return known[key]
    return None


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
