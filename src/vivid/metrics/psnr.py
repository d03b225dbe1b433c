"""Peak signal-to-noise ratio.

Images are ``(C, H, W)`` (or ``(H, W)``) float arrays, vivid's internal form being float32 in [0, 1];
all sums are accumulated in float64. The SR protocol of ``../shared/docs/EVAL.md`` is :func:`psnr_y`.
"""

from __future__ import annotations

import math

import numpy as np

from vivid.errors import InputError
from vivid.metrics._inputs import image_pair, luma, shave_border


def _psnr_from_mse(mse: float, peak: float) -> float:
    if mse == 0.0:
        return math.inf
    return 10.0 * math.log10(peak * peak / mse)


def psnr(
    a: np.ndarray, b: np.ndarray, *, data_range: float = 1.0, shave: int = 0, y_channel: bool = False
) -> float:
    """PSNR in dB between two images ``(C, H, W)`` (or ``(H, W)``), over all channels and pixels.

    Args:
        a, b: images of the same shape. Not clipped or rounded here.
        data_range: the peak value, 1.0 for the internal [0, 1] form (255 for 0..255 arrays). Values
            above twice this raise :class:`~vivid.errors.InputError` instead of giving a meaningless score.
        shave: pixels dropped from every border before scoring.
        y_channel: score BT.601 luma (MATLAB ``rgb2ycbcr``, float, not rounded) instead of all channels;
            a one-channel image is its own Y.

    Returns:
        PSNR in dB (``inf`` for identical images).
    """
    x, y = image_pair(a, b, metric="psnr", data_range=data_range)
    if y_channel:
        x, y = luma(x, data_range=data_range, metric="psnr"), luma(y, data_range=data_range, metric="psnr")
    x, y = shave_border(x, shave, metric="psnr"), shave_border(y, shave, metric="psnr")
    diff = x - y
    return _psnr_from_mse(float(np.mean(diff * diff)), float(data_range))


def psnr_y(sr: np.ndarray, hr: np.ndarray, *, shave: int) -> float:
    """PSNR on Y exactly as ``../shared/docs/EVAL.md`` (the classical SR protocol) prescribes.

    ``sr`` and ``hr`` are ``(3, H, W)`` RGB (or ``(1, H, W)`` gray, used as Y directly) in [0, 1]. On the
    [0, 255] scale, ``Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255`` in float64 (not rounded),
    ``shave`` pixels are dropped from every border (use the scale factor), and the peak is 255.
    Quantise ``sr`` to 8 bits beforehand if the model's output would be saved as an 8-bit image.
    """
    x, y = image_pair(sr, hr, metric="psnr_y", data_range=1.0)
    if x.shape[0] not in (1, 3):
        raise InputError(f"psnr_y needs (3, H, W) RGB or (1, H, W) gray, got shape {x.shape}")
    x, y = x * 255.0, y * 255.0
    if x.shape[0] == 3:
        x = 16.0 + (65.481 * x[0] + 128.553 * x[1] + 24.966 * x[2]) / 255.0
        y = 16.0 + (65.481 * y[0] + 128.553 * y[1] + 24.966 * y[2]) / 255.0
    x, y = shave_border(x, shave, metric="psnr_y"), shave_border(y, shave, metric="psnr_y")
    diff = x - y
    return _psnr_from_mse(float(np.mean(diff * diff)), 255.0)


def blocking_effect_factor(x: np.ndarray, *, block: int = 8) -> float:
    """The blocking effect factor (BEF) of one image plane ``(H, W)`` (Yim & Bovik, "Quality assessment of
    deblocked images", IEEE TIP 2011): how much larger the squared steps across ``block``-pixel block
    boundaries are than the steps inside blocks, weighted by ``log2(block) / log2(min(H, W))``; 0 when
    boundaries are no rougher than the rest."""
    h, w = x.shape
    cols, rows = np.arange(block - 1, w - 1, block), np.arange(block - 1, h - 1, block)
    dx = np.diff(x, axis=1) ** 2  # step between column j and j + 1 at index j
    dy = np.diff(x, axis=0) ** 2
    at = float(dx[:, cols].sum() + dy[rows, :].sum())
    n_at = h * len(cols) + w * len(rows)
    inside = float(dx.sum() + dy.sum()) - at
    n_inside = h * (w - 1) + w * (h - 1) - n_at
    if n_at == 0 or n_inside == 0:
        return 0.0
    d_at, d_inside = at / n_at, inside / n_inside
    if d_at <= d_inside:
        return 0.0
    return math.log2(block) / math.log2(min(h, w)) * (d_at - d_inside)


def psnr_b(restored: np.ndarray, reference: np.ndarray) -> float:
    """PSNR-B in dB (Yim & Bovik 2011): PSNR with the restored image's blocking effect factor added to the
    mean squared error, on the BT.601 Y channel of ``(3, H, W)`` RGB (a ``(1, H, W)`` image is its own Y)
    in [0, 1] with peak 1 (8-pixel blocks from the top-left corner, as a JPEG's). A deblocked image
    whose block boundaries are as smooth as its insides scores its plain Y PSNR."""
    x, y = image_pair(restored, reference, metric="psnr_b", data_range=1.0)
    if x.shape[0] not in (1, 3):
        raise InputError(f"psnr_b needs (3, H, W) RGB or (1, H, W) gray, got shape {x.shape}")
    if x.shape[0] == 3:
        x = (65.481 * x[0] + 128.553 * x[1] + 24.966 * x[2]) / 255.0
        y = (65.481 * y[0] + 128.553 * y[1] + 24.966 * y[2]) / 255.0
    else:
        x, y = x[0], y[0]
    mse = float(np.mean((x - y) ** 2)) + blocking_effect_factor(x)
    return _psnr_from_mse(mse, 1.0)
