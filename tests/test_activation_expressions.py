"""Expression activations: the whitelisted grammar, its values and gradients, its refusals."""

from __future__ import annotations

import math

import pytest
import torch

from actstudy.activations import Expression, create
from actstudy.activations.expression import (
    FUNCTIONS,
    MAX_DEPTH,
    MAX_EXPONENT,
    MAX_LENGTH,
    _torch_functions,
)

POINTS = [-1.7, -0.6, 0.3, 0.9, 2.2]
INSIDE_UNIT = [-0.8, -0.3, 0.1, 0.6]  # for artanh


def sigmoid(v: float) -> float:
    return 1.0 / (1.0 + math.exp(-v))


def evaluate(formula: str, points: list[float]) -> list[float]:
    with torch.no_grad():
        return Expression(formula)(torch.tensor(points, dtype=torch.float64)).tolist()


# The unary operators of the AFOS search (S3), one formula each.
AFOS_UNARY = [
    ("x", lambda v: v),
    ("exp(x)", math.exp),
    ("abs(x)", abs),
    ("-x", lambda v: -v),
    ("exp(-x)", lambda v: math.exp(-v)),
    ("min(x, 0)", lambda v: min(v, 0.0)),
    ("erf(x)", math.erf),
    ("sigmoid(x)", sigmoid),
    ("x*erf(x)", lambda v: v * math.erf(v)),
    ("max(x, 0)", lambda v: max(v, 0.0)),
    ("sin(x)", math.sin),
    ("arctan(x)", math.atan),
    ("tanh(x)", math.tanh),
    ("softplus(x)", lambda v: math.log1p(math.exp(v))),
    ("sinh(x)", math.sinh),
    ("arsinh(x)", math.asinh),
]


def test_every_function_the_grammar_allows_has_its_torch_operation() -> None:
    """The names a formula is checked against (without torch) are the ones it is built with."""
    assert list(_torch_functions()) == list(FUNCTIONS)


@pytest.mark.parametrize(("formula", "expected"), AFOS_UNARY)
def test_afos_unary_operators(formula: str, expected) -> None:
    assert evaluate(formula, POINTS) == pytest.approx([expected(v) for v in POINTS], rel=1e-9)


def test_artanh_inside_its_domain() -> None:
    expected = [math.atanh(v) for v in INSIDE_UNIT]
    for name in ("artanh", "arctanh", "atanh"):
        assert evaluate(f"{name}(x)", INSIDE_UNIT) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("-x*erf(exp(-x))", lambda v: -v * math.erf(math.exp(-v))),
        ("x*erf(exp(x))**2", lambda v: v * math.erf(math.exp(v)) ** 2),
        ("erf(x)*softplus(x)", lambda v: math.erf(v) * math.log1p(math.exp(v))),
        ("max(max(x, 0), sin(x))", lambda v: max(max(v, 0.0), math.sin(v))),
        ("x*exp(tanh(x))", lambda v: v * math.exp(math.tanh(v))),
        ("sigmoid(x)*(x + cos(x))", lambda v: sigmoid(v) * (v + math.cos(v))),
        ("min(1, x) + max(x, -1) - relu(x)", lambda v: min(1, v) + max(v, -1) - max(v, 0)),
        ("x*(2 + 3)/4 - +x", lambda v: v * 5 / 4 - v),
        ("2**x + x**2 + x**-1", lambda v: 2**v + v**2 + 1 / v),
        ("atan(x) + asinh(x) + arcsinh(x)", lambda v: math.atan(v) + 2 * math.asinh(v)),
    ],
)
def test_formulas_match_closed_forms(formula: str, expected) -> None:
    assert evaluate(formula, POINTS) == pytest.approx([expected(v) for v in POINTS], rel=1e-9)


@pytest.mark.parametrize(
    "formula",
    ["-x*erf(exp(-x))", "sigmoid(x)*(x + cos(2*x))", "max(x, 0.5*x) + abs(x)**1.5", "x*tanh(x)"],
)
def test_expressions_pass_gradcheck(formula: str) -> None:
    x = torch.tensor(POINTS, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(Expression(formula), (x,))


def test_repr_shows_the_formula() -> None:
    assert repr(Expression(" -x*erf(exp(-x)) ")) == "Expression(-x*erf(exp(-x)))"


def test_registry_builds_expressions() -> None:
    module = create({"expr": "x*sigmoid(x)"})
    x = torch.tensor(POINTS)
    assert torch.allclose(module(x), torch.nn.functional.silu(x))


WHITELIST = "use x, numbers, + - * / **"


@pytest.mark.parametrize(
    ("formula", "fragment"),
    [
        ("torch.exp(x)", "attribute access is not allowed"),
        ("x.real", "attribute access is not allowed"),
        ("y + x", "the name 'y' is not allowed"),
        ("log(x)", "the function 'log' is not allowed"),
        ("__import__('os')", "the function '__import__' is not allowed"),
        ("__import__('os').system('true')", "attribute access is not allowed"),
        ("exp(x=1)", "a keyword argument"),
        ("'x'", "a string is not allowed"),
        ("lambda: x", "a lambda is not allowed"),
        ("x[0]", "a subscript is not allowed"),
        ("x < 1", "a comparison is not allowed"),
        ("x and 1", "'and'/'or' is not allowed"),
        ("x if x else 1", "a conditional expression is not allowed"),
        ("[x]", "a list is not allowed"),
        ("(x, x)", "a tuple is not allowed"),
        ("(y := x)", "an assignment is not allowed"),
        ("f'{x}'", "an f-string is not allowed"),
        ("[v for v in x]", "a comprehension is not allowed"),
        ("exp(*x)", "a starred argument is not allowed"),
        ("x % 2", "the operator '%' is not allowed"),
        ("x // 2", "the operator '//' is not allowed"),
        ("~x", "the operator '~' is not allowed"),
        ("True*x", "the constant True is not allowed"),
        ("1j*x", "the constant 1j is not allowed"),
    ],
)
def test_forbidden_constructs_are_named(formula: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment) as error:
        Expression(formula)
    assert WHITELIST in str(error.value)


def test_caret_is_refused_with_a_pointer_to_double_star() -> None:
    with pytest.raises(ValueError, match=r"'\^' is not allowed .* write powers with '\*\*'"):
        Expression("x^2")


@pytest.mark.parametrize(
    ("formula", "fragment"),
    [
        ("x**1e6", f"exponent 1e\\+06 .* must lie in \\[-{MAX_EXPONENT:g}, {MAX_EXPONENT:g}\\]"),
        ("x**(2**5)", "exponent 32"),
        ("2**10000 * x", "'2 \\*\\* 10000' .* not a finite float32 number"),
        ("exp(1000) + x", "'exp\\(1000\\)' .* not a finite float32 number"),
        ("1e39*x", "not a finite float32 number"),
        ("x/0 + 1/0", "'1 / 0' .* not a finite"),
        ("1" * 400 + "*x", "too large for float32|not a finite float32"),
        ("max(x)", "max in the activation formula takes 2 arguments, not 1"),
        ("exp(x, x)", "exp in the activation formula takes 1 argument, not 2"),
        ("3", "does not depend on x"),
        ("", "non-empty string"),
        ("x +", "not valid syntax"),
        ("x+" * MAX_LENGTH + "x", f"at most {MAX_LENGTH}"),
        ("-" * (MAX_DEPTH + 1) + "x", f"deeper than {MAX_DEPTH} levels"),
    ],
)
def test_unsafe_or_malformed_formulas_are_refused(formula: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        Expression(formula)


def test_a_non_string_formula_is_refused() -> None:
    with pytest.raises(ValueError, match="non-empty string"):
        Expression(3)  # type: ignore[arg-type]
