"""Generated data of a given shape and class count, for smoke variants of studies whose real
data cannot be had offline: images whose class sets the brightness of one cell of a grid (so a
network can learn something in one epoch), and 1-D beats whose class sets a frequency."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from actstudy.data.prepared import write_prepared
from actstudy.data.sources import register_source


def _labels(classes: int, per_class: int) -> np.ndarray:
    return np.repeat(np.arange(classes, dtype=np.int64), per_class)


def _splits(
    make: object, classes: int, per_class: int, test: bool, seed: int
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    splits = {"train": make(_labels(classes, per_class), rng)}
    if test:
        splits["test"] = make(_labels(classes, max(1, per_class // 4)), rng)
    return splits


@register_source("synthetic_images", channels=lambda channels, **_: channels)
def prepare_synthetic_images(
    out_dir: Path,
    resources: Path,
    size: int = 32,
    channels: int = 3,
    classes: int = 10,
    per_class: int = 8,
    test_split: bool = True,
    generator_seed: int = 0,
) -> None:
    """uint8 images: noise, plus a bright cell at the class's place in a grid of cells."""
    side = int(np.ceil(np.sqrt(classes)))
    cell = max(1, size // side)

    def make(labels: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        images = rng.integers(0, 96, (len(labels), size, size, channels), dtype=np.uint8)
        for index, label in enumerate(labels):
            row, col = divmod(int(label), side)
            images[index, row * cell : (row + 1) * cell, col * cell : (col + 1) * cell] = 255
        return images, labels

    write_prepared(
        out_dir,
        _splits(make, classes, per_class, test_split, generator_seed),
        classes=[f"class{c}" for c in range(classes)],
        source={
            "name": "synthetic_images",
            "size": size,
            "channels": channels,
            "seed": generator_seed,
        },
    )


@register_source("synthetic_signals", input_size=lambda length, **_: length, dims=1, channels=1)
def prepare_synthetic_signals(
    out_dir: Path,
    resources: Path,
    length: int = 187,
    classes: int = 5,
    per_class: int = 8,
    test_split: bool = True,
    generator_seed: int = 0,
) -> None:
    """float32 beats N×1×length: a sine whose frequency is set by the class, plus noise."""
    steps = np.linspace(0.0, 1.0, length, dtype=np.float32)

    def make(labels: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        waves = np.sin(2 * np.pi * (labels[:, None] + 1) * steps[None, :])
        noise = rng.normal(0.0, 0.3, waves.shape)
        return (waves + noise).astype(np.float32)[:, None, :], labels

    write_prepared(
        out_dir,
        _splits(make, classes, per_class, test_split, generator_seed),
        classes=[f"class{c}" for c in range(classes)],
        source={"name": "synthetic_signals", "length": length, "seed": generator_seed},
    )
