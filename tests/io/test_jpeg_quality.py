"""vivid.io.jpeg_quality: a JPEG file's saved quality from its quantization table, through the reader."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image as PILImage

from vivid.io.jpeg_quality import ijg_table, jpeg_quality
from vivid.io.read import from_pil, read_image, read_image_bytes


def _noise_rgb(h: int = 48, w: int = 64) -> PILImage.Image:
    return PILImage.fromarray((np.random.default_rng(0).random((h, w, 3)) * 255).astype(np.uint8))


def _jpeg_bytes(im: PILImage.Image, **kw) -> bytes:  # noqa: ANN003
    buf = io.BytesIO()
    im.save(buf, "JPEG", **kw)
    return buf.getvalue()


@pytest.mark.parametrize("quality", [5, 10, 25, 49, 50, 51, 70, 90, 95])
def test_libjpeg_files_give_back_the_quality_they_were_saved_at(quality: int) -> None:
    """Pillow's encoder is libjpeg: its tables are exactly the standard one scaled by the quality."""
    data = _jpeg_bytes(_noise_rgb(), quality=quality)
    assert read_image_bytes(data, name="a.jpg").meta.jpeg_quality == quality
    gray = _jpeg_bytes(_noise_rgb().convert("L"), quality=quality)
    assert read_image_bytes(gray, name="g.jpg").meta.jpeg_quality == quality
    assert from_pil(PILImage.open(io.BytesIO(data))).meta.jpeg_quality == quality


def test_the_scaled_table_is_libjpegs() -> None:
    """Anchors from the JPEG specification's table (quality 50 is the table itself) and libjpeg's scaling."""
    assert list(ijg_table(50)[:8]) == [16, 11, 10, 16, 24, 40, 51, 61]
    assert list(ijg_table(75)[:8]) == [8, 6, 5, 8, 12, 20, 26, 31]  # scale 50%, rounded
    assert ijg_table(100).max() == 1 and ijg_table(1).max() == 255


def test_a_camera_table_reads_as_the_nearest_quality_and_odd_input_as_none(tmp_path) -> None:
    """Cameras write tables of their own: the nearest libjpeg quality stands for them."""
    own = [max(1, v - 1) for v in ijg_table(85)]  # one step finer than libjpeg's q85 everywhere
    path = tmp_path / "camera.jpg"
    _noise_rgb().save(path, "JPEG", qtables=[own, own])
    q = read_image(path).meta.jpeg_quality
    assert q is not None and 85 <= q <= 88
    assert jpeg_quality(None) is None and jpeg_quality({}) is None and jpeg_quality({0: [1, 2, 3]}) is None
    png = tmp_path / "a.png"
    _noise_rgb().save(png)
    assert read_image(png).meta.jpeg_quality is None
