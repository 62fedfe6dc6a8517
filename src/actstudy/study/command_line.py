"""Values changed on Snakemake's command line, read as YAML: ``snakemake --config
'training={epochs: 2, optimizer: {lr: 0.01}}'`` changes those values of the study file and keeps
the rest.

Snakemake reads a top-level value (``--config study=quick``) as a number, a boolean or text,
but every value nested in a mapping or a list as text: ``'2'``, ``'false'``, ``'0.01'``. Each
such text that the command line gave is read here as YAML before the config is validated, so
that ``2`` is the integer 2 and ``false`` the boolean (quote a text that reads as something else:
``{expr: "'1'"}``). A value a study file gave is left as the file wrote it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml


def _read(value: Any) -> Any:
    """``value`` with every text in it read as YAML (a text YAML cannot read stays text)."""
    if isinstance(value, str):
        try:
            return yaml.safe_load(value)
        except yaml.YAMLError:
            return value
    if isinstance(value, list):
        return [_read(item) for item in value]
    if isinstance(value, Mapping):
        return {key: _read(item) for key, item in value.items()}
    return value


def _typed(config: dict[str, Any], given: Mapping[str, Any], nested: bool) -> None:
    for key, value in given.items():
        if isinstance(value, Mapping) and isinstance(config.get(key), dict):
            _typed(config[key], value, nested=True)
        elif (nested or isinstance(value, list)) and key in config and config[key] == value:
            config[key] = _read(value)  # still the command line's value, not a file's


def read_command_line_values(config: dict[str, Any], given: Mapping[str, Any]) -> None:
    """Read, in ``config`` (in place), the values of ``given``, the ``--config`` values of
    Snakemake's command line (``workflow.config_settings.config``), that lie in a mapping or a
    list as YAML (Snakemake typed the top-level ones itself)."""
    _typed(config, given, nested=False)
