"""Make vivid's bundled sample image (src/vivid/assets/sample.png) — a synthetic, licence-free scene.

A small, dark and noisy landscape, so that ``vivid enhance --task auto`` has something to do.
Reproducible: ``python scripts/make_sample.py`` writes the same file every time.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter


def scene(w: int = 480, h: int = 320) -> Image.Image:
    rng = np.random.default_rng(2026)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    sky = np.stack([0.35 + 0.4 * yy / h, 0.55 + 0.3 * yy / h, 0.95 - 0.2 * yy / h], axis=-1)
    img = Image.fromarray((np.clip(sky, 0, 1) * 255).astype(np.uint8))
    d = ImageDraw.Draw(img)
    d.ellipse((360, 40, 420, 100), fill=(255, 228, 150))
    for i, (base, col) in enumerate([(200, (90, 110, 140)), (230, (60, 100, 70)), (265, (40, 80, 45))]):
        pts = [(0, h)]
        for x in range(0, w + 20, 20):
            pts.append((x, base - 40 * np.sin(x / (60 + 25 * i) + i) - rng.uniform(0, 18)))
        pts.append((w, h))
        d.polygon(pts, fill=col)
    for _ in range(14):  # trees
        x, y = rng.uniform(0, w), rng.uniform(250, 300)
        d.polygon([(x, y - 45), (x - 14, y), (x + 14, y)], fill=(25, 60 + int(rng.uniform(0, 30)), 30))
        d.rectangle((x - 2, y, x + 2, y + 8), fill=(70, 45, 25))
    d.rectangle((60, 215, 140, 265), fill=(190, 60, 50))  # a house
    d.polygon([(52, 215), (100, 180), (148, 215)], fill=(110, 40, 35))
    d.rectangle((90, 240, 106, 265), fill=(60, 40, 30))
    d.text((170, 290), "vivid sample", fill=(240, 240, 240))
    img = img.filter(ImageFilter.GaussianBlur(0.6))
    a = np.asarray(img).astype(np.float32) / 255
    dark = np.power(a, 2.2) * 0.18  # under-exposed in linear light
    noisy = dark + rng.normal(0, 0.012, dark.shape)
    out = np.power(np.clip(noisy, 0, 1), 1 / 2.2)
    return Image.fromarray((np.clip(out, 0, 1) * 255 + 0.5).astype(np.uint8))


if __name__ == "__main__":
    dst = Path(__file__).resolve().parents[1] / "src" / "vivid" / "assets" / "sample.png"
    scene().save(dst, optimize=True)
    print(dst)
