"""File to file with bounded memory: ``enhance_file(src, dst, ...)``.

:func:`vivid.engine.api.enhance` holds the whole image, and its result, as float32: an 8000x8000 photo
at x2 is 0.8 GB in and 3 GB out. For one tileable model step into a PNG, :func:`enhance_file` instead
keeps the input as decoded (uint8 or uint16, a quarter or half of the float size), converts each tile
to float32 when the model needs it, and hands every finished output strip of
:func:`vivid.engine.tiling.iter_tiled` straight to vivid's PNG encoder (quantised as ``write_image``
does, filtered, deflated and written out). Memory is then the input plus a few strips, whatever the
output size; ``benchmarks/large_image_memory.py`` measures it.

Everything else (``task="auto"``, several steps, models with image-wide parameters such as the
denoisers' noise level, a final resample to a size that is not a whole multiple, the colour guard,
other output formats) goes through the in-memory path, with the same result and provenance.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vivid.engine.adapter import make_tile_fn
from vivid.engine.api import (
    StepRecord,
    _bicubic,
    _target_size,
    enhance,
    fit_size,
    plan_for_shape,
    provenance_record,
    step_record,
)
from vivid.engine.cache import ModelCache, for_bit_depth
from vivid.engine.options import EnhanceOptions
from vivid.engine.plan import Plan
from vivid.engine.progress import Progress, null_progress
from vivid.engine.tiling import auto_tile_size, iter_tiled, pad_to_multiple, plan_cores
from vivid.errors import ConfigError
from vivid.io.image import from_array
from vivid.io.read import DEFAULT_MAX_PIXELS, read_image_uint
from vivid.io.write import png_row_writer, write_image
from vivid.models.base import Restorer

#: with ``stream=None`` (auto), stream when the output has at least this many pixels (3000x4000 at x2;
#: its float32 RGB output alone would take 0.5 GB)
STREAM_OVER_PIXELS = 12_000_000
#: float32 bytes one tile row of output may take; the tiler holds about three of them at once
STRIP_BYTES = 96 << 20


@dataclass(frozen=True)
class FileResult:
    """What :func:`enhance_file` wrote, how (``streamed``), and what it did."""

    path: Path
    plan: Plan
    records: tuple[StepRecord, ...]
    streamed: bool

    def provenance(self) -> dict[str, Any]:
        """The record written into the output (the ``vivid`` text entry)."""
        return provenance_record(self.plan, self.records)


def enhance_file(
    src: str | Path,
    dst: str | Path,
    *,
    options: EnhanceOptions | None = None,
    models: Any = None,
    quality: int | None = None,
    bit_depth: int | None = None,
    strip_metadata: bool = False,
    overwrite: bool = False,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    stream: bool | None = None,
    progress: Progress = null_progress,
    **changes: Any,
) -> FileResult:
    """Enhance the image file ``src`` into ``dst`` (written atomically, never over ``src``).

    ``options`` (or its fields as keywords) and ``models`` are those of :func:`vivid.engine.api.enhance`;
    ``quality``, ``bit_depth``, ``strip_metadata`` and ``overwrite`` those of :func:`vivid.io.write.write_image`.
    ``stream``: None streams when the work allows it (see :func:`stream_problem`) and the output has at
    least :data:`STREAM_OVER_PIXELS` pixels; True streams or raises :class:`ConfigError` saying why not;
    False never streams. The written file carries the provenance record as its ``vivid`` text entry.
    """
    opts = EnhanceOptions.merge(options, changes)
    task, scale, size = opts.task, opts.scale, opts.size
    out = Path(dst)
    array, meta = read_image_uint(src, max_pixels=max_pixels)
    models = for_bit_depth(models if models is not None else ModelCache(
        allow_pickle=opts.allow_pickle, runtime=opts.runtime, precision=opts.precision), meta.bit_depth)
    h, w = array.shape[:2]
    if size is not None:  # from here on, size is the exact output size (the crop of fit=cover done)
        size, crop = fit_size(h, w, size, fit=opts.fit)
        if crop is not None:
            array = np.ascontiguousarray(array[crop])
            h, w = array.shape[:2]
    plan = restorer = None
    if stream is not False and task != "auto":
        plan = plan_for_shape(h, w, task=task, model=opts.model, scale=scale, size=size, models=models)
        if len(plan.steps) == 1:
            step = plan.steps[0]
            restorer = models.get(step.model, step.scale if step.task == "sr" else None).with_dtype(opts.dtype)
    why_not = (
        "task 'auto' analyses the whole image" if task == "auto" and plan is None else
        stream_problem(restorer, plan=plan, height=h, width=w, scale=scale, size=size, color_guard=opts.color_guard,
                       dst=out)
    )
    if stream and why_not:
        raise ConfigError(f"cannot stream {Path(src).name} into {out.name}: {why_not}")
    s = restorer.descriptor.scale if restorer is not None else 1
    if stream is None and not why_not and h * w * s * s < STREAM_OVER_PIXELS:
        why_not = "small enough for the in-memory path"
    if stream is False or why_not:
        # the crop of fit=cover is done: the exact size is met by stretching
        exact = opts.replace(size=size, fit="stretch") if size is not None else opts
        return _in_memory(array, meta, out, plan=plan, options=exact, models=models, quality=quality,
                          bit_depth=bit_depth, strip_metadata=strip_metadata, overwrite=overwrite, progress=progress)
    assert plan is not None and restorer is not None
    t0 = time.perf_counter()
    records: list[StepRecord] = []

    def provenance() -> dict[str, Any]:  # called once the last row is written
        records[:] = [step_record(restorer, time.perf_counter() - t0)]
        return provenance_record(plan, tuple(records))

    _stream(restorer, array, meta, out, strength=opts.strength, tile=opts.tile, alpha=opts.alpha, bit_depth=bit_depth,
            strip_metadata=strip_metadata, overwrite=overwrite, progress=progress, provenance=provenance)
    return FileResult(out, plan, tuple(records), streamed=True)


def stream_problem(
    restorer: Restorer | None,
    *,
    plan: Plan | None,
    height: int,
    width: int,
    scale: float | None,
    size: tuple[int, int] | None,
    color_guard: bool,
    dst: Path,
) -> str | None:
    """Why this work cannot be streamed (one phrase), or None when it can."""
    if plan is None or restorer is None:
        return "the plan has no single model step"
    if len(plan.steps) != 1:
        return f"the plan has {len(plan.steps)} steps"
    if dst.suffix.lower() != ".png":
        return "only PNG output is streamed"
    if color_guard:
        return "the colour guard matches colours over the whole image"
    d = restorer.descriptor
    if not d.tileable:
        return f"model {d.name!r} runs on whole images"
    if type(restorer).bind is not Restorer.bind:
        return f"model {d.name!r} sets image-wide parameters (bind) from the whole image"
    if d.task == "sr" and (scale or size):
        target = _target_size(height, width, scale=scale, size=size)
        if target != (height * d.scale, width * d.scale):
            return f"the target size {target[1]}x{target[0]} is not x{d.scale} of the input"
    return None


def _in_memory(array: np.ndarray, meta: Any, out: Path, *, plan: Plan | None, options: EnhanceOptions, models: Any,
               quality: int | None, bit_depth: int | None, strip_metadata: bool, overwrite: bool,
               progress: Progress) -> FileResult:
    image = from_array(array, meta=meta)
    del array
    result = enhance(image, plan, options=options, models=models, progress=progress)
    write_image(result.image, out, quality=quality, bit_depth=bit_depth, strip_metadata=strip_metadata,
                overwrite=overwrite, text={"vivid": json.dumps(result.provenance())})
    return FileResult(out, result.plan, result.records, streamed=False)


def _stream(
    restorer: Restorer,
    array: np.ndarray,
    meta: Any,
    out: Path,
    *,
    strength: float,
    tile: int | None,
    alpha: str,
    bit_depth: int | None,
    strip_metadata: bool,
    overwrite: bool,
    progress: Progress,
    provenance: Callable[[], dict[str, Any]],
) -> None:
    d = restorer.descriptor  # strength and alpha were checked with the options
    s = d.scale
    h, w, c = array.shape
    peak = np.float32(np.iinfo(array.dtype).max)
    has_alpha = c in (2, 4)
    cc = c - 1 if has_alpha else c  # colour channels
    out_c = (3 if d.task == "colorize" else cc) + int(has_alpha)
    color_fn = make_tile_fn(restorer, channels=cc)
    alpha_fn = make_tile_fn(restorer, channels=1) if alpha == "model" and d.task == "sr" and not d.any_scale else None

    def fn(window: np.ndarray) -> np.ndarray:
        """One tile, uint -> float32 -> what ``run_model`` computes for these pixels."""
        x = window.astype(np.float32) / peak
        color = x[:cc]
        y = color_fn(color)
        if strength < 1.0:
            base = color if y.shape[0] == cc else np.repeat(color, 3, 0)
            y = strength * y + (1.0 - strength) * _bicubic(base, y.shape[1:])
        if has_alpha:
            a = x[cc:]
            a_out = alpha_fn(a) if alpha_fn is not None else _bicubic(a, y.shape[1:])
            y = np.concatenate([y, _bicubic(a_out, y.shape[1:])], axis=0)
        return y

    m = d.size_multiple
    x = pad_to_multiple(np.moveaxis(array, -1, 0), m, fill=d.fill)  # (C, H, W); a view when no padding
    # cv2's bicubic (strength, alpha) reaches 2 input pixels: the cross-fade band must cover it
    overlap = max(d.tile_overlap, 4)
    if tile is None:
        widest = out_c * 4 * x.shape[2] * s * s  # float32 bytes per input row of a strip
        tile = max(64, min(STRIP_BYTES // widest - 2 * overlap, auto_tile_size(bytes_per_pixel=4 * 64 * s * s)))
    n_rows = len(plan_cores(x.shape[1], tile))
    # the provenance goes after the pixels: it states how long the work took
    with png_row_writer(out, width=w * s, height=h * s, channels=out_c, meta=meta, bit_depth=bit_depth,
                        strip_metadata=strip_metadata, overwrite=overwrite, trailing_keys=("vivid",)) as rows:
        for i, (row0, strip) in enumerate(iter_tiled(
            fn, x, scale=s, tile=tile, overlap=overlap, multiple=m, border=d.edge_margin
        )):
            keep = min(strip.shape[1], h * s - row0)
            if keep > 0:
                rows.write(strip[:, :keep, : w * s])
            progress(min(i + 1, n_rows), n_rows, d.name)
        rows.trailing_text = {"vivid": json.dumps(provenance())}
