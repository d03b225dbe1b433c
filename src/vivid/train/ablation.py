"""Seed 004's VDSR ablation as one command: depth x BatchNorm x residual blocks, short budgets.

Seed 004 trained VDSR variants on T91 — residual repetitions 12/18/24/30, BatchNorm between conv and
ReLU, residual blocks with BatchNorm — and reported Bicubic-vs-VDSR PSNR on Set5 at x2/x3/x4. Here every
variant is trained with the same short budget (stated in the table) by the standard training loop and
scored on the validation set with the SR protocol (MATLAB bicubic LR, Y channel, shave = scale).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from vivid.metrics import psnr_y
from vivid.ops.resize import imresize
from vivid.train.config import DataConfig, ModelConfig, OptimConfig, RunConfig, TrainConfig


@dataclass(frozen=True)
class Variant:
    depth: int
    batch_norm: bool
    residual_blocks: bool

    @property
    def label(self) -> str:
        kind = "resblocks+BN" if self.residual_blocks else ("BN" if self.batch_norm else "plain")
        return f"VDSR-{self.depth} {kind}"


@dataclass(frozen=True)
class AblationRow:
    variant: Variant
    scale: int
    bicubic_psnr: float
    model_psnr: float
    iterations: int


def variants(depths: Iterable[int] = (12, 18, 24, 30)) -> list[Variant]:
    """Seed 004's grid: every depth plain, with BatchNorm, and with residual blocks + BatchNorm."""
    out = []
    for d in depths:
        out += [Variant(d, False, False), Variant(d, True, False), Variant(d, True, True)]
    return out


def bicubic_psnr(val_dir: str, scale: int) -> float:
    """Mean Y-PSNR of MATLAB-bicubic upscaling of the protocol's LR images (the table's baseline)."""
    import numpy as np

    from vivid.train.sr_data import list_images, load_rgb, make_pair

    scores = []
    for f in list_images(val_dir):
        pair = make_pair(load_rgb(f), scale, 3)
        sr = np.clip(np.rint(imresize(pair.lr, scale, quantize=8) * 255), 0, 255) / 255
        scores.append(psnr_y(sr, pair.hr, shave=scale))
    return float(np.mean(scores))


def run_ablation(
    *,
    train_dirs: tuple[str, ...],
    val_dir: str,
    out_dir: str | Path,
    scales: Iterable[int] = (2, 3, 4),
    depths: Iterable[int] = (12, 18, 24, 30),
    iterations: int = 300,
    channels: int = 32,
    patch: int = 24,
    batch: int = 16,
    threads: int = 1,
) -> list[AblationRow]:
    """Train and score every variant at every scale; returns the table rows."""
    from vivid.train.loop import train

    rows = []
    for scale in scales:
        base = bicubic_psnr(val_dir, scale)
        for v in variants(depths):
            name = f"vdsr_d{v.depth}_{'bn' if v.batch_norm else 'nobn'}_{'res' if v.residual_blocks else 'plain'}_x{scale}"
            cfg = TrainConfig(
                run=RunConfig(name=name, out_dir=str(out_dir), threads=threads, val_every=iterations,
                              checkpoint_every=iterations, log_every=max(1, iterations // 5)),
                data=DataConfig(train_dirs=train_dirs, val_dir=val_dir, patch=patch, batch=batch),
                model=ModelConfig(arch="vdsr", scale=scale, in_channels=1,
                                  params={"depth": v.depth, "channels": channels, "batch_norm": v.batch_norm,
                                          "residual_blocks": v.residual_blocks}),
                optim=OptimConfig(lr=1e-3, iterations=iterations, warmup=min(100, iterations // 10)),
            )
            run = train(cfg)
            best = _best_psnr(run / "log.csv")
            rows.append(AblationRow(v, scale, base, best, iterations))
    return rows


def _best_psnr(log: Path) -> float:
    import csv

    vals = [float(r["val_psnr"]) for r in csv.DictReader(log.open()) if r["val_psnr"]]
    return max(vals) if vals else float("nan")


def table(rows: list[AblationRow]) -> str:
    """Markdown: one line per variant, Bicubic / model PSNR per scale (seed 004's layout)."""
    scales = sorted({r.scale for r in rows})
    its = sorted({r.iterations for r in rows})
    head = "| variant | " + " | ".join(f"x{s} bicubic / model (dB)" for s in scales) + " |"
    lines = [f"Budget: {', '.join(map(str, its))} iterations per variant and scale.", "", head,
             "|---|" + "---|" * len(scales)]
    for label in dict.fromkeys(r.variant.label for r in rows):
        cells = []
        for s in scales:
            r = next((r for r in rows if r.variant.label == label and r.scale == s), None)
            cells.append(f"{r.bicubic_psnr:.2f} / {r.model_psnr:.2f}" if r else "-")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
