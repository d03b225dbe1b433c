"""Do no harm: ``--task auto`` on good photos must keep them (issue #5's target: PSNR >= 30 dB against the
image's own input on BSD100 HR).

Each image goes through ``vivid.engine.api.enhance(task="auto")`` exactly as ``vivid enhance`` runs it.
When the plan upscales (small images get SR x2), the output is brought back to the input size with
MATLAB-exact bicubic (``vivid.ops.resize.imresize``) before scoring, so the check asks whether the
content was kept. Prints one line per image that got any step besides SR, then the summary.

    .venv/bin/python benchmarks/do_no_harm.py [--data ../shared/datasets/sr/BSD100/HR] [--limit N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np


def check(path: Path) -> tuple[float, list[str]]:
    """(PSNR of the auto output against the input, the plan's tasks) for one image."""
    from vivid.engine.api import enhance
    from vivid.io.read import read_image
    from vivid.metrics import psnr
    from vivid.ops.resize import imresize

    image = read_image(path)
    result = enhance(image, task="auto")
    out = result.image.color
    if out.shape != image.color.shape:
        out = np.clip(imresize(out, size=image.color.shape[1:]), 0.0, 1.0)
    return psnr(out, image.color), [f"{s.task}:{s.model}" for s in result.plan.steps]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/datasets/sr/BSD100/HR"))
    ap.add_argument("--limit", type=int, default=0, help="only the first N images (0: all)")
    ap.add_argument("--min-psnr", type=float, default=30.0)
    args = ap.parse_args()
    files = sorted(p for p in args.data.iterdir() if p.suffix.lower() in {".png", ".jpg", ".bmp", ".tif"})
    if args.limit:
        files = files[: args.limit]
    if not files:
        print(f"no images in {args.data}: pass --data FOLDER", file=sys.stderr)
        return 2
    t0 = time.time()
    scores, touched = [], 0
    for f in files:
        p, steps = check(f)
        scores.append(p)
        if any(not s.startswith("sr:") for s in steps):
            touched += 1
            print(f"{f.name}: {' -> '.join(steps)}  PSNR vs input {p:.2f} dB")
    s = np.array(scores)
    print(f"{len(files)} images in {time.time() - t0:.0f} s; steps besides SR on {touched}; "
          f"PSNR vs input: min {s.min():.2f}, mean {s.mean():.2f} dB; below {args.min_psnr:g} dB: {(s < args.min_psnr).sum()}")
    return 0 if s.min() >= args.min_psnr else 1


if __name__ == "__main__":
    raise SystemExit(main())
