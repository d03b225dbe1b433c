"""vivid's one internal image form.

An :class:`Image` holds ``pixels``: a float32 numpy array of shape ``(C, H, W)`` with values in
``[0, 1]``, where ``C`` is 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA). ``meta`` carries what the
reader found (bit depth, EXIF, ICC profile, DPI, format) to the writer. All conversions from and to
file formats, uint8/uint16 and PIL happen in :mod:`vivid.io` and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from vivid.errors import InputError


@dataclass(frozen=True)
class ImageMeta:
    """What travels with the pixels from reader to writer."""

    bit_depth: int = 8
    exif: bytes | None = None
    icc_profile: bytes | None = None
    dpi: tuple[float, float] | None = None
    source_format: str | None = None
    source_path: Path | None = None
    #: free-form text (PNG tEXt/iTXt) to write, e.g. vivid's provenance record
    text: dict[str, str] = field(default_factory=dict)
    #: a JPEG file's quality (IJG 1-100, from its quantization table: :mod:`vivid.io.jpeg_quality`); None
    #: for other formats and for pixels that did not come from a file
    jpeg_quality: int | None = None

    def stripped(self) -> ImageMeta:
        """The same record without EXIF, ICC profile, DPI and text."""
        return replace(self, exif=None, icc_profile=None, dpi=None, text={})


@dataclass(frozen=True)
class Image:
    """Pixels ``(C, H, W)`` float32 in [0, 1] plus their :class:`ImageMeta`."""

    pixels: np.ndarray
    meta: ImageMeta = field(default_factory=ImageMeta)

    def __post_init__(self) -> None:
        p = self.pixels
        if not isinstance(p, np.ndarray) or p.ndim != 3 or p.shape[0] not in (1, 2, 3, 4):
            shape = getattr(p, "shape", type(p).__name__)
            raise InputError(f"Image pixels must be a (C, H, W) array with C in 1..4, got {shape}")
        if p.dtype != np.float32:
            raise InputError(f"Image pixels must be float32 in [0, 1], got dtype {p.dtype}")

    @property
    def channels(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def width(self) -> int:
        return int(self.pixels.shape[2])

    @property
    def has_alpha(self) -> bool:
        return self.channels in (2, 4)

    @property
    def is_gray(self) -> bool:
        """True when the stored colour channels are one gray channel."""
        return self.channels in (1, 2)

    @property
    def color(self) -> np.ndarray:
        """The colour channels without alpha, ``(1 or 3, H, W)``."""
        return self.pixels[:-1] if self.has_alpha else self.pixels

    @property
    def alpha(self) -> np.ndarray | None:
        """The alpha channel ``(1, H, W)`` or None."""
        return self.pixels[-1:] if self.has_alpha else None

    def with_pixels(self, pixels: np.ndarray) -> Image:
        """A new image with other pixels and the same metadata."""
        return Image(np.ascontiguousarray(pixels, dtype=np.float32), self.meta)

    def rgb(self) -> np.ndarray:
        """The colour channels as RGB ``(3, H, W)`` (gray is repeated)."""
        c = self.color
        return np.repeat(c, 3, axis=0) if c.shape[0] == 1 else c


def from_array(array: np.ndarray, *, channels_last: bool = True, meta: ImageMeta | None = None) -> Image:
    """Make an :class:`Image` from a uint8/uint16/float array ``(H, W)``, ``(H, W, C)`` or ``(C, H, W)``.

    uint8 and uint16 are scaled by 255 and 65535; float arrays must already be in [0, 1].
    """
    a = np.asarray(array)
    if a.ndim == 2:
        a = a[None]
    elif a.ndim == 3 and channels_last:
        a = np.moveaxis(a, -1, 0)
    elif a.ndim != 3:
        raise InputError(f"an image array must have 2 or 3 dimensions, got shape {a.shape}")
    bit_depth = 8
    if a.dtype == np.uint8:
        f = a.astype(np.float32) / 255.0
    elif a.dtype == np.uint16:
        f = a.astype(np.float32) / 65535.0
        bit_depth = 16
    elif np.issubdtype(a.dtype, np.floating):
        f = a.astype(np.float32)
        if f.size and (float(f.min()) < -1e-6 or float(f.max()) > 1 + 1e-6):
            raise InputError(
                f"float image arrays must be in [0, 1], got range [{f.min():.3g}, {f.max():.3g}]"
            )
    else:
        raise InputError(f"unsupported image array dtype {a.dtype}: use uint8, uint16 or float in [0, 1]")
    m = meta or ImageMeta(bit_depth=bit_depth)
    return Image(np.ascontiguousarray(f), m)


def round_half_away(x: np.ndarray) -> np.ndarray:
    """Round to the nearest integer, halves away from zero (2.5 -> 3, -2.5 -> -3), keeping the dtype.

    This is MATLAB's ``round`` and its conversion to integer classes (``uint8(x)``, ``im2uint8``), which the
    classical SR protocol's numbers come from; numpy's ``rint`` rounds halves to even (2.5 -> 2). Exact for
    every float (``x - trunc(x)`` is computed without error; ``floor(x + 0.5)`` is not, for x just below 0.5).
    """
    t = np.trunc(x)
    return t + np.where(np.abs(x - t) >= 0.5, np.sign(x), 0)


def to_levels(pixels: np.ndarray, bit_depth: int = 8) -> np.ndarray:
    """Float [0, 1] pixels as integer levels 0..255 or 0..65535 (same float dtype), as MATLAB's ``im2uint8`` /
    ``im2uint16`` make them: scaled, rounded half away from zero, saturated."""
    if bit_depth not in (8, 16):
        raise InputError(f"bit depth must be 8 or 16, got {bit_depth}")
    peak = float(2**bit_depth - 1)
    # The same as clip(round_half_away(x)), in under half its time (this runs on every image written): clipping
    # to integer bounds commutes with rounding, and on x >= 0 rint differs from halves-away only at the ties
    # it sends down to an even level (x - rint(x) is exact there).
    x = np.clip(pixels * peak, 0, peak)
    r = np.rint(x)
    r += (x - r) == 0.5
    return r


def to_uint(pixels: np.ndarray, bit_depth: int = 8) -> np.ndarray:
    """Quantise float [0, 1] pixels to uint8 or uint16 as MATLAB's ``im2uint8`` / ``im2uint16`` do
    (:func:`to_levels`: halves rounded away from zero)."""
    return to_levels(pixels, bit_depth).astype(np.uint8 if bit_depth == 8 else np.uint16)


def quantize(pixels: np.ndarray, bit_depth: int = 8) -> np.ndarray:
    """Round float pixels to the nearest representable value at ``bit_depth`` (stays float32), halves away
    from zero as :func:`to_uint` does."""
    return (to_levels(pixels, bit_depth) / float(2**bit_depth - 1)).astype(np.float32)
