"""The genetic algorithm of S3 and the random-search baseline (where it departs from the
released code: docs/studies.md#s3).

One generation from the last: the best ``elite`` candidates with distinct cache keys are kept;
the elites are paired in rank order, the best with the second and so on, as the released code
pairs them (``pairing: shuffled``: after a shuffle), and each pair is crossed over at one point
with probability ``crossover`` (else copied); each child has one gene changed to another
operator of its kind with probability ``mutation`` (``mutation_mode: elite_copy``, the released
code's intent: instead one mutated copy of an elite with that probability); candidates whose key
is already present are dropped; the rest of the population is drawn at random (distinct keys).
The random search draws every generation at random: a whole population, or, as the GA's
baseline, until it has as many functions to train as the GA's generation of the same number
(:class:`Budget`). Both take their random numbers from
``numpy.random.default_rng([seed, generation])``, so a generation is a function of the seed,
its number and the previous results (and the GA's budget) only.
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

CUT_FROM = {"from_1": 1, "from_0": 0}
"""The first crossover cut of each ``crossover_cut``."""


@dataclass(frozen=True)
class Proposal:
    """A member of a new generation and how it came about: elite, crossover, copy (a pair not
    crossed over), each with ``+mutation`` when mutated, or random."""

    chromosome: Chromosome
    origin: str


@dataclass(frozen=True)
class Budget:
    """A random generation's budget: draw until ``trainings`` of its candidates need training
    (``trains``), the GA's number in the generation of the same number."""

    trainings: int
    trains: Callable[[Chromosome], bool]


def generation_rng(seed: int, generation: int) -> np.random.Generator:
    """The random numbers of one generation of a search."""
    return np.random.default_rng([seed, generation])


def crossover(
    a: Chromosome, b: Chromosome, rng: np.random.Generator, first: int = 1
) -> tuple[Chromosome, Chromosome]:
    """Single-point crossover: cut both after the same position (``first`` to the shorter
    length - 1) and swap the tails; a cut at 0 (the released code's range, ``crossover_cut:
    from_0``) swaps whole chromosomes, children equal to their parents. A gene's kind depends on
    its position only, so every gene stays in a slot of its kind; the children have the lengths
    of the parents whose tails they took."""
    cut = int(rng.integers(first, min(len(a), len(b))))
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
    """Two children of each pair of the elites (in rank order, or shuffled with ``pairing:
    shuffled``): crossed over or copied, each then mutated (``mutation_mode: per_child``); with
    ``elite_copy``, the children unmutated and, with probability ``mutation``, a mutated copy of
    one elite (drawn uniformly) first."""
    per_child = options["mutation_mode"] == "per_child"
    first_cut = CUT_FROM[options["crossover_cut"]]
    order = range(len(parents))
    if options["pairing"] == "shuffled":
        order = rng.permutation(len(parents))
    children = []
    for i in range(0, len(order) - 1, 2):
        a, b = parents[order[i]], parents[order[i + 1]]
        crossed = rng.random() < options["crossover"]
        pair = crossover(a, b, rng, first_cut) if crossed else (a, b)
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
    _draw(kept, lambda: len(kept), population, options, rng, key, "distinct functions")
    return list(kept.values())


def draw_budget(
    budget: Budget,
    options: Mapping[str, Any],
    rng: np.random.Generator,
    key: Callable[[Chromosome], str],
) -> list[Proposal]:
    """Random chromosomes of distinct keys, in the order drawn, until ``budget.trainings`` of
    them need training (none when it is 0): a generation of the random baseline."""
    kept: dict[str, Proposal] = {}

    def trainings() -> int:
        return sum(budget.trains(proposal.chromosome) for proposal in kept.values())

    _draw(kept, trainings, budget.trainings, options, rng, key, "functions to train")
    return list(kept.values())


def _draw(
    kept: dict[str, Proposal],
    count: Callable[[], int],
    wanted: int,
    options: Mapping[str, Any],
    rng: np.random.Generator,
    key: Callable[[Chromosome], str],
    what: str,
) -> None:
    """Add random chromosomes of new keys to ``kept`` until ``count()`` reaches ``wanted``."""
    draws = 0
    while count() < wanted:
        if draws == MAX_DRAWS_PER_CANDIDATE * max(wanted, options["population"]):
            raise ValueError(
                f"{draws} random chromosomes of lengths {options['lengths']} gave only "
                f"{count()} {what} of {wanted}; lower search.population or allow more lengths"
            )
        chromosome = random_chromosome(rng, options["lengths"])
        kept.setdefault(key(chromosome), Proposal(chromosome, "random"))
        draws += 1


def next_generation(
    previous: Sequence[tuple[Chromosome, float]],
    generation: int,
    options: Mapping[str, Any],
    key: Callable[[Chromosome], str],
    budget: Budget | None = None,
) -> list[Proposal]:
    """Generation ``generation`` of a search (``options``: its validated section) from the
    (chromosome, fitness) pairs of the one before (none for generation 0); a random search
    with a ``budget`` draws until it has that many trainings."""
    rng = generation_rng(options["seed"], generation)
    if options["method"] == "random" and budget is not None:
        return draw_budget(budget, options, rng, key)
    if options["method"] == "random" or not previous:
        return fill([], options, rng, key)
    parents = elites(previous, options["elite"], key)
    proposals = [Proposal(chromosome, "elite") for chromosome in parents]
    return fill(proposals + _children(parents, options, rng), options, rng, key)
