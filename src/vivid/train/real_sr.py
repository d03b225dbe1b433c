"""Real-world SR training data: clean HR patches degraded on the fly by :mod:`vivid.ops.real_world`'s
second-order chain (a new chain per patch), and held-out validation pairs degraded by fixed seeded chains."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vivid.errors import ConfigError
from vivid.ops.real_world import degrade_real
from vivid.ops.resize import modcrop
from vivid.train.sr_data import SRPair, load_rgb, y_of


def _pair(hr: np.ndarray, lr: np.ndarray, in_channels: int) -> SRPair:
    if in_channels == 1:
        return SRPair(y_of(lr)[None].astype(np.float32), y_of(hr)[None].astype(np.float32))
    return SRPair(lr.astype(np.float32), hr.astype(np.float32))


def validation_pairs(files: list[Path], scale: int, in_channels: int) -> list[SRPair]:
    """Held-out pairs degraded with fixed chains: image ``i`` (in file order) by a chain drawn from
    ``X2_RANGES`` with ``numpy.random.default_rng(i)``, noise from the same generator."""
    pairs = []
    for i, f in enumerate(files):
        hr = modcrop(load_rgb(f), scale).astype(np.float32)
        pairs.append(_pair(hr, degrade_real(hr, scale, np.random.default_rng(i)), in_channels))
    return pairs


class RealSRSampler:
    """Random HR patches (flips, 90-degree rotations) degraded on the fly by a new chain each: (LR, HR)."""

    def __init__(self, images: list[np.ndarray], *, patch: int, scale: int, in_channels: int, seed: int) -> None:
        side = patch * scale
        self.images = [im for im in images if min(im.shape[1:]) >= side]
        if not self.images:
            raise ConfigError(f"no training image is at least {side} pixels on its shorter side")
        self.patch, self.scale, self.in_channels = patch, scale, in_channels
        areas = np.array([im.shape[1] * im.shape[2] for im in self.images], dtype=np.float64)
        self.prob = areas / areas.sum()
        self.rng = np.random.default_rng(seed)

    def batch(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        side = self.patch * self.scale
        lrs, hrs = [], []
        for _ in range(n):
            im = self.images[int(self.rng.choice(len(self.images), p=self.prob))]
            _, h, w = im.shape
            y, x = int(self.rng.integers(0, h - side + 1)), int(self.rng.integers(0, w - side + 1))
            hr = np.rot90(im[:, y : y + side, x : x + side], int(self.rng.integers(0, 4)), axes=(1, 2))
            if self.rng.random() < 0.5:
                hr = hr[:, :, ::-1]
            hr = np.ascontiguousarray(hr, dtype=np.float32)
            pair = _pair(hr, degrade_real(hr, self.scale, self.rng), self.in_channels)
            lrs.append(pair.lr)
            hrs.append(pair.hr)
        return np.stack(lrs), np.stack(hrs)
