"""Image-like test content shared across the test folders (one place, so every test draws from the same kinds
of synthetic pictures)."""

from __future__ import annotations

import numpy as np


def textured(
    h: int, w: int, c: int = 3, seed: int = 0, *, noise: float = 0.02, block: int = 16, quantize: bool = False
) -> np.ndarray:
    """Smooth gradients plus hard-edged blocks of side ``block`` plus white noise of ``noise`` (0..1 scale),
    ``(c, h, w)`` float32 in [0, 1]; ``quantize`` rounds to 8-bit levels (what a PNG would hold)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = 0.5 + 0.3 * np.sin(xx / 7.0) * np.cos(yy / 11.0)
    base[(yy // block + xx // block) % 2 == 0] += 0.15
    img = np.stack([base * (0.8 + 0.1 * i) for i in range(c)])
    img = np.clip(img + rng.normal(0, noise, img.shape), 0, 1)
    return (np.rint(img * 255) / 255 if quantize else img).astype(np.float32)


def photo_like(h: int = 96, w: int = 96, *, channels: int = 3, seed: int = 0) -> np.ndarray:
    """Smooth shading, hard-edged blocks and fine smoothed-noise texture, float32 ``(C, H, W)``.

    Values stay in about [0.1, 0.9] (so added noise is hardly clipped); the channels differ but share the
    structure, as in photographs — what denoisers are judged on.
    """
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    shade = 0.5 + 0.2 * np.sin(xx / 9.0 + 0.5) * np.cos(yy / 13.0)
    blocks = 0.12 * (((yy // 24) + (xx // 24)) % 2 - 0.5)
    fine = gaussian_filter(rng.standard_normal((h, w)), 1.5)
    base = shade + blocks + 0.06 * fine / fine.std()
    planes = [base * (0.85 + 0.15 * i) + 0.04 * i * np.sin(yy / 7.0) for i in range(channels)]
    return np.clip(np.stack(planes), 0.05, 0.95).astype(np.float32)
