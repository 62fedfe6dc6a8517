"""What a model costs, measured on the model a run builds: its parameters (all, and those the
optimiser trains) and the floating-point operations of one forward pass of one sample, counted
by torch's own ``torch.utils.flop_counter.FlopCounterMode`` (a multiply-add counts as 2 FLOPs;
it counts matrix products and convolutions, the operations that dominate, not element-wise
ones such as the activations themselves)."""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

COLUMNS = ["parameters", "trainable_parameters", "forward_flops_per_sample"]


def model_cost(model: nn.Module, sample: torch.Tensor) -> dict[str, int]:
    """:data:`COLUMNS` of ``model`` for one input ``sample`` (a batch of one), measured in eval
    mode without gradients; the model's train/eval mode is restored."""
    training = model.training
    model.eval()
    counter = FlopCounterMode(display=False)
    try:
        with torch.no_grad(), counter:
            model(sample[:1])
    finally:
        model.train(training)
    return {
        "parameters": sum(p.numel() for p in model.parameters()),
        "trainable_parameters": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "forward_flops_per_sample": int(counter.get_total_flops()),
    }
