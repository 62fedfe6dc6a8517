"""Reading a study file as YAML, unvalidated."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from actstudy.errors import ConfigError


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a mapping that gives one key twice (YAML keeps the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise ConfigError(
                    f"the key {key!r} is given twice (line {key_node.start_mark.line + 1}); "
                    "keep one, since YAML would silently use the last"
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_config(path: str | Path) -> dict[str, Any]:
    """A study file as YAML, unvalidated; a key given twice is an error."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"study file {path} does not exist; check the path") from None
    try:
        config = yaml.load(text, Loader=_UniqueKeyLoader)
    except ConfigError as error:
        raise ConfigError(f"study file {path}: {error}") from None
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = f" at line {where.line + 1}" if where else ""
        raise ConfigError(f"study file {path} is not valid YAML{line}; fix its syntax") from None
    if not isinstance(config, dict):
        raise ConfigError(f"study file {path} holds no mapping of keys; see config.yaml")
    return config
