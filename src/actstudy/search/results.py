"""What a finished search hands on: its best distinct functions, as the ``activations:`` of a
study, and where a candidate's formula is found while the search runs.

The top functions are the candidates of every generation ranked by fitness (ties: the earlier
candidate first), one per cache key (the same function reached twice counts once), fitness 0
left out (pre-screened or not finite: nothing to evaluate). They are labelled ``searched_1`` (the
best) to ``searched_<k>``; each is an expression activation, ``{expr: <formula>}``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

LABEL = "searched_{rank}"


def final_state(state: Mapping[str, Any], path: str | Path) -> Mapping[str, Any]:
    """``state`` when it is a finished search's (no candidates left); else one sentence."""
    if state["candidates"]:
        raise ValueError(
            f"{path} is the state of generation {state['generation']}, which still has "
            "candidates to score; pass the state after the last generation"
        )
    return state


def top_functions(state: Mapping[str, Any], k: int) -> list[dict[str, Any]]:
    """The ``k`` best distinct functions of a finished search, best first (fewer when the
    search scored fewer with a fitness above 0): ``label, key, formula, expression, fitness,
    generation, chromosome``."""
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
            "label": LABEL.format(rank=rank),
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
    """A YAML file whose ``activations:`` are the top functions (to paste into a study, or to
    pass after it with ``--configfile``), each with its fitness in a comment."""
    lines = [
        f"# The best {len(top)} distinct functions of study {study}'s {method} search "
        f"(search.top: {k}), best first.",
        "# Evaluate them: snakemake --configfile <the study> <this file> --replace-workflow-config",
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
