"""Fixtures for the zoo tests: ../shared look-ups that skip cleanly, and the SR / denoising protocols.

Protocols are those of ../shared/docs/EVAL.md: SR inputs are MATLAB-bicubic LR images of the mod-cropped
HR image (8-bit), scored on BT.601 Y (16..235) with ``scale`` pixels shaved; outputs are rounded to 8 bits
as a saved image would be. Denoising adds sigma-25 AWGN from ``numpy.random.default_rng(i)`` (i = index of
the image in sorted order, noisy input not clipped), clips the output and scores the gray image.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

SHARED = Path(__file__).resolve().parents[2].parent / "shared"


@pytest.fixture
def shared_path() -> Callable[[str], Path]:
    """``shared_path("weights/dctlsa/X2.pt")``: that path under ../shared; skips the test if absent."""

    def get(relative: str) -> Path:
        p = SHARED / relative
        if not p.exists():
            pytest.skip(f"../shared/{relative} is not available")
        return p

    return get


def read_rgb(path: Path) -> np.ndarray:
    """An 8-bit image file as float32 RGB ``(3, H, W)`` in [0, 1]."""
    import cv2

    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    return (bgr[:, :, ::-1].transpose(2, 0, 1) / 255.0).astype(np.float32)


@pytest.fixture
def sr_psnrs(shared_path: Callable[[str], Path]) -> Callable[..., list[float]]:
    """``sr_psnrs(restorer, scale, names)``: Y-PSNR per Set5 image (file names, e.g. ``"bird_GT.bmp"``)."""
    from vivid.metrics import psnr_y
    from vivid.ops.resize import imresize, modcrop

    def run(restorer, scale: int, names: list[str]) -> list[float]:  # noqa: ANN001
        folder = shared_path("datasets/sr/Set5/HR")
        values = []
        for name in names:
            hr = modcrop(read_rgb(folder / name), scale)
            lr = imresize(hr, 1 / scale, quantize=8)
            out = np.clip(np.rint(restorer(lr[None])[0] * 255.0), 0, 255) / 255.0
            values.append(psnr_y(out, hr, shave=scale))
        return values

    return run


@pytest.fixture
def bsd68_psnrs(shared_path: Callable[[str], Path]) -> Callable[..., dict[str, float]]:
    """``bsd68_psnrs(restorer, names)``: PSNR per BSD68 gray image after sigma-25 denoising."""
    import cv2

    from vivid.metrics import psnr

    def run(restorer, names: list[str]) -> dict[str, float]:  # noqa: ANN001
        folder = shared_path("datasets/denoise/BSD68/GT")
        order = sorted(p.name for p in folder.glob("*.png"))
        values = {}
        for name in names:
            gt = cv2.imread(str(folder / name), cv2.IMREAD_GRAYSCALE) / 255.0
            noisy = gt + np.random.default_rng(order.index(name)).standard_normal(gt.shape) * 25 / 255
            out = np.clip(restorer(noisy[None, None].astype(np.float32))[0, 0], 0, 1)
            values[name] = psnr(out, gt)
        return values

    return run
