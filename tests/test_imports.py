"""The modules of the package import one another without a cycle, function-level imports
included: a dependency points one way, not round a loop that only a late import holds open."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "actstudy"


def modules(src: Path) -> dict[str, Path]:
    """Every module of the package under ``src`` by dotted name (a package by its
    ``__init__.py``)."""
    found = {}
    for path in sorted((src / PACKAGE).rglob("*.py")):
        parts = path.relative_to(src).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    """The dotted names an import statement names, relative imports resolved."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = module.split(".") if is_package else module.split(".")[:-1]
        package = package[: len(package) - node.level + 1]
        base = ".".join([*package, *([base] if base else [])])
    return [base, *(f"{base}.{alias.name}" for alias in node.names)]


def _ancestors(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:end]) for end in range(1, len(parts))]


def imports(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The package's modules that importing ``module`` may run: each one an import statement
    names (anywhere in the file), and the packages above it that the importer is not inside
    (importing ``a.b.c`` runs ``a/b/__init__.py`` first)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_package = path.name == "__init__.py"
    named = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            named |= {t for t in _targets(node, module, is_package) if t in known}
    inside = {*_ancestors(module), module}
    run = {parent for name in named for parent in _ancestors(name) if parent not in inside}
    return (named | run) - inside


def import_graph(src: Path = SRC) -> dict[str, set[str]]:
    """Each module of the package → the package's modules importing it may run."""
    known = modules(src)
    return {module: imports(module, path, known) for module, path in known.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as the modules round it (the first again at the end), or None."""
    done: set[str] = set()
    for start in sorted(set(graph) - done):
        path, on_path = [start], {start}
        stack = [(start, iter(sorted(graph[start])))]
        while stack:
            node, successors = stack[-1]
            successor = next(successors, None)
            if successor is None:
                stack.pop()
                path.pop()
                on_path.discard(node)
                done.add(node)
            elif successor in on_path:
                return [*path[path.index(successor) :], successor]
            elif successor not in done:
                stack.append((successor, iter(sorted(graph[successor]))))
                path.append(successor)
                on_path.add(successor)
    return None


def test_the_graph_sees_function_level_and_relative_imports(tmp_path):
    package = tmp_path / PACKAGE
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("from . import low\n")
    (package / "sub" / "low.py").write_text("def f():\n    from actstudy import top\n")
    (package / "top.py").write_text("from actstudy.sub.low import f\n")
    graph = import_graph(tmp_path)
    assert graph["actstudy.top"] == {"actstudy.sub", "actstudy.sub.low"}
    assert graph["actstudy.sub"] == {"actstudy.sub.low"}
    assert find_cycle(graph) == ["actstudy.sub", "actstudy.sub.low", "actstudy.top", "actstudy.sub"]


def test_no_module_imports_itself_through_others():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])
