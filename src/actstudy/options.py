"""Checks of the options a study gives a registered builder (a model, a dataset source): their
names, with what was probably meant, and their types, from the builder's annotations."""

from __future__ import annotations

import difflib
import inspect
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

# What a YAML value may be for an annotation (bool is an int in Python, but not an int option).
_ACCEPTS: dict[Any, tuple[type, ...]] = {
    int: (int,),
    float: (int, float),
    bool: (bool,),
    str: (str,),
    Path: (str,),
    type(None): (type(None),),
}
_NAMES = {
    int: "an integer",
    float: "a number",
    bool: "true/false",
    str: "a string",
    Path: "a path",
    type(None): "null",
}


def unknown_options_sentence(what: str, accepted: Sequence[str], unknown: Sequence[str]) -> str:
    """'<what> takes options a, b; remove c (did you mean a?)'."""
    hints = []
    for name in unknown:
        close = difflib.get_close_matches(name, list(accepted), n=1)
        hints.append(f"{name} (did you mean {close[0]}?)" if close else name)
    takes = f"options {', '.join(accepted)}" if accepted else "no options"
    return f"{what} takes {takes}; remove {', '.join(hints)}"


def _alternatives(annotation: Any) -> list[Any] | None:
    """The plain types an annotation allows, or None where it is not one we check."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        parts = [_alternatives(arg) for arg in typing.get_args(annotation)]
        return None if any(p is None for p in parts) else [t for p in parts for t in p]
    return [annotation] if annotation in _ACCEPTS else None


def _fits(value: Any, kinds: list[Any]) -> bool:
    if isinstance(value, bool):
        return bool in kinds
    return any(isinstance(value, _ACCEPTS[kind]) for kind in kinds)


def _annotation(builder: Callable[..., Any], parameter: inspect.Parameter | None) -> Any:
    """A parameter's annotation, evaluated in the builder's module; None where it cannot be (a
    name imported for type checkers only, such as torch's, is not needed for an option)."""
    if parameter is None or parameter.annotation is inspect.Parameter.empty:
        return None
    written = parameter.annotation
    if not isinstance(written, str):
        return written
    code = builder.__init__ if isinstance(builder, type) else inspect.unwrap(builder)
    try:
        return eval(written, getattr(code, "__globals__", {}))
    except (NameError, TypeError, AttributeError, SyntaxError):
        return None


def check_types(builder: Callable[..., Any], options: Mapping[str, Any], what: str) -> None:
    """Raise ValueError with one sentence when an option's value does not fit its annotation."""
    parameters = inspect.signature(builder).parameters
    for name, value in options.items():
        kinds = _alternatives(_annotation(builder, parameters.get(name)))
        if kinds is not None and not _fits(value, kinds):
            expected = " or ".join(_NAMES[kind] for kind in kinds)
            raise ValueError(f"option {name} of {what} must be {expected}, not {value!r}")


def check_choice(option: str, value: Any, allowed: Sequence[str]) -> None:
    """Raise ValueError with one sentence when ``value`` is not one of ``allowed``."""
    if value not in allowed:
        raise ValueError(f"{option} must be one of {', '.join(allowed)}, not {value!r}")
