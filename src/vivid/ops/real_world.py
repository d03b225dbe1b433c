"""Real-world degradation for SR: a Real-ESRGAN-style second-order degradation chain (Wang et al., ICCV-W 2021).

A clean HR image ``(3, H, W)`` becomes a low-resolution input ``(3, H/s, W/s)`` the way a web or phone copy
of a photo does: two rounds ("orders") of

1. blur with a random Gaussian kernel, isotropic or anisotropic (rotated), 7-21 taps;
2. a random resize (up, down or kept; area, bilinear or bicubic);
3. noise: additive Gaussian or Poisson (signal-dependent), per channel or the same on all channels (gray);
4. JPEG at a random quality (first order only: the second order's JPEG is the final one, below);

then a final resize to exactly ``(H/s, W/s)`` (area, bilinear or bicubic) and a final JPEG. The ranges
(:data:`X2_RANGES`) are Real-ESRGAN's, made milder for x2 and for a fidelity (L1) model: a blur of
std 3 HR pixels or a noise of σ 30 at x2 leaves little that a small network can restore.

A :class:`Chain` is one draw of every choice; :func:`draw_chain` draws one from a seeded generator and
:func:`apply_chain` applies it (its noise drawn from a second generator), so training draws a new chain
per patch (:mod:`vivid.train.real_sr`) and the benchmark applies one fixed, documented chain (:data:`BENCH_CHAIN`) with seeded noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from vivid.errors import InputError
from vivid.ops.degrade import jpeg
from vivid.ops.resize import resize_planes

ResizeMethod = Literal["area", "linear", "cubic"]
RESIZE_METHODS: tuple[ResizeMethod, ...] = ("area", "linear", "cubic")


@dataclass(frozen=True)
class BlurKernel:
    """A Gaussian kernel: std ``sigma_x``/``sigma_y`` pixels along axes rotated by ``theta`` radians."""

    sigma_x: float
    sigma_y: float
    theta: float = 0.0
    size: int = 21

    def kernel(self) -> np.ndarray:
        """The normalised ``(size, size)`` kernel."""
        r = self.size // 2
        ax = np.arange(-r, r + 1, dtype=np.float64)
        xx, yy = np.meshgrid(ax, ax)
        c, s = math.cos(self.theta), math.sin(self.theta)
        u, v = c * xx + s * yy, -s * xx + c * yy
        k = np.exp(-0.5 * ((u / self.sigma_x) ** 2 + (v / self.sigma_y) ** 2))
        return k / k.sum()

    def describe(self) -> str:
        if self.sigma_x == self.sigma_y:
            return f"Gaussian blur σ {self.sigma_x:g} px ({self.size}x{self.size})"
        return (f"anisotropic Gaussian blur σ {self.sigma_x:g}/{self.sigma_y:g} px at "
                f"{math.degrees(self.theta):g}° ({self.size}x{self.size})")


@dataclass(frozen=True)
class NoiseModel:
    """``gaussian``: std ``level`` on the 0..255 scale; ``poisson``: shot noise of an image of 255 photons
    per unit, scaled by ``level`` (Real-ESRGAN's form). ``gray``: one noise field on all channels."""

    kind: Literal["gaussian", "poisson"]
    level: float
    gray: bool = False

    def describe(self) -> str:
        what = f"Gaussian noise σ {self.level:g}" if self.kind == "gaussian" else f"Poisson noise ×{self.level:g}"
        return what + (" (gray)" if self.gray else "")


@dataclass(frozen=True)
class Stage:
    """One order of the chain. ``resize`` is a factor of the HR size (first order) or of the LR size
    (second order, as Real-ESRGAN); ``quality`` None means no JPEG in this order."""

    blur: BlurKernel | None
    resize: float
    resize_method: ResizeMethod
    noise: NoiseModel | None
    quality: int | None

    def describe(self) -> str:
        parts = [self.blur.describe()] if self.blur else []
        if self.resize != 1.0:
            parts.append(f"resize ×{self.resize:g} ({self.resize_method})")
        if self.noise:
            parts.append(self.noise.describe())
        if self.quality is not None:
            parts.append(f"JPEG q{self.quality}")
        return ", ".join(parts) or "nothing"


@dataclass(frozen=True)
class Chain:
    """Both orders, then the final resize to the LR size and the final JPEG."""

    first: Stage
    second: Stage
    final_method: ResizeMethod
    final_quality: int

    def describe(self, scale: int) -> str:
        return (f"order 1: {self.first.describe()} (resize relative to HR); "
                f"order 2: {self.second.describe()} (resize relative to HR/{scale}); "
                f"final: {self.final_method} resize to HR/{scale}, JPEG q{self.final_quality}")


@dataclass(frozen=True)
class StageRanges:
    """What one order draws from (uniform in each range unless said)."""

    blur_prob: float
    blur_sigma: tuple[float, float]
    aniso_prob: float  # share of blurs that are anisotropic (two sigmas, a rotation)
    resize_probs: tuple[float, float, float]  # up, down, keep
    resize_range: tuple[float, float]  # up draws from [1, hi], down from [lo, 1]
    gaussian_prob: float  # else Poisson
    noise_sigma: tuple[float, float]
    poisson_scale: tuple[float, float]
    gray_noise_prob: float
    quality: tuple[int, int]


@dataclass(frozen=True)
class ChainRanges:
    first: StageRanges
    second: StageRanges
    kernel_sizes: tuple[int, int] = (7, 21)  # odd sizes in this range


#: the training distribution for x2 and x4 (its resizes are relative to HR/scale; Real-ESRGAN's x4 values in comments)
X2_RANGES = ChainRanges(
    first=StageRanges(
        blur_prob=1.0, blur_sigma=(0.2, 2.0),  # 0.2..3
        aniso_prob=0.5,
        resize_probs=(0.2, 0.7, 0.1), resize_range=(0.5, 1.5),  # 0.15..1.5
        gaussian_prob=0.5, noise_sigma=(1.0, 20.0), poisson_scale=(0.05, 2.0),  # σ 1..30, ×0.05..3
        gray_noise_prob=0.4, quality=(40, 95),  # 30..95
    ),
    second=StageRanges(
        blur_prob=0.8, blur_sigma=(0.2, 1.0),  # 0.2..1.5
        aniso_prob=0.5,
        resize_probs=(0.3, 0.4, 0.3), resize_range=(0.7, 1.2),  # 0.3..1.2
        gaussian_prob=0.5, noise_sigma=(1.0, 15.0), poisson_scale=(0.05, 1.5),  # σ 1..25, ×0.05..2.5
        gray_noise_prob=0.4, quality=(40, 95),  # 30..95
    ),
)

#: the benchmark's fixed chain (any scale; resizes relative to HR/scale): a photo blurred by its optics, shrunk, noisy and compressed, then
#: shrunk again and re-compressed, as a web copy of a phone picture is; noise seeded by the image index
BENCH_CHAIN = Chain(
    first=Stage(BlurKernel(1.2, 1.2), 0.75, "area", NoiseModel("gaussian", 8.0), 75),
    second=Stage(BlurKernel(0.6, 0.6), 1.1, "linear", NoiseModel("poisson", 1.0, gray=True), None),
    final_method="cubic",
    final_quality=70,
)


def _draw_stage(r: StageRanges, rng: np.random.Generator, sizes: tuple[int, int], *, final: bool) -> Stage:
    blur = None
    if rng.random() < r.blur_prob:
        size = int(rng.choice(np.arange(sizes[0], sizes[1] + 1, 2)))
        if rng.random() < r.aniso_prob:
            sx, sy = (float(rng.uniform(*r.blur_sigma)) for _ in range(2))
            blur = BlurKernel(sx, sy, float(rng.uniform(0.0, math.pi)), size)
        else:
            s = float(rng.uniform(*r.blur_sigma))
            blur = BlurKernel(s, s, 0.0, size)
    way = int(rng.choice(3, p=np.asarray(r.resize_probs)))
    factor = (float(rng.uniform(1.0, r.resize_range[1])), float(rng.uniform(r.resize_range[0], 1.0)), 1.0)[way]
    method: ResizeMethod = RESIZE_METHODS[int(rng.integers(0, 3))]
    gray = bool(rng.random() < r.gray_noise_prob)
    if rng.random() < r.gaussian_prob:
        noise = NoiseModel("gaussian", float(rng.uniform(*r.noise_sigma)), gray)
    else:
        noise = NoiseModel("poisson", float(rng.uniform(*r.poisson_scale)), gray)
    quality = None if final else int(rng.integers(r.quality[0], r.quality[1] + 1))
    return Stage(blur, factor, method, noise, quality)


def draw_chain(rng: np.random.Generator, ranges: ChainRanges = X2_RANGES) -> Chain:
    """One chain drawn from ``ranges``."""
    first = _draw_stage(ranges.first, rng, ranges.kernel_sizes, final=False)
    second = _draw_stage(ranges.second, rng, ranges.kernel_sizes, final=True)
    method: ResizeMethod = RESIZE_METHODS[int(rng.integers(0, 3))]
    q = ranges.second.quality
    return Chain(first, second, method, int(rng.integers(q[0], q[1] + 1)))


def _blur(x: np.ndarray, blur: BlurKernel) -> np.ndarray:
    import cv2

    k = blur.kernel().astype(np.float32)
    return np.stack([cv2.filter2D(p, -1, k, borderType=cv2.BORDER_REFLECT_101) for p in x])


def _noise(x: np.ndarray, noise: NoiseModel, rng: np.random.Generator) -> np.ndarray:
    shape = (1, *x.shape[1:]) if noise.gray else x.shape
    if noise.kind == "gaussian":
        n = rng.standard_normal(shape).astype(np.float32) * (noise.level / 255.0)
    else:
        base = x.mean(axis=0, keepdims=True) if noise.gray else x
        photons = np.clip(base, 0.0, 1.0) * 255.0
        n = ((rng.poisson(photons) - photons) / 255.0 * noise.level).astype(np.float32)
    return np.clip(x + n, 0.0, 1.0)


def _resize(x: np.ndarray, hw: tuple[int, int], method: ResizeMethod) -> np.ndarray:
    return np.clip(resize_planes(np.ascontiguousarray(x, dtype=np.float32), hw, method=method), 0.0, 1.0)


def _stage(x: np.ndarray, st: Stage, hw: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    if st.blur is not None:
        x = _blur(x, st.blur)
    x = _resize(x, hw, st.resize_method)
    if st.noise is not None:
        x = _noise(x, st.noise, rng)
    if st.quality is not None:
        x = jpeg(x, quality=st.quality)
    return x


def apply_chain(hr: np.ndarray, chain: Chain, scale: int, rng: np.random.Generator) -> np.ndarray:
    """The LR input ``(3, H // scale, W // scale)`` float32 (8-bit values) made from ``hr`` ``(3, H, W)``
    in [0, 1] by ``chain``; the noise comes from ``rng``. ``H`` and ``W`` should be multiples of ``scale``."""
    if hr.ndim != 3 or hr.shape[0] != 3:
        raise InputError(f"the real-world SR chain needs an RGB image (3, H, W), got shape {hr.shape}")
    h, w = hr.shape[1:]
    lh, lw = h // scale, w // scale
    x = np.ascontiguousarray(hr, dtype=np.float32)
    first = (max(1, round(h * chain.first.resize)), max(1, round(w * chain.first.resize)))
    x = _stage(x, chain.first, first, rng)
    second = (max(1, round(lh * chain.second.resize)), max(1, round(lw * chain.second.resize)))
    x = _stage(x, chain.second, second, rng)
    x = _resize(x, (lh, lw), chain.final_method)
    return jpeg(x, quality=chain.final_quality)


def degrade_real(hr: np.ndarray, scale: int, rng: np.random.Generator, ranges: ChainRanges = X2_RANGES) -> np.ndarray:
    """``hr`` through a chain drawn from ``ranges`` (one generator draws the chain, then its noise)."""
    return apply_chain(hr, draw_chain(rng, ranges), scale, rng)
