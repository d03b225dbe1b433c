"""Classical colour correction: gray-world white balance plus auto-levels.

One image ``(C, H, W)`` float32 in [0, 1] (C = 1 or 3) in, the same shape out. The gains and levels
are image-wide decisions, so the model does not tile.
"""

from __future__ import annotations

import math

import numpy as np

from vivid.errors import ConfigError
from vivid.models.classical.per_image import PerImageRestorer, check_image, luma, per_image_restorer

#: per-channel gray-world gains are clamped to this range (a strongly coloured scene is not a cast)
GAIN_RANGE = (0.5, 2.0)
#: below this luma spread (after clipping the tails) the image is left unstretched: nothing to stretch
_MIN_SPREAD = 1.0 / 255.0


def grayworld_autolevels(img: np.ndarray, *, clip_percent: float = 0.5) -> np.ndarray:
    """Gray-world white balance, then auto-levels on luma (the same stretch for every channel).

    White balance: each channel is multiplied by ``mean(channel means) / channel mean``, clamped to
    :data:`GAIN_RANGE`, so the channel means become equal (a colour cast is removed). Auto-levels:
    the black and white points are the ``clip_percent`` and ``100 - clip_percent`` percentiles of the
    balanced image's BT.601 luma; ``(x - black) / (white - black)`` is applied to all channels, so
    hues are kept. Gray images get auto-levels only. Images with (almost) no luma spread are only
    balanced.

    Args:
        img: ``(C, H, W)`` float32 in [0, 1], C = 1 or 3.
        clip_percent: percent of pixels allowed to clip at each end, in [0, 50).

    Returns:
        ``(C, H, W)`` float32 in [0, 1].
    """
    a = np.clip(check_image(img), 0.0, 1.0)
    p = clip_percent
    number = isinstance(p, int | float | np.floating | np.integer) and not isinstance(p, bool)
    if not (number and math.isfinite(p) and 0.0 <= p < 50.0):
        raise ConfigError(f"clip_percent must be a number in [0, 50), got {clip_percent!r}")
    x = a.astype(np.float64)
    if x.shape[0] == 3:
        means = x.reshape(3, -1).mean(axis=1)
        gains = np.clip(means.mean() / np.maximum(means, 1e-6), *GAIN_RANGE)
        x = x * gains[:, None, None]
    black, white = np.percentile(luma(x), [clip_percent, 100.0 - clip_percent])
    if white - black >= _MIN_SPREAD:
        x = (x - black) / (white - black)
    return np.clip(x, 0.0, 1.0).astype(np.float32)


def build_grayworld(scale: int) -> PerImageRestorer:
    """Gray-world white balance plus auto-levels (0.5 % clipped at each end)."""
    return per_image_restorer("grayworld", scale, grayworld_autolevels, runtime="numpy")
