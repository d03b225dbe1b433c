"""vivid's one way through: ``enhance(image, ...)`` runs a plan of steps on an image."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vivid import __version__
from vivid.engine.adapter import make_tile_fn
from vivid.engine.cache import ModelCache, for_bit_depth
from vivid.engine.defaults import DEFAULT_MODELS, default_model, pick_scale  # noqa: F401 - importable from here too
from vivid.engine.options import (  # noqa: F401 - the engine's checks, importable from here too
    DTYPES,
    FITS,
    EnhanceOptions,
    Size,
    check_dtype,
    check_request,
    check_scale,
    check_size,
    parse_size,
)
from vivid.engine.plan import Plan, Step
from vivid.engine.progress import Progress, null_progress
from vivid.engine.routing import GRAY_CHROMA, analyze, chroma_stats, thumbnail
from vivid.engine.tiling import auto_tile_size, iter_tiled, pad_to_multiple, plan_cores, reflect_border
from vivid.errors import ConfigError, InputError
from vivid.io.image import Image, from_array
from vivid.io.read import from_pil, read_image
from vivid.metrics import ciede2000
from vivid.models.base import Restorer
from vivid.ops.color import keep_light_chroma, rgb_to_ycbcr, ycbcr_to_rgb
from vivid.ops.resize import resize_planes
from vivid.zoo.loader import added_model, runs_a_file


@dataclass(frozen=True)
class StepRecord:
    """What one step did (for provenance and reports)."""

    task: str
    model: str
    scale: int
    sha256: str | None
    seconds: float
    delta_e: float | None = None
    #: compute dtype, runtime and precision, recorded in provenance when not the defaults (float32,
    #: torch/numpy, float32)
    dtype: str = "float32"
    runtime: str | None = None
    precision: str = "float32"
    #: the file of a model added by name ('vivid models add')
    file: str | None = None


@dataclass(frozen=True)
class EnhanceResult:
    image: Image
    plan: Plan
    records: tuple[StepRecord, ...] = field(default_factory=tuple)

    def provenance(self) -> dict[str, Any]:
        """The record vivid writes into outputs (PNG text / EXIF / XMP) and returns over the API."""
        return provenance_record(self.plan, self.records)


def step_record(restorer: Restorer, seconds: float, delta_e: float | None = None) -> StepRecord:
    """The record of one step run by ``restorer``."""
    d = restorer.descriptor
    runtime = d.runtime if d.runtime == "onnx" and d.name and not d.name.startswith("file:") else None
    yours = None
    if d.provenance.startswith("your model"):
        yours = added_model(d.name)
    return StepRecord(d.task, d.name, d.scale, d.sha256, seconds, delta_e,
                      dtype=getattr(restorer, "dtype", "float32"), runtime=runtime,
                      precision=getattr(restorer, "precision", "float32"),
                      file=yours.file if yours is not None else None)


def provenance_record(plan: Plan, records: tuple[StepRecord, ...]) -> dict[str, Any]:
    """What a run did, as vivid writes it into outputs: software, steps (model, hash, time), reasons."""
    return {
        "software": f"vivid {__version__}",
        "steps": [
            {"task": r.task, "model": r.model, "scale": r.scale, "sha256": r.sha256,
             "seconds": round(r.seconds, 3), **({"delta_e": round(r.delta_e, 3)} if r.delta_e is not None else {}),
             **({"dtype": r.dtype} if r.dtype != "float32" else {}), **({"runtime": r.runtime} if r.runtime else {}),
             **({"precision": r.precision} if r.precision != "float32" else {}),
             **({"file": r.file} if r.file else {})}
            for r in records
        ],
        "plan": [s.reason for s in plan.steps],
    }


def _bicubic(x: np.ndarray, out_hw: tuple[int, int]) -> np.ndarray:
    return resize_planes(x, out_hw)


def fit_size(
    height: int, width: int, size: tuple[int, int], *, fit: str
) -> tuple[tuple[int, int], tuple[slice, slice] | None]:
    """The exact ``(height, width)`` to produce from an input of ``height x width`` for the target box
    ``size`` ``(height, width)``, and the crop of the input (rows, columns) that ``cover`` needs first."""
    if fit not in FITS:
        raise ConfigError(f"fit must be one of {', '.join(FITS)}, got {fit!r}")
    th, tw = size
    if fit == "stretch":
        return (th, tw), None
    if fit == "contain":
        s = min(th / height, tw / width)
        return (min(th, max(1, round(height * s))), min(tw, max(1, round(width * s)))), None
    s = max(th / height, tw / width)
    ch, cw = min(height, max(1, round(th / s))), min(width, max(1, round(tw / s)))
    y0, x0 = (height - ch) // 2, (width - cw) // 2
    crop = None if (ch, cw) == (height, width) else (slice(y0, y0 + ch), slice(x0, x0 + cw))
    return (th, tw), crop


def as_image(image: Any) -> Image:
    """``image`` as an :class:`Image`: an Image, a file path, a numpy array ``(H, W)`` or ``(H, W, C)``
    (uint8, uint16, or float in [0, 1]; C = 1 to 4) or a PIL image."""
    from pathlib import Path

    if isinstance(image, Image):
        return image
    if isinstance(image, (str, Path)):
        return read_image(image)
    if isinstance(image, np.ndarray):
        return from_array(image)
    try:
        from PIL import Image as PILImage
    except ImportError:  # pragma: no cover - Pillow is a dependency
        PILImage = None  # noqa: N806
    if PILImage is not None and isinstance(image, PILImage.Image):
        return from_pil(image)
    raise ConfigError(f"cannot enhance a {type(image).__name__}: give a file path, a numpy array (H, W, C), "
                      f"a PIL image or a vivid.Image")


def _target_size(h: int, w: int, *, scale: float | None, size: tuple[int, int] | None) -> tuple[int, int]:
    if size is not None:
        th, tw = size
        if th < 1 or tw < 1:
            raise ConfigError(f"target size must be positive, got {tw}x{th}")
        return th, tw
    if scale is None:
        return h, w
    if not scale > 0:
        raise ConfigError(f"scale must be positive, got {scale}")
    return max(1, round(h * scale)), max(1, round(w * scale))


def run_model(
    restorer: Restorer,
    image: Image,
    *,
    size: tuple[int, int] | None = None,
    strength: float = 1.0,
    tile: int | None = None,
    alpha: str = "resample",
    progress: Progress = null_progress,
) -> Image:
    """Run one model on ``image`` (tiling, colour space, alpha, strength, final resize to ``size``)."""
    if not 0.0 <= strength <= 1.0:
        raise ConfigError(f"strength must be between 0 and 1, got {strength}")
    if alpha not in ("resample", "model"):
        raise ConfigError(f"alpha must be 'resample' or 'model', got {alpha!r}")
    color = image.color
    d = restorer.descriptor
    _, h, w = color.shape
    s = d.scale
    target = size or (h * s, w * s)
    whole = not d.any_scale and not d.tileable
    b = d.edge_margin
    if whole and b > 0:  # the model sees the mirrored margin too (and binds to that size)
        restorer = restorer.bind(reflect_border(color, b))
    else:
        restorer = restorer.bind(color)
    fn = make_tile_fn(restorer, channels=color.shape[0])
    if d.any_scale:
        out = restorer(color[None], size=target)[0]
        progress(1, 1, d.name)
    elif d.tileable:
        t = tile or auto_tile_size(bytes_per_pixel=4 * 64 * max(1, s * s))
        m = d.size_multiple
        # pad the whole image once to the model's size multiple, so tiles never pad inside it
        src = pad_to_multiple(color, m, fill=d.fill)
        n_rows = len(plan_cores(src.shape[1], t))
        parts = []
        tiles = iter_tiled(fn, src, scale=s, tile=t, overlap=d.tile_overlap, multiple=m, border=d.edge_margin)
        for i, (_, rows) in enumerate(tiles):
            parts.append(rows)
            progress(min(i + 1, n_rows), n_rows, d.name)
        out = np.concatenate(parts, axis=1)[:, : h * s, : w * s]
    elif b > 0:
        out = fn(reflect_border(color, b))[:, b * s : b * s + h * s, b * s : b * s + w * s]
        progress(1, 1, d.name)
    else:
        out = fn(color)
        progress(1, 1, d.name)
    if out.shape[1:] != tuple(target):
        out = _bicubic(out, tuple(target))
    if strength < 1.0:
        base = _bicubic(color if out.shape[0] == color.shape[0] else np.repeat(color, 3, 0), tuple(target))
        out = strength * out + (1.0 - strength) * base
    if image.has_alpha:
        a = image.alpha
        if alpha == "model" and d.task == "sr" and not d.any_scale:
            a_out = make_tile_fn(restorer, channels=1)(reflect_border(a, b) if b > 0 else a)
            a_out = a_out[:, b * s : b * s + h * s, b * s : b * s + w * s]
            a_out = _bicubic(a_out, tuple(target))
        else:
            a_out = _bicubic(a, tuple(target))
        out = np.concatenate([out, a_out], axis=0)
    return image.with_pixels(np.clip(out, 0.0, 1.0))


def color_shift(before: np.ndarray, after: np.ndarray, *, size: int = 64) -> float:
    """Mean CIEDE2000 between low-pass versions of two RGB images (what a colour shift looks like)."""
    a = _bicubic(before, (size, size))
    b = _bicubic(after, (size, size))
    return float(ciede2000(np.clip(a, 0, 1), np.clip(b, 0, 1)))


def guard_colors(before: Image, after: Image, *, size: int = 32) -> Image:
    """Match the low-frequency colour of ``after`` to ``before`` (chroma only, luma kept)."""
    if before.is_gray or after.is_gray:
        return after
    src = rgb_to_ycbcr(after.color)
    ref = rgb_to_ycbcr(_bicubic(before.color, after.color.shape[1:]))
    hw = after.color.shape[1:]
    low = (max(1, hw[0] // size), max(1, hw[1] // size))
    diff = _bicubic(_bicubic(ref[1:] - src[1:], low), hw)
    fixed = ycbcr_to_rgb(np.concatenate([src[:1], src[1:] + diff], axis=0))
    pix = np.clip(fixed, 0, 1).astype(np.float32)
    if after.has_alpha:
        pix = np.concatenate([pix, after.alpha], axis=0)
    return after.with_pixels(pix)


def keep_light_colour(before: Image, after: Image, *, lo: float = 0.35, hi: float = 0.7) -> Image:
    """Give the parts of ``after`` that were already well lit in ``before`` (lamps, windows, a sunset: BT.601
    luma between ``lo`` and ``hi`` and above, smoothly weighted) back their saturation: there, the chroma of
    ``after`` is moved towards the input's chroma scaled by the change of luma. A low-light model brightens
    the dark parts; it must not whiten the lights (it did: their saturation fell to 0.3-0.4 of the input's).
    Dark parts, whose input chroma is mostly noise, keep the model's colour. Same size, RGB only
    (:func:`vivid.ops.color.keep_light_chroma` on the pixels; video uses it on frames)."""
    if before.is_gray or after.is_gray or before.color.shape != after.color.shape:
        return after
    pix = keep_light_chroma(before.color, after.color, lo=lo, hi=hi)
    if after.has_alpha:
        pix = np.concatenate([pix, after.alpha], axis=0)
    return after.with_pixels(pix)


def check_colorize_input(image: Image) -> None:
    """Refuse to colorize ``image`` when it holds colour: a colorizer keeps only the lightness and
    guesses the colours, so a colour photo would lose its real ones. Gray images (also stored as RGB or
    JPEG) and toned monochromes (sepia) pass."""
    if image.is_gray:
        return
    p99, toned = chroma_stats(thumbnail(image.rgb()))
    if p99 >= GRAY_CHROMA and not toned:
        raise InputError(
            f"the image is in colour (chroma {p99 * 255:.0f}/255 in its most colourful 1%): colorize would replace "
            "its colours with guessed ones; use recolor (CLI --recolor) to do it anyway"
        )


def plan_for(
    image: Image,
    *,
    task: str,
    model: str | None,
    scale: float | None,
    size: tuple[int, int] | None,
    models: Any = None,
) -> Plan:
    """The plan for an explicit task (``auto`` asks the router).

    A model file used for SR with no scale or size requested runs at its own scale.
    """
    check_request(task=task, model=model, scale=scale, size=size)
    if task == "auto":
        return analyze(image, scale=scale, size=size)
    return plan_for_shape(image.height, image.width, task=task, model=model, scale=scale, size=size, models=models)


def plan_for_shape(
    height: int,
    width: int,
    *,
    task: str,
    model: str | None,
    scale: float | None,
    size: tuple[int, int] | None,
    models: Any = None,
) -> Plan:
    """:func:`plan_for` an explicit task, from the image's size alone (no pixels needed)."""
    check_request(task=task, model=model, scale=scale, size=size)
    if task == "auto":
        raise ConfigError("task auto analyses the image's pixels: use plan_for")
    name = model or default_model(task)
    step_scale = 1
    if task == "sr" and scale is None and size is None and model is not None:
        if runs_a_file(model):
            yours = added_model(model)  # its record says its scale: no need to load it
            native = yours.scale if yours is not None else (models or ModelCache()).get(model, None).descriptor.scale
            return Plan(steps=(Step(task=task, model=name, scale=native, reason="chosen by the user"),))
    if task == "sr":
        th, tw = _target_size(height, width, scale=scale if scale else (None if size else 2), size=size)
        step_scale = pick_scale(name, max(th / height, tw / width))
    return Plan(steps=(Step(task=task, model=name, scale=step_scale, reason="chosen by the user"),))


def enhance(
    image: Image | Any,
    plan: Plan | None = None,
    *,
    options: EnhanceOptions | None = None,
    models: Any = None,
    progress: Progress = null_progress,
    **changes: Any,
) -> EnhanceResult:
    """Enhance ``image``: make (or take) a plan and run its steps.

    This is the engine's entry (the CLI, the service, video and :func:`vivid.enhance` call it). The options
    are an :class:`~vivid.engine.options.EnhanceOptions` (``options``), or its fields given as keywords
    (``task="sr", scale=2``; applied over ``options`` when both are given). A ``size`` here is
    ``(height, width)`` like numpy shapes (or ``"WxH"``); :func:`vivid.enhance`, the Python API, takes
    ``(width, height)``.

    Args:
        image: the input: a :class:`Image`, a file path, a numpy array ``(H, W, C)`` (uint8, uint16 or
            float in [0, 1]) or a PIL image.
        plan: run this plan instead of making one (e.g. the plan of :func:`vivid.analyze`, or an edited one);
            the options' task and model are then not used.
        options: what to do; see :class:`~vivid.engine.options.EnhanceOptions` for each option. ``dtype``
            bfloat16 needs a model that offers it (``descriptor.dtypes``); ``runtime`` and ``allow_pickle``
            are used when ``models`` is not given (a cache has its own).
        models: optional cache with ``get(name, scale) -> Restorer`` (the service reuses loaded models).
        progress: callback ``(done, total, message)``.
    """
    opts = EnhanceOptions.merge(options, changes)
    image = as_image(image)
    if plan is not None and not isinstance(plan, Plan):
        raise ConfigError(f"plan must be a vivid Plan (from vivid.analyze), got {type(plan).__name__}")
    scale, size = opts.scale, opts.size
    if size is not None:
        size, crop = fit_size(image.height, image.width, size, fit=opts.fit)
        if crop is not None:
            image = image.with_pixels(image.pixels[:, crop[0], crop[1]])
    models = for_bit_depth(models if models is not None else ModelCache(
        allow_pickle=opts.allow_pickle, runtime=opts.runtime, precision=opts.precision), image.meta.bit_depth)
    the_plan = plan or plan_for(image, task=opts.task, model=opts.model, scale=scale, size=size, models=models)
    if any(step.task == "colorize" for step in the_plan.steps) and not opts.recolor:
        check_colorize_input(image)
    out = image
    records = []
    final_size = (_target_size(image.height, image.width, scale=scale, size=size)
                  if scale is not None or size is not None else None)
    for step in the_plan.steps:
        t0 = time.perf_counter()
        restorer = models.get(step.model, step.scale if step.task == "sr" else None).with_dtype(opts.dtype)
        step_size = None
        if step.task == "sr" and final_size is not None:
            step_size = final_size
        before = out
        out = run_model(restorer, out, size=step_size, strength=opts.strength, tile=opts.tile, alpha=opts.alpha,
                        progress=progress)
        de = None
        if opts.color_guard and step.task in ("sr", "denoise") and not out.is_gray:
            out = guard_colors(before, out)
        if step.task == "lowlight":
            out = keep_light_colour(before, out)
        if not out.is_gray and not before.is_gray and step.task in ("sr", "denoise"):
            de = color_shift(before.color, out.color)
        records.append(step_record(restorer, time.perf_counter() - t0, de))
    return EnhanceResult(out, the_plan, tuple(records))
