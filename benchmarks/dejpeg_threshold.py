"""Where the JPEG-artefact remover helps: vivid-dejpeg's PSNR gain over its input, by the analyzer's blockiness.

Clean photos (by default the 20 BSDS200 images vivid-dejpeg's training held out for validation) are saved as
JPEG at quality 50-95 (Pillow, 4:2:0); each copy's blockiness (``engine.routing.blockiness``, what auto routes
on) and the gain of vivid-dejpeg against the clean original are binned by blockiness. Also the clean originals'
blockiness and vivid-dejpeg's PSNR on them. Auto's threshold (``engine.routing.BLOCKY``) is chosen from this,
and the file quality at or below which auto routes a JPEG file whatever its blockiness
(``engine.routing.FILE_JPEG_QUALITY``): the last table gives the gain on the copies only the file's quality sends.
Run from the repository root:

    .venv/bin/python benchmarks/dejpeg_threshold.py [--data DIR] [--last N]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "train" / "BSDS200" / "HR"
QUALITIES = (95, 90, 80, 70, 60, 50)
BINS = ((0.0, 1.05), (1.05, 1.1), (1.1, 1.15), (1.15, 1.2), (1.2, 1.3), (1.3, 99.0))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--last", type=int, default=20, help="the last N images of --data (default: dejpeg's held-out 20)")
    args = ap.parse_args()
    from vivid.engine.api import enhance
    from vivid.engine.plan import Plan, Step
    from vivid.engine.routing import BLOCKY, blockiness
    from vivid.io.image import Image
    from vivid.metrics import psnr
    from vivid.ops.degrade import jpeg
    from vivid.train.sr_data import load_rgb

    files = sorted(p for p in args.data.glob("*.*") if p.suffix.lower() in {".png", ".jpg", ".bmp"})[-args.last:]
    if not files:
        raise SystemExit(f"no images under {args.data}")
    plan = Plan((Step("dejpeg", "vivid-dejpeg"),))

    def luma(x: np.ndarray) -> np.ndarray:
        return 0.299 * x[0] + 0.587 * x[1] + 0.114 * x[2]

    def dejpeg(x: np.ndarray) -> np.ndarray:
        return np.clip(np.rint(enhance(Image(x), plan).image.color * 255), 0, 255) / 255

    rows, clean = [], []
    for f in files:
        x = np.ascontiguousarray(load_rgb(f), dtype=np.float32)
        clean.append((blockiness(luma(x)[:1024, :1024]), psnr(dejpeg(x), x)))
        for q in QUALITIES:
            y = np.ascontiguousarray(jpeg(x, quality=q), dtype=np.float32)
            rows.append((q, blockiness(luma(y)[:1024, :1024]), psnr(dejpeg(y), x) - psnr(y, x)))
    r, c = np.array(rows), np.array(clean)
    print(f"{args.data.parent.name if args.data.name == 'HR' else args.data.name}, last {len(files)}; "
          "vivid-dejpeg's PSNR gain (dB, RGB) over the JPEG against the clean original")
    print(f"clean originals: blockiness {c[:, 0].min():.2f}-{c[:, 0].max():.2f}; vivid-dejpeg on them: "
          f"{c[:, 1].min():.1f}-{c[:, 1].max():.1f} dB against themselves")
    print("| quality | blockiness mean [min, max] | gain mean | worst |")
    print("|---:|---|---:|---:|")
    for q in QUALITIES:
        m = r[r[:, 0] == q]
        print(f"| {q} | {m[:, 1].mean():.2f} [{m[:, 1].min():.2f}, {m[:, 1].max():.2f}] | {m[:, 2].mean():+.2f} | "
              f"{m[:, 2].min():+.2f} |")
    print("| blockiness | copies | gain mean | worst |")
    print("|---|---:|---:|---:|")
    for lo, hi in BINS:
        m = r[(r[:, 1] > lo) & (r[:, 1] <= hi)]
        if len(m):
            print(f"| ({lo:g}, {hi:g}] | {len(m)} | {m[:, 2].mean():+.2f} | {m[:, 2].min():+.2f} |")
    print(f"| file quality, blockiness <= {BLOCKY:g} | copies | gain mean | worst |")
    print("|---|---:|---:|---:|")
    for q in QUALITIES:
        m = r[(r[:, 0] == q) & (r[:, 1] <= BLOCKY)]
        if len(m):
            print(f"| {q} | {len(m)} | {m[:, 2].mean():+.2f} | {m[:, 2].min():+.2f} |")


if __name__ == "__main__":
    main()
