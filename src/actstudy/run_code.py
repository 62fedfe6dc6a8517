"""The code one training run executes, and a digest of it that makes exactly its runs stale.

A run executes the training loop (and what it imports), the module that registers its model and
the modules that register its activations (and what those import). ``import`` statements are
followed wherever they are in a module (a built-in model is declared without torch and its
builder imports the network's module), within the ``actstudy`` package and from a study's plugin
files; a name imported from a package's ``__init__`` is followed to the module that defines it,
so a package ``__init__`` pulls in none of its folder's other modules.
Editing any file outside this set (another activation, another model, a new module) leaves the
run's digest, and so the run, as it was.
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

PACKAGE = "actstudy"
SRC = Path(__file__).resolve().parents[1]
TRAINING_ENTRY = SRC / PACKAGE / "training" / "loop.py"


def _module_file(module: str) -> Path | None:
    """The file of an ``actstudy`` module or package, or None for anything else."""
    if module != PACKAGE and not module.startswith(PACKAGE + "."):
        return None
    base = SRC.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _module_of(path: Path) -> str:
    relative = path.relative_to(SRC).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


def _top_level(tree: ast.Module) -> Iterable[ast.stmt]:
    """Statements run on import: the module's own, and those inside its top-level if/try."""
    pending = list(tree.body)
    while pending:
        node = pending.pop(0)
        yield node
        if isinstance(node, ast.If | ast.Try):
            pending.extend(node.body + node.orelse)
            if isinstance(node, ast.Try):
                pending.extend(node.finalbody)


def _absolute(node: ast.ImportFrom, path: Path) -> str:
    if not node.level:
        return node.module or ""
    package = _module_of(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    base = package[: len(package) - node.level + 1]
    return ".".join([*base, node.module] if node.module else base)


def _resolve_name(module: str, name: str) -> list[Path]:
    """Files behind ``from module import name``: the submodule, or where a package's
    ``__init__`` imports the name from (followed), plus the ``__init__`` itself."""
    if (submodule := _module_file(f"{module}.{name}")) is not None:
        return [submodule]
    file = _module_file(module)
    if file is None:
        return []
    if file.name != "__init__.py":
        return [file]
    for node in _top_level(_parse(file)):
        if isinstance(node, ast.ImportFrom) and any(
            (alias.asname or alias.name) == name for alias in node.names
        ):
            original = next(a.name for a in node.names if (a.asname or a.name) == name)
            return [file, *_resolve_name(_absolute(node, file), original)]
    return [file]


@cache
def _parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


@cache
def imported_files(path: Path) -> tuple[Path, ...]:
    """``actstudy`` files that a module's imports load, at its top level or inside its functions
    (a built-in model's builder imports its network there): one step, not transitive."""
    found: list[Path] = []
    for node in ast.walk(_parse(path)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if (file := _module_file(alias.name)) is not None:
                    found.append(file)
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(node, path) if SRC in path.parents else node.module or ""
            for alias in node.names:
                found += _resolve_name(module, alias.name)
    return tuple(dict.fromkeys(found))


def closure(roots: Iterable[str | Path]) -> list[Path]:
    """The roots and every ``actstudy`` file their imports reach, sorted."""
    seen: set[Path] = set()
    pending = [Path(root).resolve() for root in roots]
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        if path.name != "__init__.py":
            pending.extend(imported_files(path))
    return sorted(seen)


def run_files(spec: Mapping[str, Any]) -> list[Path]:
    """The code files a training run of ``spec`` (:func:`actstudy.study.grid.run_spec`) executes."""
    from actstudy import activations, models

    roots = [
        TRAINING_ENTRY,
        models.source_file(spec["model"]["name"]),
        *activations.source_files(spec["activation"]["spec"]),
    ]
    return closure(roots)


def display_name(path: Path) -> str:
    """``actstudy/...`` for the package's files; the file name for a plugin."""
    return path.relative_to(SRC).as_posix() if SRC in path.parents else path.name


def digest(files: Iterable[Path]) -> str:
    """sha256 over the files' names and contents (not their paths or times), 16 hex digits."""
    hasher = hashlib.sha256()
    for path in sorted(files, key=display_name):
        hasher.update(display_name(path).encode() + b"\0")
        stat = path.stat()
        hasher.update(_content_digest(path, stat.st_mtime_ns, stat.st_size))
    return hasher.hexdigest()[:16]


@cache
def _content_digest(path: Path, mtime_ns: int, size: int) -> bytes:
    """sha256 of a file's content, read once per version of the file (its time and size) in a
    process: a study's dry run digests the same few dozen files for every run."""
    return hashlib.sha256(path.read_bytes()).digest()
