"""The memory budget of one request or job, checked before anything is decoded and before anything runs.

Three things are known without decoding a pixel: the input's size (from the file's header), the output
of every step of the plan (from the steps' scales and the requested scale or size) and, for video, the
number of frames. :func:`check_input` and :func:`check_plan` turn them into an estimate of peak memory
and refuse (413) what is over the limits, with a message naming the limit and the setting that changes it.

The per-pixel costs below were measured with ``ru_maxrss`` on the in-memory path (decode, routing
analysis, bicubic and model steps, PNG encoding) and on the streaming path: ``benchmarks/budget_costs.py``
measures them again; ``benchmarks/request_memory.py`` checks whole requests against a running server.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vivid.engine.routing import SMALL_SIDE
from vivid.errors import InputError
from vivid.models.registry import get_entry

if TYPE_CHECKING:
    from vivid.server.enhancement import EnhanceRequest
    from vivid.server.settings import Settings

#: peak bytes per input pixel: the decoded file, its float32 copy and the routing analysis' copies
#: (measured 25 on a 12 MP PNG)
BYTES_PER_INPUT_PIXEL = 32
#: peak bytes per output pixel of a step with this model, run with the server's tile size (:data:`TILE`),
#: the encoder's 8-bit copy included; measured with ``ru_maxrss`` over the idle process on 1.5 MP inputs
#: (bicubic 84, vivid-sr x2 59, vivid-denoise 177, vivid-lowlight 238, vivid-colorize 216, nlm 36, lime 124),
#: rounded up; models not measured get :data:`DEFAULT_STEP_BYTES`. vivid-sr x2 runs its int8 graph by default
#: (precision auto), whose float/int8 boundaries hold more activations: ``benchmarks/budget_costs.py --cases
#: vivid-sr:2`` measured 122.4 (int8) against 84.4 (``--precision float32``) on 2026-12-07; ``--cases
#: vivid-sr-fast:2,vivid-sr-rt:2`` measured 67.5 and 62.6 (2026-12-07), both kept at bicubic's 96
STEP_BYTES = {"bicubic": 96, "lanczos": 96, "vivid-sr": 128, "vivid-sr-fast": 96, "vivid-sr-rt": 96, "vivid-denoise": 200,
              "vivid-lowlight": 260, "vivid-tone": 260, "vivid-colorize": 240, "vivid-colorize-seed003": 240,
              "nlm": 64, "lime": 140}
DEFAULT_STEP_BYTES = 320
#: tile side (input pixels) the service runs tileable models with: bounds their activations whatever
#: the free memory of the machine (the library's default tile grows with it)
TILE = 384
#: the streaming path (one tileable step into PNG, :func:`vivid.engine.stream.enhance_file`): the input
#: kept as decoded (8 or 16 bits, up to 4 channels) and a few float32 output strips of TILE input rows
#: (measured: vivid-sr x2 on 4000x3000 streamed in 555 MB over the idle process, 90 B per strip pixel; with its
#: int8 graph, the default since 2026-12-07, ``benchmarks/budget_costs.py --stream --cases vivid-sr:2 --size
#: 3000x4000`` gave 930 MB, 158.7 B per strip pixel, and 118.5 with ``--precision float32``)
STREAM_BYTES_PER_INPUT_PIXEL = 8
STREAM_BYTES_PER_STRIP_PIXEL = 170


class BudgetError(InputError):
    """The request or job would need more pixels or memory than this server allows (413)."""

    http_status = 413
    code = "over_budget"


class InputTooLargeError(BudgetError):
    """The input has more pixels than ``max_pixels``."""

    code = "image_too_large"


@dataclass(frozen=True)
class Geometry:
    """What a plan makes of an input: the final size and the largest image any step holds."""

    height: int
    width: int
    peak_pixels: int
    #: the largest step's output pixels times its model's cost per pixel
    peak_bytes: int = 0


def _any_scale(model: str) -> bool:
    try:
        return get_entry(model).any_scale
    except Exception:  # noqa: BLE001 - an unknown model is refused elsewhere; assume the costlier path
        return False


def plan_geometry(height: int, width: int, steps: Sequence[tuple[str, str, int]], *,
                  scale: float | None, size: tuple[int, int] | None) -> Geometry:
    """Replay :func:`vivid.engine.api.enhance`'s sizes for ``steps`` ``(task, model, step_scale)``.

    An SR step runs its model at ``step_scale`` and is then resampled to the requested final size
    (``size``, or the input times ``scale``) when one was asked for; other steps keep the size.
    """
    final = None
    if size is not None:
        final = (size[0], size[1])
    elif scale is not None:
        final = (max(1, round(height * scale)), max(1, round(width * scale)))
    h, w = height, width
    peak = h * w
    peak_bytes = 0
    for task, model, s in steps:
        cost = STEP_BYTES.get(model, DEFAULT_STEP_BYTES)
        if task != "sr":
            peak_bytes = max(peak_bytes, h * w * cost)
            continue
        target = final or (h * s, w * s)
        raw = target if _any_scale(model) else (h * s, w * s)
        pixels = max(raw[0] * raw[1], target[0] * target[1])
        peak = max(peak, pixels)
        peak_bytes = max(peak_bytes, pixels * cost)
        h, w = target
    return Geometry(h, w, peak, peak_bytes)


def target_size(opts: EnhanceRequest, height: int, width: int) -> tuple[int, int] | None:
    """The exact output size the request's ``size`` gives a ``height x width`` input (met as its ``fit`` says)."""
    if opts.size is None:
        return None
    from vivid.engine.api import fit_size

    return fit_size(height, width, opts.size, fit=opts.fit)[0]


def planned_steps(opts: EnhanceRequest, height: int, width: int) -> list[tuple[str, str, int]]:
    """The steps that will run, from the options and the input size alone (no pixels).

    Exact for a client's plan and for an explicit task. For ``auto`` the analysis decides which
    same-size steps run, but its SR step follows the same rule as :func:`vivid.engine.routing.analyze`
    (the requested scale or size, or x2 for a small image), which is all the sizes depend on.
    """
    from vivid.engine.api import default_model, pick_scale, plan_for_shape

    if opts.plan is not None:
        return [(s.task, s.model, s.scale) for s in opts.plan.steps]
    size = target_size(opts, height, width)
    if opts.task != "auto":
        plan = plan_for_shape(height, width, task=opts.task, model=opts.model, scale=opts.scale, size=size)
        return [(s.task, s.model, s.scale) for s in plan.steps]
    if size is not None:
        factor = max(size[0] / height, size[1] / width)
    elif opts.scale is not None:
        factor = opts.scale
    else:
        factor = 2.0 if max(height, width) < SMALL_SIDE else 1.0
    if factor <= 1:
        return []
    model = default_model("sr")
    return [("sr", model, pick_scale(model, factor))]


def estimate_bytes(input_pixels: int, geometry: Geometry) -> int:
    """Estimated peak memory of one enhancement (input side + the costliest step)."""
    return input_pixels * BYTES_PER_INPUT_PIXEL + geometry.peak_bytes


def header_size(source: bytes | Path) -> tuple[int, int] | None:
    """``(width, height)`` from an image file's header (bytes or a path), without decoding; None when it
    cannot be read (the decoder then says what is wrong with the file)."""
    import warnings

    from PIL import Image as PILImage

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with PILImage.open(io.BytesIO(source) if isinstance(source, bytes) else source) as im:
                return im.size
    except Exception:  # noqa: BLE001 - unreadable headers are the decoder's to report
        return None


def _mp(pixels: float) -> str:
    return f"{pixels / 1e6:.1f} MP"


def check_input(width: int, height: int, settings: Settings, *, name: str) -> None:
    """Refuse an input whose decoding alone would be over ``max_pixels`` or the memory budget."""
    pixels = width * height
    if pixels > settings.max_pixels:
        raise InputTooLargeError(f"{name!r} is {width}x{height} = {_mp(pixels)}, more than this server's max_pixels of "
                          f"{_mp(settings.max_pixels)} (setting VIVID_MAX_PIXELS): send a smaller image")
    need = pixels * BYTES_PER_INPUT_PIXEL
    if need > settings.memory_budget_mb * 2**20:
        raise BudgetError(f"{name!r} is {width}x{height} = {_mp(pixels)}: reading it needs about "
                          f"{need / 2**20:.0f} MB, more than the {settings.memory_budget_mb:g} MB memory budget "
                          f"(setting VIVID_MEMORY_BUDGET_MB): send a smaller image")


def check_plan(width: int, height: int, steps: Sequence[tuple[str, str, int]], settings: Settings, *,
               scale: float | None, size: tuple[int, int] | None, name: str) -> Geometry:
    """Refuse a plan whose output (or any step's) is over ``max_output_pixels`` or the memory budget."""
    g = plan_geometry(height, width, steps, scale=scale, size=size)
    if g.peak_pixels > settings.max_output_pixels:
        raise BudgetError(
            f"enhancing {name!r} ({width}x{height}) would make a {g.width}x{g.height} image "
            f"(largest step {_mp(g.peak_pixels)}), more than this server's max_output_pixels of "
            f"{_mp(settings.max_output_pixels)} (setting VIVID_MAX_OUTPUT_PIXELS): ask for a smaller scale or size")
    need = estimate_bytes(width * height, g)
    if need > settings.memory_budget_mb * 2**20:
        raise BudgetError(
            f"enhancing {name!r} ({width}x{height} → {g.width}x{g.height}) needs about {need / 2**20:.0f} MB, more "
            f"than the {settings.memory_budget_mb:g} MB memory budget (setting VIVID_MEMORY_BUDGET_MB): ask for a "
            f"smaller scale or size, or send a smaller image")
    return g


def stream_problem(opts: EnhanceRequest, width: int, height: int, models: Any) -> str | None:
    """Why a job input cannot take the bounded streaming path (:func:`vivid.engine.stream.enhance_file`),
    or None when it can: one tileable model step, no image-wide parameters, PNG output."""
    if opts.plan is not None:
        return "a sent plan runs in memory"
    if opts.task == "auto":
        return "task auto analyses the whole image"
    if opts.format != "png":
        return "only PNG output is streamed"
    from vivid.engine.api import plan_for_shape
    from vivid.engine.stream import stream_problem as engine_problem

    size = target_size(opts, height, width)
    plan = plan_for_shape(height, width, task=opts.task, model=opts.model, scale=opts.scale, size=size)
    if len(plan.steps) != 1:
        return f"the plan has {len(plan.steps)} steps"
    step = plan.steps[0]
    restorer = models.with_runtime(opts.runtime, opts.precision).get(step.model, step.scale if step.task == "sr" else None)
    return engine_problem(restorer, plan=plan, height=height, width=width, scale=opts.scale, size=size,
                          color_guard=opts.color_guard, dst=Path("out.png"))


def check_stream(width: int, height: int, steps: Sequence[tuple[str, str, int]], settings: Settings, *,
                 name: str) -> None:
    """Refuse streamed work over ``max_stream_output_pixels`` or the memory budget (input as decoded plus
    a few output strips of :data:`TILE` input rows)."""
    (_, _, s), = steps
    out = height * s * width * s
    if out > settings.max_stream_output_pixels:
        raise BudgetError(
            f"enhancing {name!r} ({width}x{height}) would make a {width * s}x{height * s} image ({_mp(out)}), more "
            f"than this server's max_stream_output_pixels of {_mp(settings.max_stream_output_pixels)} (setting "
            "VIVID_MAX_STREAM_OUTPUT_PIXELS): ask for a smaller scale")
    strip = min(TILE, height) * s * width * s
    need = width * height * STREAM_BYTES_PER_INPUT_PIXEL + strip * STREAM_BYTES_PER_STRIP_PIXEL
    if need > settings.memory_budget_mb * 2**20:
        raise BudgetError(
            f"enhancing {name!r} ({width}x{height} → {width * s}x{height * s}) needs about {need / 2**20:.0f} MB even "
            f"streamed, more than the {settings.memory_budget_mb:g} MB memory budget (setting "
            "VIVID_MEMORY_BUDGET_MB): send a smaller image")


def route_job_input(opts: EnhanceRequest, width: int, height: int, settings: Settings, models: Any, *,
                    name: str) -> str:
    """``"memory"`` when the input fits the in-memory path, ``"stream"`` when only the bounded streaming
    path fits it; raises the in-memory path's :class:`BudgetError` when neither does."""
    steps = planned_steps(opts, height, width)
    try:
        check_input(width, height, settings, name=name)
        check_plan(width, height, steps, settings, scale=opts.scale, size=target_size(opts, height, width),
                   name=name)
        return "memory"
    except InputTooLargeError:
        raise
    except BudgetError:
        if stream_problem(opts, width, height, models) is not None:
            raise
    check_stream(width, height, steps, settings, name=name)
    return "stream"


def check_video(frames: int | None, out_height: int, out_width: int, settings: Settings, *, name: str) -> None:
    """Refuse a video whose output frames, or frames x pixels, are over the limits."""
    pixels = out_width * out_height
    if pixels > settings.max_output_pixels:
        raise BudgetError(f"enhancing {name!r} would make {out_width}x{out_height} frames ({_mp(pixels)}), more "
                          f"than this server's max_output_pixels of {_mp(settings.max_output_pixels)} (setting "
                          f"VIVID_MAX_OUTPUT_PIXELS): ask for a smaller scale")
    if frames is not None and frames * pixels > settings.max_video_pixels:
        raise BudgetError(f"enhancing {name!r} would make {frames} frames of {out_width}x{out_height} = "
                          f"{frames * pixels / 1e9:.1f} gigapixels, more than this server's max_video_pixels of "
                          f"{settings.max_video_pixels / 1e9:.1f} gigapixels (setting VIVID_MAX_VIDEO_PIXELS): "
                          f"send a shorter clip or ask for a smaller scale")
