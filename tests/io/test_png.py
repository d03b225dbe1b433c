"""vivid.io.png: the encoder's output is what independent decoders read; chunk checks."""

from __future__ import annotations

import io
import struct
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image as PILImage

from vivid.io.png import chunk_problem, encode_png


def mixed_content(h: int, w: int, c: int, dtype) -> np.ndarray:
    """Noise, flat areas, ramps and repeats, so that every row filter gets chosen somewhere."""
    rng = np.random.default_rng(7)
    peak = np.iinfo(dtype).max
    a = rng.integers(0, peak + 1, (h, w, c)).astype(dtype)
    a[: h // 4] = peak // 3
    a[h // 4 : h // 2] = (np.linspace(0, peak, w)[None, :, None]).astype(dtype)
    a[h // 2 : 3 * h // 4] = (np.linspace(0, peak, h // 4)[:, None, None]).astype(dtype)
    return a


def filter_types(data: bytes, height: int, stride: int) -> set[int]:
    idat = b""
    position = 8
    while position < len(data):
        (length,) = struct.unpack_from(">I", data, position)
        if data[position + 4 : position + 8] == b"IDAT":
            idat += data[position + 8 : position + 8 + length]
        position += 12 + length
    raw = zlib.decompress(idat)
    return {raw[row * (stride + 1)] for row in range(height)}


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_8bit_decodes_exactly_in_pillow(channels):
    array = mixed_content(64, 48, channels, np.uint8)
    data = encode_png(array)
    decoded = np.asarray(PILImage.open(io.BytesIO(data)))
    np.testing.assert_array_equal(decoded.reshape(array.shape), array)


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_16bit_decodes_exactly_in_opencv(channels):
    array = mixed_content(64, 48, channels, np.uint16)
    decoded = cv2.imdecode(np.frombuffer(encode_png(array), np.uint8), cv2.IMREAD_UNCHANGED)
    if channels > 1:
        decoded = decoded[..., [2, 1, 0, 3][:channels]]
    np.testing.assert_array_equal(decoded.reshape(array.shape), array)


def test_all_five_row_filters_are_used_and_decode():
    array = mixed_content(64, 48, 3, np.uint8)
    data = encode_png(array)
    assert len(filter_types(data, 64, 48 * 3)) >= 3
    np.testing.assert_array_equal(np.asarray(PILImage.open(io.BytesIO(data))), array)


def test_metadata_chunks_come_before_the_pixels():
    data = encode_png(
        np.zeros((2, 2, 3), np.uint8),
        icc_profile=b"\0" * 200,
        dpi=(300, 300),
        exif=b"Exif\0\0MM\0*\0\0\0\x08\0\0",
        text={"vivid": "x" * 5000},
    )
    kinds = []
    position = 8
    while position < len(data):
        (length,) = struct.unpack_from(">I", data, position)
        kinds.append(data[position + 4 : position + 8])
        position += 12 + length
    assert kinds == [b"IHDR", b"iCCP", b"pHYs", b"eXIf", b"iTXt", b"IDAT", b"IEND"]
    info = PILImage.open(io.BytesIO(data)).info
    assert info["vivid"] == "x" * 5000  # long text is compressed in the chunk and still reads
    assert len(data) < 2000


def test_chunk_problem():
    data = encode_png(np.zeros((4, 4, 1), np.uint8))
    assert chunk_problem(data) is None
    assert "truncated" in chunk_problem(data[:-5])
    damaged = bytearray(data)
    damaged[data.index(b"IHDR") + 6] ^= 1
    assert "checksum mismatch in the IHDR chunk" in chunk_problem(bytes(damaged))


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_writer_fed_in_uneven_blocks_gives_the_encoders_bytes(dtype):
    from vivid.io.png import PngWriter

    array = mixed_content(64, 48, 3, dtype)
    buffer = io.BytesIO()
    writer = PngWriter(buffer, width=48, height=64, channels=3, bit_depth=8 * np.dtype(dtype).itemsize,
                       text={"a": "b"})
    for start, stop in ((0, 1), (1, 30), (30, 64)):
        writer.write_rows(array[start:stop])
    writer.close()
    assert buffer.getvalue() == encode_png(array, text={"a": "b"})


def test_writer_puts_trailing_text_after_the_pixels_and_checks_row_counts():
    from vivid.io.png import PngWriter

    array = mixed_content(16, 8, 1, np.uint8)
    buffer = io.BytesIO()
    writer = PngWriter(buffer, width=8, height=16, channels=1)
    writer.write_rows(array[:10])
    with pytest.raises(ValueError, match="got 10 of the 16 rows"):
        writer.close()
    with pytest.raises(ValueError, match=r"uint8 rows \(n, 8, 1\)"):
        writer.write_rows(array[:2, :4])
    writer.write_rows(array[10:])
    with pytest.raises(ValueError, match="more than the 16 rows"):
        writer.write_rows(array[:1])
    writer.close(text={"vivid": "after"})
    data = buffer.getvalue()
    assert chunk_problem(data) is None and data.index(b"iTXt") > data.index(b"IDAT")
    with PILImage.open(io.BytesIO(data)) as im:
        np.testing.assert_array_equal(np.asarray(im), array[..., 0])
        assert im.text == {"vivid": "after"}
