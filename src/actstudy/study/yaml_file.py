"""Reading a study file as YAML, unvalidated: a regular file of bounded size whose aliases
expand to a bounded number of nodes, so that nothing it holds can hang the reader."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import yaml

from actstudy.errors import ConfigError

MAX_BYTES = 1 << 20
"""The largest study file read (1 MiB; the five studies are a few KiB each)."""
MAX_NODES = 100_000
"""The most YAML nodes a study file may expand to, its aliases followed (an alias bomb of
under a kilobyte expands to billions)."""


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


def expanded_nodes(node: yaml.Node, limit: int = MAX_NODES) -> int:
    """How many nodes ``node`` stands for with every alias followed (each shared node counted
    as often as it is used), counting no further than ``limit`` + 1."""
    sizes: dict[int, int] = {}

    def size(current: yaml.Node, depth: int) -> int:
        if id(current) in sizes:
            return sizes[id(current)]
        if depth > 1000:  # deeper than any study, and than Python's stack allows
            return limit + 1
        sizes[id(current)] = limit + 1  # a node reached again inside itself: a cycle
        total = 1
        if isinstance(current, yaml.SequenceNode):
            children: list[yaml.Node] = list(current.value)
        elif isinstance(current, yaml.MappingNode):
            children = [part for pair in current.value for part in pair]
        else:
            children = []
        for child in children:
            total = min(total + size(child, depth + 1), limit + 1)
        sizes[id(current)] = total
        return total

    return size(node, 0)


def _text(path: Path) -> str:
    """The file's text: a regular file (not a FIFO or device, which could block or never end)
    of at most MAX_BYTES, in UTF-8."""
    try:
        status = path.stat()
    except FileNotFoundError:
        raise ConfigError(f"study file {path} does not exist; check the path") from None
    if not stat.S_ISREG(status.st_mode):
        raise ConfigError(
            f"study file {path} is not a regular file (a pipe, device or folder); give the path "
            "of a YAML file"
        )
    if status.st_size > MAX_BYTES:
        raise ConfigError(
            f"study file {path} is {status.st_size} bytes, more than a study's limit of "
            f"{MAX_BYTES}; give the right file"
        )
    data = path.read_bytes()[: MAX_BYTES + 1]  # a file that grew since is cut, then refused
    if len(data) > MAX_BYTES:
        raise ConfigError(f"study file {path} grew past {MAX_BYTES} bytes; give the right file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ConfigError(
            f"study file {path} is not UTF-8 (byte {data[error.start]:#04x} at line {line}); "
            "save it as UTF-8"
        ) from None


def read_config(path: str | Path) -> dict[str, Any]:
    """A study file as YAML, unvalidated; a key given twice is an error."""
    path = Path(path)
    text = _text(path)
    loader = _UniqueKeyLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None and expanded_nodes(node) > MAX_NODES:
            raise ConfigError(
                f"study file {path} expands to more than {MAX_NODES} values through its YAML "
                "aliases (&anchor/*alias); write the values out, or use fewer aliases"
            )
        config = loader.construct_document(node) if node is not None else None
    except ConfigError as error:
        if str(error).startswith(f"study file {path}"):
            raise
        raise ConfigError(f"study file {path}: {error}") from None
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = f" at line {where.line + 1}" if where else ""
        raise ConfigError(f"study file {path} is not valid YAML{line}; fix its syntax") from None
    finally:
        loader.dispose()
    if not isinstance(config, dict):
        raise ConfigError(f"study file {path} holds no mapping of keys; see config.yaml")
    return config
