"""Tiled inference with overlap and feathered blending, streaming finished output rows.

Each tile is read with a margin of ``overlap`` input pixels. Of that margin, the outer half is thrown
away and the inner half is a blending band where neighbouring tiles cross-fade linearly (weights of
the two tiles sum to one). A model whose receptive radius is at most ``overlap / 2`` therefore gives
exactly the untiled result; models with a larger reach get a smooth, seam-free blend.

Output is produced one tile row at a time (:func:`iter_tiled`), so a caller can write finished rows
out and keep memory bounded for any image height.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Literal

import numpy as np

from vivid.errors import ConfigError

TileFn = Callable[[np.ndarray], np.ndarray]


def _ramp(n_out: int, out0: int, scale: float, core0: int, core1: int, band: float, lo: bool, hi: bool) -> np.ndarray:
    """1D weights over output pixels ``out0 .. out0 + n_out`` for a tile whose core is [core0, core1)."""
    t = (np.arange(out0, out0 + n_out, dtype=np.float64) + 0.5) / scale  # centres in input units
    w = np.ones(n_out, dtype=np.float64)
    if lo:
        w *= np.clip((t - (core0 - band)) / (2 * band), 0, 1)
    if hi:
        w *= np.clip(((core1 + band) - t) / (2 * band), 0, 1)
    return w.astype(np.float32)


def plan_cores(length: int, tile: int) -> list[tuple[int, int]]:
    """Split ``[0, length)`` into cores of at most ``tile`` pixels of near-equal size."""
    n = max(1, math.ceil(length / tile))
    edges = [round(i * length / n) for i in range(n + 1)]
    return [(edges[i], edges[i + 1]) for i in range(n)]


def pad_to_multiple(
    x: np.ndarray, multiple: int, *, minimum: int = 1, fill: Literal["reflect", "edge"] = "reflect"
) -> np.ndarray:
    """``x`` ``(..., H, W)`` extended at the bottom and right so that both sides are multiples of
    ``multiple`` and at least ``minimum``; ``x`` itself when they are. ``fill="reflect"`` mirrors the image
    (repeats its last pixels where it is too small to mirror); ``"edge"`` repeats the last row and column,
    as a JPEG encoder fills its partial blocks, so that a model of JPEG artefacts sees the blocks the
    encoder coded."""
    h, w = x.shape[-2:]
    th = max(minimum, -(-h // multiple) * multiple)
    tw = max(minimum, -(-w // multiple) * multiple)
    if (th, tw) == (h, w):
        return x
    mode = "reflect" if fill == "reflect" and h > th - h and w > tw - w else "edge"
    return np.pad(x, [(0, 0)] * (x.ndim - 2) + [(0, th - h), (0, tw - w)], mode=mode)


def reflect_border(x: np.ndarray, border: int) -> np.ndarray:
    """``x`` ``(C, H, W)`` extended by ``border`` mirrored pixels on every side (repeated edge pixels when
    the image is too small to mirror)."""
    _, h, w = x.shape
    mode = "reflect" if h > border and w > border else "edge"
    return np.pad(x, ((0, 0), (border, border), (border, border)), mode=mode)


def iter_tiled(
    fn: TileFn, x: np.ndarray, *, scale: int, tile: int, overlap: int, multiple: int = 1, border: int = 0
) -> Iterator[tuple[int, np.ndarray]]:
    """Run ``fn`` over tiles of ``x`` ``(C, H, W)``; yield ``(out_row0, rows)`` strips in order.

    ``fn`` maps ``(C, h, w)`` to ``(C', h*scale, w*scale)``. The strips together form the full output
    ``(C', H*scale, W*scale)``. Windows are whole multiples of ``multiple`` (when H and W are), so a
    model with a size requirement never needs padding inside the image.

    ``border`` > 0 runs the model on the image extended by that many mirrored pixels (rounded up to
    ``multiple``, so the model's grid stays on the image's) and crops them off: a network whose
    convolutions pad with zeros then sees natural context at the image edges instead of a black frame,
    which would otherwise leave a darker or tinted line along every edge.
    """
    if border <= 0:
        yield from _iter_tiled(fn, x, scale=scale, tile=tile, overlap=overlap, multiple=multiple)
        return
    b = -(-border // multiple) * multiple
    _, h, w = x.shape
    bs, s = b * scale, scale
    for row0, strip in _iter_tiled(fn, reflect_border(x, b), scale=s, tile=tile, overlap=overlap, multiple=multiple):
        lo, hi = max(row0, bs), min(row0 + strip.shape[1], bs + h * s)
        if hi > lo:
            yield lo - bs, strip[:, lo - row0 : hi - row0, bs : bs + w * s]


def _iter_tiled(
    fn: TileFn, x: np.ndarray, *, scale: int, tile: int, overlap: int, multiple: int = 1
) -> Iterator[tuple[int, np.ndarray]]:
    if tile < 8:
        raise ConfigError(f"tile size must be at least 8 pixels, got {tile}")
    if overlap < 0:
        raise ConfigError(f"tile overlap must be >= 0, got {overlap}")
    _, h, w = x.shape
    rows, cols = plan_cores(h, tile), plan_cores(w, tile)
    margin = overlap
    # the cross-fade band may not exceed half the smallest core, or weights of non-neighbours would mix
    band = min(overlap / 2, min(b - a for a, b in rows + cols) / 2)
    # Every tile is read with the same window size (shifted inside the image at the borders, which
    # only adds context): runtimes such as oneDNN re-plan for every new input shape.
    # Windows also start on the model's grid (multiples of ``multiple``): networks that downsample
    # internally are only shift-equivariant on that grid. The extra ``multiple - 1`` keeps the margin.
    win_h = min(h, -(-(max(b - a for a, b in rows) + 2 * margin + multiple - 1) // multiple) * multiple)
    win_w = min(w, -(-(max(b - a for a, b in cols) + 2 * margin + multiple - 1) // multiple) * multiple)
    s = scale
    pending: np.ndarray | None = None  # accumulated output rows not yet final
    pending_row0 = 0
    for ri, (y0, y1) in enumerate(rows):
        ry0 = min(max(0, y0 - margin) // multiple * multiple, h - win_h)
        ry1 = ry0 + win_h
        lo_y, hi_y = ri > 0, ri < len(rows) - 1
        # output rows this tile row writes to (inside its margin, band included)
        oy0 = int(math.floor(max(0, y0 - band) * s)) if lo_y else 0
        oy1 = int(math.ceil(min(h, y1 + band) * s)) if hi_y else h * s
        wy = _ramp(oy1 - oy0, oy0, s, y0, y1, band, lo_y, hi_y) if band > 0 else None
        strip: np.ndarray | None = None
        for ci, (x0, x1) in enumerate(cols):
            rx0 = min(max(0, x0 - margin) // multiple * multiple, w - win_w)
            rx1 = rx0 + win_w
            out = fn(np.ascontiguousarray(x[:, ry0:ry1, rx0:rx1]))
            if strip is None:
                strip = np.zeros((out.shape[0], oy1 - oy0, w * s), dtype=np.float32)
            lo_x, hi_x = ci > 0, ci < len(cols) - 1
            ox0 = int(math.floor(max(0, x0 - band) * s)) if lo_x else 0
            ox1 = int(math.ceil(min(w, x1 + band) * s)) if hi_x else w * s
            part = out[:, oy0 - ry0 * s : oy1 - ry0 * s, ox0 - rx0 * s : ox1 - rx0 * s]
            if band > 0:
                wx = _ramp(ox1 - ox0, ox0, s, x0, x1, band, lo_x, hi_x)
                part = part * (wy[:, None] * wx[None, :])[None]
            strip[:, :, ox0:ox1] += part
        assert strip is not None
        # merge with the pending rows from the previous tile row
        if pending is None:
            pending, pending_row0 = strip, oy0
        else:
            end = pending_row0 + pending.shape[1]
            overlap_rows = end - oy0
            pending[:, pending.shape[1] - overlap_rows :] += strip[:, :overlap_rows]
            pending = np.concatenate([pending, strip[:, overlap_rows:]], axis=1)
        # rows before the next tile row's first output row are final
        if hi_y:
            ny0 = rows[ri + 1][0]
            final_end = int(math.floor(max(0, ny0 - band) * s))
            n_final = final_end - pending_row0
            if n_final > 0:
                yield pending_row0, pending[:, :n_final]
                pending = pending[:, n_final:]
                pending_row0 = final_end
    if pending is not None and pending.shape[1]:
        yield pending_row0, pending


def run_tiled(
    fn: TileFn, x: np.ndarray, *, scale: int, tile: int, overlap: int, multiple: int = 1, border: int = 0
) -> np.ndarray:
    """:func:`iter_tiled` assembled into one array ``(C', H*scale, W*scale)``."""
    parts = [
        rows for _, rows in iter_tiled(fn, x, scale=scale, tile=tile, overlap=overlap, multiple=multiple, border=border)
    ]
    return np.concatenate(parts, axis=1)


def auto_tile_size(*, bytes_per_pixel: int, budget_bytes: int | None = None) -> int:
    """Tile side (input pixels) so that one tile's working set fits the memory budget.

    The budget defaults to a quarter of the available memory, capped at 1 GiB.
    """
    if budget_bytes is None:
        budget_bytes = min(1 << 30, _available_memory() // 4)
    side = int(math.sqrt(max(1, budget_bytes) / max(1, bytes_per_pixel)))
    return int(min(1024, max(64, side)))


def _available_memory() -> int:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 4 << 30
