"""Structural similarity (Wang, Bovik, Sheikh and Simoncelli 2004), as the authors' ``ssim_index.m``.

Gaussian window 11x11 with sigma 1.5, K1 = 0.01, K2 = 0.03, ``L = data_range``, statistics by 'valid'
filtering (no padding: the map is ``(H - 10, W - 10)``), and the mean of the map. Multi-channel images
score the mean over channels. Images are ``(C, H, W)`` (or ``(H, W)``) floats; computations are float64.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from vivid.errors import InputError
from vivid.metrics._inputs import image_pair, luma, shave_border

WINDOW_SIZE = 11
WINDOW_SIGMA = 1.5
K1 = 0.01
K2 = 0.03


@lru_cache(maxsize=1)
def _window_1d() -> np.ndarray:
    # fspecial('gaussian', 11, 1.5) is the outer product of this normalised 1-D kernel with itself
    r = np.arange(WINDOW_SIZE, dtype=np.float64) - (WINDOW_SIZE - 1) / 2
    g = np.exp(-(r * r) / (2.0 * WINDOW_SIGMA**2))
    return g / g.sum()


def ssim_map(a: np.ndarray, b: np.ndarray, *, data_range: float = 1.0) -> np.ndarray:
    """The SSIM map ``(H - 10, W - 10)`` of two single-channel images ``(H, W)`` (valid region only)."""
    import cv2

    x = np.ascontiguousarray(a, dtype=np.float64)
    y = np.ascontiguousarray(b, dtype=np.float64)
    if x.ndim != 2 or x.shape != y.shape:
        raise InputError(f"ssim_map needs two (H, W) images of one shape, got {x.shape} and {y.shape}")
    if min(x.shape) < WINDOW_SIZE:
        raise InputError(f"ssim needs images of at least {WINDOW_SIZE}x{WINDOW_SIZE} pixels, got {x.shape}")
    k = _window_1d()
    r = WINDOW_SIZE // 2

    def filt(img: np.ndarray) -> np.ndarray:
        # filtering with any border and cropping the border is exactly MATLAB's filter2(..., 'valid')
        out = cv2.sepFilter2D(img, cv2.CV_64F, k, k, borderType=cv2.BORDER_REFLECT)
        return out[r:-r, r:-r]

    c1 = (K1 * data_range) ** 2
    c2 = (K2 * data_range) ** 2
    mu_x, mu_y = filt(x), filt(y)
    mu_xx, mu_yy, mu_xy = mu_x * mu_x, mu_y * mu_y, mu_x * mu_y
    s_xx = filt(x * x) - mu_xx
    s_yy = filt(y * y) - mu_yy
    s_xy = filt(x * y) - mu_xy
    return ((2.0 * mu_xy + c1) * (2.0 * s_xy + c2)) / ((mu_xx + mu_yy + c1) * (s_xx + s_yy + c2))


def ssim(
    a: np.ndarray, b: np.ndarray, *, data_range: float = 1.0, shave: int = 0, y_channel: bool = False
) -> float:
    """Mean SSIM of two images ``(C, H, W)`` (or ``(H, W)``): the mean over channels of each channel's SSIM.

    Args:
        a, b: images of the same shape, at least 11x11 after shaving.
        data_range: ``L``, the peak value: 1.0 for the internal [0, 1] form (255 for 0..255 arrays).
        shave: pixels dropped from every border before scoring.
        y_channel: score BT.601 luma (MATLAB ``rgb2ycbcr``, float) instead; a one-channel image is its own Y.
    """
    x, y = image_pair(a, b, metric="ssim", data_range=data_range)
    if y_channel:
        x, y = luma(x, data_range=data_range, metric="ssim"), luma(y, data_range=data_range, metric="ssim")
    x, y = shave_border(x, shave, metric="ssim"), shave_border(y, shave, metric="ssim")
    return float(np.mean([ssim_map(x[c], y[c], data_range=data_range).mean() for c in range(x.shape[0])]))


def ssim_y(sr: np.ndarray, hr: np.ndarray, *, shave: int) -> float:
    """SSIM on Y as ``../shared/docs/EVAL.md`` prescribes: Y of MATLAB ``rgb2ycbcr`` on [0, 255] (float),
    ``shave`` pixels dropped from every border, L = 255, valid region. Inputs as :func:`psnr_y`."""
    x, y = image_pair(sr, hr, metric="ssim_y", data_range=1.0)
    x = luma(x, data_range=1.0, metric="ssim_y") * 255.0
    y = luma(y, data_range=1.0, metric="ssim_y") * 255.0
    x, y = shave_border(x, shave, metric="ssim_y"), shave_border(y, shave, metric="ssim_y")
    return float(ssim_map(x[0], y[0], data_range=255.0).mean())
