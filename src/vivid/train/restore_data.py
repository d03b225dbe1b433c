"""Training data for same-size restoration tasks: clean patches in memory, degraded on the fly.

``denoise``: additive Gaussian (σ 0–55), Poisson-Gaussian sensor noise and noise + JPEG, on colour and
gray (3 equal channels) patches; the network also receives the noise-level map (σ / 255), as FFDNet.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vivid.errors import ConfigError
from vivid.ops.degrade import jpeg
from vivid.train.sr_data import list_images, load_rgb

TASKS = ("denoise",)


def load_clean(dirs: tuple[str, ...], min_side: int) -> list[np.ndarray]:
    images = []
    for d in dirs:
        for f in list_images(d):
            rgb = load_rgb(Path(f)).astype(np.float32)
            if min(rgb.shape[1:]) >= min_side:
                images.append(rgb)
    return images


def degrade_denoise(clean: np.ndarray, rng: np.random.Generator, *, max_sigma: float = 55.0) -> tuple[np.ndarray, float]:
    """A noisy version of ``clean`` ``(3, H, W)`` and its effective noise level (0..255 scale)."""
    kind = rng.random()
    sigma = float(rng.uniform(0.0, max_sigma))
    if kind < 0.6:  # additive white Gaussian noise
        noisy = clean + rng.standard_normal(clean.shape).astype(np.float32) * (sigma / 255)
    elif kind < 0.85:  # Poisson-Gaussian: signal-dependent shot noise + read noise, same mean level
        s2 = (sigma / 255) ** 2
        a = float(rng.uniform(0.3, 0.9)) * s2 / max(float(clean.mean()), 0.05)
        b2 = max(s2 - a * float(clean.mean()), 0.0)
        std = np.sqrt(np.maximum(a * clean + b2, 0.0))
        noisy = clean + rng.standard_normal(clean.shape).astype(np.float32) * std
    else:  # noise, then JPEG (camera or web pipelines)
        noisy = clean + rng.standard_normal(clean.shape).astype(np.float32) * (sigma / 255)
        noisy = jpeg(np.clip(noisy, 0, 1), quality=int(rng.integers(40, 95)))
        sigma = float(np.std(noisy - clean) * 255)
    return noisy.astype(np.float32), sigma


class RestoreSampler:
    """Random patches with flips/rotations, degraded for ``task``; returns (input, target) batches."""

    def __init__(self, images: list[np.ndarray], *, task: str, patch: int, seed: int, gray_share: float = 0.15) -> None:
        if task not in TASKS:
            raise ConfigError(f"unknown restoration task {task!r}: known are {TASKS}")
        if not images:
            raise ConfigError("no training images large enough for the patch size")
        self.images, self.task, self.patch, self.gray_share = images, task, patch, gray_share
        areas = np.array([im.shape[1] * im.shape[2] for im in images], dtype=np.float64)
        self.prob = areas / areas.sum()
        self.rng = np.random.default_rng(seed)

    def _patch(self) -> np.ndarray:
        im = self.images[int(self.rng.choice(len(self.images), p=self.prob))]
        _, h, w = im.shape
        p = self.patch
        y, x = int(self.rng.integers(0, h - p + 1)), int(self.rng.integers(0, w - p + 1))
        c = np.rot90(im[:, y : y + p, x : x + p], int(self.rng.integers(0, 4)), axes=(1, 2))
        if self.rng.random() < 0.5:
            c = c[:, :, ::-1]
        if self.rng.random() < self.gray_share:
            g = 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]
            c = np.stack([g, g, g])
        return np.ascontiguousarray(c, dtype=np.float32)

    def batch(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        inputs, targets = [], []
        for _ in range(n):
            clean = self._patch()
            noisy, sigma = degrade_denoise(clean, self.rng)
            level = np.full((1, *clean.shape[1:]), sigma / 255, dtype=np.float32)
            inputs.append(np.concatenate([noisy, level]))
            targets.append(clean)
        return np.stack(inputs), np.stack(targets)


def validation_set(folder: str, *, sigma: float = 25.0, crop: int = 256, limit: int = 8) -> list[tuple[np.ndarray, np.ndarray]]:
    """Fixed, seeded (input, clean) pairs: AWGN σ at a centre crop of up to ``limit`` images."""
    pairs = []
    for i, f in enumerate(list_images(folder)[:limit]):
        rgb = load_rgb(Path(f)).astype(np.float32)
        _, h, w = rgb.shape
        ch, cw = min(crop, h) // 8 * 8, min(crop, w) // 8 * 8
        y, x = (h - ch) // 2, (w - cw) // 2
        clean = rgb[:, y : y + ch, x : x + cw]
        noisy = clean + np.random.default_rng(i).standard_normal(clean.shape).astype(np.float32) * (sigma / 255)
        level = np.full((1, ch, cw), sigma / 255, dtype=np.float32)
        pairs.append((np.concatenate([noisy, level]), clean))
    return pairs
