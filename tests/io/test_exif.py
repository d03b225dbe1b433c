"""vivid.io.exif: orientation (checked against Pillow's exif_transpose) and EXIF hand-over."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image as PILImage
from PIL import ImageOps

from vivid.io.exif import EXIF_PREFIX, exif_tags_for_tiff, normalize, reset_orientation, upright


@pytest.mark.parametrize("orientation", range(1, 9))
def test_upright_matches_pillows_exif_transpose(orientation):
    array = np.arange(3 * 5, dtype=np.uint8).reshape(3, 5)
    stored = PILImage.fromarray(array)
    exif = stored.getexif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    stored.save(buffer, format="PNG", exif=exif)
    expected = np.asarray(ImageOps.exif_transpose(PILImage.open(buffer)))
    np.testing.assert_array_equal(upright(array[..., None], orientation)[..., 0], expected)


@pytest.mark.parametrize("order", ["<", ">"])
def test_reset_orientation_changes_only_the_orientation_value(order):
    exif = PILImage.Exif()
    exif._endian = order  # Pillow writes EXIF in the byte order it was read in
    exif[0x0112] = 6
    exif[0x010F] = "camera"
    exif[0x8769] = {0x9003: "2000:01:01 00:00:00"}
    original = exif.tobytes()
    patched = reset_orientation(original)
    assert len(patched) == len(original)
    assert sum(a != b for a, b in zip(patched, original, strict=True)) == 1
    parsed = PILImage.Exif()
    parsed.load(patched)
    assert parsed[0x0112] == 1 and parsed[0x010F] == "camera"


def test_reset_orientation_without_the_tag_is_a_no_op():
    exif = PILImage.Exif()
    exif[0x010F] = "camera"
    data = exif.tobytes()
    assert reset_orientation(data) == data


def test_normalize():
    body = PILImage.Exif().tobytes()[len(EXIF_PREFIX) :]
    assert normalize(body) == EXIF_PREFIX + body
    assert normalize(EXIF_PREFIX + body) == EXIF_PREFIX + body
    assert normalize(b"") is None
    assert normalize(b"garbage that is no TIFF") is None


def test_tiff_gets_only_descriptive_tags():
    exif = PILImage.Exif()
    exif[0x010F] = "camera"
    exif[0x0112] = 8
    exif[0x0100] = 4000  # ImageWidth belongs to the old file
    exif[0x8769] = {0x9003: "2000:01:01 00:00:00", 0xA005: 1234}  # interop pointer: stale offset
    tags = exif_tags_for_tiff(exif.tobytes())
    assert tags[0x010F] == "camera" and tags[0x0112] == 1
    assert 0x0100 not in tags
    assert tags[0x8769] == {0x9003: "2000:01:01 00:00:00"}
