"""Shared checks for the metrics: one image pair ``(C, H, W)``, shaving, the luma used for scoring."""

from __future__ import annotations

import numpy as np

from vivid.errors import ConfigError, InputError
from vivid.ops.color import rgb_to_y


def image_pair(
    a: np.ndarray, b: np.ndarray, *, metric: str, data_range: float
) -> tuple[np.ndarray, np.ndarray]:
    """Both images as float64 ``(C, H, W)`` (a ``(H, W)`` image becomes ``(1, H, W)``), checked alike."""
    if not (isinstance(data_range, (int, float)) and not isinstance(data_range, bool) and data_range > 0):
        raise ConfigError(f"{metric}: data_range must be a positive number, got {data_range!r}")
    x = np.asarray(a, dtype=np.float64)
    y = np.asarray(b, dtype=np.float64)
    if x.ndim == 2:
        x = x[None]
    if y.ndim == 2:
        y = y[None]
    if x.ndim != 3 or y.ndim != 3:
        raise InputError(
            f"{metric} scores one image (C, H, W) at a time, got shapes {np.shape(a)} and {np.shape(b)}; "
            "score each image and average the scores"
        )
    if x.shape != y.shape:
        raise InputError(f"{metric}: the two images differ in shape: {x.shape} vs {y.shape}")
    peak = max(float(np.abs(x).max(initial=0.0)), float(np.abs(y).max(initial=0.0)))
    # refuse, rather than guess, when the values clearly are not on the stated scale (e.g. 0..255 vs 1)
    if peak > 2.0 * data_range:
        raise InputError(
            f"{metric}: values up to {peak:.4g} exceed data_range={data_range}; "
            "pass data_range=255 for 0..255 images or scale them to [0, 1]"
        )
    return x, y


def shave_border(x: np.ndarray, shave: int, *, metric: str) -> np.ndarray:
    """Drop ``shave`` pixels from every border of ``(C, H, W)``."""
    if isinstance(shave, bool) or not isinstance(shave, (int, np.integer)) or shave < 0:
        raise ConfigError(f"{metric}: shave must be a non-negative integer, got {shave!r}")
    h, w = x.shape[-2:]
    if 2 * shave >= min(h, w):
        raise InputError(f"{metric}: shave={shave} leaves nothing of a {h}x{w} image")
    if shave == 0:
        return x
    return x[..., shave:-shave, shave:-shave]


def luma(x: np.ndarray, *, data_range: float, metric: str) -> np.ndarray:
    """BT.601 Y ``(1, H, W)`` of an RGB image on the ``data_range`` scale (MATLAB ``rgb2ycbcr``).

    A one-channel image is taken as Y itself, as the standard MATLAB SR scripts do for gray images
    (``if size(im, 3) == 3, im = rgb2ycbcr(im); end``); this reproduces the published Set14 numbers.
    """
    if x.shape[0] == 1:
        return x
    if x.shape[0] != 3:
        raise InputError(f"{metric}: y_channel needs 1 or 3 channels, got shape {x.shape}; drop alpha first")
    return rgb_to_y(x / data_range) * data_range
