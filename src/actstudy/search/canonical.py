"""The structural canonical form of a candidate formula: the parsed formula with the operands of
every chain of ``+``, ``*``, ``max`` or ``min`` flattened and sorted, so B(U1, U2) and B(U2, U1)
of a commutative B read the same. It is the formula a key's candidate trains with. Checked by
the expression activation's own parser; no torch (a study's search references are checked with
it before any job)."""

from __future__ import annotations

import ast
import functools

from actstudy.activations.expression import check_formula

_ASSOCIATIVE_CALLS = ("max", "min")


def _operation(node: ast.expr) -> type[ast.operator] | str | None:
    """The associative, commutative operation at ``node`` (ast.Add, ast.Mult, "max", "min")."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mult):
        return type(node.op)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id if node.func.id in _ASSOCIATIVE_CALLS else None
    return None


def _operands(node: ast.expr, operation: type[ast.operator] | str) -> list[ast.expr]:
    """The operands of the chain of ``operation`` that starts at ``node``."""
    if _operation(node) != operation:
        return [node]
    children = [node.left, node.right] if isinstance(node, ast.BinOp) else node.args
    return [operand for child in children for operand in _operands(child, operation)]


def _joined(operation: type[ast.operator] | str, a: ast.expr, b: ast.expr) -> ast.expr:
    """``a`` and ``b`` joined by ``operation``, as an operator or a two-argument call."""
    if isinstance(operation, str):
        return ast.Call(ast.Name(operation), [a, b], [])
    return ast.BinOp(a, operation(), b)


def _sorted(node: ast.expr) -> ast.expr:
    """``node`` with every associative, commutative chain flattened and its operands sorted."""
    operation = _operation(node)
    if operation is not None:
        operands = sorted((_sorted(n) for n in _operands(node, operation)), key=ast.unparse)
        return functools.reduce(lambda a, b: _joined(operation, a, b), operands)
    match node:
        case ast.Call():
            return ast.Call(node.func, [_sorted(arg) for arg in node.args], [])
        case ast.BinOp():
            return ast.BinOp(_sorted(node.left), node.op, _sorted(node.right))
        case ast.UnaryOp():
            return ast.UnaryOp(node.op, _sorted(node.operand))
        case _:
            return node


def canonical(formula: str) -> str:
    """The structural canonical form of a formula the expression activation accepts."""
    check_formula(formula)  # refuses, with its sentence, anything outside the grammar
    return ast.unparse(_sorted(ast.parse(formula.strip(), mode="eval").body))
