"""Adapt an image region to what a model consumes, run it, and bring the result back.

The function made here is *local*: it can run on a tile with some margin and gives the same pixels
as on the whole image away from the tile border (chroma is resampled with a 4-tap kernel). That is
what makes tiled inference seam-free.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from vivid.engine.tiling import pad_to_multiple
from vivid.models.base import Restorer
from vivid.ops.color import rgb_to_ycbcr, ycbcr_to_rgb
from vivid.ops.resize import resize_planes

TileFn = Callable[[np.ndarray], np.ndarray]


def _resize_plane(c: np.ndarray, out_hw: tuple[int, int]) -> np.ndarray:
    return resize_planes(c, out_hw, method="cubic")


def make_tile_fn(restorer: Restorer, *, channels: int) -> TileFn:
    """A function ``(channels, h, w) -> (channels', h*s, w*s)`` running ``restorer`` on colour data.

    ``channels`` is 1 (gray) or 3 (RGB) — what the image holds. Colorizers turn 1 into 3.
    """
    d = restorer.descriptor
    s = d.scale

    def run(x: np.ndarray) -> np.ndarray:
        _, h, w = x.shape
        y = restorer(pad_to_multiple(x, d.size_multiple, minimum=d.min_size, fill=d.fill)[None])[0]
        return y[:, : h * s, : w * s]

    def fn(x: np.ndarray) -> np.ndarray:
        if d.task == "colorize":
            gray = x if x.shape[0] == 1 else (0.299 * x[0:1] + 0.587 * x[1:2] + 0.114 * x[2:3])
            return run(gray.astype(np.float32))
        if d.color_space == "rgb":
            rgb = np.repeat(x, 3, axis=0) if x.shape[0] == 1 else x
            out = run(rgb)
            return out.mean(axis=0, keepdims=True) if x.shape[0] == 1 else out
        if d.color_space == "gray":
            _, h, w = x.shape
            xp = pad_to_multiple(x, d.size_multiple, minimum=d.min_size, fill=d.fill)
            y = restorer(xp[:, None])[:, 0]  # channels as a batch
            return y[:, : h * s, : w * s]
        # "y": the model sees the BT.601 luma; chroma is resampled
        rgb = np.repeat(x, 3, axis=0) if x.shape[0] == 1 else x
        ycc = rgb_to_ycbcr(rgb)
        y = run(ycc[0:1])
        if x.shape[0] == 1:
            # gray in: Y maps back to gray exactly (Cb = Cr = 128/255)
            return ((y - 16 / 255) * 255 / 219).astype(np.float32)
        cc = ycc[1:] if s == 1 else _resize_plane(ycc[1:], y.shape[1:])
        return ycbcr_to_rgb(np.concatenate([y, cc], axis=0)).astype(np.float32)

    return fn
