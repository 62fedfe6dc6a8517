"""Name → builder registry for models, with the metadata the data pipeline needs.

A builder is called as ``builder(num_classes, in_channels, make_act, **options)``; its
keyword-only parameters are the model's options. The built-in models are declared in
:mod:`actstudy.models.builtin` (names, roles, options, checks; no torch: their builders import
it), so a study's models are checked without importing torch. ``make_act`` is an
:data:`~actstudy.activations.MakeAct`: the builder calls it once per activation use, with
the role of that activation, and never reuses a module it returned.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from actstudy import plugins
from actstudy.activations.registry import MakeAct, Spec, factory
from actstudy.options import check_types, unknown_options_sentence
from actstudy.registry import Registry, declared_names

if TYPE_CHECKING:
    from torch import nn

Builder = Callable[..., "nn.Module"]
MinSize = int | Callable[[Mapping[str, Any]], int]
Normalize = tuple[Sequence[float], Sequence[float]]


@dataclass(frozen=True)
class _Declared:
    """What a model declares at :func:`register_model`, beside its builder."""

    roles: tuple[str, ...]
    min_size: MinSize
    dims: int
    check: Callable[..., None] | None
    normalize: Normalize | None


BUILTIN = "actstudy.models.builtin"
"""The package whose modules declare the built-in models (imported on first use)."""

_MODELS: Registry[Builder, _Declared] = Registry(
    "model", lazy=lambda: declared_names(BUILTIN, "register_model")
)


def register_model(
    name: str,
    *,
    roles: Sequence[str],
    min_size: MinSize = 1,
    dims: int = 2,
    check: Callable[..., None] | None = None,
    normalize: Normalize | None = None,
):
    """Register a model builder under ``name``.

    ``roles`` are the activation roles the model asks its ``make_act`` for; ``min_size`` is the
    smallest spatial size (or 1-D length) it accepts, or a function of its resolved options;
    ``dims`` is 2 for NxCxHxW images and 1 for NxCxL signals; ``check(**options)`` raises
    ValueError or FileNotFoundError with one sentence when the model cannot be built with these
    options on this machine (e.g. pretrained weights that are absent), so a study stops before
    any job. ``normalize`` = (mean, std) per channel, in 0–1 units, is the input normalisation
    the model needs (pretrained weights learnt with it): image runs of the model use it instead
    of their dataset's ``normalize``, and the run manifest says so.
    """
    if normalize is not None:
        mean, std = normalize
        if len(mean) != len(std) or not all(s > 0 for s in std):
            raise ValueError(
                f"model {name!r}: normalize needs a mean and a positive std per channel"
            )

    return _MODELS.register(
        name,
        extras=_Declared(tuple(roles), min_size, dims, check, normalize),
        source_file=plugins.registering_file(),
    )


def source_file(name: str) -> str:
    """The file that registers the named model."""
    return _MODELS.source_file(name)


def normalization(name: str) -> tuple[list[float], list[float]] | None:
    """The (mean, std) input normalisation the named model declared, or None."""
    declared = _declared(name).normalize
    return None if declared is None else (list(declared[0]), list(declared[1]))


def names() -> list[str]:
    """Registered model names, sorted."""
    return _MODELS.names()


def _declared(name: str) -> _Declared:
    return _MODELS.get(name).extras


def options(name: str) -> dict[str, Any]:
    """The options the named model accepts, with their defaults."""
    signature = inspect.signature(_MODELS.get(name).builder)
    return {p.name: p.default for p in signature.parameters.values() if p.kind is p.KEYWORD_ONLY}


def _resolve(name: str, given: Mapping[str, Any]) -> dict[str, Any]:
    defaults = options(name)
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise ValueError(unknown_options_sentence(f"model {name!r}", list(defaults), unknown))
    check_types(_MODELS.get(name).builder, given, f"model {name!r}")
    return {**defaults, **given}


def check(name: str, **model_options: Any) -> None:
    """Raise one sentence when the model is unknown, an option misspelt, or the model cannot be
    built here with these options (its registered ``check``)."""
    declared = _declared(name)
    resolved = _resolve(name, model_options)
    if declared.check is not None:
        declared.check(**resolved)


def check_input(name: str, shape: tuple[int, int | None], **model_options: Any) -> None:
    """Raise one sentence when data of ``shape`` = (dims, size) does not fit the model.

    ``size`` None (not known before preparing) checks the dimensionality only. A model with an
    ``input_size`` option follows the data unless the option is given
    (:func:`options_for_input`).
    """
    dims, size = shape
    kinds = {1: "1-D signals", 2: "images"}
    if dims != spatial_dims(name):
        raise ValueError(
            f"model {name!r} takes {kinds[spatial_dims(name)]} but the dataset holds "
            f"{kinds[dims]}; pair it with another dataset or model"
        )
    if size is None:
        return
    sized = options_for_input(name, size, **model_options)
    smallest = _smallest(name, _resolve(name, sized))
    if size < smallest:
        raise ValueError(
            f"model {name!r} needs inputs of at least {smallest} but the dataset is prepared at "
            f"{size}; raise the dataset's size"
        )


def options_for_input(name: str, size: int, **model_options: Any) -> dict[str, Any]:
    """The model's options for data of ``size``: a model with an ``input_size`` option follows
    the data unless the option is given, and then it must equal ``size`` (one sentence)."""
    given = model_options.get("input_size")
    if given is not None and given != size:
        raise ValueError(
            f"model {name!r} expects inputs of size {given} but the dataset is prepared at "
            f"{size}; make them equal (or drop input_size: it follows the data)"
        )
    if "input_size" in options(name):
        return {**model_options, "input_size": size}
    return model_options


def create(
    name: str,
    *,
    num_classes: int,
    in_channels: int = 3,
    act: Spec | type[nn.Module] | None = None,
    make_act: MakeAct | None = None,
    **model_options: Any,
) -> nn.Module:
    """Build the named model, with its activations from ``act`` or ``make_act`` (not both).

    ``act`` is an activation spec (see :mod:`actstudy.activations.registry`), turned into the
    model's ``make_act`` with :func:`actstudy.activations.factory`, or an ``nn.Module``
    subclass, built without arguments once per use; it defaults to ``"relu"``. ``make_act`` is a
    ready :data:`~actstudy.activations.MakeAct` (role → fresh module).
    """
    entry = _MODELS.get(name)
    check(name, **model_options)  # unknown options, wrong types, the model's declared check
    if num_classes < 1:
        raise ValueError(f"num_classes must be at least 1, not {num_classes}")
    if in_channels < 1:
        raise ValueError(f"in_channels must be at least 1, not {in_channels}")
    if act is not None and make_act is not None:
        raise ValueError("give the activation as either act= or make_act=, not both")
    if make_act is not None:
        chosen = _checked(make_act)
    else:
        chosen = _from_act("relu" if act is None else act)
    return entry.builder(num_classes, in_channels, chosen, **model_options)


def _from_act(act: Any) -> MakeAct:
    """The ``make_act`` for an ``act=`` argument: a spec or an ``nn.Module`` subclass."""
    from torch import nn

    if isinstance(act, nn.Module):
        raise ValueError(
            f"act= got a {type(act).__name__} instance, which every layer would share; "
            f'pass its class (act={type(act).__name__}) or a spec such as act="relu"'
        )
    if isinstance(act, type) and issubclass(act, nn.Module):
        return lambda role: act()
    if callable(act):
        raise ValueError(
            f"act= takes a spec or an nn.Module class, not the callable {act!r}; "
            "pass a function of the role that returns a fresh module as make_act="
        )
    return factory(act)


def _checked(make_act: MakeAct) -> MakeAct:
    """``make_act`` wrapped so that a result other than an ``nn.Module`` fails clearly."""
    from torch import nn

    if isinstance(make_act, nn.Module):
        raise ValueError(
            f"make_act= got a {type(make_act).__name__} instance, which every layer would share; "
            f"pass its class as act={type(make_act).__name__} or a spec as act="
        )
    if isinstance(make_act, type) and issubclass(make_act, nn.Module):
        raise ValueError(
            f"make_act= got the class {make_act.__name__}, which would be built with the role as "
            f"its argument; pass it as act={make_act.__name__} instead"
        )

    def checked(role: str) -> nn.Module:
        module = make_act(role)
        if not isinstance(module, nn.Module):
            raise ValueError(
                f"make_act({role!r}) returned {type(module).__name__}, not an nn.Module; "
                "make_act must return a fresh activation module for each role it is called with"
            )
        return module

    return checked


def roles(name: str) -> tuple[str, ...]:
    """The activation roles the named model asks for (the keys a ``{roles: ...}`` spec uses)."""
    return _declared(name).roles


def spatial_dims(name: str) -> int:
    """2 for models of NxCxHxW images, 1 for models of NxCxL signals."""
    return _declared(name).dims


def input_size(name: str, **model_options: Any) -> int | None:
    """The exact input size (H = W, or L) the model needs, or None where any size works.

    Models whose layer sizes depend on the input take it as the option ``input_size``; all
    others pool adaptively and accept any size from :func:`min_input_size` up.
    """
    return _resolve(name, model_options).get("input_size")


def _smallest(name: str, resolved: Mapping[str, Any]) -> int:
    """The declared smallest input of the model with these (resolved) options."""
    min_size = _declared(name).min_size
    return min_size(resolved) if callable(min_size) else min_size


def min_input_size(name: str, **model_options: Any) -> int:
    """The smallest input size (H = W, or L) the model accepts with these options."""
    resolved = _resolve(name, model_options)
    if "input_size" in resolved:
        return resolved["input_size"]
    return _smallest(name, resolved)
