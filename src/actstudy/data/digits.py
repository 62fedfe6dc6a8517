"""scikit-learn's bundled handwritten digits: 1,797 real 8×8 images, 10 classes, no network."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from actstudy.data.prepared import write_prepared
from actstudy.data.sources import register_source
from actstudy.data.transforms import resize_uint8


@register_source(
    "digits", channels=1, classes=10, flip_safe=False
)  # a mirrored digit changes class
def prepare_digits(out_dir: Path, resources: Path, size: int = 32) -> None:
    """Scale the 0–16 grey levels to 0–255 and resize to ``size``×``size``."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = np.rint(digits.images * (255.0 / 16.0)).astype(np.uint8)[..., None]
    labels = digits.target.astype(np.int64)
    write_prepared(
        out_dir,
        {"train": (resize_uint8(images, size), labels)},
        classes=[str(name) for name in digits.target_names],
        source={"name": "digits", "provider": "sklearn.datasets.load_digits", "size": size},
    )
