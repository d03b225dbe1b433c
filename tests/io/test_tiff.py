"""vivid.io.tiff: the encoder's output is what libtiff-based decoders read, tags included."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image as PILImage

from vivid.io.tiff import encode_tiff


def noise(h: int, w: int, c: int, dtype) -> np.ndarray:
    return np.random.default_rng(3).integers(0, np.iinfo(dtype).max + 1, (h, w, c)).astype(dtype)


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_8bit_decodes_exactly_in_pillow_across_many_strips(channels):
    array = noise(300, 257, channels, np.uint8)  # several strips of rows
    decoded = np.asarray(PILImage.open(io.BytesIO(encode_tiff(array))))
    np.testing.assert_array_equal(decoded.reshape(array.shape), array)


@pytest.mark.parametrize("channels", [3, 4])
def test_16bit_decodes_exactly_in_opencv(channels):
    array = noise(300, 129, channels, np.uint16)
    decoded = cv2.imdecode(np.frombuffer(encode_tiff(array), np.uint8), cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(decoded[..., [2, 1, 0, 3][:channels]], array)


def test_tags():
    exif = PILImage.Exif()
    exif[0x010F] = "camera"
    exif[0x8769] = {0x9003: "2000:01:01 00:00:00"}
    data = encode_tiff(
        noise(4, 6, 4, np.uint8), icc_profile=b"icc-bytes", dpi=(300, 150), exif=exif.tobytes(), xmp=b"<x/>"
    )
    im = PILImage.open(io.BytesIO(data))
    tags = im.tag_v2
    assert tags[34675] == b"icc-bytes"
    assert tags[700] == b"<x/>"
    assert im.info["dpi"] == (300, 150)
    assert tags[338] == (2,)  # unassociated alpha
    assert tags[0x010F] == "camera"
    assert im.getexif().get_ifd(0x8769)[0x9003] == "2000:01:01 00:00:00"
