"""A value changed on Snakemake's command line, without editing a file:
`snakemake --config 'training={epochs: 2}'` (nested values come as text; read as YAML)."""

from __future__ import annotations

import pytest
from workflow_helpers import snakemake, tiny_config, write_config

from actstudy.study.command_line import read_command_line_values


def test_nested_command_line_texts_are_read_as_yaml_and_file_values_are_left_alone():
    config = {
        "study": "quick",
        "training": {"epochs": "3", "compile": "false", "optimizer": {"lr": "0.05"}},
        "activations": {"act": {"expr": "-x*erf(exp(-x))"}, "odd": "'1'"},
        "plugins": ["a.py"],
        "overrides": [{"training": {"epochs": "1"}}],
    }
    given = {
        "training": {"epochs": "3", "compile": "false", "optimizer": {"lr": "0.05"}},
        "activations": {"act": {"expr": "-x*erf(exp(-x))"}},
        "overrides": [{"training": {"epochs": "1"}}],
    }
    read_command_line_values(config, given)
    assert config["training"] == {"epochs": 3, "compile": False, "optimizer": {"lr": 0.05}}
    assert config["activations"] == {"act": {"expr": "-x*erf(exp(-x))"}, "odd": "'1'"}
    assert config["overrides"] == [{"training": {"epochs": 1}}]
    assert config["plugins"] == ["a.py"] and config["study"] == "quick"


@pytest.mark.workflow
def test_snakemake_config_changes_a_nested_value_without_editing_a_file(tmp_path):
    write_config(tmp_path, tiny_config())
    args = ("--dry-run", "--printshellcmds", "--cores", "1")
    result = snakemake(tmp_path, *args, "--config", "training={epochs: 3, optimizer: {lr: 0.05}}")
    text = result.stdout + result.stderr
    specs = [line for line in text.splitlines() if "python -m json.tool" in line]
    assert len(specs) == 4  # 2 activations × 2 folds, each spec with the new values
    assert all('"epochs": 3' in line and '"lr": 0.05' in line for line in specs)
    assert all('"name": "adam"' in line for line in specs)  # the file's other values kept
    refused = snakemake(tmp_path, *args, "--config", "training={epochs: two}", check=False)
    assert refused.returncode != 0
    assert "config key 'training.epochs' must be of type integer (got 'two')" in refused.stderr
