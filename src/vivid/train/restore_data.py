"""Training data for same-size restoration tasks: clean patches in memory, degraded on the fly.

``denoise``: additive Gaussian (σ 0–55), Poisson-Gaussian sensor noise and noise + JPEG, on colour and
gray patches (3 equal channels carrying the same noise, as the engine feeds a gray image); the network also
receives the noise-level map (σ / 255), as FFDNet.

``dejpeg``: JPEG compression artefacts (:func:`degrade_dejpeg`: quality 10-60 mostly, some mild and some
double compression, colour 4:2:0/4:4:4 and gray), blind to the quality; the target is the original.

``lowlight``: well-exposed photos darkened as a camera would see them (:func:`degrade_lowlight`);
``tone``: random exposure, contrast, white balance and saturation (:func:`degrade_tone`); in both the
target is the original. ``zero_ref``: darkened inputs only (no target), for the zero-reference losses.

Validation for these comes from held-out training images (:func:`holdout_split`) degraded with fixed
seeds (:func:`synthetic_validation_set`) — never from the test sets (LOL, FiveK).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vivid.errors import ConfigError
from vivid.ops.color import linear_to_srgb, srgb_to_linear
from vivid.ops.degrade import color_cast, jpeg, low_light, temperature_gains
from vivid.train.sr_data import list_images, load_rgb

if TYPE_CHECKING:
    from vivid.train.config import DataConfig

TASKS = ("denoise", "lowlight", "tone", "zero_ref", "colorize", "dejpeg")
#: share of patches made gray (3 equal channels) per task
GRAY_SHARE = {"denoise": 0.2, "lowlight": 0.05, "tone": 0.0, "zero_ref": 0.05, "colorize": 0.0, "dejpeg": 0.25}


def load_clean(dirs: tuple[str, ...], min_side: int) -> list[np.ndarray]:
    images = []
    for d in dirs:
        for f in list_images(d):
            rgb = load_rgb(Path(f)).astype(np.float32)
            if min(rgb.shape[1:]) >= min_side:
                images.append(rgb)
    return images


def load_files(files: list[Path], min_side: int) -> list[np.ndarray]:
    """Images ``(3, H, W)`` float32 of ``files`` whose shorter side is at least ``min_side``."""
    images = []
    for f in files:
        rgb = load_rgb(Path(f)).astype(np.float32)
        if min(rgb.shape[1:]) >= min_side:
            images.append(rgb)
    return images


def holdout_split(train_dirs: tuple[str, ...], val_dir: str, holdout: int) -> tuple[list[Path], list[Path]]:
    """Training and validation files: the last ``holdout`` images of ``val_dir`` validate and are left
    out of training (when ``val_dir`` is one of ``train_dirs``); ``holdout=0`` validates on all of it."""
    if holdout < 0:
        raise ConfigError(f"[data] holdout must be >= 0, got {holdout}")
    val_all = list_images(val_dir)
    if holdout > len(val_all):
        raise ConfigError(f"[data] holdout = {holdout} but {val_dir} holds only {len(val_all)} images")
    val = val_all[-holdout:] if holdout else val_all
    held = {f.resolve() for f in val} if holdout else set()
    train = [f for d in train_dirs for f in list_images(d) if f.resolve() not in held]
    return train, val


def _quantize8(x: np.ndarray) -> np.ndarray:
    return (np.rint(np.clip(x, 0.0, 1.0) * 255.0) / 255.0).astype(np.float32)


def _log_uniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def degrade_lowlight(
    clean: np.ndarray, rng: np.random.Generator, *, exposure: tuple[float, ...] = (0.03, 0.4),
    camera: bool = False,
) -> np.ndarray:
    """A camera-like under-exposed capture of ``clean`` ``(3, H, W)`` sRGB, 8-bit quantised.

    A slight colour shift of the light (5500–7500 K), then in linear light ``exposure`` (log-uniform)
    with gamma 1–1.6, Poisson shot noise (2e-5–2e-3 linear units per electron) and Gaussian read noise
    (std 2e-4–3e-3), as :func:`vivid.ops.degrade.low_light`.

    ``camera=True`` models what a camera's processing does to that noise (real low-light photos, DICM,
    have far more spatially and channel-correlated noise residuals than independent noise gives:
    ``benchmarks/lowlight_noise_stats.py``): the noise is blurred (std 0.8–2.4 px) and shares 50–95% of
    its variance across channels, and half of the captures are saved as JPEG (quality 70–95, 4:2:0).
    The extra draws come after the others', so ``camera=False`` gives the same pairs as before.
    """
    x = color_cast(clean, temperature=float(rng.uniform(5500.0, 7500.0)))
    kw = dict(
        exposure=_log_uniform(rng, exposure[0], exposure[1]),
        gamma=float(rng.uniform(1.0, 1.6)),
        shot_noise=_log_uniform(rng, 2e-5, 2e-3),
        read_noise=_log_uniform(rng, 2e-4, 3e-3),
    )
    if not camera:
        return _quantize8(low_light(x, **kw, seed=rng))
    kw.update(noise_blur=float(rng.uniform(0.8, 2.4)), channel_corr=float(rng.uniform(0.5, 0.95)))
    dark = _quantize8(low_light(x, **kw, seed=rng))
    if rng.random() < 0.5:
        dark = jpeg(dark, quality=int(rng.integers(70, 96)))
    return dark


def re_expose(clean: np.ndarray, mean: float, *, steps: int = 12) -> np.ndarray:
    """``clean`` ``(3, H, W)`` sRGB scaled in linear light (clipped) so that its mean value is ``mean``
    (bisection on the exposure gain; a gain in [1/16, 16])."""
    lin = srgb_to_linear(clean.astype(np.float64))
    lo, hi = np.log(1 / 16), np.log(16.0)
    for _ in range(steps):
        mid = 0.5 * (lo + hi)
        if linear_to_srgb(np.clip(lin * np.exp(mid), 0.0, 1.0)).mean() < mean:
            lo = mid
        else:
            hi = mid
    return linear_to_srgb(np.clip(lin * np.exp(0.5 * (lo + hi)), 0.0, 1.0)).astype(np.float32)


def degrade_tone(
    clean: np.ndarray, rng: np.random.Generator, *, keep_share: float = 0.1, tint: float = 0.0
) -> np.ndarray:
    """A badly toned version of ``clean`` ``(3, H, W)`` sRGB, 8-bit quantised.

    White balance of a 3000–10000 K light, exposure ±1.5 EV (linear light, clipped), contrast by the
    S-curve ``x^c / (x^c + (1 - x)^c)`` with ``c`` 0.7–1.4, saturation ×0.6–1.4 around the luma. A share
    ``keep_share`` is left as it was, so that the model learns to leave good photos alone. ``tint`` > 0 adds
    the other axis of white balance, green-magenta: the green gain (linear light) is ``2^u``, ``u`` uniform in
    ``[-tint, tint]`` (drawn only then, so ``tint=0`` gives the same edits as before).
    """
    if rng.random() < keep_share:
        return _quantize8(clean)
    kelvin = float(rng.uniform(3000.0, 10000.0))
    if tint > 0.0:
        r, g, b = temperature_gains(kelvin)
        x = color_cast(clean, gains=(r, g * 2.0 ** rng.uniform(-tint, tint), b)).astype(np.float64)
    else:
        x = color_cast(clean, temperature=kelvin).astype(np.float64)
    x = linear_to_srgb(np.clip(srgb_to_linear(x) * 2.0 ** rng.uniform(-1.5, 1.5), 0.0, 1.0))
    c = _log_uniform(rng, 0.7, 1.4)
    xc = np.clip(x, 0.0, 1.0) ** c
    x = xc / np.maximum(xc + np.clip(1.0 - x, 0.0, 1.0) ** c, 1e-12)
    luma = 0.299 * x[0] + 0.587 * x[1] + 0.114 * x[2]
    x = luma + float(rng.uniform(0.6, 1.4)) * (x - luma)
    return _quantize8(x)


def to_gray_input(clean: np.ndarray) -> np.ndarray:
    """The colorizer's input: the BT.601 luma ``(1, H, W)`` of ``clean`` ``(3, H, W)``, 8-bit quantised."""
    return _quantize8(0.299 * clean[0:1] + 0.587 * clean[1:2] + 0.114 * clean[2:3])


def is_colourful(image: np.ndarray, *, min_chroma: float = 0.02) -> bool:
    """Whether ``image`` ``(3, H, W)`` holds colour (mean absolute chroma above ``min_chroma``): gray or
    nearly gray photos teach a colorizer nothing and are left out of its training data."""
    if image.shape[0] < 3:
        return False
    cb = -0.168736 * image[0] - 0.331264 * image[1] + 0.5 * image[2]
    cr = 0.5 * image[0] - 0.418688 * image[1] - 0.081312 * image[2]
    return float(np.mean(np.abs(cb)) + np.mean(np.abs(cr))) > min_chroma


def degrade_dejpeg(
    clean: np.ndarray, rng: np.random.Generator, *, mild: float = 0.0, low: float = 0.0
) -> np.ndarray:
    """``clean`` ``(3, H, W)`` saved as JPEG and decoded, as a web or messenger copy of a photo would be.

    Quality 10-60 (85%) or 61-95 (15%, so that the model learns to leave mild compression nearly alone);
    a fifth of colour patches without chroma subsampling (4:4:4), the rest 4:2:0 (the common case); 15%
    compressed twice (a second quality 10-95). A gray patch (three equal channels) is compressed as one gray
    channel, as a gray JPEG is, and repeated. The block grid starts at the patch's top-left corner, as it
    does at an image's (the restorer keeps tiles on a 16-pixel grid).

    ``mild``: the share of patches instead left as they are or saved once at quality 90-100 (half each), so
    that the model learns to leave clean and high-quality images alone; 0 draws nothing extra (the pairs
    stay those of the first stage). ``low``: the share of the other patches instead saved once at quality
    10-25 (the strongest artefacts); 0 draws nothing extra either.
    """
    gray = bool(np.array_equal(clean[0], clean[1]) and np.array_equal(clean[0], clean[2]))
    x = clean[:1] if gray else clean
    if mild and rng.random() < mild:
        if rng.random() < 0.5:
            return clean.copy()
        x = jpeg(x, quality=int(rng.integers(90, 101)), chroma_subsampling=bool(rng.random() >= 0.2))
        return np.repeat(x, 3, axis=0) if gray else x
    if low and rng.random() < low:
        x = jpeg(x, quality=int(rng.integers(10, 26)), chroma_subsampling=bool(rng.random() >= 0.2))
        return np.repeat(x, 3, axis=0) if gray else x
    q = int(rng.integers(10, 61)) if rng.random() < 0.85 else int(rng.integers(61, 96))
    sub = bool(rng.random() >= 0.2)
    x = jpeg(x, quality=q, chroma_subsampling=sub)
    if rng.random() < 0.15:
        x = jpeg(x, quality=int(rng.integers(10, 96)), chroma_subsampling=sub)
    return np.repeat(x, 3, axis=0) if gray else x


@dataclass(frozen=True)
class Degradation:
    """A training config's settings of the degradations (``[data]``): ``tint`` as :func:`degrade_tone`,
    ``exposure`` and ``camera`` as :func:`degrade_lowlight`, ``mild`` and ``low`` as :func:`degrade_dejpeg`.
    Each applies to its own tasks; the defaults are the first stages' degradations."""

    tint: float = 0.0
    exposure: tuple[float, ...] = (0.03, 0.4)
    camera: bool = False
    mild: float = 0.0
    low: float = 0.0

    @classmethod
    def of(cls, data: DataConfig) -> Degradation:
        """The settings of a training config's ``[data]``."""
        return cls(tint=data.tint, exposure=data.exposure, camera=data.camera_noise,
                   mild=data.dejpeg_mild, low=data.dejpeg_low)


def degrade(task: str, clean: np.ndarray, rng: np.random.Generator, how: Degradation = Degradation()) -> np.ndarray:
    """The network input for ``task`` (``lowlight``, ``tone``, ``zero_ref``, ``colorize`` or ``dejpeg``) made
    from ``clean``, with the settings ``how``."""
    if task in ("lowlight", "zero_ref"):
        return degrade_lowlight(clean, rng, exposure=how.exposure, camera=how.camera)
    if task == "tone":
        return degrade_tone(clean, rng, tint=how.tint)
    if task == "colorize":
        return to_gray_input(clean)
    if task == "dejpeg":
        return degrade_dejpeg(clean, rng, mild=how.mild, low=how.low)
    raise ConfigError(
        f"no image-to-image degradation for task {task!r}: known are lowlight, tone, zero_ref, colorize, dejpeg"
    )


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

    def __init__(
        self,
        images: list[np.ndarray],
        *,
        task: str,
        patch: int,
        seed: int,
        gray_share: float | None = None,
        target_mean: tuple[float, ...] = (),
        how: Degradation = Degradation(),
    ) -> None:
        if task not in TASKS:
            raise ConfigError(f"unknown restoration task {task!r}: known are {TASKS}")
        if not images:
            raise ConfigError("no training images large enough for the patch size")
        share = GRAY_SHARE[task] if gray_share is None else gray_share
        self.images, self.task, self.patch, self.gray_share = images, task, patch, share
        areas = np.array([im.shape[1] * im.shape[2] for im in images], dtype=np.float64)
        self.prob = areas / areas.sum()
        self.rng = np.random.default_rng(seed)
        self.target_mean = target_mean
        self.how = how

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

    def batch(self, n: int) -> tuple[np.ndarray, np.ndarray | None]:
        """``n`` inputs and targets ``(n, C, patch, patch)``; the targets are None for ``zero_ref``."""
        if self.task != "denoise":
            inputs, targets = [], []
            for _ in range(n):
                clean = self._patch()
                if self.target_mean:
                    clean = re_expose(clean, float(self.rng.uniform(*self.target_mean)))
                inputs.append(degrade(self.task, clean, self.rng, self.how))
                targets.append(clean)
            return np.stack(inputs), (None if self.task == "zero_ref" else np.stack(targets))
        inputs, targets = [], []
        for _ in range(n):
            clean = self._patch()
            if np.array_equal(clean[0], clean[1]) and np.array_equal(clean[0], clean[2]):
                # a gray image: the engine feeds it as three equal channels, so its noise is equal too
                noisy, sigma = degrade_denoise(clean[:1], self.rng)
                noisy = np.repeat(noisy, 3, axis=0)
            else:
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


def synthetic_validation_set(
    files: list[Path], *, task: str, crop: int = 256, seed: int = 10_000, target_mean: tuple[float, ...] = (),
    how: Degradation = Degradation(),
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Fixed (input, clean) pairs from ``files``: a centre crop (sides multiples of 8, at most ``crop``)
    degraded for ``task`` with generator seed ``seed + index``. ``zero_ref`` validates on ``lowlight``
    pairs; ``denoise`` uses AWGN σ 25 plus the noise map, as :func:`validation_set`."""
    pairs = []
    for i, f in enumerate(files):
        rgb = load_rgb(Path(f)).astype(np.float32)
        _, h, w = rgb.shape
        ch, cw = min(crop, h) // 8 * 8, min(crop, w) // 8 * 8
        y, x = (h - ch) // 2, (w - cw) // 2
        clean = np.ascontiguousarray(rgb[:, y : y + ch, x : x + cw])
        rng = np.random.default_rng(seed + i)
        if target_mean:  # the middle of the range, so that validation stays fixed
            clean = re_expose(clean, 0.5 * (target_mean[0] + target_mean[1]))
        if task == "denoise":
            noisy = clean + rng.standard_normal(clean.shape).astype(np.float32) * (25.0 / 255)
            inp = np.concatenate([noisy, np.full((1, ch, cw), 25.0 / 255, dtype=np.float32)])
        else:
            inp = degrade("lowlight" if task == "zero_ref" else task, clean, rng, how)
        pairs.append((inp, clean))
    return pairs
