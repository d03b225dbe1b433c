"""Super-resolution training data: HR images in memory, exact-protocol LR made once, random patches."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image as PILImage

from vivid.errors import InputError
from vivid.ops.resize import imresize, modcrop

_SUFFIXES = {".png", ".bmp", ".jpg", ".jpeg", ".tif", ".tiff", ".webp"}


def list_images(folder: str | Path) -> list[Path]:
    p = Path(folder)
    if not p.is_dir():
        raise InputError(f"training folder {p} does not exist")
    files = sorted(f for f in p.rglob("*") if f.suffix.lower() in _SUFFIXES)
    if not files:
        raise InputError(f"training folder {p} holds no images")
    return files


def load_rgb(path: Path) -> np.ndarray:
    """(3, H, W) float64 in [0, 1] (gray images repeated)."""
    with PILImage.open(path) as im:
        a = np.asarray(im.convert("RGB"), dtype=np.float64) / 255.0
    return a.transpose(2, 0, 1)


def y_of(rgb: np.ndarray) -> np.ndarray:
    """BT.601 Y as MATLAB's rgb2ycbcr, in [0, 1] units: (3, H, W) -> (H, W)."""
    return (16.0 + 65.481 * rgb[0] + 128.553 * rgb[1] + 24.966 * rgb[2]) / 255.0


@dataclass
class SRPair:
    lr: np.ndarray  # (C, h, w) float32
    hr: np.ndarray  # (C, h*s, w*s) float32


def make_pair(rgb: np.ndarray, scale: int, in_channels: int) -> SRPair:
    """LR/HR pair per the classical protocol: modcrop, MATLAB bicubic on uint8-valued RGB."""
    hr = modcrop(rgb, scale)
    lr = imresize(hr, 1 / scale, quantize=8).astype(np.float64)
    if in_channels == 1:
        return SRPair(y_of(lr)[None].astype(np.float32), y_of(hr)[None].astype(np.float32))
    return SRPair(lr.astype(np.float32), hr.astype(np.float32))


def build_pairs(
    dirs: tuple[str, ...],
    scale: int,
    in_channels: int,
    scale_aug: tuple[float, ...],
    min_lr: int,
    *,
    exclude: frozenset[Path] = frozenset(),
) -> list[SRPair]:
    """Training pairs from every image of ``dirs`` (resolved paths in ``exclude`` left out: held-out
    validation images), each also downscaled by the factors in ``scale_aug``."""
    pairs = []
    for d in dirs:
        for f in list_images(d):
            if Path(f).resolve() in exclude:
                continue
            rgb = load_rgb(f)
            for a in scale_aug:
                src = rgb if a == 1.0 else np.clip(imresize(rgb, a, quantize=8), 0, 1).astype(np.float64)
                if min(src.shape[1:]) // scale < min_lr:
                    continue
                pairs.append(make_pair(src, scale, in_channels))
    return pairs


class PatchSampler:
    """Random aligned LR/HR patches with flips and 90-degree rotations, area-weighted over images."""

    def __init__(self, pairs: list[SRPair], *, patch: int, scale: int, seed: int) -> None:
        self.pairs, self.patch, self.scale = pairs, patch, scale
        areas = np.array([p.lr.shape[1] * p.lr.shape[2] for p in pairs], dtype=np.float64)
        self.prob = areas / areas.sum()
        self.rng = np.random.default_rng(seed)

    def batch(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        p, s = self.patch, self.scale
        idx = self.rng.choice(len(self.pairs), size=n, p=self.prob)
        lrs, hrs = [], []
        for i in idx:
            pair = self.pairs[i]
            _, h, w = pair.lr.shape
            y = int(self.rng.integers(0, h - p + 1))
            x = int(self.rng.integers(0, w - p + 1))
            lr = pair.lr[:, y : y + p, x : x + p]
            hr = pair.hr[:, y * s : (y + p) * s, x * s : (x + p) * s]
            k = int(self.rng.integers(0, 4))
            flip = bool(self.rng.integers(0, 2))
            lr, hr = np.rot90(lr, k, axes=(1, 2)), np.rot90(hr, k, axes=(1, 2))
            if flip:
                lr, hr = lr[:, :, ::-1], hr[:, :, ::-1]
            lrs.append(np.ascontiguousarray(lr))
            hrs.append(np.ascontiguousarray(hr))
        return np.stack(lrs), np.stack(hrs)
