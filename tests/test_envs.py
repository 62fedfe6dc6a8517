"""The conda environments pin the same versions as pyproject.toml."""

from __future__ import annotations

import re
import tomllib

import yaml
from workflow_helpers import REPO


def pyproject_pins() -> dict[str, str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pins = {}
    for requirement in project["dependencies"]:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)==([^\s;]+)", requirement)
        assert match, f"pyproject dependency {requirement!r} is not an exact pin"
        pins[match[1].lower()] = match[2]
    return pins


def env_pins(path) -> dict[str, str]:
    pins = {}
    for entry in yaml.safe_load(path.read_text())["dependencies"]:
        for requirement in entry["pip"] if isinstance(entry, dict) else []:
            name, _, version = requirement.partition("==")
            assert version, f"{path.name}: {requirement!r} is not an exact pin"
            pins[name.lower()] = version
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
