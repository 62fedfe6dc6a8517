"""A study's own Python files (``plugins: [my_acts.py]``), imported so that their ``@register``
calls for activations, models and dataset sources take effect, in validation and in every job."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import ModuleType

_LOADED: dict[Path, ModuleType] = {}


def module_name(path: Path) -> str:
    """A module name unique to the file: ``actstudy_plugin_<stem>_<hash of its path>``."""
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:10]
    stem = "".join(c if c.isalnum() else "_" for c in path.stem)
    return f"actstudy_plugin_{stem}_{digest}"


def load_plugin(path: str | Path) -> ModuleType:
    """Import one plugin file once per process (a second call returns the same module)."""
    resolved = Path(path).expanduser().resolve()
    if resolved in _LOADED:
        return _LOADED[resolved]
    if not resolved.is_file():
        raise FileNotFoundError(
            f"plugin file {path} does not exist (paths are relative to the working directory "
            f"{Path.cwd()}); fix the path"
        )
    name = module_name(resolved)
    spec = importlib.util.spec_from_file_location(name, resolved)
    if spec is None or spec.loader is None:
        raise ValueError(f"plugin file {path} cannot be imported; give a .py file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        del sys.modules[name]
        raise ValueError(
            f"plugin file {path} failed to import ({type(error).__name__}: {error}); fix it"
        ) from error
    _LOADED[resolved] = module
    return module


def load_plugins(paths: Iterable[str | Path]) -> list[ModuleType]:
    """Import every plugin file, in order."""
    return [load_plugin(path) for path in paths]


def registering_file(depth: int = 2) -> str:
    """The file of the module that called the caller: where a ``register...`` call is written
    (a plugin file, or a module of the package)."""
    return sys._getframe(depth).f_globals.get("__file__", "")


def used_plugins(plugins: Sequence[str], files: Iterable[str | Path]) -> list[str]:
    """The plugins (as the study names them) among ``files``: those a job must load."""
    wanted = {Path(file).resolve() for file in files}
    return [plugin for plugin in plugins if Path(plugin).expanduser().resolve() in wanted]
