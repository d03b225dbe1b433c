"""Fixtures for the classical enhancers: image-like synthetic content and ../shared look-ups."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from tests.images import photo_like

SHARED = Path(__file__).resolve().parents[3].parent / "shared"


def _add_noise(img: np.ndarray, sigma: float, *, seed: int = 1, clip: bool = True) -> np.ndarray:
    """``img`` plus white Gaussian noise of ``sigma`` (0..255 scale), clipped to [0, 1] unless told."""
    rng = np.random.default_rng(seed)
    noisy = img + rng.standard_normal(img.shape).astype(np.float32) * np.float32(sigma / 255.0)
    return np.clip(noisy, 0.0, 1.0) if clip else noisy.astype(np.float32)


@pytest.fixture
def textured() -> Callable[..., np.ndarray]:
    """``textured(h, w, channels=3, seed=0)``: synthetic image-like content ``(C, H, W)``."""
    return photo_like


@pytest.fixture
def add_noise() -> Callable[..., np.ndarray]:
    """``add_noise(img, sigma, seed=1, clip=True)``: AWGN on the 0..255 scale."""
    return _add_noise


@pytest.fixture
def shared_path() -> Callable[[str], Path]:
    """``shared_path("datasets/...")``: that path under ../shared; skips the test if absent."""

    def get(relative: str) -> Path:
        p = SHARED / relative
        if not p.exists():
            pytest.skip(f"../shared/{relative} is not available")
        return p

    return get


@pytest.fixture
def read_rgb() -> Callable[[Path], np.ndarray]:
    """Read an 8-bit image file as vivid's float32 ``(C, H, W)`` (through vivid.io.image.from_array)."""
    import cv2

    from vivid.io.image import from_array

    def read(path: Path) -> np.ndarray:
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        assert bgr is not None, f"cannot read {path}"
        return from_array(np.ascontiguousarray(bgr[:, :, ::-1])).pixels

    return read
