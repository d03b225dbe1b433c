"""The quality a JPEG file was saved at, read from its luminance quantization table.

Encoders built on libjpeg (Pillow, ImageMagick, most web tools) scale the standard table of the JPEG
specification (Annex K.1) by the IJG quality 1-100; cameras and phones write tables of their own. Either way
the IJG quality whose table is closest (least absolute difference over the 64 entries) says how hard the file
was compressed: exact for libjpeg's files, an equivalent for the others.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import numpy as np

__all__ = ["ijg_table", "jpeg_quality", "saved_quality"]

#: the luminance table of ITU-T T.81 Annex K.1, row by row (the order Pillow gives a file's tables in)
_K1_LUMA = (
    16, 11, 10, 16, 24, 40, 51, 61,
    12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77,
    24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101,
    72, 92, 95, 98, 112, 100, 103, 99,
)


def ijg_table(quality: int) -> np.ndarray:
    """The luminance table libjpeg writes at ``quality`` (1-100, baseline: entries clamped to 1-255)."""
    q = min(max(int(quality), 1), 100)
    scale = 5000 // q if q < 50 else 200 - 2 * q
    return np.clip((np.array(_K1_LUMA, dtype=np.int64) * scale + 50) // 100, 1, 255)


@cache
def _tables() -> np.ndarray:
    return np.stack([ijg_table(q) for q in range(1, 101)])


def jpeg_quality(quantization: Mapping[int, Sequence[int]] | None) -> int | None:
    """The IJG quality (1-100) whose luminance table is closest to table 0 of ``quantization`` (Pillow's
    ``Image.quantization`` of a JPEG file), or None without a usable 64-entry table."""
    if not quantization or 0 not in quantization:
        return None
    table = np.asarray(list(quantization[0]), dtype=np.int64)
    if table.shape != (64,):
        return None
    distance = np.abs(_tables() - table).sum(axis=1)
    return int(np.argmin(distance)) + 1


def saved_quality(im: Any) -> int | None:
    """:func:`jpeg_quality` of a Pillow image opened from a JPEG file; None for any other image."""
    return jpeg_quality(getattr(im, "quantization", None)) if getattr(im, "format", None) == "JPEG" else None
