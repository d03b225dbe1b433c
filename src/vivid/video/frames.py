"""The video edge's pixel conversions: PyAV frames <-> vivid's float32 RGB ``(3, H, W)`` in [0, 1].

This is to video what :mod:`vivid.io` is to image files: the only place where video pixels change form.
Decoding converts YUV to RGB with the frame's own matrix and range (BT.601/709/2020, limited/full);
encoding converts back with the source's matrix and range and tags the frame with the source's colour
description, so colours survive the round trip.

Both directions ask swscale for accurate rounding and full-resolution chroma (``ACCURATE_RND`` with
``FULL_CHR_H_INT`` / ``FULL_CHR_H_INP``, bicubic). Its default YUV 4:2:0 → RGB fast path decodes about one
level dark (mean -1.1 of 255 on a textured test frame) with nearest-neighbour chroma.
"""

from __future__ import annotations

import numpy as np

from vivid.video.probe import ColorTags

_SWS_CS = {1: 1, 4: 4, 5: 5, 6: 5, 7: 7, 9: 9, 10: 9}  # AVColorSpace -> swscale matrix id


def _flags(*, to_rgb: bool):  # noqa: ANN202 - av Interpolation flags
    from av.video.reformatter import Interpolation

    chroma = Interpolation.FULL_CHR_H_INT if to_rgb else Interpolation.FULL_CHR_H_INP
    return Interpolation.BICUBIC | Interpolation.ACCURATE_RND | chroma


def frame_to_rgb(frame, *, bit_depth: int = 8) -> np.ndarray:  # noqa: ANN001 - av.VideoFrame
    """A decoded frame as float32 RGB ``(3, H, W)`` in [0, 1] (16-bit intermediate for deep sources)."""
    if bit_depth > 8:
        a = frame.reformat(format="rgb48le", interpolation=_flags(to_rgb=True)).to_ndarray()
        out = np.ascontiguousarray(a.transpose(2, 0, 1), dtype=np.float32)
        out *= np.float32(1 / 65535)
        return out
    a = frame.reformat(format="rgb24", interpolation=_flags(to_rgb=True)).to_ndarray()
    out = np.ascontiguousarray(a.transpose(2, 0, 1), dtype=np.float32)
    out *= np.float32(1 / 255)
    return out


def rgb_to_frame(rgb: np.ndarray, *, pix_fmt: str, color: ColorTags):  # noqa: ANN201 - av.VideoFrame
    """Float RGB ``(3, H, W)`` in [0, 1] as a frame in ``pix_fmt``, converted and tagged with ``color``.

    Values are rounded to the nearest level (8 or 16 bits) and saturate above 1; the input must not be
    negative (vivid's frames are clipped to [0, 1] before they get here).
    """
    import av

    deep = pix_fmt.endswith(("10le", "12le", "16le"))
    if deep:
        q = np.empty(rgb.shape[1:] + (3,), dtype=np.uint16)
        np.rint(np.clip(rgb.transpose(1, 2, 0) * np.float32(65535.0), 0, 65535.0), out=q, casting="unsafe")
        frame = av.VideoFrame.from_ndarray(q, format="rgb48le")
    else:
        import cv2

        # OpenCV scales, rounds (half to even, as np.rint), saturates and interleaves about 3x faster than numpy
        q = cv2.merge([cv2.convertScaleAbs(c, alpha=255.0) for c in rgb])
        frame = av.VideoFrame.from_ndarray(q, format="rgb24")
    kwargs = {}
    if color.colorspace in _SWS_CS:
        kwargs["dst_colorspace"] = _SWS_CS[color.colorspace]
    if color.color_range in (1, 2):
        kwargs["dst_color_range"] = color.color_range
    out = frame.reformat(format=pix_fmt, interpolation=_flags(to_rgb=False), **kwargs)
    out.color_range = color.color_range
    out.colorspace = color.colorspace
    out.color_primaries = color.color_primaries
    out.color_trc = color.color_trc
    return out
