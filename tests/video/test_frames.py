"""The video edge's pixel conversions (vivid.video.frames): no level shift, real chroma interpolation."""

from __future__ import annotations

import numpy as np
import pytest

from tests.images import textured
from vivid.video.frames import frame_to_rgb, rgb_to_frame
from vivid.video.probe import ColorTags

av = pytest.importorskip("av")


def _yuv420(rgb8: np.ndarray, *, colorspace: int, color_range: int):  # noqa: ANN202 - av.VideoFrame
    """A yuv420p frame of an ``(H, W, 3)`` uint8 image, converted by swscale with accurate settings."""
    from av.video.reformatter import Interpolation as I

    f = av.VideoFrame.from_ndarray(rgb8, format="rgb24")
    flags = I.BICUBIC | I.ACCURATE_RND | I.FULL_CHR_H_INP
    y = f.reformat(format="yuv420p", dst_colorspace=colorspace, dst_color_range=color_range, interpolation=flags)
    y.colorspace, y.color_range = colorspace, color_range
    return y


@pytest.mark.parametrize("colorspace", [1, 5])  # BT.709, BT.601
def test_decoding_has_no_level_shift(colorspace: int) -> None:
    """swscale's default 4:2:0 -> RGB path decodes ~1.1 levels dark with nearest chroma; vivid's does not."""
    rgb8 = np.rint(textured(96, 128, 3, seed=4) * 255).astype(np.uint8).transpose(1, 2, 0).copy()
    frame = _yuv420(rgb8, colorspace=colorspace, color_range=1)
    out = frame_to_rgb(frame) * 255 - rgb8.transpose(2, 0, 1)
    assert np.abs(out.reshape(3, -1).mean(axis=1)).max() < 0.25  # per-channel mean shift, levels
    fast = frame.to_ndarray(format="rgb24").astype(np.float64).transpose(2, 0, 1) - rgb8.transpose(2, 0, 1)
    assert np.mean(out**2) < np.mean(fast**2)  # closer to the source than the default conversion


def test_encode_decode_round_trip_keeps_levels() -> None:
    rgb = textured(96, 128, 3, seed=5)
    tags = ColorTags(colorspace=1, color_range=1, color_primaries=1, color_trc=1)
    back = frame_to_rgb(rgb_to_frame(rgb, pix_fmt="yuv420p", color=tags))
    assert abs(float(np.mean(back - rgb))) * 255 < 0.25
    assert 10 * np.log10(1 / np.mean((back - rgb) ** 2)) > 33  # 4:2:0 chroma loss only
