"""Image array helpers shared by the dataset sources."""

from __future__ import annotations

import numpy as np


def resize_uint8(images: np.ndarray, size: int, batch: int = 4096) -> np.ndarray:
    """Resize N×H×W×C uint8 images to size×size with antialiased bilinear interpolation.

    Imports torch when it resizes: the source modules that use it are imported to check a
    study's dataset options, which must not wait for torch."""
    if images.shape[1:3] == (size, size):
        return np.ascontiguousarray(images, dtype=np.uint8)
    import torch
    from torch.nn import functional as F

    out = np.empty((len(images), size, size, images.shape[3]), dtype=np.uint8)
    for start in range(0, len(images), batch):
        chunk = torch.from_numpy(np.ascontiguousarray(images[start : start + batch]))
        chunk = chunk.permute(0, 3, 1, 2).float()
        resized = F.interpolate(chunk, size=(size, size), mode="bilinear", antialias=True)
        out[start : start + batch] = (
            resized.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy()
        )
    return out
