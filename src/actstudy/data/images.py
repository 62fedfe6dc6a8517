"""Reading folders of image files (JPEG, PNG) into uint8 arrays."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from actstudy.data.progress import Progress

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png"})


def image_files(folder: Path) -> list[Path]:
    """The image files directly inside ``folder``, sorted by name."""
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def read_images(files: Sequence[Path], size: int, root: Path, task: str) -> tuple[np.ndarray, str]:
    """Decode ``files`` to RGB and resize each to ``size`` by ``size`` pixels (PIL's antialiased
    bilinear filter, as :func:`~actstudy.data.transforms.resize_uint8` uses for arrays).

    Returns the N x size x size x 3 uint8 array and a sha256 over every file's path (relative to
    ``root``) and bytes.
    """
    out = np.empty((len(files), size, size, 3), dtype=np.uint8)
    digest = hashlib.sha256()
    progress = Progress(task, len(files), "images")
    for index, file in enumerate(files):
        data = file.read_bytes()
        digest.update(file.relative_to(root).as_posix().encode() + b"\0" + data)
        try:
            with Image.open(io.BytesIO(data)) as image:
                rgb = image.convert("RGB")
                if rgb.size != (size, size):
                    rgb = rgb.resize((size, size), Image.Resampling.BILINEAR)
                out[index] = np.asarray(rgb)
        except (OSError, SyntaxError, ValueError) as error:
            raise ValueError(
                f"{file} is not a readable image ({error}); delete it and rerun, "
                "or place a good copy"
            ) from error
        progress.advance()
    return out, digest.hexdigest()
