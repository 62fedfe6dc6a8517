"""Device choice and the small device-specific switches (precision, memory format, threads)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch


def pick_device(requested: str = "auto") -> torch.device:
    """``auto`` picks cuda, then mps, then cpu; a named device must be available."""
    if requested == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    available = {
        "cpu": True,
        "cuda": torch.cuda.is_available(),
        "mps": torch.backends.mps.is_available(),
    }
    if not available.get(requested, False):
        raise ValueError(
            f"training.device is {requested!r} but no such device is available here; "
            "set training.device: auto"
        )
    return torch.device(requested)


@dataclass(frozen=True)
class DeviceSetup:
    """What a run does on its device; recorded in the run manifest."""

    device: torch.device
    precision: str  # fp32 | bf16
    channels_last: bool

    def autocast(self) -> contextlib.AbstractContextManager:
        if self.precision == "bf16":
            return torch.autocast(device_type=self.device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def describe(self) -> dict[str, str | bool]:
        info: dict[str, str | bool] = {
            "device": str(self.device),
            "precision": self.precision,
            "channels_last": self.channels_last,
            "threads": str(torch.get_num_threads()),
        }
        if self.device.type == "cuda":
            info["gpu"] = torch.cuda.get_device_name(self.device)
        return info


def setup_device(
    requested: str, precision: str, channels_last: bool, threads: int | None
) -> DeviceSetup:
    """Pick the device and apply its settings: bf16 + channels_last + cudnn benchmark on CUDA."""
    device = pick_device(requested)
    if threads:
        torch.set_num_threads(threads)
    if precision == "auto":
        precision = "bf16" if device.type == "cuda" else "fp32"
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    return DeviceSetup(device, precision, channels_last and device.type == "cuda")
