"""A small PNG encoder for 8- and 16-bit gray, gray + alpha, RGB and RGBA with metadata chunks.

Pillow cannot write 16-bit RGB(A) or gray + alpha PNGs, and OpenCV writes no metadata chunks; this
encoder writes every channel count at both depths through one path, so ICC profile, DPI, EXIF and
text travel identically for all of them. Rows are filtered with libpng's heuristic (per row, the
filter whose output has the smallest sum of absolute signed bytes) and deflated with zlib.
"""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any, BinaryIO

import numpy as np

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

_COLOR_TYPE = {1: 0, 2: 4, 3: 2, 4: 6}  # channels -> PNG colour type (gray, gray+alpha, RGB, RGBA)
_METERS_PER_INCH = 0.0254
_ROWS_BYTES_PER_BLOCK = 1 << 20  # filter this many bytes of rows at a time to bound memory
_IDAT_CHUNK = 1 << 20
#: iTXt values longer than this are zlib-compressed
_COMPRESS_TEXT_OVER = 1024


def chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data, CRC."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_png(
    array: np.ndarray,
    *,
    icc_profile: bytes | None = None,
    dpi: tuple[float, float] | None = None,
    exif: bytes | None = None,
    text: dict[str, str] | None = None,
    compress_level: int = 6,
) -> bytes:
    """Encode a uint8/uint16 array ``(H, W, C)`` (C in 1..4) as PNG bytes.

    ``exif`` is TIFF-structured EXIF, with or without the ``Exif\\0\\0`` APP1 prefix. ``text``
    becomes one iTXt chunk per key (UTF-8); keys must be valid PNG keywords (checked by the caller).
    """
    if array.ndim != 3 or array.shape[2] not in _COLOR_TYPE or array.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"PNG encoder needs uint8/uint16 (H, W, 1..4), got {array.dtype} {array.shape}")
    height, width, channels = array.shape
    buffer = io.BytesIO()
    writer = PngWriter(
        buffer, width=width, height=height, channels=channels, bit_depth=8 * array.dtype.itemsize,
        icc_profile=icc_profile, dpi=dpi, exif=exif, text=text, compress_level=compress_level,
    )
    writer.write_rows(array)
    writer.close()
    return buffer.getvalue()


class PngWriter:
    """Write a PNG to a binary file object row block by row block (memory: one block, not the image).

    Give the header facts up front, then call :meth:`write_rows` with uint8/uint16 ``(n, W, C)``
    blocks of any height, top to bottom, and :meth:`close` after the last row. Compressed data goes
    out in IDAT chunks of at most 1 MiB as it is produced. The bytes equal :func:`encode_png`'s.
    """

    def __init__(
        self,
        file: BinaryIO,
        *,
        width: int,
        height: int,
        channels: int,
        bit_depth: int = 8,
        icc_profile: bytes | None = None,
        dpi: tuple[float, float] | None = None,
        exif: bytes | None = None,
        text: dict[str, str] | None = None,
        compress_level: int = 6,
    ) -> None:
        if channels not in _COLOR_TYPE or bit_depth not in (8, 16) or width < 1 or height < 1:
            raise ValueError(
                f"PNG writer needs 1..4 channels, 8 or 16 bits and a non-empty size, got {channels} "
                f"channels, {bit_depth} bits, {width}x{height}"
            )
        self._file = file
        self.width, self.height, self.channels, self.bit_depth = width, height, channels, bit_depth
        self._dtype = np.dtype(np.uint8 if bit_depth == 8 else np.uint16)
        self._level = compress_level
        self._compressor: Any = None
        self._pending = bytearray()  # compressed bytes not yet written as an IDAT chunk
        self._head = bytearray()  # filtered rows waiting for the choice of deflate strategy
        self._prev = np.zeros((1, width * channels * self._dtype.itemsize), np.uint8)
        self.rows_written = 0
        self._closed = False
        parts = [
            PNG_SIGNATURE,
            chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, _COLOR_TYPE[channels], 0, 0, 0)),
        ]
        if icc_profile:
            parts.append(chunk(b"iCCP", b"ICC Profile\0\0" + zlib.compress(icc_profile)))
        if dpi:
            ppm = [max(1, round(d / _METERS_PER_INCH)) for d in dpi]
            parts.append(chunk(b"pHYs", struct.pack(">IIB", ppm[0], ppm[1], 1)))
        if exif:
            parts.append(chunk(b"eXIf", exif[6:] if exif.startswith(b"Exif\0\0") else exif))
        for key, value in (text or {}).items():
            parts.append(chunk(b"iTXt", _itxt(key, value)))
        file.write(b"".join(parts))

    def write_rows(self, rows: np.ndarray) -> None:
        """Append ``rows`` (uint8/uint16 ``(n, W, C)``, the writer's depth) below those written so far."""
        if self._closed:
            raise ValueError("PNG writer is closed")
        expected = (self.width, self.channels)
        if rows.ndim != 3 or rows.shape[1:] != expected or rows.dtype != self._dtype:
            raise ValueError(
                f"PNG writer takes {self._dtype} rows (n, {self.width}, {self.channels}), "
                f"got {rows.dtype} {rows.shape}"
            )
        if self.rows_written + rows.shape[0] > self.height:
            raise ValueError(f"PNG writer got more than the {self.height} rows of its header")
        raw = rows.astype(self._dtype.newbyteorder(">"), copy=False).reshape(rows.shape[0], -1).view(np.uint8)
        bpp = self.channels * self._dtype.itemsize
        block = max(1, _ROWS_BYTES_PER_BLOCK // max(1, raw.shape[1]))
        for start in range(0, raw.shape[0], block):
            cur = raw[start : start + block]
            filtered = _filter_rows(cur, np.concatenate([self._prev, cur[:-1]]), bpp).tobytes()
            self._prev = cur[-1:].copy()
            if self._compressor is None:
                # the deflate strategy is chosen on the first block of rows, however the rows arrive
                self._head += filtered
                sample = block * (raw.shape[1] + 1)
                if len(self._head) >= sample:
                    self._start(bytes(self._head[:sample]))
                continue
            self._emit(self._compressor.compress(filtered))
        self.rows_written += rows.shape[0]

    def _start(self, sample: bytes) -> None:
        self._compressor = zlib.compressobj(self._level, zlib.DEFLATED, 15, 9, _strategy(sample, self._level))
        head, self._head = bytes(self._head), bytearray()
        self._emit(self._compressor.compress(head))

    def _emit(self, data: bytes, *, final: bool = False) -> None:
        self._pending += data
        while len(self._pending) >= _IDAT_CHUNK or (final and self._pending):
            piece = bytes(self._pending[:_IDAT_CHUNK])
            del self._pending[:_IDAT_CHUNK]
            self._file.write(chunk(b"IDAT", piece))

    def close(self, *, text: dict[str, str] | None = None) -> None:
        """Finish the pixel data and write IEND; all ``height`` rows must have been written.

        ``text`` becomes iTXt chunks after the pixel data (PNG allows them there; decoders read them
        once the image is loaded): for facts known only at the end, such as how long the work took.
        """
        if self._closed:
            return
        if self.rows_written != self.height:
            raise ValueError(f"PNG writer got {self.rows_written} of the {self.height} rows of its header")
        if self._compressor is None:
            self._start(bytes(self._head))
        self._emit(self._compressor.flush(), final=True)
        for key, value in (text or {}).items():
            self._file.write(chunk(b"iTXt", _itxt(key, value)))
        self._file.write(chunk(b"IEND", b""))
        self._closed = True


def _itxt(key: str, value: str) -> bytes:
    data = value.encode("utf-8")
    compressed = len(data) > _COMPRESS_TEXT_OVER
    if compressed:
        data = zlib.compress(data)
    # keyword \0 compression-flag method language \0 translated-keyword \0 text
    return key.encode("latin-1") + b"\0" + bytes([int(compressed), 0]) + b"\0\0" + data


def _strategy(sample: bytes, level: int) -> int:
    """Z_RLE when it does as well on a sample of filtered rows (photos), else zlib's default.

    On noisy photographs run-length deflate is ten times faster than the default strategy and at least
    as small; on graphics with repeated patterns it is many times larger, so the sample decides.
    """
    rle = zlib.compressobj(level, zlib.DEFLATED, 15, 9, zlib.Z_RLE)
    default = zlib.compressobj(level, zlib.DEFLATED, 15, 9, zlib.Z_DEFAULT_STRATEGY)
    rle_size = len(rle.compress(sample) + rle.flush())
    default_size = len(default.compress(sample) + default.flush())
    return zlib.Z_RLE if rle_size <= default_size else zlib.Z_DEFAULT_STRATEGY


def _filter_rows(cur: np.ndarray, up: np.ndarray, bpp: int) -> np.ndarray:
    """Filter uint8 rows ``(n, stride)`` given the rows above them; returns ``(n, 1 + stride)`` uint8."""
    x, b = cur, up
    a = np.zeros_like(x)
    a[:, bpp:] = x[:, :-bpp]
    c = np.zeros_like(x)
    c[:, bpp:] = b[:, :-bpp]
    # uint8 arithmetic wraps modulo 256, exactly as PNG filters are defined
    average = (a >> 1) + (b >> 1) + (a & b & 1)
    ci = c.astype(np.int16)
    up_minus_c = b.astype(np.int16) - ci
    left_minus_c = a.astype(np.int16) - ci
    pc = np.abs(up_minus_c + left_minus_c)
    pa, pb = np.abs(up_minus_c, out=up_minus_c), np.abs(left_minus_c, out=left_minus_c)
    paeth = np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))
    candidates = (x, x - a, x - b, x - average, x - paeth)
    # libpng's heuristic: the smallest sum of the filtered bytes read as signed values
    cost = np.stack([np.minimum(f, 0 - f).sum(axis=1, dtype=np.uint32) for f in candidates])
    best = cost.argmin(axis=0)
    out = np.empty((x.shape[0], x.shape[1] + 1), np.uint8)
    out[:, 0] = best
    for kind, filtered in enumerate(candidates):
        rows = best == kind
        out[rows, 1:] = filtered[rows]
    return out


def chunk_problem(data: bytes) -> str | None:
    """What is wrong with the chunk structure of PNG ``data`` (truncation, bad CRC), or None.

    Pillow skips the CRCs of pixel data and stops reading once it has enough pixels, so a file cut
    short after its last row, or with damaged bytes the decompressor happens to accept, would pass.
    """
    view = memoryview(data)
    position = len(PNG_SIGNATURE)
    while True:
        if position + 8 > len(data):
            return "file is truncated (it ends before the IEND chunk)"
        length, kind = struct.unpack_from(">I4s", data, position)
        end = position + 8 + length + 4
        if end > len(data):
            name = kind.decode("latin-1", "replace")
            return f"file is truncated (it ends inside the {name} chunk at byte {position})"
        (crc,) = struct.unpack_from(">I", data, end - 4)
        if zlib.crc32(view[position + 4 : end - 4]) != crc:
            name = kind.decode("latin-1", "replace")
            return f"file is corrupt (checksum mismatch in the {name} chunk at byte {position})"
        if kind == b"IEND":
            return None
        position = end
