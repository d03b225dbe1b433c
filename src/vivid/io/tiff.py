"""A small TIFF encoder for 8- and 16-bit gray, gray + alpha, RGB and RGBA with metadata tags.

Pillow cannot write 16-bit RGB(A) TIFFs and OpenCV writes no ICC profile, EXIF or XMP; this encoder
writes every channel count at both depths through one path. Pixels are deflate-compressed in strips
with the horizontal-differencing predictor (lossless, read by libtiff, Pillow, OpenCV, Photoshop).
The directory (including EXIF and GPS sub-directories) is serialised by Pillow's
``ImageFileDirectory_v2``, which lays strips out after the directory.
"""

from __future__ import annotations

import zlib

import numpy as np
from PIL import TiffImagePlugin, TiffTags

from vivid.io.exif import exif_tags_for_tiff

_STRIP_BYTES = 1 << 18
_DEFLATE = 8
_PREDICTOR_HORIZONTAL = 2
_UNASSOCIATED_ALPHA = 2
_INCH = 2

# tag numbers (TIFF 6.0)
_WIDTH, _LENGTH, _BITS, _COMPRESSION, _PHOTOMETRIC = 256, 257, 258, 259, 262
_STRIP_OFFSETS, _SAMPLES, _ROWS_PER_STRIP, _STRIP_BYTE_COUNTS = 273, 277, 278, 279
_X_RES, _Y_RES, _PLANAR, _RES_UNIT, _PREDICTOR = 282, 283, 284, 296, 317
_EXTRA_SAMPLES, _SAMPLE_FORMAT, _XMP, _ICC = 338, 339, 700, 34675


def encode_tiff(
    array: np.ndarray,
    *,
    icc_profile: bytes | None = None,
    dpi: tuple[float, float] | None = None,
    exif: bytes | None = None,
    xmp: bytes | None = None,
    compress_level: int = 6,
) -> bytes:
    """Encode a uint8/uint16 array ``(H, W, C)`` (C in 1..4) as little-endian TIFF bytes.

    ``exif`` is TIFF-structured EXIF (``Exif\\0\\0`` prefix optional); its descriptive IFD0 tags and
    its EXIF and GPS sub-directories are written into the image's directory.
    """
    if array.ndim != 3 or array.shape[2] not in (1, 2, 3, 4) or array.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"TIFF encoder needs uint8/uint16 (H, W, 1..4), got {array.dtype} {array.shape}")
    height, width, channels = array.shape
    bits = 8 * array.dtype.itemsize
    strips, rows_per_strip = _compressed_strips(array, compress_level)

    ifd = TiffImagePlugin.ImageFileDirectory_v2(prefix=b"II")
    if exif:
        for tag, value in exif_tags_for_tiff(exif).items():
            ifd[tag] = value
    _set(ifd, _WIDTH, TiffTags.LONG, width)
    _set(ifd, _LENGTH, TiffTags.LONG, height)
    _set(ifd, _BITS, TiffTags.SHORT, (bits,) * channels)
    _set(ifd, _COMPRESSION, TiffTags.SHORT, _DEFLATE)
    _set(ifd, _PHOTOMETRIC, TiffTags.SHORT, 1 if channels <= 2 else 2)  # min-is-black or RGB
    _set(ifd, _SAMPLES, TiffTags.SHORT, channels)
    _set(ifd, _ROWS_PER_STRIP, TiffTags.LONG, rows_per_strip)
    _set(ifd, _PLANAR, TiffTags.SHORT, 1)
    _set(ifd, _PREDICTOR, TiffTags.SHORT, _PREDICTOR_HORIZONTAL)
    _set(ifd, _SAMPLE_FORMAT, TiffTags.SHORT, (1,) * channels)
    if channels in (2, 4):
        _set(ifd, _EXTRA_SAMPLES, TiffTags.SHORT, _UNASSOCIATED_ALPHA)
    if dpi:
        _set(ifd, _X_RES, TiffTags.RATIONAL, float(dpi[0]))
        _set(ifd, _Y_RES, TiffTags.RATIONAL, float(dpi[1]))
        _set(ifd, _RES_UNIT, TiffTags.SHORT, _INCH)
    if icc_profile:
        _set(ifd, _ICC, TiffTags.UNDEFINED, icc_profile)
    if xmp:
        _set(ifd, _XMP, TiffTags.BYTE, xmp)
    # Pillow's directory writer adds the end of the directory to these relative offsets
    offsets, position = [], 0
    for strip in strips:
        offsets.append(position)
        position += len(strip)
    _set(ifd, _STRIP_OFFSETS, TiffTags.LONG, tuple(offsets))
    _set(ifd, _STRIP_BYTE_COUNTS, TiffTags.LONG, tuple(len(s) for s in strips))

    header = b"II" + (42).to_bytes(2, "little") + (8).to_bytes(4, "little")
    return header + ifd.tobytes(len(header)) + b"".join(strips)


def _set(ifd: TiffImagePlugin.ImageFileDirectory_v2, tag: int, kind: int, value: object) -> None:
    ifd.tagtype[tag] = kind
    ifd[tag] = value


def _compressed_strips(array: np.ndarray, level: int) -> tuple[list[bytes], int]:
    height = array.shape[0]
    row_bytes = array[0].nbytes if height else 1
    rows_per_strip = max(1, min(height, _STRIP_BYTES // max(1, row_bytes)))
    little = array.astype(array.dtype.newbyteorder("<"), copy=False)
    strips = []
    for start in range(0, height, rows_per_strip):
        rows = little[start : start + rows_per_strip]
        # horizontal differencing per sample; unsigned subtraction wraps as the predictor defines
        diff = rows.copy()
        diff[:, 1:] -= rows[:, :-1]
        strips.append(zlib.compress(diff.tobytes(), level))
    return strips, rows_per_strip
