"""Device-resident batches: the whole dataset lives on the device as uint8 (airbench-style);
normalisation and augmentation run per batch on the device, with no DataLoader workers.
A dataset too large for the GPU stays in pinned host memory and moves over batch by batch.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

from actstudy.schema import allowed

GPU_SHARE = 0.5  # keep a dataset on the GPU when it takes at most this share of free memory


def storage_device(device: torch.device, nbytes: int) -> torch.device:
    """Where to keep a dataset of ``nbytes``: on the compute device when it fits."""
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return device if nbytes <= GPU_SHARE * free else torch.device("cpu")
    return device


def channel_stats(images: np.ndarray) -> tuple[list[float], list[float]]:
    """Per-channel mean and std (in 0–1 units) of N×H×W×C uint8 images."""
    flat = images.reshape(-1, images.shape[-1]).astype(np.float64) / 255.0
    return flat.mean(axis=0).tolist(), flat.std(axis=0).clip(min=1e-8).tolist()


@dataclass
class DeviceData:
    """Samples (uint8 N×C×H×W images or float32 N×C×L signals) and labels on one device."""

    x: torch.Tensor
    y: torch.Tensor
    mean: torch.Tensor | None
    std: torch.Tensor | None
    device: torch.device

    @classmethod
    def from_arrays(
        cls,
        x: np.ndarray,
        y: np.ndarray,
        device: torch.device,
        normalize: tuple[list[float], list[float]] | None,
    ) -> DeviceData:
        tensor = torch.from_numpy(np.array(x, copy=True))  # memory maps are read-only
        if tensor.dtype == torch.uint8:  # N×H×W×C → N×C×H×W, still uint8
            tensor = tensor.permute(0, 3, 1, 2).contiguous()
        labels = torch.from_numpy(np.asarray(y, dtype=np.int64).copy())
        storage = storage_device(device, tensor.nbytes + labels.nbytes)
        if storage != device:
            tensor, labels = tensor.pin_memory(), labels.pin_memory()
        mean = std = None
        if normalize is not None:
            shape = (1, -1) + (1,) * (tensor.dim() - 2)
            mean = torch.tensor(normalize[0], dtype=torch.float32, device=device).view(shape)
            std = torch.tensor(normalize[1], dtype=torch.float32, device=device).view(shape)
        return cls(tensor.to(storage), labels.to(storage), mean, std, device)

    def __len__(self) -> int:
        return len(self.y)

    def to_float(self, x: torch.Tensor) -> torch.Tensor:
        out = x.to(self.device, non_blocking=True).float()
        if x.dtype == torch.uint8:
            out = out.div_(255.0)
        if self.mean is not None:
            out = out.sub_(self.mean).div_(self.std)
        return out

    def batches(
        self,
        batch_size: int,
        generator: torch.Generator | None = None,
        augmentation: str | None = None,
        pad: int | None = None,
        memory_format: torch.memory_format = torch.contiguous_format,
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Yield (float inputs, labels); shuffled when a generator is given, and then augmented
        as ``training.augmentation`` and ``training.pad`` say (None: not at all)."""
        n = len(self)
        if generator is None:
            order = torch.arange(n, device=self.x.device)
        else:
            order = torch.randperm(n, generator=generator).to(self.x.device)
        for start in range(0, n, batch_size):
            index = order[start : start + batch_size]
            x = self.to_float(self.x[index])
            if generator is not None and augmentation not in (None, "none"):
                x = augment(x, augmentation, pad, generator)
            if x.dim() == 4:
                x = x.contiguous(memory_format=memory_format)
            yield x, self.y[index].to(self.device, non_blocking=True)


def _uniform(n: int, generator: torch.Generator, device: torch.device) -> torch.Tensor:
    return torch.rand(n, generator=generator).to(device)


def random_flip(x: torch.Tensor, generator: torch.Generator, mask: torch.Tensor) -> torch.Tensor:
    """Flip horizontally the samples where ``mask`` holds, each with probability 1/2."""
    flip = mask & (_uniform(len(x), generator, x.device) < 0.5)
    return torch.where(flip.view(-1, 1, 1, 1), x.flip(-1), x)


def random_crop(
    x: torch.Tensor, pad: int, generator: torch.Generator, mask: torch.Tensor
) -> torch.Tensor:
    """Zero-pad by ``pad`` and crop back at a random offset, for the samples where ``mask``."""
    n, _, h, w = x.shape
    padded = F.pad(x, (pad, pad, pad, pad))
    offsets = torch.randint(0, 2 * pad + 1, (2, n), generator=generator).to(x.device)
    offsets = torch.where(mask, offsets, torch.full_like(offsets, pad))
    rows = (offsets[0].view(n, 1) + torch.arange(h, device=x.device)).view(n, 1, h, 1)
    cols = (offsets[1].view(n, 1) + torch.arange(w, device=x.device)).view(n, 1, 1, w)
    batch = torch.arange(n, device=x.device).view(n, 1, 1, 1)
    channel = torch.arange(x.shape[1], device=x.device).view(1, -1, 1, 1)
    return padded[batch, channel, rows, cols]


def augment(x: torch.Tensor, kind: str, pad: int, generator: torch.Generator) -> torch.Tensor:
    """Per-sample random augmentation of a float N×C×H×W batch."""
    if x.dim() != 4:
        raise ValueError(f"augmentation {kind!r} needs images, but the inputs are {x.dim()}-D")
    every = torch.ones(len(x), dtype=torch.bool, device=x.device)
    if kind == "flip":
        return random_flip(x, generator, every)
    if kind == "crop":
        return random_crop(x, pad, generator, every)
    if kind == "flip_and_crop":
        return random_crop(random_flip(x, generator, every), pad, generator, every)
    if kind == "flip_or_crop":  # S2: RandomChoice([RandomHorizontalFlip(), RandomCrop(pad)])
        choose_flip = _uniform(len(x), generator, x.device) < 0.5
        x = random_flip(x, generator, choose_flip)
        return random_crop(x, pad, generator, ~choose_flip)
    names = ", ".join(allowed("training", "augmentation"))
    raise ValueError(f"augmentation must be one of {names}, not {kind!r}")
