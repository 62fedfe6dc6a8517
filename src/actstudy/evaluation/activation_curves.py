"""What each activation of a study computes: f(x) and f′(x) over [−5, 5], as configured and as
each run kept it.

For the activation gallery of the figure notebook (:func:`actstudy.evaluation.figures.
activation_gallery` draws the table written here). Every module comes from the activation
registry (:func:`actstudy.activations.create`); nothing here restates a formula. f′ comes from
autograd (the derivative of Σ f(x) with respect to x, exact for element-wise activations).

Per activation of the study (one row per x and curve, long format, :data:`COLUMNS`):

- ``as configured``: the module the spec builds (a trainable activation at its initial
  values; a progress-driven one at t = 0, the start of training); a
  layer-wise combination (``{roles: ...}``) gives one curve per role;
- per run, where the module has trainable parameters: the values the run kept, read from its
  ``best.pt`` (checked against its sha256 sidecar, read with ``weights_only``) — one curve per
  distinct instance (one for ``scope: network``, one per activation layer for ``scope: layer``);
- per run, where the module is progress-driven: the module at the training progress t of the
  kept weights (``progress_t_at_best`` in the run's ``metrics.json``).

A trainable activation's instances are found in the checkpoint by their parameter and buffer
names and shapes, under one module path each (``act1.a``, ``act1.b``): a module of the model
with exactly those entries is one of them. A shared instance (``scope: network``) is saved under
every path that uses it, with the same values, and counts once.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from actstudy.activations import create
from actstudy.activations.progress import ProgressDriven
from actstudy.activations.registry import Spec
from actstudy.io import read_json, write_text
from actstudy.plugins import load_plugins
from actstudy.training.checkpoint import load_verified

X_RANGE = (-5.0, 5.0)
POINTS = 501  # a step of 0.02
CONFIGURED = "as configured"
COLUMNS = [
    "activation",
    "curve",
    "learned",
    "dataset",
    "model",
    "fold",
    "x",
    "f",
    "slope",
]


def values_and_slopes(module: nn.Module, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """f(x) and f′(x) of an element-wise activation module, f′ by autograd (float32, CPU)."""
    inputs = torch.tensor(x, dtype=torch.float32, requires_grad=True)
    module = module.eval()
    with torch.enable_grad():
        outputs = module(inputs)
        (slopes,) = torch.autograd.grad(outputs.sum(), inputs)
    return outputs.detach().numpy().astype(float), slopes.numpy().astype(float)


def parts(spec: Spec) -> list[tuple[str, Spec]]:
    """(role, spec) of each activation a spec uses: one (``""``, spec), or one per role (and
    the default) of a layer-wise combination."""
    if isinstance(spec, Mapping) and "roles" in spec:
        named = dict(spec["roles"])
        if "default" in spec:
            named["other layers"] = spec["default"]
        return list(named.items())
    return [("", spec)]


def _words(spec: Spec) -> str:
    """A sub-spec in a few words: its name or formula."""
    if isinstance(spec, str):
        return spec
    return str(spec.get("name") or spec.get("expr"))


def _values(module: nn.Module) -> str:
    """A module's scalar parameters as ``a = 1.02, b = 0.97`` (tensors by name only)."""
    return ", ".join(
        f"{name} = {p.item():.3g}" if p.numel() == 1 else name
        for name, p in module.named_parameters()
    )


def trainable_instances(
    spec: Spec, state: Mapping[str, torch.Tensor]
) -> list[tuple[str, nn.Module]]:
    """(module path, module with the checkpoint's values) of each distinct instance of a
    trainable activation in a model's ``state`` dict (empty for one without parameters)."""
    template = create(spec)
    if not list(template.parameters()):
        return []
    wanted = {name: value.shape for name, value in template.state_dict().items()}
    found: dict[tuple[float, ...], tuple[str, nn.Module]] = {}
    for path, entries in _by_module(state).items():
        if {name: value.shape for name, value in entries.items()} != wanted:
            continue
        key = tuple(float(v) for name in sorted(entries) for v in entries[name].flatten())
        if key not in found:
            module = create(spec)
            module.load_state_dict(entries)
            found[key] = (path, module)
    return list(found.values())


def _by_module(state: Mapping[str, torch.Tensor]) -> dict[str, dict[str, torch.Tensor]]:
    """A state dict's entries grouped by the path of the module that holds them."""
    grouped: dict[str, dict[str, torch.Tensor]] = {}
    for key, value in state.items():
        path, _, name = key.rpartition(".")
        grouped.setdefault(path, {})[name] = value
    return grouped


def configured(spec: Spec) -> Iterator[tuple[str, nn.Module]]:
    """(curve label, module) of a spec as the study configures it (see the module docstring):
    the label names the initial values of a trainable module, t = 0 of a progress-driven one."""
    for role, sub in parts(spec):
        module = create(sub)
        label = f"{role}: {_words(sub)}" if role else CONFIGURED
        if list(module.parameters()):
            label += f" (initial: {_values(module)})"
        elif isinstance(module, ProgressDriven):
            label += f" (t = {module.t:g}, start of training)"
        yield label, module


def learned(
    spec: Spec, checkpoint: str | os.PathLike[str], progress_t: float | None
) -> Iterator[tuple[str, nn.Module]]:
    """(curve label, module) of what one run kept: trainable instances from its checkpoint,
    progress-driven modules at ``progress_t`` (the label says which values)."""
    state = None
    for role, sub in parts(spec):
        prefix = f"{role}: " if role else ""
        module = create(sub)
        if list(module.parameters()):
            if state is None:
                state = load_verified(Path(checkpoint))["model"]
            instances = trainable_instances(sub, state)
            for path, instance in instances:
                where = f"{path}, " if len(instances) > 1 else ""
                yield f"{prefix}{where}{_values(instance)}", instance
        elif isinstance(module, ProgressDriven) and progress_t is not None:
            module.set_progress(progress_t)
            yield f"{prefix}t = {progress_t:.2f}", module


def _rows(x: np.ndarray, module: nn.Module, **labels: Any) -> pd.DataFrame:
    f, slope = values_and_slopes(module, x)
    return pd.DataFrame({**labels, "x": x, "f": f, "slope": slope})


def activation_curves(run_dirs: Iterable[str | os.PathLike[str]]) -> pd.DataFrame:
    """The curves table (:data:`COLUMNS`) of a study's run folders (each with its
    ``manifest.json``, ``metrics.json`` and ``best.pt``), activations in the runs' order; a
    run's plugin files (a study's own activations) are imported first."""
    x = np.linspace(*X_RANGE, POINTS)
    tables, seen = [], set()
    for run_dir in map(Path, run_dirs):
        spec = read_json(run_dir / "manifest.json")["spec"]
        load_plugins(spec["plugins"])  # a study's own activations register there
        activation = spec["activation"]["label"]
        if activation not in seen:
            seen.add(activation)
            for label, module in configured(spec["activation"]["spec"]):
                tables.append(_rows(x, module, activation=activation, curve=label, learned=False))
        run = {
            "dataset": spec["dataset"]["label"],
            "model": spec["model"]["label"],
            "fold": spec["evaluation"]["fold"],
        }
        progress_t = read_json(run_dir / "metrics.json").get("progress_t_at_best")
        checkpoint = run_dir / "best.pt"
        for label, module in learned(spec["activation"]["spec"], checkpoint, progress_t):
            tables.append(_rows(x, module, activation=activation, curve=label, learned=True, **run))
    return pd.concat(tables, ignore_index=True).reindex(columns=COLUMNS)


def function_curves(functions: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """f and f′ over :data:`X_RANGE` of labelled expression activations (``label``,
    ``formula``), e.g. a search's best functions: columns activation, curve (the formula), x,
    f, slope."""
    x = np.linspace(*X_RANGE, POINTS)
    tables = []
    for entry in functions:
        module = create({"expr": entry["formula"]})
        tables.append(_rows(x, module, activation=entry["label"], curve=entry["formula"]))
    columns = ["activation", "curve", "x", "f", "slope"]
    return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=columns)


def write_activation_curves(
    run_dirs: Iterable[str | os.PathLike[str]], out_csv: str | os.PathLike[str]
) -> None:
    write_text(out_csv, activation_curves(run_dirs).to_csv(index=False))
