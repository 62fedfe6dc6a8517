"""One shape for the name → builder registries of activations, models and dataset sources.

A :class:`Registry` holds an :class:`Entry` per registered name: the builder (or object), the
file that registered it (code every run of it executes, see :mod:`actstudy.run_code`) and the
kind's own extras (an activation's default scope, a model's roles, a source's channels).

Built-in names are declared in modules that import no heavy library (torch, torchvision, wfdb,
pandas), and even those are only read until needed: :func:`declared_names` finds the names that
the modules of a package register, and the registry imports a module the first time one of its
names is asked for. So checking a study's names and options costs no import of torch; building
a model or an activation imports it then.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Generic, TypeVar

from actstudy import plugins

T = TypeVar("T")
X = TypeVar("X")


@dataclass(frozen=True)
class Entry(Generic[T, X]):
    """One registered name: its builder, the file that registered it and the kind's extras."""

    name: str
    builder: T
    source_file: str
    extras: X


class Registry(Generic[T, X]):
    """Names of one ``kind`` ("activation", "model", "dataset source") → :class:`Entry`.

    ``hint`` ends the "unknown ..." sentence (e.g. another way to give the thing); ``lazy``
    gives, without importing anything, the name → module of names whose module is imported
    only when the name is first asked for.
    """

    def __init__(
        self, kind: str, *, hint: str = "", lazy: Callable[[], Mapping[str, str]] = dict
    ) -> None:
        self.kind = kind
        self.hint = hint
        self.lazy = lazy
        self._entries: dict[str, Entry[T, X]] = {}

    def register(
        self, name: str, *aliases: str, extras: X, source_file: str | None = None
    ) -> Callable[[T], T]:
        """A decorator that registers its argument under ``name`` and every alias, with the
        same extras. ``source_file`` defaults to the file that calls ``register``."""
        registering_file = plugins.registering_file() if source_file is None else source_file

        def decorator(builder: T) -> T:
            for key in (name, *aliases):
                if key in self._entries:
                    raise ValueError(f"{self.kind} name {key!r} is registered twice")
                self._entries[key] = Entry(name, builder, registering_file, extras)
            return builder

        return decorator

    def get(self, name: str) -> Entry[T, X]:
        """The entry of ``name``, or ValueError with the registered names in one sentence."""
        if name not in self._entries and (module := self.lazy().get(name)):
            importlib.import_module(module)
        try:
            return self._entries[name]
        except KeyError:
            raise ValueError(
                f"unknown {self.kind} {name!r}; choose one of {', '.join(self.names())}{self.hint}"
            ) from None

    def names(self) -> list[str]:
        """Registered names (and those that will be on first use), sorted."""
        return sorted({*self._entries, *self.lazy()})

    def source_file(self, name: str) -> str:
        """The file that registered ``name``."""
        return self.get(name).source_file


def declared_names(package: str, function: str) -> dict[str, str]:
    """Name → module for every line of the modules of ``package`` that starts with a call
    ``function("name", ...)`` (or the decorator ``@function("name", ...)``), the name written
    out, and its aliases (``function("name", "alias", ...)``); read, not imported (a regular
    expression: parsing the modules took 15 times longer)."""
    return _scan(tuple(importlib.import_module(package).__path__), package, function)


@cache
def _scan(folders: tuple[str, ...], package: str, function: str) -> dict[str, str]:
    call = re.compile(rf'^[ \t]*@?{re.escape(function)}\(\s*((?:"\w+"\s*,\s*)*"\w+")', re.MULTILINE)
    return {
        name: f"{package}.{path.stem}"
        for path in sorted(p for folder in folders for p in Path(folder).glob("*.py"))
        for match in call.finditer(path.read_text(encoding="utf-8"))
        for name in re.findall(r'"(\w+)"', match[1])
    }
