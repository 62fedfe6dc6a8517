"""Name → factory registry for activations, and spec parsing.

A *spec* names an activation in a study config. It is one of
  - a registered name: ``"relu"``;
  - a mapping with a name and parameters: ``{name: lrelu, alpha: 0.001, beta: 0.95}``;
  - an expression in x: ``{expr: "-x*erf(exp(-x))"}``;
  - a layer-wise combination over a model's activation roles:
    ``{roles: {conv1: relu, conv2: tanh, fc: relu}, default: relu}``.
Any mapping may also carry ``scope: network | layer`` (see :func:`factory`).

Each activation declares at :func:`register` whether a model using it should be compiled with
``torch.compile`` (``compile=True``), as measured, not guessed: by ``benchmarks/activations.py``
(one ResNet-20 training step), True where the compiled step took under 95 % of the eager one.
The measurements, with their machine and date, are in benchmarks/README.md, section
"Activations". An activation registered without ``compile=True`` (not yet measured) runs eagerly.
:func:`recommended_compile` answers for a whole spec.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from actstudy import plugins
from actstudy.options import check_types
from actstudy.registry import Registry, declared_names

if TYPE_CHECKING:
    from torch import nn

Spec = str | Mapping[str, Any]
MakeAct = Callable[[str], "nn.Module"]
"""What models receive: called with the role of the activation (``"conv1"``, ``"block"``, ...)."""


@dataclass(frozen=True)
class _Declared:
    """What an activation declares at :func:`register`, beside its builder."""

    default_scope: str
    compile: bool
    check: Callable[..., None] | None


BUILTIN = "actstudy.activations.builtin"
"""The package whose modules declare the built-in activations (imported on first use)."""

_ACTIVATIONS: Registry[Callable[..., nn.Module], _Declared] = Registry(
    "activation",
    hint=', or give a formula as {expr: "..."}',
    lazy=lambda: declared_names(BUILTIN, "register"),
)
_SPEC_KEYS = {"name", "expr", "roles", "default", "scope"}


def register(
    name: str,
    *aliases: str,
    default_scope: str = "layer",
    compile: bool = False,
    check: Callable[..., None] | None = None,
):
    """Register a class or function that builds an activation module from keyword parameters.

    ``default_scope`` is the scope a spec without ``scope`` gets (see :func:`factory`);
    ``compile`` whether a model using it should be compiled (see the module docstring);
    ``check(**parameters)``, given every parameter (defaults filled in), raises ValueError with
    one sentence for values the activation refuses, so that a study is checked without building
    (or importing torch). The aliases share all three. The file that calls ``register`` is
    recorded: it is code that every run of the activation executes (see
    :mod:`actstudy.run_code`).
    """
    return _ACTIVATIONS.register(
        name,
        *aliases,
        extras=_Declared(default_scope, compile, check),
        source_file=plugins.registering_file(),
    )


def _role_parts(spec: Mapping[str, Any]) -> list[Spec]:
    """The specs a role combination uses: one per role, then its ``default``."""
    return [*dict(spec["roles"]).values(), *([spec["default"]] if "default" in spec else [])]


def source_files(spec: Spec) -> list[str]:
    """The files that register the activations a spec uses (the code a run of it executes,
    beside what every run executes); an expression's module for ``{expr: ...}``."""
    if isinstance(spec, str):
        return [_ACTIVATIONS.source_file(spec)]
    if "roles" in spec:
        return sorted({file for part in _role_parts(spec) for file in source_files(part)})
    if "expr" in spec:
        return [str(Path(__file__).with_name("expression_module.py"))]
    return source_files(spec["name"])


def names() -> list[str]:
    """Registered activation names, sorted."""
    return _ACTIVATIONS.names()


def _builder(name: str) -> Callable[..., nn.Module]:
    return _ACTIVATIONS.get(name).builder


def _declared(name: str) -> _Declared:
    return _ACTIVATIONS.get(name).extras


def _defaults(name: str) -> dict[str, Any]:
    """The keyword parameters the named activation accepts, with their defaults."""
    signature = inspect.signature(_builder(name))
    return {
        p.name: p.default
        for p in signature.parameters.values()
        if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
    }


def parameters_of(name: str) -> list[str]:
    """Keyword parameters the named activation accepts."""
    return list(_defaults(name))


def _check_mapping(spec: Any) -> None:
    """A spec that is not a name is a mapping with exactly one of name, expr or roles, and a
    known scope."""
    if not isinstance(spec, Mapping):
        raise ValueError(
            f"an activation spec is a name, a mapping or {{expr: ...}}, not {type(spec).__name__}"
        )
    kinds = [k for k in ("name", "expr", "roles") if k in spec]
    if len(kinds) != 1:
        raise ValueError(
            f"activation spec {dict(spec)!r} must have exactly one of 'name', 'expr' or 'roles'"
        )
    scope = spec.get("scope", "layer")
    if scope not in ("network", "layer"):
        raise ValueError(f"activation scope must be 'network' or 'layer', not {scope!r}")


def _params(spec: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in spec.items() if k not in _SPEC_KEYS}


def _check_named(name: str, params: Mapping[str, Any]) -> None:
    """Parameters the named activation does not take, of the wrong type, or refused by its
    declared ``check``: ValueError with one sentence. Imports no torch for a built-in."""
    defaults = _defaults(name)
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        takes = ", ".join(defaults) if defaults else "no parameters"
        raise ValueError(f"activation {name!r} takes {takes}; remove {', '.join(unknown)}")
    check_types(_builder(name), params, f"activation {name!r}")
    if (check := _declared(name).check) is not None:
        try:
            check(**{**defaults, **params})
        except ValueError as error:
            raise ValueError(f"activation {name!r}: {error}") from None


def _expression_params(spec: Mapping[str, Any]) -> None:
    extra = sorted(_params(spec))
    if extra:
        raise ValueError(f"an expression activation takes no parameters; remove {extra}")


def check(spec: Spec) -> None:
    """Raise ValueError with one sentence where a spec cannot be built, without building it:
    names, parameters and their values, role combinations, formulas (``{expr: ...}``). It
    imports no torch for the built-in activations (nor for a formula, unless a constant part of
    it is folded)."""
    if isinstance(spec, str):
        _ACTIVATIONS.get(spec)
        return
    _check_mapping(spec)
    if "roles" in spec:
        for part in _role_parts(spec):
            check(part)
    elif "expr" in spec:
        from actstudy.activations.expression import check_formula

        _expression_params(spec)
        check_formula(spec["expr"])
    else:
        _check_named(spec["name"], _params(spec))


def create(spec: Spec) -> nn.Module:
    """Build a fresh activation module from a spec (a role combination is not one module)."""
    if isinstance(spec, str):
        _check_named(spec, {})
        return _builder(spec)()
    _check_mapping(spec)
    if "roles" in spec:
        raise ValueError(
            "a role combination ({roles: ...}) is a whole-model choice; "
            "pass it to actstudy.models.create(..., act=spec), not to activations.create"
        )
    if "expr" in spec:
        from actstudy.activations.expression_module import Expression

        _expression_params(spec)
        return Expression(spec["expr"])
    name, params = spec["name"], _params(spec)
    _check_named(name, params)
    try:
        return _builder(name)(**params)
    except (TypeError, ValueError) as error:
        raise ValueError(f"activation {name!r}: {error}") from None


def scope_of(spec: Spec) -> str:
    """The parameter scope a spec asks for, or its activation's default scope."""
    if isinstance(spec, str):
        return _declared(spec).default_scope
    if "scope" in spec:
        return spec["scope"]
    return _declared(spec["name"]).default_scope if "name" in spec else "layer"


def factory(spec: Spec) -> MakeAct:
    """A ``make_act`` for models: called once per use with the role, returns a module.

    ``scope: layer`` gives a fresh module at every call; ``scope: network`` gives one shared
    instance (one set of trainable parameters) for the whole network. Activations with
    trainable parameters from S2 default to ``network``, as the original code; all others to
    ``layer``. ``{roles: {...}, default: ...}`` picks the spec per role.
    """
    if isinstance(spec, Mapping) and "roles" in spec:
        _check_mapping(spec)
        roles = {role: factory(sub) for role, sub in dict(spec["roles"]).items()}
        fallback = factory(spec["default"]) if "default" in spec else None

        def by_role(role: str) -> nn.Module:
            if role in roles:
                return roles[role](role)
            if fallback is None:
                raise ValueError(
                    f"the activation combination names no activation for role {role!r}; "
                    "add it under 'roles' or give a 'default'"
                )
            return fallback(role)

        return by_role
    first = create(spec)  # fails here, before a model is half built, on a bad spec
    if scope_of(spec) == "network":
        return lambda role: first
    return lambda role: create(spec)


def recommended_compile(spec: Spec) -> bool:
    """Whether a model using this activation spec should be compiled (see module docstring).

    A named activation answers as declared at :func:`register`; an expression as
    :data:`~actstudy.activations.expression.EXPRESSION_COMPILE`. A role combination is compiled
    when any of its activations gains from it.
    """
    if isinstance(spec, Mapping):
        if "roles" in spec:
            return any(recommended_compile(part) for part in _role_parts(spec))
        if "expr" in spec:
            from actstudy.activations.expression import EXPRESSION_COMPILE

            return EXPRESSION_COMPILE
        spec = spec["name"]
    return _declared(spec).compile  # unknown names fail here with the list of registered ones
