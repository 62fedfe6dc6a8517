"""The training recipe from config: optimiser, learning-rate schedule, loss."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

from actstudy.schema import allowed

OPTIMIZERS = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}


def build_optimizer(params: Iterable[nn.Parameter], spec: dict[str, Any]) -> torch.optim.Optimizer:
    """SGD (momentum, nesterov, weight decay), Adam or AdamW (betas, eps, weight decay).

    ``spec`` is ``training.optimizer`` of a validated config: its defaults are filled in.
    """
    name = spec["name"]
    if name not in OPTIMIZERS:
        names = ", ".join(allowed("training", "optimizer", "name"))
        raise ValueError(f"optimizer must be one of {names}, not {name!r}")
    common = {"lr": spec["lr"], "weight_decay": spec["weight_decay"]}
    if name == "sgd":
        return torch.optim.SGD(
            params, momentum=spec["momentum"], nesterov=spec["nesterov"], **common
        )
    return OPTIMIZERS[name](params, betas=tuple(spec["betas"]), eps=spec["eps"], **common)


def lr_factor(epoch: int, epochs: int, schedule: dict[str, Any]) -> float:
    """Multiplier of the base learning rate during ``epoch`` (0-based).

    A linear warm-up from ``warmup_start`` × lr over ``warmup_epochs`` epochs comes first; then
    ``multistep`` (× gamma at each milestone epoch, counted from epoch 0 or, with
    ``milestones_from: warmup_end``, from the end of the warm-up as PyTorch's SequentialLR
    counts a chained MultiStepLR's epochs), ``cosine`` (to ``min_factor`` at the last epoch) or
    ``none``. ``schedule`` is ``training.schedule`` of a validated config.
    """
    warmup = schedule["warmup_epochs"]
    if epoch < warmup:
        start = schedule["warmup_start"]
        return start + (1.0 - start) * epoch / warmup
    name = schedule["name"]
    if name == "none":
        return 1.0
    if name == "multistep":
        counted = epoch - warmup if schedule["milestones_from"] == "warmup_end" else epoch
        passed = sum(1 for milestone in schedule["milestones"] if counted >= milestone)
        return schedule["gamma"] ** passed
    if name == "cosine":
        span = max(epochs - warmup - 1, 1)
        progress = (epoch - warmup) / span
        low = schedule["min_factor"]
        return low + (1.0 - low) * 0.5 * (1.0 + math.cos(math.pi * progress))
    names = ", ".join(allowed("training", "schedule", "name"))
    raise ValueError(f"schedule must be one of {names}, not {name!r}")


class SoftmaxOutputsCrossEntropy(nn.CrossEntropyLoss):
    """Cross-entropy applied to the softmax OUTPUTS: ``-log softmax(softmax(logits))[y]``.

    What a softmax output layer followed by a loss that applies softmax again computes (S4,
    Pan et al. 2019, whose reported losses sit just above this loss's floor). With k classes a
    perfectly confident, correct prediction scores ln(1 + (k - 1)/e), ≈ 1.4612 for 10 classes.
    The model still outputs logits: the training loop's probabilities and accuracy stay
    ``softmax(logits)``, the model's softmax outputs.
    """

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return super().forward(torch.softmax(logits, dim=1), target)


LOSSES = {"cross_entropy": nn.CrossEntropyLoss, "softmax_outputs": SoftmaxOutputsCrossEntropy}


def build_loss(spec: dict[str, Any]) -> nn.Module:
    """``training.loss`` of a validated config: cross-entropy of the logits, or of their
    softmax (``softmax_outputs``), with label smoothing."""
    name = spec["name"]
    if name not in LOSSES:
        names = ", ".join(allowed("training", "loss", "name"))
        raise ValueError(f"loss must be one of {names}, not {name!r}")
    return LOSSES[name](label_smoothing=spec["label_smoothing"])
