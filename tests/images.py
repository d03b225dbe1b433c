"""Image-like test content shared by the engine, stream and runtime tests."""

from __future__ import annotations

import numpy as np


def textured(h: int, w: int, c: int = 3, seed: int = 0) -> np.ndarray:
    """Smooth gradients plus edges plus mild noise ``(c, h, w)`` float32 in [0, 1]: image-like content."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = 0.5 + 0.3 * np.sin(xx / 7.0) * np.cos(yy / 11.0)
    base[(yy // 16 + xx // 16) % 2 == 0] += 0.15
    img = np.stack([base * (0.8 + 0.1 * i) for i in range(c)])
    return np.clip(img + rng.normal(0, 0.02, img.shape), 0, 1).astype(np.float32)
