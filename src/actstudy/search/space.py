"""The search space of S3 (AFOS): 17 unary and 7 binary operators, chromosomes of length 3, 5
and 7, and their decoding into a formula of the expression activation
(:mod:`actstudy.activations.expression`), so a candidate trains as ``{expr: <formula>}``.

A chromosome is a tuple of operator names in the in-order (infix) reading of its tree, so even
positions are unary slots and odd positions binary slots at every length:

- length 3, ``(U1, B, U2)``: B(U1(x), U2(x));
- length 5, ``(U1, B1, U2, B0, U3)``: B0(B1(U1(x), U2(x)), U3(x));
- length 7, ``(U1, B1, U2, B0, U3, B2, U4)``: B0(B1(U1(x), U2(x)), B2(U3(x), U4(x))).

A gene's kind depends on its position only, so a single-point crossover of two chromosomes of
any lengths gives children whose every gene sits in a slot of its own kind (and whose lengths are
the parents').
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping, Sequence

import numpy as np

Chromosome = tuple[str, ...]
LENGTHS = (3, 5, 7)
_X = ast.Name("x")


def _call(name: str, *args: ast.expr) -> ast.expr:
    return ast.Call(ast.Name(name), list(args), [])


def _product(a: ast.expr, b: ast.expr) -> ast.expr:
    return ast.BinOp(a, ast.Mult(), b)


def _negated(a: ast.expr) -> ast.expr:
    return ast.UnaryOp(ast.USub(), a)


UNARY: dict[str, ast.expr] = {
    "x": _X,
    "exp": _call("exp", _X),
    "abs": _call("abs", _X),
    "neg": _negated(_X),
    "exp_neg": _call("exp", _negated(_X)),
    "min0": _call("min", _X, ast.Constant(0)),
    "erf": _call("erf", _X),
    "sigmoid": _call("sigmoid", _X),
    "x_erf": _product(_X, _call("erf", _X)),
    "relu": _call("max", _X, ast.Constant(0)),
    "sin": _call("sin", _X),
    "arctan": _call("arctan", _X),
    "tanh": _call("tanh", _X),
    "softplus": _call("softplus", _X),
    "sinh": _call("sinh", _X),
    "artanh": _call("artanh", _X),
    "arsinh": _call("arsinh", _X),
}
"""The unary operators of S3 (docs/studies.md#s3), in its order, each applied to x: x, e^x,
|x|, −x, e^-x, min(x,0), erf x, σ(x), x·erf x, max(x,0), sin x, arctan x, tanh x, softplus x,
sinh x, artanh x, arsinh x."""

BINARY: dict[str, Callable[[ast.expr, ast.expr], ast.expr]] = {
    "add": lambda a, b: ast.BinOp(a, ast.Add(), b),
    "mul": _product,
    "max_relu": lambda a, b: _call("max", _call("max", a, ast.Constant(0)), b),
    "mul_erf": lambda a, b: _product(a, _call("erf", b)),
    "max": lambda a, b: _call("max", a, b),
    "mul_exp": lambda a, b: _product(a, _call("exp", b)),
    "sigmoid_mul": lambda a, b: _product(_call("sigmoid", a), b),
}
"""The binary operators of S3 (docs/studies.md#s3), in its order: a+b, a·b, max(max(a,0),b),
a·erf(b), max(a,b), a·e^b, σ(a)·b."""


def kind_of(position: int) -> Mapping[str, object]:
    """The operators a gene at ``position`` draws from: unary at even, binary at odd ones."""
    return BINARY if position % 2 else UNARY


def check(genes: Sequence[str], lengths: Sequence[int] = LENGTHS) -> Chromosome:
    """``genes`` as a chromosome, or ValueError with one sentence saying what is wrong."""
    if not isinstance(genes, list | tuple) or len(genes) not in lengths:
        allowed = " or ".join(map(str, lengths))
        raise ValueError(
            f"the chromosome {genes!r} is not a list of {allowed} operator names; give one"
        )
    for position, gene in enumerate(genes):
        operators = kind_of(position)
        if not isinstance(gene, str) or gene not in operators:
            kind = "binary" if operators is BINARY else "unary"
            raise ValueError(
                f"gene {position} of the chromosome {list(genes)} is {gene!r}, not a {kind} "
                f"operator; use one of {', '.join(operators)}"
            )
    return tuple(genes)


def _tree(genes: Chromosome) -> ast.expr:
    """The tree of a checked chromosome, from its in-order reading."""
    if len(genes) == 1:
        return UNARY[genes[0]]
    if len(genes) == 7:  # the balanced shape B0(B1(U1, U2), B2(U3, U4))
        return BINARY[genes[3]](_tree(genes[:3]), _tree(genes[4:]))
    return BINARY[genes[-2]](_tree(genes[:-2]), UNARY[genes[-1]])


def decode(genes: Sequence[str]) -> str:
    """The formula of a chromosome, in the expression activation's grammar."""
    return ast.unparse(_tree(check(genes)))


def random_chromosome(rng: np.random.Generator, lengths: Sequence[int]) -> Chromosome:
    """A chromosome of a length drawn from ``lengths``, each gene drawn uniformly of its kind."""
    genes = []
    for position in range(int(rng.choice(lengths))):
        names = list(kind_of(position))
        genes.append(names[int(rng.integers(len(names)))])
    return tuple(genes)
