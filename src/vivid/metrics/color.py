"""Colour metrics: CIEDE2000 colour difference and Hasler-Suesstrunk colourfulness.

Images are sRGB ``(3, H, W)`` floats in [0, 1] (vivid's internal form); computations are float64.
"""

from __future__ import annotations

import numpy as np

from vivid.errors import InputError
from vivid.ops.color import rgb_to_lab


def delta_e2000(
    lab1: np.ndarray, lab2: np.ndarray, *, k_l: float = 1.0, k_c: float = 1.0, k_h: float = 1.0
) -> np.ndarray:
    """CIEDE2000 colour difference between L*a*b* colours ``(3, ...)`` (L, a, b on the first axis).

    A vectorised transcription of Sharma, Wu and Dalal (2005), "The CIEDE2000 color-difference formula:
    implementation notes, supplementary test data, and mathematical observations", eqs. (1)-(22),
    including their notes on hue angles when a chroma is 0. Returns ΔE00 with shape ``(...)``.
    """
    x = np.asarray(lab1, dtype=np.float64)
    y = np.asarray(lab2, dtype=np.float64)
    if x.shape != y.shape or x.ndim < 1 or x.shape[0] != 3:
        raise InputError(
            f"delta_e2000 needs two Lab arrays (3, ...) of one shape, got {x.shape} and {y.shape}"
        )
    l1, a1, b1 = x
    l2, a2, b2 = y
    c_bar = 0.5 * (np.hypot(a1, b1) + np.hypot(a2, b2))
    c7 = c_bar**7
    g = 0.5 * (1.0 - np.sqrt(c7 / (c7 + 25.0**7)))
    a1p, a2p = (1.0 + g) * a1, (1.0 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360.0
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360.0

    dl = l2 - l1
    dc = c2p - c1p
    cc = c1p * c2p
    dh = h2p - h1p
    dh = np.where(dh > 180.0, dh - 360.0, np.where(dh < -180.0, dh + 360.0, dh))
    dh = np.where(cc == 0.0, 0.0, dh)
    d_big_h = 2.0 * np.sqrt(cc) * np.sin(np.radians(dh) / 2.0)

    l_bar = 0.5 * (l1 + l2)
    cp_bar = 0.5 * (c1p + c2p)
    h_sum = h1p + h2p
    h_bar = np.where(
        np.abs(h1p - h2p) <= 180.0,
        0.5 * h_sum,
        np.where(h_sum < 360.0, 0.5 * (h_sum + 360.0), 0.5 * (h_sum - 360.0)),
    )
    h_bar = np.where(cc == 0.0, h_sum, h_bar)

    t = (
        1.0
        - 0.17 * np.cos(np.radians(h_bar - 30.0))
        + 0.24 * np.cos(np.radians(2.0 * h_bar))
        + 0.32 * np.cos(np.radians(3.0 * h_bar + 6.0))
        - 0.20 * np.cos(np.radians(4.0 * h_bar - 63.0))
    )
    d_theta = 30.0 * np.exp(-(((h_bar - 275.0) / 25.0) ** 2))
    cp7 = cp_bar**7
    r_c = 2.0 * np.sqrt(cp7 / (cp7 + 25.0**7))
    l50 = (l_bar - 50.0) ** 2
    s_l = 1.0 + 0.015 * l50 / np.sqrt(20.0 + l50)
    s_c = 1.0 + 0.045 * cp_bar
    s_h = 1.0 + 0.015 * cp_bar * t
    r_t = -np.sin(np.radians(2.0 * d_theta)) * r_c

    tl = dl / (k_l * s_l)
    tc = dc / (k_c * s_c)
    th = d_big_h / (k_h * s_h)
    return np.sqrt(tl * tl + tc * tc + th * th + r_t * tc * th)


def _rgb(x: np.ndarray, metric: str) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 3 or a.shape[0] != 3:
        raise InputError(f"{metric} needs an sRGB image (3, H, W) in [0, 1], got shape {np.shape(x)}")
    return a


def ciede2000(a: np.ndarray, b: np.ndarray) -> float:
    """Mean CIEDE2000 ΔE00 between two sRGB images ``(3, H, W)`` in [0, 1] (Lab under D65)."""
    x, y = _rgb(a, "ciede2000"), _rgb(b, "ciede2000")
    if x.shape != y.shape:
        raise InputError(f"ciede2000: the two images differ in shape: {x.shape} vs {y.shape}")
    return float(np.mean(delta_e2000(rgb_to_lab(x), rgb_to_lab(y))))


def colorfulness(rgb: np.ndarray) -> float:
    """Hasler and Suesstrunk (2003) colourfulness M of an sRGB image ``(3, H, W)`` in [0, 1].

    On the 0..255 scale of the paper: ``rg = R - G``, ``yb = (R + G) / 2 - B``,
    ``M = sqrt(std(rg)^2 + std(yb)^2) + 0.3 sqrt(mean(rg)^2 + mean(yb)^2)`` (population std). The paper
    calls about 15 "slightly", 33 "moderately", 59 "quite" and 109 "extremely" colourful; gray is 0.
    """
    x = _rgb(rgb, "colorfulness") * 255.0
    rg = x[0] - x[1]
    yb = 0.5 * (x[0] + x[1]) - x[2]
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))
