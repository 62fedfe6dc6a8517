"""The genetic algorithm of S3 and the random-search baseline (where it departs from the
released code: docs/studies.md#s3).

One generation from the last: the best ``elite`` candidates with distinct cache keys are kept;
the elites, shuffled, are paired, and each pair is crossed over at one point with probability
``crossover`` (else copied); each child has one gene changed to another operator of its kind
with probability ``mutation`` (``mutation_mode: elite_copy``, the released code's intent:
instead one mutated copy of an elite with that probability); candidates whose key is already
present are dropped; the rest of the population is drawn at random (distinct keys). The random
search draws every generation at random. Both take their random numbers from
``numpy.random.default_rng([seed, generation])``, so a generation is a function of the seed,
its number and the previous results only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from actstudy.search.space import Chromosome, kind_of, random_chromosome

MAX_DRAWS_PER_CANDIDATE = 1000
"""How many random chromosomes the fill may draw per missing candidate before it decides the
search space holds too few distinct functions."""


@dataclass(frozen=True)
class Proposal:
    """A member of a new generation and how it came about: elite, crossover, copy (a pair not
    crossed over), each with ``+mutation`` when mutated, or random."""

    chromosome: Chromosome
    origin: str


def generation_rng(seed: int, generation: int) -> np.random.Generator:
    """The random numbers of one generation of a search."""
    return np.random.default_rng([seed, generation])


def crossover(
    a: Chromosome, b: Chromosome, rng: np.random.Generator
) -> tuple[Chromosome, Chromosome]:
    """Single-point crossover: cut both after the same position (1 to the shorter length - 1)
    and swap the tails. A gene's kind depends on its position only, so every gene stays in a
    slot of its kind; the children have the lengths of the parents whose tails they took."""
    cut = int(rng.integers(1, min(len(a), len(b))))
    return a[:cut] + b[cut:], b[:cut] + a[cut:]


def mutate(chromosome: Chromosome, rng: np.random.Generator, probability: float) -> Chromosome:
    """With ``probability``, the chromosome with one gene (drawn uniformly) changed to another
    operator of its kind (drawn uniformly); else the chromosome as it was."""
    if rng.random() >= probability:
        return chromosome
    position = int(rng.integers(len(chromosome)))
    others = [name for name in kind_of(position) if name != chromosome[position]]
    genes = list(chromosome)
    genes[position] = others[int(rng.integers(len(others)))]
    return tuple(genes)


def elites(
    ranked: Iterable[tuple[Chromosome, float]], count: int, key: Callable[[Chromosome], str]
) -> list[Chromosome]:
    """The ``count`` fittest chromosomes of distinct keys (ties: the earlier one)."""
    best: dict[str, Chromosome] = {}
    for chromosome, _ in sorted(ranked, key=lambda pair: -pair[1]):
        best.setdefault(key(chromosome), chromosome)
        if len(best) == count:
            break
    return list(best.values())


def _children(
    parents: Sequence[Chromosome], options: Mapping[str, Any], rng: np.random.Generator
) -> list[Proposal]:
    """Two children of each pair of the shuffled elites: crossed over or copied, each then
    mutated (``mutation_mode: per_child``); with ``elite_copy``, the children unmutated and,
    with probability ``mutation``, a mutated copy of one elite (drawn uniformly) first."""
    per_child = options["mutation_mode"] == "per_child"
    order = rng.permutation(len(parents))
    children = []
    for i in range(0, len(order) - 1, 2):
        a, b = parents[order[i]], parents[order[i + 1]]
        crossed = rng.random() < options["crossover"]
        pair = crossover(a, b, rng) if crossed else (a, b)
        for child in pair:
            mutated = mutate(child, rng, options["mutation"]) if per_child else child
            origin = "crossover" if crossed else "copy"
            children.append(Proposal(mutated, origin + ("+mutation" if mutated != child else "")))
    if not per_child and rng.random() < options["mutation"]:
        elite = parents[int(rng.integers(len(parents)))]
        children.insert(0, Proposal(mutate(elite, rng, 1.0), "elite+mutation"))
    return children


def fill(
    proposals: Iterable[Proposal],
    options: Mapping[str, Any],
    rng: np.random.Generator,
    key: Callable[[Chromosome], str],
) -> list[Proposal]:
    """``proposals`` without repeated keys (the first kept), up to the population, then random
    chromosomes of new keys up to the population."""
    population = options["population"]
    unique: dict[str, Proposal] = {}
    for proposal in proposals:
        unique.setdefault(key(proposal.chromosome), proposal)
    kept = dict(list(unique.items())[:population])
    draws = 0
    while len(kept) < population:
        if draws == MAX_DRAWS_PER_CANDIDATE * population:
            raise ValueError(
                f"{draws} random chromosomes of lengths {options['lengths']} gave only "
                f"{len(kept)} distinct functions; lower search.population or allow more lengths"
            )
        chromosome = random_chromosome(rng, options["lengths"])
        kept.setdefault(key(chromosome), Proposal(chromosome, "random"))
        draws += 1
    return list(kept.values())


def next_generation(
    previous: Sequence[tuple[Chromosome, float]],
    generation: int,
    options: Mapping[str, Any],
    key: Callable[[Chromosome], str],
) -> list[Proposal]:
    """Generation ``generation`` of a search (``options``: its validated section) from the
    (chromosome, fitness) pairs of the one before (none for generation 0)."""
    rng = generation_rng(options["seed"], generation)
    if options["method"] == "random" or not previous:
        return fill([], options, rng, key)
    parents = elites(previous, options["elite"], key)
    proposals = [Proposal(chromosome, "elite") for chromosome in parents]
    return fill(proposals + _children(parents, options, rng), options, rng, key)
