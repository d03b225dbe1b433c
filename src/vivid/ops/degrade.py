"""Seeded, pure degradations for benchmarks and training data.

Every function takes an image ``(C, H, W)`` float in [0, 1] (vivid's internal form) positionally, its
options keyword-only, and returns a new float32 ``(C, H, W)`` array; the input is never modified.
Random functions take ``seed``: an ``int`` (the same seed gives bit-identical output) or a
``numpy.random.Generator`` (whose state advances, for drawing many samples from one stream).

:class:`Degradation` chains steps parsed from a spec string such as ``"down:4,noise:25,jpeg:40"``.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from vivid.errors import ConfigError, InputError
from vivid.io.image import quantize as quantize_8bit
from vivid.io.image import to_uint
from vivid.ops.color import linear_to_srgb, rgb_to_gray, srgb_to_linear
from vivid.ops.resize import imresize

Seed = int | np.random.Generator


def _rng(seed: Seed) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0:
        return np.random.default_rng(int(seed))
    raise ConfigError(f"seed must be a non-negative int or a numpy Generator, got {seed!r}")


def _image(img: np.ndarray, op: str, channels: tuple[int, ...] | None = None) -> np.ndarray:
    a = np.asarray(img)
    if a.ndim != 3:
        raise InputError(f"{op} needs an image (C, H, W), got shape {a.shape}")
    if not np.issubdtype(a.dtype, np.floating):
        raise InputError(
            f"{op} needs a float image in [0, 1], got dtype {a.dtype}: convert with vivid.io first"
        )
    if channels is not None and a.shape[0] not in channels:
        want = " or ".join(str(c) for c in channels)
        raise InputError(f"{op} needs {want} channels, got shape {a.shape}")
    return a


def _positive(value: float, name: str, op: str, *, allow_zero: bool = False) -> float:
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ConfigError(f"{op}: {name} must be a number {bound}, got {value!r}")
    return float(value)


def _f32(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float32)


# ---------------------------------------------------------------------------------------------- resize


def downscale(img: np.ndarray, scale: float, *, kernel: str = "cubic", quantize: bool = True) -> np.ndarray:
    """Shrink ``(C, H, W)`` by ``scale`` (>= 1) with MATLAB ``imresize`` -> ``(C, ceil(H/s), ceil(W/s))``.

    ``quantize=True`` works on 8-bit levels as MATLAB does on uint8 images (the input rounded to 1/255
    steps, then each pass rounded, halves away from zero, and saturated): this is the
    LR input of the classical SR protocol (EVAL.md) when the HR image is mod-cropped to the scale first
    (:func:`vivid.ops.resize.modcrop`). ``kernel`` is ``"cubic"``, ``"lanczos3"`` or ``"linear"``.
    """
    a = _image(img, "downscale")
    s = _positive(scale, "scale", "downscale")
    if s < 1:
        raise ConfigError(f"downscale: scale must be >= 1 (the shrink factor), got {scale!r}")
    if s == 1:
        return _f32(a)
    return _f32(imresize(a, 1.0 / s, kernel=kernel, quantize=8 if quantize else None))


# ---------------------------------------------------------------------------------------------- noise


def add_gaussian_noise(
    img: np.ndarray, *, sigma: float, seed: Seed, clip: bool = False, quantize: bool = False
) -> np.ndarray:
    """Add white Gaussian noise of standard deviation ``sigma`` on the 0..255 scale (``sigma / 255`` here).

    The noise is drawn in float64 (``Generator.standard_normal``) and added in float, as the denoising
    protocol of EVAL.md prescribes. By default the result is neither clipped nor quantised; ``clip``
    clips to [0, 1] and ``quantize`` rounds to 8-bit levels (and clips). Benchmarks state which they used.
    """
    a = _image(img, "add_gaussian_noise")
    sd = _positive(sigma, "sigma", "add_gaussian_noise", allow_zero=True) / 255.0
    noisy = a.astype(np.float64) + sd * _rng(seed).standard_normal(a.shape)
    if quantize:
        noisy = quantize_8bit(noisy)
    elif clip:
        noisy = np.clip(noisy, 0.0, 1.0)
    return _f32(noisy)


# ---------------------------------------------------------------------------------------------- blur


def gaussian_blur(img: np.ndarray, *, sigma: float, truncate: float = 4.0) -> np.ndarray:
    """Isotropic Gaussian blur of each channel of ``(C, H, W)`` (std ``sigma`` pixels; 0 is a no-op).

    The kernel reaches ``truncate * sigma`` pixels each way; borders are mirrored (half-sample symmetric,
    MATLAB's 'symmetric').
    """
    from scipy.ndimage import gaussian_filter

    a = _image(img, "gaussian_blur")
    s = _positive(sigma, "sigma", "gaussian_blur", allow_zero=True)
    if s == 0:
        return _f32(a)
    out = gaussian_filter(a.astype(np.float64), sigma=(0.0, s, s), mode="reflect", truncate=truncate)
    return _f32(out)


def motion_kernel(length: float, angle: float) -> np.ndarray:
    """A normalised linear-motion kernel ``(KH, KW)`` (odd sizes, centred, point-symmetric).

    A box ``length`` pixels long at ``angle`` degrees counter-clockwise from the x axis: each pixel is
    weighted by the overlap of its extent along the line with ``[-length/2, length/2]`` times
    ``max(0, 1 - distance to the line)`` (the anti-aliasing of MATLAB ``fspecial('motion')``; the same
    taps at 0 and 90 degrees for odd lengths, not bit-identical otherwise). ``length <= 1`` gives the
    identity ``(1, 1)``.
    """
    ln = _positive(length, "length", "motion_blur")
    if not math.isfinite(angle):
        raise ConfigError(f"motion_blur: angle must be a finite number of degrees, got {angle!r}")
    if ln <= 1:
        return np.ones((1, 1), dtype=np.float64)
    r = int(math.ceil(ln / 2)) + 1
    cols, rows = np.meshgrid(np.arange(-r, r + 1), np.arange(-r, r + 1))
    theta = math.radians(angle)
    # image rows grow downwards, so "counter-clockwise" makes the line rise as x grows
    along = cols * math.cos(theta) - rows * math.sin(theta)
    across = cols * math.sin(theta) + rows * math.cos(theta)
    overlap = np.clip(np.minimum(along + 0.5, ln / 2) - np.maximum(along - 0.5, -ln / 2), 0.0, None)
    k = overlap * np.clip(1.0 - np.abs(across), 0.0, None)
    # the kernel is point-symmetric, so its empty outer rows (columns) come in pairs: trim them
    rows_used = np.flatnonzero(k.sum(axis=1) > 1e-12)
    cols_used = np.flatnonzero(k.sum(axis=0) > 1e-12)
    k = k[rows_used[0] : rows_used[-1] + 1, cols_used[0] : cols_used[-1] + 1]
    return k / k.sum()


def motion_blur(img: np.ndarray, *, length: float, angle: float) -> np.ndarray:
    """Linear motion blur of ``(C, H, W)`` with :func:`motion_kernel` (``length`` pixels, ``angle`` degrees
    counter-clockwise from horizontal); borders mirrored. The kernel is symmetric, so it moves no content."""
    from scipy.ndimage import correlate

    a = _image(img, "motion_blur")
    k = motion_kernel(length, angle)
    if k.shape == (1, 1):
        return _f32(a)
    out = correlate(a.astype(np.float64), k[None], mode="reflect")
    return _f32(out)


# ---------------------------------------------------------------------------------------------- JPEG


def jpeg(img: np.ndarray, *, quality: int, chroma_subsampling: bool = True) -> np.ndarray:
    """A real JPEG round trip in memory (Pillow/libjpeg): quantise to 8 bits, encode at ``quality``
    (1..100), decode. ``(1, H, W)`` gray or ``(3, H, W)`` RGB; colour uses 4:2:0 chroma subsampling unless
    ``chroma_subsampling=False`` (4:4:4). Deterministic for a given Pillow/libjpeg build."""
    from PIL import Image as PILImage

    a = _image(img, "jpeg", channels=(1, 3))
    if isinstance(quality, bool) or not isinstance(quality, (int, np.integer)) or not 1 <= quality <= 100:
        raise ConfigError(f"jpeg: quality must be an integer in 1..100, got {quality!r}")
    u8 = to_uint(a)
    pil = PILImage.fromarray(u8[0]) if a.shape[0] == 1 else PILImage.fromarray(np.moveaxis(u8, 0, -1))
    buf = io.BytesIO()
    pil.save(buf, format="JPEG", quality=int(quality), subsampling=2 if chroma_subsampling else 0)
    buf.seek(0)
    with PILImage.open(buf) as decoded:
        out = np.asarray(decoded.convert("L" if a.shape[0] == 1 else "RGB"), dtype=np.float32) / 255.0
    return _f32(out[None] if out.ndim == 2 else np.moveaxis(out, -1, 0))


# ---------------------------------------------------------------------------------------------- light, colour


def low_light(
    img: np.ndarray,
    *,
    exposure: float,
    gamma: float = 1.0,
    shot_noise: float = 0.0,
    read_noise: float = 0.0,
    noise_blur: float = 0.0,
    channel_corr: float = 0.0,
    seed: Seed,
) -> np.ndarray:
    """Simulate an under-exposed capture of ``(C, H, W)`` sRGB.

    In linear light (sRGB curve undone): ``x = exposure * linear ** gamma``, then Poisson-Gaussian sensor
    noise: ``shot_noise * Poisson(x / shot_noise)`` (variance ``shot_noise * x``) plus Gaussian read
    noise of std ``read_noise``, both in linear [0, 1] units; clip to [0, 1] and re-encode as sRGB.
    ``exposure`` in (0, 1] darkens (e.g. 0.1 is about 3.3 stops); ``gamma > 1`` darkens shadows more.

    A camera's pipeline (demosaicing, its own denoising, colour matrices) makes that noise spatially and
    channel-correlated; ``noise_blur`` > 0 filters the noise field with a Gaussian of that std (pixels) and
    ``channel_corr`` in [0, 1] is the share of its variance common to all channels. Both keep the noise's
    per-pixel variance; 0 and 0 give independent noise (and the same draws as before they existed).
    """
    a = _image(img, "low_light")
    e = _positive(exposure, "exposure", "low_light")
    g = _positive(gamma, "gamma", "low_light")
    k = _positive(shot_noise, "shot_noise", "low_light", allow_zero=True)
    rd = _positive(read_noise, "read_noise", "low_light", allow_zero=True)
    blur = _positive(noise_blur, "noise_blur", "low_light", allow_zero=True)
    rho = _positive(channel_corr, "channel_corr", "low_light", allow_zero=True)
    if rho > 1.0:
        raise ConfigError(f"low_light: channel_corr must be in [0, 1], got {channel_corr}")
    rng = _rng(seed)
    x = e * np.clip(srgb_to_linear(a.astype(np.float64)), 0.0, 1.0) ** g
    if blur == 0.0 and rho == 0.0:
        if k > 0:
            x = k * rng.poisson(x / k).astype(np.float64)
        if rd > 0:
            x = x + rd * rng.standard_normal(x.shape)
        return _f32(linear_to_srgb(np.clip(x, 0.0, 1.0)))
    std = np.sqrt(k * x + rd * rd)  # the Poisson-Gaussian noise's per-pixel std, as a Gaussian
    z = rng.standard_normal(x.shape)
    if rho > 0.0 and x.shape[-3] > 1:
        z = math.sqrt(1.0 - rho) * z + math.sqrt(rho) * rng.standard_normal((1, *x.shape[-2:]))
    if blur > 0.0:
        from scipy.ndimage import gaussian_filter

        sigma = [0.0] * (z.ndim - 2) + [blur, blur]
        z = gaussian_filter(z, sigma=sigma, mode="reflect")
        impulse = np.zeros((8 * int(math.ceil(blur)) + 1,) * 2)
        impulse[impulse.shape[0] // 2, impulse.shape[1] // 2] = 1.0
        z = z / math.sqrt(float((gaussian_filter(impulse, sigma=blur, mode="constant") ** 2).sum()))
    return _f32(linear_to_srgb(np.clip(x + std * z, 0.0, 1.0)))


def to_grayscale(img: np.ndarray, *, keep_channels: bool = True) -> np.ndarray:
    """BT.601 gray (MATLAB ``rgb2gray`` weights) of ``(3, H, W)``: ``(3, H, W)`` with three equal channels
    (so that an RGB model can take it), or ``(1, H, W)`` with ``keep_channels=False``."""
    a = _image(img, "to_grayscale", channels=(3,))
    gray = rgb_to_gray(a.astype(np.float64))
    return _f32(np.repeat(gray, 3, axis=0) if keep_channels else gray)


# CIE 1931 xy of a Planckian radiator, Kim et al. (2002) cubic-spline fit, valid 1667..25000 K.
def _planck_xy(kelvin: float) -> tuple[float, float]:
    t = kelvin
    if t <= 4000:
        x = -0.2661239e9 / t**3 - 0.2343589e6 / t**2 + 0.8776956e3 / t + 0.179910
    else:
        x = -3.0258469e9 / t**3 + 2.1070379e6 / t**2 + 0.2226347e3 / t + 0.240390
    if t <= 2222:
        y = -1.1063814 * x**3 - 1.34811020 * x**2 + 2.18555832 * x - 0.20219683
    elif t <= 4000:
        y = -0.9549476 * x**3 - 1.37418593 * x**2 + 2.09137015 * x - 0.16748867
    else:
        y = 3.0817580 * x**3 - 5.87338670 * x**2 + 3.75112997 * x - 0.37001483
    return x, y


_REFERENCE_KELVIN = 6504.0
# linear sRGB (D65) from XYZ, IEC 61966-2-1
_XYZ_TO_LINEAR = np.linalg.inv(
    np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
)


def temperature_gains(kelvin: float) -> tuple[float, float, float]:
    """Linear-light (r, g, b) gains that turn a D65-balanced image into one lit at ``kelvin`` (1667..25000)
    without white balance: 6504 K gives (1, 1, 1); lower is warmer (r > b), higher bluer. The gains keep
    the luminance of white."""
    if not (isinstance(kelvin, (int, float)) and 1667 <= kelvin <= 25000):
        raise ConfigError(f"color_cast: temperature must be in 1667..25000 kelvin, got {kelvin!r}")

    def rgb(t: float) -> np.ndarray:
        x, y = _planck_xy(t)
        return _XYZ_TO_LINEAR @ np.array([x / y, 1.0, (1.0 - x - y) / y])

    g = rgb(float(kelvin)) / rgb(_REFERENCE_KELVIN)
    g = g / float(np.array([0.2126, 0.7152, 0.0722]) @ g)
    return float(g[0]), float(g[1]), float(g[2])


def color_cast(
    img: np.ndarray,
    *,
    gains: Sequence[float] | None = None,
    temperature: float | None = None,
) -> np.ndarray:
    """Tint ``(3, H, W)`` sRGB by per-channel ``gains`` (r, g, b) applied in linear light, or by the gains
    of an illuminant ``temperature`` in kelvin (:func:`temperature_gains`). Give exactly one; the result
    is clipped to [0, 1]."""
    a = _image(img, "color_cast", channels=(3,))
    if (gains is None) == (temperature is None):
        raise ConfigError("color_cast needs exactly one of gains=(r, g, b) or temperature=<kelvin>")
    if gains is not None:
        gs = tuple(gains)
        if len(gs) != 3:
            raise ConfigError(f"color_cast: gains must be three numbers (r, g, b), got {gains!r}")
        g = np.array([_positive(v, "gains", "color_cast", allow_zero=True) for v in gs])
    else:
        g = np.array(temperature_gains(temperature))  # type: ignore[arg-type]
    lin = srgb_to_linear(a.astype(np.float64)) * g[:, None, None]
    return _f32(linear_to_srgb(np.clip(lin, 0.0, 1.0)))


# ---------------------------------------------------------------------------------------------- pipeline

# A step argument: a fixed value or a range (lo, hi) drawn uniformly each time the step runs.
Param = float | tuple[float, float]


def _draw(p: Param, rng: np.random.Generator, *, integer: bool = False) -> float:
    if isinstance(p, tuple):
        lo, hi = p
        return float(rng.integers(int(lo), int(hi) + 1)) if integer else float(rng.uniform(lo, hi))
    return float(p)


def _fmt(p: Param) -> str:
    def num(v: float) -> str:
        return f"{v:g}"

    return f"{num(p[0])}..{num(p[1])}" if isinstance(p, tuple) else num(p)


@dataclass(frozen=True)
class Down:
    """``down:S`` or ``down:S/kernel`` — :func:`downscale` by S (MATLAB bicubic, 8-bit passes)."""

    scale: float
    kernel: str = "cubic"
    name: ClassVar[str] = "down"

    def apply(self, img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return downscale(img, self.scale, kernel=self.kernel)

    def spec(self) -> str:
        return f"down:{_fmt(self.scale)}" + ("" if self.kernel == "cubic" else f"/{self.kernel}")


@dataclass(frozen=True)
class Noise:
    """``noise:SIGMA`` — :func:`add_gaussian_noise` (0..255 scale), clipped to [0, 1], not quantised."""

    sigma: Param
    name: ClassVar[str] = "noise"

    def apply(self, img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return add_gaussian_noise(img, sigma=_draw(self.sigma, rng), seed=rng, clip=True)

    def spec(self) -> str:
        return f"noise:{_fmt(self.sigma)}"


@dataclass(frozen=True)
class Jpeg:
    """``jpeg:Q`` — :func:`jpeg` round trip at quality Q (1..100)."""

    quality: Param
    name: ClassVar[str] = "jpeg"

    def apply(self, img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return jpeg(img, quality=int(_draw(self.quality, rng, integer=True)))

    def spec(self) -> str:
        return f"jpeg:{_fmt(self.quality)}"


@dataclass(frozen=True)
class Blur:
    """``blur:SIGMA`` — :func:`gaussian_blur` with std SIGMA pixels."""

    sigma: Param
    name: ClassVar[str] = "blur"

    def apply(self, img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return gaussian_blur(img, sigma=_draw(self.sigma, rng))

    def spec(self) -> str:
        return f"blur:{_fmt(self.sigma)}"


@dataclass(frozen=True)
class Motion:
    """``motion:LENGTH/ANGLE`` — :func:`motion_blur`, LENGTH pixels at ANGLE degrees."""

    length: Param
    angle: Param = 0.0
    name: ClassVar[str] = "motion"

    def apply(self, img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return motion_blur(img, length=_draw(self.length, rng), angle=_draw(self.angle, rng))

    def spec(self) -> str:
        return f"motion:{_fmt(self.length)}/{_fmt(self.angle)}"


@dataclass(frozen=True)
class LowLight:
    """``lowlight:EXPOSURE[/GAMMA[/SHOT[/READ]]]`` — :func:`low_light`."""

    exposure: Param
    gamma: Param = 1.0
    shot_noise: Param = 0.0
    read_noise: Param = 0.0
    name: ClassVar[str] = "lowlight"

    def apply(self, img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return low_light(
            img,
            exposure=_draw(self.exposure, rng),
            gamma=_draw(self.gamma, rng),
            shot_noise=_draw(self.shot_noise, rng),
            read_noise=_draw(self.read_noise, rng),
            seed=rng,
        )

    def spec(self) -> str:
        parts = (self.exposure, self.gamma, self.shot_noise, self.read_noise)
        return "lowlight:" + "/".join(_fmt(p) for p in parts)


@dataclass(frozen=True)
class Gray:
    """``gray`` — :func:`to_grayscale`, keeping three equal channels."""

    name: ClassVar[str] = "gray"

    def apply(self, img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return to_grayscale(img)

    def spec(self) -> str:
        return "gray"


@dataclass(frozen=True)
class Cast:
    """``cast:KELVIN`` or ``cast:R/G/B`` — :func:`color_cast` by temperature or by linear gains."""

    temperature: Param | None = None
    gains: tuple[float, float, float] | None = None
    name: ClassVar[str] = "cast"

    def apply(self, img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if self.gains is not None:
            return color_cast(img, gains=self.gains)
        return color_cast(img, temperature=_draw(self.temperature, rng))  # type: ignore[arg-type]

    def spec(self) -> str:
        if self.gains is not None:
            return "cast:" + "/".join(_fmt(g) for g in self.gains)
        return f"cast:{_fmt(self.temperature)}"  # type: ignore[arg-type]


Step = Down | Noise | Jpeg | Blur | Motion | LowLight | Gray | Cast
_STEPS: dict[str, type] = {c.name: c for c in (Down, Noise, Jpeg, Blur, Motion, LowLight, Gray, Cast)}
_EXAMPLE = "e.g. 'down:4,noise:25,jpeg:40' or 'blur:0.5..2,noise:5..50'"


def _parse_param(text: str, step: str) -> Param:
    try:
        if ".." in text:
            lo_s, hi_s = text.split("..", 1)
            lo, hi = float(lo_s), float(hi_s)
            if not (math.isfinite(lo) and math.isfinite(hi) and lo <= hi):
                raise ValueError
            return (lo, hi)
        v = float(text)
        if not math.isfinite(v):
            raise ValueError
        return v
    except ValueError:
        raise ConfigError(
            f"degradation step {step!r}: {text!r} is not a number or a range LO..HI; {_EXAMPLE}"
        ) from None


def _values(params: Sequence[Param]) -> list[float]:
    """Every number a step's arguments mention (both ends of ranges)."""
    return [v for p in params for v in (p if isinstance(p, tuple) else (p,))]


@dataclass(frozen=True)
class _Syntax:
    usage: str
    min_args: int
    max_args: int
    #: True when the parsed arguments are acceptable
    valid: Callable[[list[Param]], bool]


def _fixed(params: Sequence[Param]) -> bool:
    return not any(isinstance(p, tuple) for p in params)


_SYNTAX: dict[str, _Syntax] = {
    "down": _Syntax("'down:S' or 'down:S/KERNEL' (one number S >= 1, no range)", 1, 2,
                    lambda p: _fixed(p) and p[0] >= 1),
    "noise": _Syntax("'noise:SIGMA' (0..255 scale, >= 0)", 1, 1, lambda p: min(_values(p)) >= 0),
    "jpeg": _Syntax("'jpeg:Q' (integer quality 1..100)", 1, 1,
                    lambda p: all(1 <= v <= 100 and v == int(v) for v in _values(p))),
    "blur": _Syntax("'blur:SIGMA' (pixels, >= 0)", 1, 1, lambda p: min(_values(p)) >= 0),
    "motion": _Syntax("'motion:LENGTH' or 'motion:LENGTH/ANGLE' (pixels > 0, degrees)", 1, 2,
                      lambda p: min(_values(p[:1])) > 0),
    "lowlight": _Syntax("'lowlight:EXPOSURE[/GAMMA[/SHOT[/READ]]]' (exposure, gamma > 0; noise >= 0)", 1, 4,
                        lambda p: min(_values(p[:2])) > 0 and min(_values(p[2:]), default=0) >= 0),
    "gray": _Syntax("no arguments: 'gray'", 0, 0, lambda p: True),
    "cast": _Syntax("'cast:KELVIN' (1667..25000) or 'cast:R/G/B' (linear gains >= 0, no ranges)", 1, 3,
                    lambda p: (len(p) == 1 and all(1667 <= v <= 25000 for v in _values(p)))
                    or (len(p) == 3 and _fixed(p) and min(_values(p)) >= 0)),
}  # fmt: skip
_KERNEL_NAMES = ("cubic", "lanczos3", "linear")


def _parse_step(text: str) -> Step:
    name, _, rest = text.partition(":")
    name = name.strip().lower()
    if name not in _SYNTAX:
        raise ConfigError(
            f"unknown degradation step {name!r} in {text!r}: use one of {sorted(_SYNTAX)}; {_EXAMPLE}"
        )
    syntax = _SYNTAX[name]
    args = [a.strip() for a in rest.split("/")] if rest.strip() else []
    if not syntax.min_args <= len(args) <= syntax.max_args:
        raise ConfigError(f"degradation step {text!r} takes {syntax.usage}; {_EXAMPLE}")
    kernel = "cubic"
    if name == "down" and len(args) == 2:
        kernel = args.pop()
        if kernel not in _KERNEL_NAMES:
            raise ConfigError(f"degradation step {text!r}: the kernel must be one of {_KERNEL_NAMES}")
    params = [_parse_param(a, text) for a in args]
    # values are validated once here, at the edge, rather than on the first image
    if not syntax.valid(params):
        raise ConfigError(f"degradation step {text!r} has a value out of range; it takes {syntax.usage}")
    if name == "down":
        return Down(_values(params)[0], kernel)
    if name == "cast":
        if len(params) == 3:
            r, g, b = _values(params)  # no ranges here: checked by the syntax
            return Cast(gains=(r, g, b))
        return Cast(temperature=params[0])
    return _STEPS[name](*params)


@dataclass(frozen=True)
class Degradation:
    """An ordered chain of degradation steps, applied left to right.

    Build it from a spec string with :meth:`parse` (``"down:4,noise:25,jpeg:40"``); ``str()`` gives the
    canonical spec back. Arguments may be ranges ``LO..HI`` (``"noise:5..50"``), drawn uniformly (integers
    for JPEG quality) from the call's seed each time the chain runs; the scale of ``down`` is fixed so
    that output sizes are known. One seed drives the whole chain, so the same seed gives the same output.
    """

    steps: tuple[Step, ...]

    def __post_init__(self) -> None:
        steps = tuple(self.steps)
        for s in steps:
            if not isinstance(s, tuple(_STEPS.values())):
                raise ConfigError(f"a Degradation step must be one of {sorted(_STEPS)}, got {s!r}")
        object.__setattr__(self, "steps", steps)

    @classmethod
    def parse(cls, spec: str) -> Degradation:
        """Parse ``"step:arg/arg,step:arg,..."``; raise :class:`~vivid.errors.ConfigError` on a bad spec."""
        if not isinstance(spec, str) or not spec.strip():
            raise ConfigError(f"empty degradation spec {spec!r}; {_EXAMPLE}")
        parts = spec.split(",")
        if any(not part.strip() for part in parts):
            raise ConfigError(f"degradation spec {spec!r} has an empty step (two commas or a trailing comma)")
        return cls(tuple(_parse_step(part) for part in parts))

    @property
    def scale(self) -> float:
        """The total shrink factor (the product of the ``down`` steps; 1 when there is none)."""
        return math.prod(s.scale for s in self.steps if isinstance(s, Down))

    def __call__(self, img: np.ndarray, *, seed: Seed) -> np.ndarray:
        """Apply the chain to ``(C, H, W)`` float [0, 1]; returns float32 ``(C', H', W')``."""
        rng = _rng(seed)
        out = _f32(_image(img, "Degradation"))
        for step in self.steps:
            out = step.apply(out, rng)
        return out

    def __str__(self) -> str:
        return ",".join(s.spec() for s in self.steps)
