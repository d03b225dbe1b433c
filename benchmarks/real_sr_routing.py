"""Which route upscales a noisy or JPEG'd image best: a cleanup step then vivid-sr, or vivid-sr-real alone?

BSD100 HR images (the first N): LR = MATLAB bicubic x2 (uint8), then damaged as a web copy would be (JPEG at
several qualities, Gaussian noise, noise then JPEG, and the real-world bench chain); each route upscales it x2
and is scored on Y (BT.601, shave 2) against the HR image. Also prints the analyzer's measures (blockiness,
noise estimate) per condition, which routing decides on. Run from the repository root:

    PYTHONPATH=src python benchmarks/real_sr_routing.py --limit 10
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "sr" / "BSD100" / "HR"


def conditions() -> dict[str, object]:
    from vivid.bench.protocols import real_world_lr
    from vivid.ops.degrade import add_gaussian_noise, jpeg
    from vivid.ops.resize import imresize

    def bic(hr: np.ndarray, i: int) -> np.ndarray:
        return imresize(hr, 0.5, quantize=8)

    def q8(x: np.ndarray) -> np.ndarray:
        return np.rint(np.clip(x, 0, 1) * 255).astype(np.float32) / 255

    out: dict[str, object] = {}
    for q in (15, 30, 50, 70):
        out[f"jpeg q{q}"] = lambda hr, i, q=q: jpeg(bic(hr, i), quality=q)
    for s in (8, 15):
        out[f"noise σ{s}"] = lambda hr, i, s=s: q8(add_gaussian_noise(bic(hr, i), sigma=s, seed=i, clip=True))
    out["noise σ8 + jpeg q70"] = lambda hr, i: jpeg(add_gaussian_noise(bic(hr, i), sigma=8, seed=i, clip=True), quality=70)
    out["bench chain"] = lambda hr, i: real_world_lr(hr, 2, i)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--limit", type=int, default=10)
    args = ap.parse_args()
    from vivid.engine.api import enhance
    from vivid.engine.plan import Plan, Step
    from vivid.engine.routing import measure
    from vivid.io.image import Image
    from vivid.metrics import psnr_y
    from vivid.ops.resize import modcrop
    from vivid.train.sr_data import load_rgb

    files = sorted(DATA.glob("*.png"))[: args.limit]
    if not files:
        raise SystemExit(f"no images under {DATA}")
    hrs = [modcrop(load_rgb(f), 2).astype(np.float32) for f in files]
    routes = {
        "dejpeg → vivid-sr": (Step("dejpeg", "vivid-dejpeg"), Step("sr", "vivid-sr", 2)),
        "denoise → vivid-sr": (Step("denoise", "vivid-denoise"), Step("sr", "vivid-sr", 2)),
        "vivid-sr": (Step("sr", "vivid-sr", 2),),
        "vivid-sr-real": (Step("sr", "vivid-sr-real", 2),),
    }
    print(f"BSD100 first {len(files)}, x2, PSNR-Y (dB) against HR; analyzer means: blockiness / noise sigma")
    print("| condition | blockiness | noise σ est. | " + " | ".join(routes) + " |")
    print("|---|---:|---:|" + "---:|" * len(routes))
    for name, make in conditions().items():
        lrs = [np.ascontiguousarray(make(hr, i), dtype=np.float32) for i, hr in enumerate(hrs)]
        m = [measure(Image(lr)) for lr in lrs]
        scores = []
        for steps in routes.values():
            p = [psnr_y(np.clip(np.rint(enhance(Image(lr), Plan(steps)).image.color * 255), 0, 255) / 255, hr, shave=2)
                 for lr, hr in zip(lrs, hrs, strict=True)]
            scores.append(float(np.mean(p)))
        best = max(scores)
        cells = [f"**{s:.2f}**" if s == best else f"{s:.2f}" for s in scores]
        print(f"| {name} | {np.mean([a.blockiness for a in m]):.2f} | {np.mean([a.noise_sigma for a in m]):.1f} | "
              + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
