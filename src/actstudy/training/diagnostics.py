"""Activation diagnostics: what every activation of a model does, measured once per epoch.

The *sites* are the modules the model's activation factory (its ``make_act``) created, in the
order the model's forward calls them, each named by the model's role it was made for
(``conv1``) where that role names one module alone, else by its name in the model
(``layer1.0.act1``); a module shared by the whole network (``scope: network``) is one site per
call, named ``<module>@<k>`` for its k-th call. After every epoch
:class:`Probe` runs a fixed probe batch (the first :func:`probe_size` samples of the training
fold, never augmented) through the model in eval mode (no dropout, batch norm on its running
statistics), with forward hooks on the sites, and records per site, in long format (``epoch,
site, quantity, value``):

- ``dead_fraction``: the share of units (one entry of a sample's activation tensor: a feature,
  or a channel at one position) whose output and derivative f′ are exactly zero for every probe
  sample;
- ``saturated_fraction``: the share of (sample, unit) entries where |f′| < 0.01 (a
  rectifier's flat negative side counts: it passes no gradient either);
- ``preact_mean``, ``preact_std``: mean and (population) standard deviation of the
  pre-activations;
- ``grad_norm``: the L2 norm of the gradient of the probe batch's mean loss with respect to the
  site's output, the gradient that reaches the layer from above;
- ``param_<name>`` (``param_<name>[i]`` for a tensor): each parameter value of a trainable
  activation, once per module (site: the module's name).

f′ comes from autograd (the derivative of Σ f(x) with respect to x, exact for element-wise
activations). Gradients are taken with :func:`torch.autograd.grad`, so no parameter's ``.grad``
is touched; the train/eval flag of every module is restored; no random numbers are drawn. A run
therefore trains bit-identically with and without the probe.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import torch
from torch import nn

from actstudy.activations.registry import MakeAct

PROBE_SAMPLES = 256
PROBE_SHARE = 1 / 32  # of a smaller training fold (a 16th cost 8 % of a digits epoch)
SATURATED_BELOW = 0.01
COLUMNS = ["epoch", "site", "quantity", "value"]


class Made(list):
    """The modules a recorded ``make_act`` returned, in order, and the roles each was made for."""

    def __init__(self) -> None:
        super().__init__()
        self.roles: dict[int, list[str]] = {}


def recording(make_act: MakeAct) -> tuple[MakeAct, Made]:
    """``make_act`` that also appends every module it returns (and its role) to the list
    returned beside it."""
    made = Made()

    def record(role: str) -> nn.Module:
        module = make_act(role)
        made.append(module)
        made.roles.setdefault(id(module), []).append(role)
        return module

    return record, made


def site_names(model: nn.Module, sites: list[nn.Module], roles: dict[int, list[str]]) -> dict:
    """Each site's name: the model's role it was made for (``conv1``) where that role names one
    module alone, else its name in the model (``layer1.0.act1``)."""
    names = {id(m): name for name, m in model.named_modules()}
    single = [r[0] for r in roles.values() if len(r) == 1]
    return {
        id(m): (
            roles[id(m)][0]
            if len(roles.get(id(m), [])) == 1 and single.count(roles[id(m)][0]) == 1
            else names.get(id(m), f"activation{i}")
        )
        for i, m in enumerate(sites)
    }


def probe_size(samples: int) -> int:
    """Probe samples for a training fold of ``samples``: 256, or a 32nd of a smaller fold."""
    return max(1, min(PROBE_SAMPLES, math.ceil(samples * PROBE_SHARE)))


class Probe:
    """A fixed probe batch and the activation sites of one model; :meth:`measure` per epoch.

    ``x``, ``y``: the probe inputs (as the model takes them) and labels; ``autocast``: the
    precision context the model trains under."""

    def __init__(
        self,
        model: nn.Module,
        activations: list[nn.Module],
        loss_fn: nn.Module,
        x: torch.Tensor,
        y: torch.Tensor,
        autocast: Callable[[], AbstractContextManager],
    ) -> None:
        self.model, self.loss_fn, self.x, self.y, self.autocast = model, loss_fn, x, y, autocast
        self.sites = list({id(m): m for m in activations}.values())  # shared instances once
        self.names = site_names(model, self.sites, getattr(activations, "roles", {}))

    def _forward(self) -> tuple[torch.Tensor, list[tuple[nn.Module, torch.Tensor, torch.Tensor]]]:
        """The probe's loss and each site call's (module, input, output), in eval mode."""
        calls: list[tuple[nn.Module, torch.Tensor, torch.Tensor]] = []

        def hook(module: nn.Module, args: tuple[Any, ...], output: torch.Tensor) -> None:
            calls.append((module, args[0], output))

        modes = [(m, m.training) for m in self.model.modules()]
        handles = [m.register_forward_hook(hook) for m in self.sites]
        self.model.eval()
        try:
            with torch.enable_grad(), self.autocast():
                logits = self.model(self.x.detach().requires_grad_())
            loss = self.loss_fn(logits.float(), self.y)
        finally:
            for handle in handles:
                handle.remove()
            for module, training in modes:
                module.training = training
        return loss, calls

    def measure(self, epoch: int) -> list[dict[str, Any]]:
        """The rows of one epoch (1-based ``epoch``): every quantity of every site."""
        loss, calls = self._forward()
        derivatives = [
            torch.autograd.grad(y, x, torch.ones_like(y), retain_graph=True)[0] for _, x, y in calls
        ]
        gradients = torch.autograd.grad(loss, [y for _, _, y in calls]) if calls else ()
        counts: dict[int, int] = {}
        for module, _, _ in calls:
            counts[id(module)] = counts.get(id(module), 0) + 1
        seen: dict[int, int] = {}
        rows = []
        for (module, x, y), d, g in zip(calls, derivatives, gradients, strict=True):
            seen[id(module)] = seen.get(id(module), 0) + 1
            site = self.names[id(module)]
            if counts[id(module)] > 1:
                site = f"{site}@{seen[id(module)]}"
            # few passes over the activations: reduce over samples first, then over units
            slope = d.float().abs()
            dead = (y.detach().float().abs().amax(dim=0) + slope.amax(dim=0)) == 0
            x = x.detach().float()
            mean = x.mean()  # and the std from the second moment: std_mean is 15× slower
            std = (x.square().mean() - mean.square()).clamp(min=0).sqrt()
            values = {
                "dead_fraction": dead.float().mean(),
                "saturated_fraction": torch.count_nonzero(slope < SATURATED_BELOW) / slope.numel(),
                "preact_mean": mean,
                "preact_std": std,
                "grad_norm": g.float().norm(),
            }
            rows += [
                {"epoch": epoch, "site": site, "quantity": k, "value": v} for k, v in values.items()
            ]
        for module in self.sites:
            for name, parameter in module.named_parameters():
                flat = parameter.detach().flatten()
                keys = (
                    [f"param_{name}"]
                    if flat.numel() == 1
                    else [f"param_{name}[{i}]" for i in range(flat.numel())]
                )
                rows += [
                    {
                        "epoch": epoch,
                        "site": self.names[id(module)],
                        "quantity": key,
                        "value": value,
                    }
                    for key, value in zip(keys, flat, strict=True)
                ]
        if rows:  # one transfer from the device, not one per value
            values = torch.stack([row["value"].float() for row in rows]).cpu().tolist()
            for row, value in zip(rows, values, strict=True):
                row["value"] = value
        return rows
