"""How real low-light noise looks next to vivid's synthetic low-light inputs.

For each image the high-pass residual (image minus a Gaussian-smoothed copy, std 2 px) is taken over its
darker half (luma below the median), and three numbers are averaged over the images: the correlation of
horizontally adjacent residuals (lag 1) and of residuals two pixels apart (lag 2) on the green channel, and
the correlation of the red and blue residuals. Independent per-pixel noise gives low values; a camera's
demosaicing, denoising and JPEG give high ones. Compared: real low-light photos (DICM, unpaired, not a
test set here) and synthetic inputs made from held-out training photos (BSDS200) with
``degrade_lowlight(camera=False)`` and ``camera=True``.

    .venv/bin/python benchmarks/lowlight_noise_stats.py [--limit 20]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


def residual_stats(rgb: np.ndarray) -> tuple[float, float, float]:
    """(lag-1, lag-2, red-blue) residual correlations of ``rgb`` ``(3, H, W)`` in [0, 1], darker half."""
    from scipy.ndimage import gaussian_filter

    a = rgb.astype(np.float64)
    r = a - np.stack([gaussian_filter(c, 2.0) for c in a])
    luma = a.mean(axis=0)
    dark = luma < np.median(luma)
    g = r[1]
    m1, m2 = dark[:, :-1], dark[:, :-2]
    lag1 = np.corrcoef(g[:, :-1][m1], g[:, 1:][m1])[0, 1]
    lag2 = np.corrcoef(g[:, :-2][m2], g[:, 2:][m2])[0, 1]
    rb = np.corrcoef(r[0][dark], r[2][dark])[0, 1]
    return float(lag1), float(lag2), float(rb)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=20)
    args = parser.parse_args(argv)
    from vivid.train.restore_data import degrade_lowlight
    from vivid.train.sr_data import list_images, load_rgb

    real_dir, clean_dir = SHARED / "lowlight" / "DICM" / "low", SHARED / "train" / "BSDS200" / "HR"
    if not real_dir.is_dir() or not clean_dir.is_dir():
        print(f"error: needs {real_dir} and {clean_dir} (../shared)", file=sys.stderr)
        return 2
    rows = {"DICM (real)": [residual_stats(load_rgb(f).astype(np.float32)) for f in list_images(real_dir)[: args.limit]]}
    clean = [load_rgb(f).astype(np.float32) for f in list_images(clean_dir)[-args.limit :]]
    for camera in (False, True):
        rng = np.random.default_rng(0)
        rows[f"synthetic, camera={camera}"] = [
            residual_stats(degrade_lowlight(c, rng, exposure=(0.005, 0.4), camera=camera)) for c in clean
        ]
    print(f"{'images':28s} {'lag 1':>6s} {'lag 2':>6s} {'R-B':>6s}")
    for name, stats in rows.items():
        m = np.mean(stats, axis=0)
        print(f"{name:28s} {m[0]:6.3f} {m[1]:6.3f} {m[2]:6.3f}   ({len(stats)} images)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
