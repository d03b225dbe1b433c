"""Run a plan's steps over batches of frames ``(N, 3, H, W)``.

Small frames through a tileable model (or a resampler) go to the :class:`Restorer` as one batch: the
colour-space adaptation mirrors :func:`vivid.engine.adapter.make_tile_fn` (Y / RGB / gray / colorize,
padding to the size multiple) on a whole batch, which gives the same pixels as
:func:`vivid.engine.api.run_model` on each frame (tested). Everything else (large frames that need tiles,
models with global decisions, models that bind per-image parameters) goes through ``run_model`` frame by
frame. Steps with global decisions (low-light, colour/tone, colorize) are smoothed over time
(:mod:`vivid.video.temporal`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from vivid.engine.plan import Plan, Step
from vivid.engine.tiling import pad_to_multiple
from vivid.models.base import Restorer
from vivid.ops.color import keep_light_chroma
from vivid.ops.resize import resize_planes
from vivid.video.temporal import TemporalSmoother

#: tasks whose models decide globally per frame; their output is smoothed over time
GLOBAL_TASKS = frozenset({"lowlight", "color", "colorize"})


def resize_batch(x: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    """Bicubic up / area down, as the engine's final resize."""
    return resize_planes(x, hw)


def _luma601(x: np.ndarray) -> np.ndarray:
    return (0.299 * x[:, 0:1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3]).astype(np.float32)


def frames_per_call(restorer: Restorer, shape: tuple[int, ...]) -> int:
    """How many frames of this shape ``(N, C, H, W)`` may go to the model in one call (0: none).

    Tileable models (and resamplers) qualify when one frame needs no tiling; the count is as many as
    fit the memory budget the engine uses for one tile (at most ``N``).
    """
    from vivid.engine.tiling import auto_tile_size

    d = restorer.descriptor
    if not (d.tileable or d.any_scale):
        return 0
    n, _, h, w = shape
    per_pixel = 4 * 64 * max(1, d.scale * d.scale)  # the engine's working-set estimate per input pixel
    for k in range(max(1, n), 0, -1):
        if max(h, w) <= auto_tile_size(bytes_per_pixel=per_pixel * k):
            return k
    return 0


def batch_fits(restorer: Restorer, shape: tuple[int, ...]) -> bool:
    """Whether a batch of this shape may go to the model in calls of one or more frames."""
    return frames_per_call(restorer, shape) > 0


def run_batch(restorer: Restorer, x: np.ndarray) -> np.ndarray:
    """One model call on a batch of RGB frames ``(N, 3, H, W)`` -> ``(N, 3, H*s, W*s)`` (not clipped).

    The batched twin of :func:`vivid.engine.adapter.make_tile_fn` (same colour-space handling).
    """
    from vivid.ops.color import rgb_to_ycbcr, ycbcr_to_rgb

    d = restorer.descriptor
    s = d.scale
    n, _, h, w = x.shape

    def run(z: np.ndarray) -> np.ndarray:
        y = restorer(pad_to_multiple(z, d.size_multiple, minimum=d.min_size, fill=d.fill))
        return y[:, :, : h * s, : w * s]

    if d.task == "colorize":
        return run(_luma601(x))
    if d.color_space == "rgb":
        return run(x)
    if d.color_space == "gray":
        y = run(x.reshape(n * 3, 1, h, w))
        return y.reshape(n, 3, *y.shape[2:])
    ycc = rgb_to_ycbcr(x)
    y = run(np.ascontiguousarray(ycc[:, 0:1]))
    cc = ycc[:, 1:] if s == 1 else resize_batch(ycc[:, 1:], y.shape[2:])
    return ycbcr_to_rgb(np.concatenate([y, cc], axis=1)).astype(np.float32)


def apply_model(restorer: Restorer, x: np.ndarray, *, size: tuple[int, int] | None = None) -> np.ndarray:
    """``restorer`` on RGB frames ``(N, 3, H, W)``, resized to ``size`` when given; clipped to [0, 1].

    Batched calls (as many frames per call as :func:`frames_per_call` allows) when the model binds no
    per-frame parameters, else :func:`vivid.engine.api.run_model` per frame (tiling, global decisions).
    """
    from vivid.engine.api import run_model
    from vivid.io.image import Image

    d = restorer.descriptor
    n, _, h, w = x.shape
    k = frames_per_call(restorer, x.shape)
    if k and all(restorer.bind(f) is restorer for f in x):
        if d.any_scale:
            target = size or (h * d.scale, w * d.scale)
            calls = (lambda z: restorer(z, size=target)) if d.color_space == "rgb" else None
        else:
            calls = lambda z: run_batch(restorer, z)  # noqa: E731
        if calls is not None:
            out = np.concatenate([calls(x[i:i + k]) for i in range(0, n, k)]) if k < n else calls(x)
            out = np.ascontiguousarray(out, dtype=np.float32)
            if size is not None:
                out = resize_batch(out, size)
            return np.clip(out, 0.0, 1.0, out=out)
    return np.stack([run_model(restorer, Image(np.ascontiguousarray(f)), size=size).pixels for f in x])


@dataclass
class _StepRunner:
    step: Step
    restorer: Restorer
    smoother: TemporalSmoother | None


class FrameProcessor:
    """Applies a plan to batches of frames; keeps the temporal smoothers' state between batches.

    Args:
        plan: the steps (one plan for the whole clip).
        models: a cache with ``get(name, scale) -> Restorer`` (e.g. :class:`vivid.engine.cache.ModelCache`).
        out_size: final ``(height, width)``; SR steps resize to it, and a last resize makes sure of it.
        temporal_seconds: time constant for smoothing global steps (0: no smoothing).
    """

    def __init__(self, plan: Plan, models: Any, *, out_size: tuple[int, int] | None,
                 temporal_seconds: float = 0.5) -> None:
        self.plan = plan
        self.out_size = out_size
        self.runners = [
            _StepRunner(
                step,
                models.get(step.model, step.scale if step.task == "sr" else None),
                TemporalSmoother(seconds=temporal_seconds)
                if step.task in GLOBAL_TASKS and temporal_seconds > 0 else None,
            )
            for step in plan.steps
        ]
        self.frames = 0

    def __call__(self, frames: np.ndarray, times: Sequence[float]) -> np.ndarray:
        """``(N, 3, H, W)`` float32 frames shown at ``times`` (seconds) -> processed ``(N, 3, H', W')``."""
        x = frames
        sr_steps = [r for r in self.runners if r.step.task == "sr"]
        for r in self.runners:
            size = self.out_size if (r is (sr_steps[-1] if sr_steps else None)) else None
            y = apply_model(r.restorer, x, size=size)
            if y.shape[1] == 1:
                y = np.repeat(y, 3, axis=1)
            if r.step.task == "lowlight" and y.shape == x.shape:  # as the engine does for photos
                y = keep_light_chroma(x, y)
            if r.smoother is not None:
                y = np.stack([r.smoother(b, a, t) for b, a, t in zip(x, y, times, strict=True)])
            x = y
        if self.out_size is not None and x.shape[2:] != tuple(self.out_size):
            x = np.clip(resize_batch(x, self.out_size), 0.0, 1.0)
        self.frames += len(frames)
        return x

    def state_dict(self) -> dict[str, Any]:
        return {str(i): r.smoother.state_dict() for i, r in enumerate(self.runners) if r.smoother is not None}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for i, r in enumerate(self.runners):
            if r.smoother is not None and str(i) in state:
                r.smoother.load_state_dict(state[str(i)])
