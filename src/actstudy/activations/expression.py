"""Activations written as a formula in x, e.g. ``{expr: "-x*erf(exp(-x))"}``.

The formula is parsed with :mod:`ast` and checked node by node against a whitelist; it is never
evaluated as Python code. Allowed: the variable ``x``, numbers, ``+ - * / **``, unary ``-`` and
``+``, parentheses and the functions in :data:`FUNCTIONS`, all written in ASCII (a look-alike
letter such as the Cyrillic ``х`` is refused by name). Constant sub-formulas are folded once, in
float64, and must stay finite in float32. The result is a small tree of torch operations, so
autograd differentiates it.

Powers are written ``**`` (``^`` is rejected). A power of an expression in x takes a constant
exponent (after folding, so ``x**(2**3)`` is ``x**8``) in [-MAX_EXPONENT, MAX_EXPONENT]: an
exponent that depends on x, as in ``x**(x*0 + 100)``, is refused rather than clamped at run time:
its size cannot be checked before training, a clamp would silently compute another formula, and a
negative base with a varying (so non-integer) exponent gives NaN anyway. A constant base may take
any exponent (``2**x``), as ``exp`` may.

Nesting is measured in depth, not width: each function call, unary sign and operand of another
operator is one level deeper, while a chain of operators of one precedence (``x+x+...+x``,
``x*y/z``), which Python parses as a deep tree, stays on one level; MAX_LENGTH bounds its length.
"""

from __future__ import annotations

import ast
import functools
import math
import operator
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:
    import torch

MAX_LENGTH = 500
MAX_DEPTH = 32
MAX_EXPONENT = 16.0
EXPRESSION_COMPILE = True
"""Compile a model using an expression? It is a chain of eager element-wise ops that
compilation fuses (see :func:`actstudy.activations.registry.recommended_compile`)."""
_FLOAT32_MAX = float.fromhex("0x1.fffffep+127")  # torch.finfo(torch.float32).max (tested)

Value = Union["torch.Tensor", float]

FUNCTIONS: dict[str, int] = {
    **dict.fromkeys(
        ["exp", "erf", "sigmoid", "softplus", "tanh", "sin", "cos", "abs", "relu", "sinh"], 1
    ),
    **dict.fromkeys(["arctan", "atan", "arsinh", "arcsinh", "asinh"], 1),
    **dict.fromkeys(["artanh", "arctanh", "atanh"], 1),
    "min": 2,
    "max": 2,
}
"""Function name → number of arguments (their torch operations: :func:`_torch_functions`)."""


@functools.cache
def _torch_functions() -> dict[str, Callable[..., Value]]:
    """Function name → its torch operation; imported when a formula is built (or folded), so
    that checking one imports no torch."""
    import torch
    from torch.nn import functional as F

    from actstudy.activations.functional import maximum, minimum

    return {
        "exp": torch.exp,
        "erf": torch.erf,
        "sigmoid": torch.sigmoid,
        "softplus": F.softplus,
        "tanh": torch.tanh,
        "sin": torch.sin,
        "cos": torch.cos,
        "abs": torch.abs,
        "relu": F.relu,
        "sinh": torch.sinh,
        "arctan": torch.atan,
        "atan": torch.atan,
        "arsinh": torch.asinh,
        "arcsinh": torch.asinh,
        "asinh": torch.asinh,
        "artanh": torch.atanh,
        "arctanh": torch.atanh,
        "atanh": torch.atanh,
        "min": minimum,
        "max": maximum,
    }


_OPERATORS: dict[type[ast.operator], Callable[[Value, Value], Value]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}

_ALLOWED = (
    f"use x, numbers, + - * / **, unary minus and the functions {', '.join(FUNCTIONS)}"
    " (min and max take 2 arguments)"
)

_CONSTRUCTS: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access",
    ast.Subscript: "a subscript",
    ast.Compare: "a comparison",
    ast.BoolOp: "'and'/'or'",
    ast.IfExp: "a conditional expression",
    ast.Lambda: "a lambda",
    ast.NamedExpr: "an assignment",
    ast.Starred: "a starred argument",
    ast.JoinedStr: "an f-string",
    ast.List: "a list",
    ast.Tuple: "a tuple",
    ast.Set: "a set",
    ast.Dict: "a dict",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a comprehension",
    ast.Slice: "a slice",
}
"""How an error names each forbidden construct."""

_OPERATOR_SYMBOLS: dict[type[ast.AST], str] = {
    ast.BitXor: "^",
    ast.Mod: "%",
    ast.FloorDiv: "//",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.Invert: "~",
    ast.Not: "not",
}


def _reject(what: str) -> ValueError:
    return ValueError(f"{what} is not allowed in an activation formula; {_ALLOWED}")


@dataclass(frozen=True)
class _Constant:
    value: float

    def __call__(self, x: torch.Tensor) -> float:
        return self.value


class _Variable:
    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return x


@dataclass(frozen=True)
class _Apply:
    """An operation on its arguments: a function's name until the formula is built
    (:func:`_built`), then its torch operation; an operator of :mod:`operator` throughout."""

    operation: Callable[..., Value] | str
    args: tuple[_Term, ...]

    def __call__(self, x: torch.Tensor) -> Value:
        return self.operation(*(arg(x) for arg in self.args))


_Term = _Constant | _Variable | _Apply


def _constant(value: float, source: str) -> _Constant:
    if not (math.isfinite(value) and abs(value) <= _FLOAT32_MAX):
        raise ValueError(
            f"the constant {source!r} in the activation formula evaluates to {value}, which is not "
            "a finite float32 number; use a smaller constant"
        )
    return _Constant(value)


def _operation(operation: Callable[..., Value] | str) -> Callable[..., Value]:
    return _torch_functions()[operation] if isinstance(operation, str) else operation


def _apply(operation: Callable[..., Value] | str, args: tuple[_Term, ...], node: ast.AST) -> _Term:
    """Apply ``operation``, folding it to a constant (in float64, with torch) when every argument
    is constant."""
    if all(isinstance(arg, _Constant) for arg in args):
        import torch

        values = (torch.tensor(arg.value, dtype=torch.float64) for arg in args)
        return _constant(float(_operation(operation)(*values)), ast.unparse(node))
    return _Apply(operation, args)


def _built(term: _Term) -> _Term:
    """``term`` with every function's name replaced by its torch operation."""
    if isinstance(term, _Apply):
        return _Apply(_operation(term.operation), tuple(_built(arg) for arg in term.args))
    return term


def _number(node: ast.Constant) -> _Constant:
    if isinstance(node.value, bool) or not isinstance(node.value, int | float):
        kind = "a string" if isinstance(node.value, str) else f"the constant {node.value!r}"
        raise _reject(kind)
    try:
        return _constant(float(node.value), ast.unparse(node))
    except OverflowError:
        raise ValueError(
            f"the number {ast.unparse(node)[:20]}... in the activation formula is too large for "
            "float32; use a smaller constant"
        ) from None


def _call(node: ast.Call, depth: int) -> _Term:
    if not isinstance(node.func, ast.Name):
        raise _reject(_CONSTRUCTS.get(type(node.func), "calling anything but a named function"))
    name = node.func.id
    if name not in FUNCTIONS:
        raise _reject(f"the function {name!r}")
    if node.keywords:
        raise _reject(f"a keyword argument (in {name})")
    arity = FUNCTIONS[name]
    if len(node.args) != arity:
        plural = "s" if arity > 1 else ""
        raise ValueError(
            f"{name} in the activation formula takes {arity} argument{plural}, not {len(node.args)}"
        )
    args = tuple(_compile(arg, depth + 1) for arg in node.args)
    return _apply(name, args, node)


_PRECEDENCE: dict[type[ast.operator], int] = {
    ast.Add: 1,
    ast.Sub: 1,
    ast.Mult: 2,
    ast.Div: 2,
    ast.Pow: 3,
}


def _operand_depth(node: ast.BinOp, operand: ast.AST, depth: int) -> int:
    """The depth of an operand of ``node``: the same as ``node``'s when it continues a chain of
    operators of one precedence on the side that needs no parentheses (the left of ``+ - * /``,
    the right of ``**``), else one more."""
    chained = (
        isinstance(operand, ast.BinOp)
        and _PRECEDENCE.get(type(operand.op)) == _PRECEDENCE.get(type(node.op))
        and (operand is node.right) == isinstance(node.op, ast.Pow)
    )
    return depth if chained else depth + 1


def _binary(node: ast.BinOp, depth: int) -> _Term:
    op = type(node.op)
    if op is ast.BitXor:
        raise ValueError(
            "'^' is not allowed in an activation formula; write powers with '**', as in x**2"
        )
    if op not in _OPERATORS:
        raise _reject(f"the operator {_OPERATOR_SYMBOLS.get(op, op.__name__)!r}")
    left = _compile(node.left, _operand_depth(node, node.left, depth))
    right = _compile(node.right, _operand_depth(node, node.right, depth))
    if op is ast.Pow and not isinstance(left, _Constant):
        if not isinstance(right, _Constant):
            raise ValueError(
                f"the exponent {ast.unparse(node.right)!r} in the activation formula depends on "
                "x, so its size cannot be checked; a power of an expression in x takes a constant "
                f"exponent in [-{MAX_EXPONENT:g}, {MAX_EXPONENT:g}], as in x**2"
            )
        if abs(right.value) > MAX_EXPONENT:
            raise ValueError(
                f"the exponent {right.value:g} in the activation formula is too large; constant "
                f"exponents must lie in [-{MAX_EXPONENT:g}, {MAX_EXPONENT:g}]"
            )
    return _apply(_OPERATORS[op], (left, right), node)


def _compile(node: ast.AST, depth: int) -> _Term:
    if depth > MAX_DEPTH:
        raise ValueError(
            f"the activation formula nests deeper than {MAX_DEPTH} levels; simplify it"
        )
    match node:
        case ast.Constant():
            return _number(node)
        case ast.Name(id="x"):
            return _Variable()
        case ast.Name(id=name):
            raise _reject(f"the name {name!r}")
        case ast.BinOp():
            return _binary(node, depth)
        case ast.UnaryOp(op=ast.USub(), operand=operand):
            return _apply(operator.neg, (_compile(operand, depth + 1),), node)
        case ast.UnaryOp(op=ast.UAdd(), operand=operand):
            return _compile(operand, depth + 1)
        case ast.UnaryOp(op=op):
            raise _reject(f"the operator {_OPERATOR_SYMBOLS.get(type(op), type(op).__name__)!r}")
        case ast.Call():
            return _call(node, depth)
        case _:
            raise _reject(_CONSTRUCTS.get(type(node), type(node).__name__))


def check_formula(formula: str) -> None:
    """Check ``formula`` against the whitelist (ValueError with one sentence), importing torch
    only to fold a constant sub-formula."""
    _checked(formula)


def parse(formula: str) -> _Term:
    """Check ``formula`` against the whitelist and build its tree of torch operations."""
    return _built(_checked(formula))


def _checked(formula: str) -> _Term:
    """The formula's tree, its functions by name."""
    if not isinstance(formula, str) or not formula.strip():
        raise ValueError(
            f'an activation formula is a non-empty string such as "x*sigmoid(x)", not {formula!r}'
        )
    if len(formula) > MAX_LENGTH:
        raise ValueError(
            f"the activation formula has {len(formula)} characters; shorten it to at most "
            f"{MAX_LENGTH}"
        )
    for position, character in enumerate(formula, start=1):
        if not character.isascii():
            name = unicodedata.name(character, "unnamed")
            raise ValueError(
                f"the activation formula {formula!r} has the non-ASCII character {character!r} "
                f"(U+{ord(character):04X} {name}) at position {position}; type it in ASCII, "
                "as in x*sigmoid(x)"
            )
    try:
        tree = ast.parse(formula.strip(), mode="eval")
    except (SyntaxError, ValueError) as error:  # ValueError: a null byte
        reason = getattr(error, "msg", str(error))
        raise ValueError(
            f"the activation formula {formula!r} is not valid syntax ({reason}); {_ALLOWED}"
        ) from None
    term = _compile(tree.body, 1)
    if isinstance(term, _Constant):
        raise ValueError(f"the activation formula {formula!r} does not depend on x; use x in it")
    return term
