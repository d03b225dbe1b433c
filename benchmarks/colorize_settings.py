"""Choose vivid-colorize's inference settings on held-out validation data (never on a test set).

The ab-bin colorizer has two knobs that act only at inference: the annealed-mean ``temperature`` (lower:
closer to the most likely colour, more vivid) and ``saturation`` (a factor on the predicted chroma). This
prints, for a grid of both, the validation PSNR (RGB, against the colour original; leaving the image gray
scores the "gray" line) and the distributions over images of colourfulness and hue concentration (see
benchmarks/colorize_distribution.py), beside the originals'. The validation images are the training config's
held-out ones (the last 20 BSDS200 images; near-gray photos left out).

    .venv/bin/python benchmarks/colorize_settings.py checkpoints/vivid_colorize/last.pt \
        [--config configs/colorize/vivid_colorize.toml] [--temperatures 0.38,0.2] [--saturations 1,0.7,0.5]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _psnr8(out: np.ndarray, clean: np.ndarray) -> float:
    a = np.clip(np.rint(out * 255), 0, 255)
    return float(10 * np.log10(255.0**2 / np.mean((a - clean.astype(np.float64) * 255) ** 2)))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("weights", type=Path, help="a run's last.pt (EMA weights) or best.safetensors")
    ap.add_argument("--config", type=Path, default=Path("configs/colorize/vivid_colorize.toml"))
    ap.add_argument("--temperatures", default="0.38,0.2")
    ap.add_argument("--saturations", default="1,0.7,0.5")
    args = ap.parse_args()

    import torch
    from colorize_distribution import hue_stats
    from safetensors.torch import load_file

    from vivid.metrics import colorfulness
    from vivid.models.archs.factory import build_arch
    from vivid.train import restore_data as rd
    from vivid.train.config import load_config

    cfg = load_config(args.config)
    _, val = rd.holdout_split(cfg.data.train_dirs, cfg.data.val_dir, cfg.data.holdout)
    val = [f for f in val if rd.is_colourful(rd.load_rgb(Path(f)))]
    pairs = rd.synthetic_validation_set(val, task="colorize")
    src = args.weights
    state = load_file(str(src)) if src.suffix == ".safetensors" else torch.load(src, weights_only=False)["ema"]

    def dist(outs: list[np.ndarray]) -> str:
        cf = np.percentile([colorfulness(o) for o in outs], [10, 50, 90])
        hc = np.percentile([hue_stats(o)[0] for o in outs], [10, 50, 90])
        return f"{cf[0]:.1f} / {cf[1]:.1f} / {cf[2]:.1f} | {hc[0]:.2f} / {hc[1]:.2f} / {hc[2]:.2f}"

    print(f"{len(pairs)} validation images from {cfg.data.val_dir}\n")
    print("| setting | PSNR | colourfulness p10 / median / p90 | hue concentration p10 / median / p90 |")
    print("|---|---|---|---|")
    print(f"| originals | — | {dist([c.astype(np.float64) for _, c in pairs])} |")
    grays = [np.repeat(i, 3, axis=0).astype(np.float64) for i, _ in pairs]
    print(f"| gray | {np.mean([_psnr8(g, c) for g, (_, c) in zip(grays, pairs, strict=True)]):.3f} | {dist(grays)} |")
    params = {k: v for k, v in cfg.model.arch_kwargs().items()}
    for t in (float(x) for x in args.temperatures.split(",")):
        for s in (float(x) for x in args.saturations.split(",")):
            net = build_arch(cfg.model.arch, **{**params, "temperature": t, "saturation": s}).eval()
            net.load_state_dict(state, strict=True)
            with torch.no_grad():
                outs = [np.clip(np.rint(net(torch.from_numpy(i[None]))[0].numpy() * 255), 0, 255) / 255 for i, _ in pairs]
            score = np.mean([_psnr8(o, c) for o, (_, c) in zip(outs, pairs, strict=True)])
            print(f"| T {t:g}, saturation {s:g} | {score:.3f} | {dist(outs)} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
