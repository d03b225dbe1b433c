"""Fixtures for the bench tests: tiny synthetic image folders (no ../shared needed)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from tests.images import textured as shared_textured
from vivid.io.image import Image
from vivid.io.write import write_image


def textured(h: int, w: int, *, seed: int, channels: int = 3) -> np.ndarray:
    """Image-like content ``(C, H, W)`` quantised to 8 bits: gradients, edges, colour, mild noise."""
    return shared_textured(h, w, channels, seed, block=8, quantize=True)


@pytest.fixture
def make_folder(tmp_path: Path) -> Callable[..., Path]:
    """``make_folder("name", n=3, size=(40, 48))``: a folder of ``n`` PNGs ``img0.png ...`` under tmp_path."""

    def make(
        name: str,
        *,
        n: int = 3,
        size: tuple[int, int] = (40, 48),
        channels: int = 3,
        seed0: int = 0,
        transform: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> Path:
        folder = tmp_path / name
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(n):
            px = textured(*size, seed=seed0 + i, channels=channels)
            if transform is not None:
                px = np.clip(transform(px), 0, 1).astype(np.float32)
            write_image(Image(px), folder / f"img{i}.png")
        return folder

    return make


@pytest.fixture
def paired_folder(make_folder: Callable[..., Path]) -> Callable[..., Path]:
    """``paired_folder("lol", "low", "high")``: a paired set whose inputs are a darker copy of the targets."""

    def make(name: str, source: str = "low", target: str = "high", *, n: int = 2) -> Path:
        target_dir = make_folder(f"{name}/{target}", n=n)
        make_folder(f"{name}/{source}", n=n, transform=lambda x: 0.35 * x)
        return target_dir.parent

    return make
