"""Seed 004's ablation: the variant grid, and a tiny end-to-end run producing the table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from vivid.train.ablation import run_ablation, table, variants


def test_grid_is_seed004s() -> None:
    vs = variants()
    assert len(vs) == 12
    assert {v.depth for v in vs} == {12, 18, 24, 30}
    assert sum(v.residual_blocks for v in vs) == 4 and sum(v.batch_norm for v in vs) == 8


def test_tiny_ablation_run_makes_a_table(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    for d in ("train", "val"):
        (tmp_path / d).mkdir()
        for i in range(2):
            yy, xx = np.mgrid[0:48, 0:48]
            g = 127 + 90 * np.sin(xx / (2 + i)) + rng.normal(0, 2, (48, 48))
            Image.fromarray(np.clip(np.stack([g, g, g], -1), 0, 255).astype(np.uint8)).save(tmp_path / d / f"{i}.png")
    rows = run_ablation(train_dirs=(str(tmp_path / "train"),), val_dir=str(tmp_path / "val"),
                        out_dir=tmp_path / "runs", scales=(2,), depths=(4,), iterations=2, channels=4, patch=8, batch=2)
    assert len(rows) == 3 and all(np.isfinite(r.model_psnr) and r.bicubic_psnr > 10 for r in rows)
    md = table(rows)
    assert "VDSR-4 plain" in md and "VDSR-4 resblocks+BN" in md and "2 iterations" in md
