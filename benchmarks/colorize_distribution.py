"""Colorization beyond the mean: is the colour natural, and is it varied (no sepia collapse)?

For every colour image of a set (held out of training; default BSD100), made gray (BT.601, 8-bit) and
colorized by each model, it prints the distribution over images of

* colourfulness (Hasler & Süsstrunk 2003) — p10 / median / p90, beside the originals' own distribution;
* hue concentration — the length of the chroma-weighted mean of the pixels' (a, b) directions (0: many
  hues, 1: the whole image one hue). A sepia/brown collapse shows as every image near 1 with the same
  dominant hue;
* dominant-hue spread — how many of 12 hue sectors (30° each) the images' dominant hues fall into.

    .venv/bin/python benchmarks/colorize_distribution.py [--data ../shared/datasets/sr/BSD100/HR]
        [--models vivid-colorize,vivid-colorize-seed003] [--limit N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np


def hue_stats(rgb: np.ndarray) -> tuple[float, float]:
    """(hue concentration in [0, 1], dominant hue in degrees) of ``rgb`` ``(3, H, W)`` from CIELAB a, b."""
    from vivid.ops.color import rgb_to_lab

    lab = rgb_to_lab(rgb.astype(np.float64))
    a, b = lab[1].ravel(), lab[2].ravel()
    c = np.hypot(a, b)
    total = c.sum()
    if total < 1e-9:
        return 0.0, 0.0
    mean = np.array([a.sum(), b.sum()]) / total  # chroma-weighted mean of unit (a, b) directions
    return float(np.hypot(*mean)), float(np.degrees(np.arctan2(mean[1], mean[0])) % 360)


def describe(name: str, cf: list[float], conc: list[float], hues: list[float]) -> str:
    p = np.percentile(cf, [10, 50, 90])
    q = np.percentile(conc, [10, 50, 90])
    sectors = len({int(h // 30) for h, k in zip(hues, conc, strict=True) if k > 0.05})
    return (f"| {name} | {p[0]:.1f} / {p[1]:.1f} / {p[2]:.1f} | {q[0]:.2f} / {q[1]:.2f} / {q[2]:.2f} | "
            f"{sectors} of 12 |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/datasets/sr/BSD100/HR"))
    ap.add_argument("--models", default="vivid-colorize,vivid-colorize-seed003")
    ap.add_argument("--limit", type=int, default=0)
    args = ap.parse_args()
    from vivid.engine.api import enhance
    from vivid.io.image import Image, quantize
    from vivid.io.read import read_image
    from vivid.metrics import colorfulness

    files = sorted(p for p in args.data.iterdir() if p.suffix.lower() in {".png", ".jpg", ".bmp", ".tif"})
    files = files[: args.limit] if args.limit else files
    if not files:
        print(f"no images in {args.data}: pass --data FOLDER", file=sys.stderr)
        return 2
    models = [m for m in args.models.split(",") if m]
    rows: dict[str, tuple[list[float], list[float], list[float]]] = {n: ([], [], []) for n in ["original", *models]}
    t0 = time.time()
    for f in files:
        rgb = read_image(f).rgb()
        gray = quantize(0.299 * rgb[0:1] + 0.587 * rgb[1:2] + 0.114 * rgb[2:3])
        outs = {"original": rgb}
        for m in models:
            outs[m] = quantize(enhance(Image(gray), task="colorize", model=m).image.pixels)
        for name, out in outs.items():
            k, h = hue_stats(out)
            rows[name][0].append(colorfulness(out))
            rows[name][1].append(k)
            rows[name][2].append(h)
    print(f"{len(files)} images of {args.data} in {time.time() - t0:.0f} s\n")
    print("| output | colourfulness p10 / median / p90 | hue concentration p10 / median / p90 | dominant hues in |")
    print("|---|---|---|---|")
    for name, (cf, conc, hues) in rows.items():
        print(describe(name, cf, conc, hues))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
