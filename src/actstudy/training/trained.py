"""A trained run read back for use: :func:`load_run` (``actstudy.load_run``) gives the model with
the weights the run kept (``best.pt``, checked against its sha256 sidecar) and the input
transform it was trained with (the normalisation in ``manifest.json``).

::

    import actstudy

    # run_dir: results/<study>/runs/<dataset>/<model>/<activation>/fold<k>
    run = actstudy.load_run(run_dir)
    x, y = run.test_split()              # the run's test samples, as prepared (uint8 N×H×W×C)
    predicted = run.predict(x)           # class indices; run.classes names them
    logits = run.model(run.transform(x))  # the same by hand
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from actstudy import layout
from actstudy.activations.registry import factory
from actstudy.data.prepared import Prepared, load_prepared
from actstudy.io import read_json
from actstudy.models.registry import create as create_model
from actstudy.models.registry import options_for_input
from actstudy.plugins import load_plugins
from actstudy.training.checkpoint import load_verified
from actstudy.training.folds import with_held_out_test


@dataclass(frozen=True)
class InputTransform:
    """Prepared samples → model inputs, as training fed them: uint8 images N×H×W×C (0–255)
    become float N×C×H×W in 0–1, then ``(x - mean) / std`` per channel where the run normalised;
    float signals N×1×L pass as they are."""

    mean: list[float] | None
    std: list[float] | None

    def __call__(self, x: np.ndarray | torch.Tensor) -> torch.Tensor:
        tensor = torch.as_tensor(np.asarray(x))
        if tensor.dtype == torch.uint8:
            tensor = tensor.permute(0, 3, 1, 2).float().div(255.0)
        else:
            tensor = tensor.float()
        if self.mean is None or self.std is None:
            return tensor
        shape = (1, -1) + (1,) * (tensor.dim() - 2)
        mean = torch.tensor(self.mean, dtype=torch.float32).view(shape)
        std = torch.tensor(self.std, dtype=torch.float32).view(shape)
        return (tensor - mean) / std


@dataclass(frozen=True)
class TrainedRun:
    """One trained run: its model (in eval mode, on the CPU, with its kept weights), the input
    transform, the class names, and what the run recorded (spec, metrics, manifest)."""

    run_dir: Path
    model: nn.Module
    transform: InputTransform
    classes: list[str]
    spec: dict[str, Any]
    metrics: dict[str, Any]
    manifest: dict[str, Any]
    prepared_dir: Path
    folds_file: Path

    def predict(self, x: np.ndarray | torch.Tensor, batch_size: int = 256) -> np.ndarray:
        """The predicted class index of every sample of ``x`` (prepared samples, see
        :class:`InputTransform`)."""
        with torch.no_grad():
            return np.concatenate(
                [
                    self.model(self.transform(x[start : start + batch_size])).argmax(1).numpy()
                    for start in range(0, len(x), batch_size)
                ]
            )

    def prepared(self) -> Prepared:
        """The run's dataset as prepared, with its test split the one the run was tested on
        (the fold file's held-out part, where the dataset has no official test split)."""
        return with_held_out_test(load_prepared(self.prepared_dir), self.folds_file)

    def test_split(self) -> tuple[np.ndarray, np.ndarray]:
        """The samples and labels the run's test metrics were computed on."""
        test = self.prepared().test
        if test is None or not self.spec["evaluation"]["test"]:
            raise ValueError(f"{self.run_dir} was not tested: its study has no test part")
        return np.asarray(test.x), np.asarray(test.y)


def _workflow_root(run_dir: Path, spec: dict[str, Any]) -> Path:
    """The folder the study ran in: the run folder less its place under results/."""
    parts = layout.run_dir(
        spec["study"],
        spec["dataset"]["label"],
        spec["model"]["label"],
        spec["activation"]["label"],
        spec["evaluation"]["fold"],
    ).parts
    if run_dir.parts[-len(parts) :] != parts:
        raise ValueError(
            f"{run_dir} is not where its study put it (results/<study>/runs/...): give root=, "
            "the folder the study ran in"
        )
    return run_dir.parents[len(parts) - 1]


def load_run(
    run_dir: str | os.PathLike[str], *, root: str | os.PathLike[str] | None = None
) -> TrainedRun:
    """The trained run in ``run_dir`` (a folder ``results/<study>/runs/<dataset>/<model>/
    <activation>/fold<k>``), its model carrying the weights in ``best.pt``.

    ``root`` is the folder the study ran in (where ``resources/`` is); by default the one that
    holds ``run_dir``'s ``results/``. The class names, the input's channels and size come from
    the run's prepared dataset there (``resources/prepared/...``); a plugin activation or model
    is loaded from the study's plugin files, as the run recorded them.
    """
    run_dir = Path(run_dir).resolve()
    manifest_file = run_dir / "manifest.json"
    if not manifest_file.exists():
        raise FileNotFoundError(
            f"{run_dir} holds no manifest.json: not a finished run (train it with snakemake)"
        )
    manifest = read_json(manifest_file)
    spec = manifest["spec"]
    base = _workflow_root(run_dir, spec) if root is None else Path(root)
    load_plugins(base / plugin for plugin in spec["plugins"])
    prepared_dir = base / Path(manifest["prepared_manifest"]).parent
    if not (prepared_dir / "manifest.json").exists():
        raise FileNotFoundError(
            f"{prepared_dir} is gone (the run's prepared data, for its classes and input shape); "
            "run `snakemake` in the study's folder, which prepares it again"
        )
    prepared = load_prepared(prepared_dir, verify=False)
    shape = prepared.train.x.shape  # N×H×W×C uint8 images or N×C×L signals
    channels, size = (shape[3], shape[2]) if prepared.train.x.dtype == np.uint8 else shape[1:3]
    model_options = {k: v for k, v in spec["model"].items() if k not in ("label", "name")}
    model = create_model(
        spec["model"]["name"],
        num_classes=len(prepared.classes),
        in_channels=channels,
        make_act=factory(spec["activation"]["spec"]),
        **options_for_input(spec["model"]["name"], size, **model_options),
    )
    model.load_state_dict(load_verified(run_dir / "best.pt")["model"])
    model.eval()
    normalization = manifest.get("normalization") or {}
    return TrainedRun(
        run_dir=run_dir,
        model=model,
        transform=InputTransform(normalization.get("mean"), normalization.get("std")),
        classes=prepared.classes,
        spec=spec,
        metrics=read_json(run_dir / "metrics.json"),
        manifest=manifest,
        prepared_dir=prepared_dir,
        folds_file=base
        / layout.fill(layout.FOLDS, study=spec["study"], dataset=spec["dataset"]["label"]),
    )
