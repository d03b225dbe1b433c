"""Which route upscales a damaged image best, and does auto pick it? Cleanup then vivid-sr, or vivid-sr-real alone.

HR photos (BSD100's first N by default; ``--data DIR --last`` for a choice made on training images): LR = MATLAB
bicubic x2 (uint8), optionally after a Gaussian blur of the HR image (a soft camera or a resized copy), then
damaged as a web copy would be (JPEG at several qualities, Gaussian noise, both, the real-world bench chain).
Each route upscales it x2 and is scored on Y (BT.601, shave 2) against the HR image. Also prints the analyzer's
measures per condition (edge sharpness, blockiness, noise estimate), how many images auto sends to real-world
SR, and the "auto" column: per image the route of auto's plan for an x2 request (its cleanup and SR steps;
steps of other tasks are left out so that the columns compare like with like). Run from the repository root:

    PYTHONPATH=src python benchmarks/real_sr_routing.py --limit 30
    PYTHONPATH=src python benchmarks/real_sr_routing.py --limit 30 --data ../shared/datasets/train/BSDS200/HR --last
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "sr" / "BSD100" / "HR"


def conditions() -> dict[str, object]:
    from scipy.ndimage import gaussian_filter

    from vivid.bench.protocols import real_world_lr
    from vivid.ops.degrade import add_gaussian_noise, jpeg
    from vivid.ops.resize import imresize

    def bic(hr: np.ndarray, blur: float = 0.0) -> np.ndarray:
        return imresize(gaussian_filter(hr, (0, blur, blur)) if blur else hr, 0.5, quantize=8)

    def q8(x: np.ndarray) -> np.ndarray:
        return np.rint(np.clip(x, 0, 1) * 255).astype(np.float32) / 255

    out: dict[str, object] = {"clean": lambda hr, i: bic(hr)}
    for q in (15, 40, 70, 90):
        out[f"jpeg q{q}"] = lambda hr, i, q=q: jpeg(bic(hr), quality=q)
    for s in (8, 15):
        out[f"noise σ{s}"] = lambda hr, i, s=s: q8(add_gaussian_noise(bic(hr), sigma=s, seed=i, clip=True))
    out["noise σ8 + jpeg q70"] = lambda hr, i: jpeg(add_gaussian_noise(bic(hr), sigma=8, seed=i, clip=True), quality=70)
    out["blur 1.0"] = lambda hr, i: bic(hr, 1.0)
    out["blur 1.0 + noise σ4"] = lambda hr, i: q8(add_gaussian_noise(bic(hr, 1.0), sigma=4, seed=i, clip=True))
    for b, q in ((1.0, 70), (1.0, 40), (1.6, 70)):
        out[f"blur {b} + jpeg q{q}"] = lambda hr, i, b=b, q=q: jpeg(bic(hr, b), quality=q)
    out["bench chain"] = lambda hr, i: real_world_lr(hr, 2, i)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--limit", type=int, default=10)
    ap.add_argument("--data", type=Path, default=DATA, help="a folder of HR images (default: BSD100)")
    ap.add_argument("--last", action="store_true", help="the last N images instead of the first")
    args = ap.parse_args()
    from vivid.engine.api import enhance
    from vivid.engine.plan import Plan, Step
    from vivid.engine.routing import analyze, measure
    from vivid.io.image import Image
    from vivid.metrics import psnr_y
    from vivid.ops.resize import modcrop
    from vivid.train.sr_data import load_rgb

    files = sorted(p for p in args.data.glob("*.*") if p.suffix.lower() in {".png", ".jpg", ".bmp"})
    files = files[-args.limit:] if args.last else files[: args.limit]
    if not files:
        raise SystemExit(f"no images under {args.data}")
    hrs = [modcrop(load_rgb(f), 2).astype(np.float32) for f in files]
    routes = {
        "dejpeg → vivid-sr": (("dejpeg", "vivid-dejpeg"), ("sr", "vivid-sr")),
        "denoise → vivid-sr": (("denoise", "vivid-denoise"), ("sr", "vivid-sr")),
        "vivid-sr": (("sr", "vivid-sr"),),
        "vivid-sr-real": (("sr", "vivid-sr-real"),),
        "dejpeg → vivid-sr-real": (("dejpeg", "vivid-dejpeg"), ("sr", "vivid-sr-real")),
    }

    def run(lr: np.ndarray, steps: tuple[tuple[str, str], ...]) -> np.ndarray:
        plan = Plan(tuple(Step(t, m, 2 if t == "sr" else 1) for t, m in steps))
        return np.clip(np.rint(enhance(Image(lr), plan).image.color * 255), 0, 255) / 255

    label = args.data.parent.name if args.data.name == "HR" else args.data.name
    print(f"{label} {'last' if args.last else 'first'} {len(files)}, x2, PSNR-Y (dB) against HR; analyzer "
          "means: edge sharpness / blockiness / noise sigma; real: images auto sends to real-world SR")
    print("| condition | sharpness | blockiness | noise σ est. | real | " + " | ".join(routes) + " | auto |")
    print("|---|---:|---:|---:|---:|" + "---:|" * (len(routes) + 1))
    for name, make in conditions().items():
        lrs = [np.ascontiguousarray(make(hr, i), dtype=np.float32) for i, hr in enumerate(hrs)]
        m = [measure(Image(lr)) for lr in lrs]
        scores = {k: [] for k in routes}
        chosen, n_real = [], 0
        for lr, hr in zip(lrs, hrs, strict=True):
            for k, steps in routes.items():
                scores[k].append(psnr_y(run(lr, steps), hr, shave=2))
            steps = tuple((s.task, s.model) for s in analyze(Image(lr), scale=2).steps
                          if s.task in {"dejpeg", "denoise", "sr"})
            n_real += ("sr", "vivid-sr-real") in steps
            key = next((k for k, v in routes.items() if v == steps), None)
            chosen.append(scores[key][-1] if key else psnr_y(run(lr, steps), hr, shave=2))
        means = [float(np.mean(v)) for v in scores.values()] + [float(np.mean(chosen))]
        best = max(means[:-1])
        cells = [f"**{s:.2f}**" if s == best else f"{s:.2f}" for s in means]
        print(f"| {name} | {np.mean([a.edge_sharpness for a in m]):.2f} | {np.mean([a.blockiness for a in m]):.2f} | "
              f"{np.mean([a.noise_sigma for a in m]):.1f} | {n_real}/{len(m)} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
