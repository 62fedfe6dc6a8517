"""The training recipe from config: optimiser, learning-rate schedule, loss."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import torch
from torch import nn


def build_optimizer(params: Iterable[nn.Parameter], spec: dict[str, Any]) -> torch.optim.Optimizer:
    """SGD (momentum, nesterov, weight decay), Adam or AdamW (betas, eps, weight decay)."""
    name = spec["name"]
    common = {"lr": spec["lr"], "weight_decay": spec.get("weight_decay", 0.0)}
    if name == "sgd":
        return torch.optim.SGD(
            params,
            momentum=spec.get("momentum", 0.0),
            nesterov=spec.get("nesterov", False),
            **common,
        )
    adam_options = {"betas": tuple(spec.get("betas", (0.9, 0.999))), "eps": spec.get("eps", 1e-8)}
    if name == "adam":
        return torch.optim.Adam(params, **adam_options, **common)
    if name == "adamw":
        return torch.optim.AdamW(params, **adam_options, **common)
    raise ValueError(f"optimizer must be sgd, adam or adamw, not {name!r}")


def lr_factor(epoch: int, epochs: int, schedule: dict[str, Any]) -> float:
    """Multiplier of the base learning rate during ``epoch`` (0-based).

    A linear warm-up from ``warmup_start`` × lr over ``warmup_epochs`` epochs comes first; then
    ``multistep`` (× gamma at each milestone epoch), ``cosine`` (to ``min_factor`` at the last
    epoch) or ``none``.
    """
    warmup = schedule.get("warmup_epochs", 0)
    if epoch < warmup:
        start = schedule.get("warmup_start", 0.1)
        return start + (1.0 - start) * epoch / warmup
    name = schedule.get("name", "none")
    if name == "none":
        return 1.0
    if name == "multistep":
        passed = sum(1 for milestone in schedule.get("milestones", []) if epoch >= milestone)
        return schedule.get("gamma", 0.1) ** passed
    if name == "cosine":
        span = max(epochs - warmup - 1, 1)
        progress = (epoch - warmup) / span
        low = schedule.get("min_factor", 0.0)
        return low + (1.0 - low) * 0.5 * (1.0 + math.cos(math.pi * progress))
    raise ValueError(f"schedule must be none, multistep or cosine, not {name!r}")


def build_loss(spec: dict[str, Any]) -> nn.Module:
    return nn.CrossEntropyLoss(label_smoothing=spec.get("label_smoothing", 0.0))
