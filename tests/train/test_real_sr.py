"""Real-world SR training data (vivid.train.real_sr) and a short run of a `degradation = "real"` config."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.images import photo_like
from vivid.errors import ConfigError
from vivid.train.config import load_config
from vivid.train.loop import train
from vivid.train.real_sr import RealSRSampler, validation_pairs

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def _save(folder: Path, n: int, seed: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for i in range(n):
        rgb = photo_like(80, 100, seed=seed + i)
        files.append(folder / f"{i}.png")
        Image.fromarray(np.rint(rgb.transpose(1, 2, 0) * 255).astype(np.uint8)).save(files[-1])
    return files


def test_sampler_gives_aligned_y_batches_that_repeat_with_the_seed() -> None:
    images = [photo_like(80, 100, seed=s) for s in range(3)] + [photo_like(20, 20)]  # the last is too small
    a = RealSRSampler(images, patch=16, scale=2, in_channels=1, seed=7)
    assert len(a.images) == 3
    lr, hr = a.batch(4)
    assert lr.shape == (4, 1, 16, 16) and hr.shape == (4, 1, 32, 32)
    lr2, hr2 = RealSRSampler(images, patch=16, scale=2, in_channels=1, seed=7).batch(4)
    assert np.array_equal(lr, lr2) and np.array_equal(hr, hr2)
    rgb_lr, _ = RealSRSampler(images, patch=16, scale=2, in_channels=3, seed=7).batch(1)
    assert rgb_lr.shape == (1, 3, 16, 16)
    with pytest.raises(ConfigError, match="at least 64"):
        RealSRSampler([photo_like(40, 40)], patch=32, scale=2, in_channels=1, seed=0)


def test_validation_pairs_are_fixed(tmp_path: Path) -> None:
    files = _save(tmp_path, 2, 0)
    a, b = validation_pairs(files, 2, 1), validation_pairs(files, 2, 1)
    assert [p.lr.shape for p in a] == [(1, 40, 50)] * 2 and a[0].hr.shape == (1, 80, 100)
    assert all(np.array_equal(x.lr, y.lr) for x, y in zip(a, b, strict=True))
    # image i is degraded by the chain of seed i: the same file gets another chain at another index
    assert not np.array_equal(validation_pairs(files[1:], 2, 1)[0].lr, a[1].lr)


def test_the_shipped_config_trains_and_validates_when_shrunk(tmp_path: Path) -> None:
    """configs/sr/vivid_sr_real_x2.toml with tiny data, network and schedule: trains, validates, keeps the best."""
    _save(tmp_path / "train", 3, 0)
    cfg = load_config(CONFIGS / "sr" / "vivid_sr_real_x2.toml")
    assert cfg.data.degradation == "real" and cfg.model.scale == 2 and cfg.run.threads == 1
    assert cfg.run.init_from and cfg.run.init_from.endswith("vivid-sr_x2.safetensors")
    cfg = replace(
        cfg,
        run=replace(cfg.run, out_dir=str(tmp_path / "runs"), init_from=None, val_every=3, checkpoint_every=3, log_every=3),
        data=replace(cfg.data, train_dirs=(str(tmp_path / "train"),), val_dir=str(tmp_path / "train"), holdout=1,
                     patch=16, batch=2),
        model=replace(cfg.model, params={"channels": 8, "blocks": 2}),
        optim=replace(cfg.optim, iterations=3, warmup=1),
    )
    out = train(cfg)
    rows = list(csv.DictReader((out / "log.csv").open()))
    assert rows[-1]["iteration"] == "3" and float(rows[-1]["val_psnr"]) > 10
    assert (out / "best.safetensors").exists()
    text = (CONFIGS / "sr" / "vivid_sr_real_x2.toml").read_text().replace("[data]", '[data]\ntask = "denoise"')
    (tmp_path / "bad.toml").write_text(text)
    with pytest.raises(ConfigError, match="degradation is for task sr"):
        load_config(tmp_path / "bad.toml")
