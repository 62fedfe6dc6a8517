"""A found formula as a reader sees it: simplified by SymPy and written as math.

The formula a candidate trains with stays its structural canonical form
(:func:`actstudy.search.probe.canonical`); this is for tables and figures only. σ and softplus
stay named functions (SymPy would spell them out in exponentials)."""

from __future__ import annotations

import functools

import sympy

_X = sympy.Symbol("x", real=True)
_NAMES = {
    "x": _X,
    "exp": sympy.exp,
    "abs": sympy.Abs,
    "erf": sympy.erf,
    "sigmoid": sympy.Function("sigma"),
    "softplus": sympy.Function("softplus"),
    "tanh": sympy.tanh,
    "sin": sympy.sin,
    "arctan": sympy.atan,
    "sinh": sympy.sinh,
    "artanh": sympy.atanh,
    "arsinh": sympy.asinh,
    "max": sympy.Max,
    "min": sympy.Min,
}


@functools.cache
def simplified(formula: str) -> sympy.Expr:
    """The formula (the expression activation's grammar) as a simplified SymPy expression."""
    return sympy.simplify(sympy.sympify(formula, locals=_NAMES))


def plain(formula: str) -> str:
    """The simplified formula as text."""
    return str(simplified(formula))


def math_text(formula: str) -> str:
    """The simplified formula as matplotlib math text (``$...$``; |x| as plain bars, which
    mathtext draws at full height)."""
    latex = sympy.latex(simplified(formula)).replace(r"\left|", "|").replace(r"\right|", "|")
    return f"${latex}$"
