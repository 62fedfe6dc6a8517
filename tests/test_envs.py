"""The conda environments pin the same versions as pyproject.toml, and every third-party package
that src/ imports has its own pin in both."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from collections import defaultdict
from importlib.metadata import packages_distributions

import yaml
from workflow_helpers import REPO


def pyproject_pins() -> dict[str, str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pins = {}
    for requirement in project["dependencies"]:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)==([^\s;]+)", requirement)
        assert match, f"pyproject dependency {requirement!r} is not an exact pin"
        pins[_normal(match[1])] = match[2]
    return pins


def _normal(name: str) -> str:
    """A distribution's name as PEP 503 normalises it (PyYAML -> pyyaml, Foo_Bar -> foo-bar)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def env_pins(path) -> dict[str, str]:
    pins = {}
    for entry in yaml.safe_load(path.read_text())["dependencies"]:
        for requirement in entry["pip"] if isinstance(entry, dict) else []:
            name, _, version = requirement.partition("==")
            assert version, f"{path.name}: {requirement!r} is not an exact pin"
            pins[_normal(name)] = version
    return pins


def test_every_env_pin_equals_the_pyproject_pin():
    expected = pyproject_pins()
    envs = sorted((REPO / "envs").glob("*.yaml"))
    assert envs
    for path in envs:
        pins = env_pins(path)
        assert pins, path
        for name, version in pins.items():
            assert expected.get(name) == version, f"{path.name}: {name}=={version}"


def test_the_training_env_has_what_training_needs():
    pins = env_pins(REPO / "envs" / "torch.yaml")
    assert {"torch", "torchvision", "scikit-learn", "wfdb", "kaggle"} <= set(pins)
    assert pins["torch"] == "2.14.1" and pins["torchvision"] == "0.29.1"


# Which environment runs the code of each part of the package (see the conda: lines of
# workflow/rules), or of one module of a part; the modules directly under actstudy (cli, io...)
# run in all of them. The smoke variant is made outside the workflow, where torch is.
ENVS_OF_PART = {
    "data": ["torch"],
    "training": ["torch"],
    "models": ["torch"],
    "activations": ["torch"],
    "evaluation": ["analysis"],
    "search": ["torch"],
    "study": ["analysis", "torch"],
    "study/smoke.py": ["torch"],
    "evaluation/activation_curves.py": ["torch"],
    "evaluation/timing.py": ["torch"],
    "evaluation/model_cost.py": ["torch"],  # the timing step's
}


def imported_modules(path) -> set[str]:
    """Top-level names of the absolute imports in one file, wherever they are (functions too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition(".")[0])
    return names


def third_party_imports() -> dict[str, dict[str, list[str]]]:
    """Distribution -> import name -> files under src/ that import it, stdlib and actstudy left
    out; an import no installed distribution provides maps to itself so that it shows."""
    provides = packages_distributions()
    found: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for path in sorted((REPO / "src").rglob("*.py")):
        for module in imported_modules(path):
            if module in sys.stdlib_module_names or module in ("actstudy", "__future__"):
                continue
            for distribution in provides.get(module, [module]):
                found[_normal(distribution)][module].append(str(path.relative_to(REPO)))
    return found


def test_the_import_scan_sees_imports_inside_functions_too(tmp_path):
    source = tmp_path / "m.py"
    source.write_text(
        "import os.path\nfrom yaml import safe_load\nfrom . import sibling\n"
        "def f():\n    import sklearn.metrics\n    from PIL import Image\n"
    )
    assert imported_modules(source) == {"os", "yaml", "sklearn", "PIL"}
    provides = packages_distributions()
    assert {_normal(d) for d in provides["sklearn"]} == {"scikit-learn"}
    assert {_normal(d) for d in provides["PIL"]} == {"pillow"}


def test_every_direct_import_has_its_own_exact_pin():
    pins = pyproject_pins()
    imports = third_party_imports()
    assert {"torch", "numpy", "wfdb", "kagglesdk"} <= set(imports)
    unpinned = {
        distribution: sorted({file for files in by_module.values() for file in files})
        for distribution, by_module in imports.items()
        if distribution not in pins
    }
    assert not unpinned, (
        "src/ imports these without an exact pin (name==version) in pyproject.toml's "
        f"dependencies: {unpinned}"
    )


def test_each_environment_pins_what_its_steps_import():
    envs = {path.stem: env_pins(path) for path in (REPO / "envs").glob("*.yaml")}
    missing = []
    for distribution, by_module in third_party_imports().items():
        for file in {file for files in by_module.values() for file in files}:
            parts = file.split("/")  # src/actstudy/<part>/... or src/actstudy/<module>.py
            if len(parts) == 3:
                names = sorted(envs)
            else:
                assert parts[2] in ENVS_OF_PART, f"add actstudy.{parts[2]} to ENVS_OF_PART"
                names = ENVS_OF_PART.get("/".join(parts[2:]), ENVS_OF_PART[parts[2]])
            missing += [
                f"{name}.yaml lacks {distribution} ({file})"
                for name in names
                if distribution not in envs[name]
            ]
    assert not missing, sorted(set(missing))
