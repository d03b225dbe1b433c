"""Where a low-light model's LOL error comes from: exposure (the output's overall brightness) or structure.

LOL's normal-light ground truth was captured at a brightness the photographers chose per scene (mean gray
0.25-0.63). A model that never saw LOL pairs has to guess it. For each model this prints, over LOL eval15
(RGB PSNR dB, mean of the 15 images):

* ``PSNR``: the plain score (issue #5's metric);
* ``GT-mean corrected``: the output scaled to the ground truth's mean gray level (as the bench reports) —
  what the score would be with the exposure guessed right;
* ``best constant mean``: the output scaled to the same mean gray level ``m`` on every image, for the best
  ``m`` on a 0.30-0.60 grid — the most any fixed target brightness could give with this structure;
* ``perfect structure``: the ground truth itself scaled to the output's mean gray level — the most a
  perfect denoiser/restorer could give with this model's exposure guesses.

This reads the test set's ground truth, so it is an analysis only: nothing here chooses or tunes a model.

    .venv/bin/python benchmarks/lol_exposure_analysis.py [--models vivid-lowlight,gamma]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

LOL = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "lowlight" / "LOL" / "eval15"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="vivid-lowlight")
    parser.add_argument("--data", type=Path, default=LOL)
    args = parser.parse_args(argv)
    from vivid.bench.protocols import gt_mean_corrected
    from vivid.engine.api import enhance
    from vivid.io.read import read_image
    from vivid.metrics import psnr
    from vivid.ops.color import rgb_to_gray

    lows = sorted((args.data / "low").glob("*.png"))
    if not lows:
        print(f"error: no LOL images in {args.data / 'low'} (needs ../shared)", file=sys.stderr)
        return 2
    gts = [read_image(args.data / "high" / f.name).color.astype(np.float64) for f in lows]
    gt_means = [float(rgb_to_gray(g).mean()) for g in gts]
    print(f"LOL ground-truth mean gray: {min(gt_means):.3f}-{max(gt_means):.3f} (mean {np.mean(gt_means):.3f})")
    grid = np.round(np.arange(0.30, 0.601, 0.02), 2)
    print(f"{'model':18s} {'PSNR':>6s} {'GT-mean corrected':>18s} {'best constant mean':>19s} {'perfect structure':>18s}")
    for model in args.models.split(","):
        outs = [enhance(read_image(f), task="lowlight", model=model).image.color.astype(np.float64) for f in lows]
        means = [float(rgb_to_gray(o).mean()) for o in outs]
        plain = np.mean([psnr(o, g) for o, g in zip(outs, gts)])
        corrected = np.mean([psnr(gt_mean_corrected(o, g), g) for o, g in zip(outs, gts)])
        by_m = [np.mean([psnr(np.clip(o * (m / max(om, 1e-6)), 0, 1), g) for o, om, g in zip(outs, means, gts)])
                for m in grid]
        best = int(np.argmax(by_m))
        ceiling = np.mean([psnr(np.clip(g * (om / gm), 0, 1), g) for om, g, gm in zip(means, gts, gt_means)])
        print(f"{model:18s} {plain:6.2f} {corrected:18.2f} {by_m[best]:13.2f} (m {grid[best]:.2f}) {ceiling:18.2f}"
              f"   output mean gray {min(means):.3f}-{max(means):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
