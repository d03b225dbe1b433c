"""One plan for a whole clip: sample a few frames, analyse them once, agree on the steps.

Per-frame routing would switch models mid-shot; instead ``auto`` analyses a handful of frames spread over
the clip with :func:`vivid.engine.routing.analyze` and keeps a step when at least half of the samples ask
for it. Explicit tasks go through :func:`vivid.engine.api.plan_for` as for images.
"""

from __future__ import annotations

import statistics
from typing import Any

import numpy as np

from vivid.engine.api import check_colorize_input, plan_for
from vivid.engine.plan import Plan, Step
from vivid.engine.routing import analyze
from vivid.errors import InputError
from vivid.io.image import Image
from vivid.video.frames import frame_to_rgb
from vivid.video.probe import VideoInfo

#: the order routing emits steps in
_TASK_ORDER = ("denoise", "lowlight", "colorize", "color", "sr")


def sample_frames(info: VideoInfo, *, count: int = 5,
                  end: float | None = None) -> list[tuple[np.ndarray, float]]:
    """``count`` frames ``(3, H, W)`` spread over the clip (or its first ``end`` seconds), with their times.

    Raises :class:`~vivid.errors.InputError` when the file turns out to be corrupt past its first frame.
    """
    import av


    try:
        return _sample_frames(info, count=count, end=end)
    except (av.FFmpegError, UnicodeDecodeError) as e:
        detail = getattr(e, "strerror", None) or type(e).__name__
        raise InputError(f"{info.path} is corrupt: FFmpeg cannot decode the frames sampled for planning "
                         f"({detail})") from None


def _sample_frames(info: VideoInfo, *, count: int, end: float | None) -> list[tuple[np.ndarray, float]]:
    import av

    tb = info.time_base
    t0 = float(info.start_pts * tb)
    span = info.duration if info.duration else count * info.frame_interval()
    if end is not None:
        span = min(span, end)
    targets = [t0 + span * (i + 0.5) / count for i in range(count)]
    out: list[tuple[np.ndarray, float]] = []
    with av.open(str(info.path)) as c:
        vs = c.streams[info.stream_index]
        vs.thread_type = "AUTO"
        for t in targets:
            try:
                c.seek(int(t / tb), stream=vs, backward=True)
            except av.FFmpegError:
                c.seek(0, stream=vs)
            chosen = None
            for frame in c.decode(vs):
                chosen = frame
                if frame.pts is None or float(frame.pts * tb) >= t - 1e-9:
                    break
            if chosen is not None:
                ft = float(chosen.pts * tb) if chosen.pts is not None else t
                out.append((frame_to_rgb(chosen, bit_depth=info.bit_depth), ft))
    if not out:
        raise InputError(f"{info.path}: no frame could be decoded for analysis")
    return out


def plan_from_samples(images: list[Image], *, scale: float | None) -> Plan:
    """Analyse each sampled frame; keep the steps that at least half of them ask for."""
    plans = [analyze(img, scale=scale) for img in images]
    n = len(plans)
    first: dict[str, Step] = {}
    votes: dict[str, int] = {}
    for p in plans:
        for s in p.steps:
            votes[s.task] = votes.get(s.task, 0) + 1
            first.setdefault(s.task, s)
    steps = []
    notes = [f"one plan for the whole clip, from {n} frames sampled across it"]
    if 0 < votes.get("colorize", 0) < n:  # colour in any sampled frame: a colour clip, never recoloured
        del votes["colorize"]
        notes.append("some sampled frames hold colour: the clip is not colorized")
    for task in sorted(votes, key=lambda t: _TASK_ORDER.index(t) if t in _TASK_ORDER else len(_TASK_ORDER)):
        if 2 * votes[task] >= n:
            s = first[task]
            steps.append(Step(task=s.task, model=s.model, scale=s.scale, alternatives=s.alternatives,
                              reason=f"{s.reason} ({votes[task]} of {n} sampled frames)"))
    analysis: dict[str, Any] = {}
    for key, value in plans[0].analysis.items():
        values = [p.analysis.get(key) for p in plans]
        if isinstance(value, bool):
            analysis[key] = sum(bool(v) for v in values) * 2 >= n
        elif isinstance(value, (int, float)):
            analysis[key] = statistics.median(float(v) for v in values)
        else:
            analysis[key] = value
    for p in plans:
        notes.extend(x for x in p.notes if x not in notes)
    if not steps:
        notes.append("no step was asked for by half of the sampled frames → frames are re-encoded as they are")
    return Plan(steps=tuple(steps), analysis=analysis, notes=tuple(notes))


def plan_video(samples: list[tuple[np.ndarray, float]], *, task: str, model: str | None, scale: float | None,
               models: Any, recolor: bool = False) -> Plan:
    """The plan for the clip: routed from the samples for ``auto``, else the explicit task's. ``colorize``
    of a clip whose sampled frames hold colour is refused unless ``recolor``."""
    images = [Image(np.ascontiguousarray(x)) for x, _ in samples]
    if task == "auto":
        return plan_from_samples(images, scale=scale)
    if task == "colorize" and not recolor:
        for img in images:
            check_colorize_input(img)
    return plan_for(images[0], task=task, model=model, scale=scale, size=None, models=models)


def output_size(plan: Plan, height: int, width: int, *, scale: float | None) -> tuple[int, int]:
    """The encoded frame size: the SR factor applied, rounded to even numbers (4:2:0 chroma needs them)."""
    factor = 1.0
    for s in plan.steps:
        if s.task == "sr":
            factor *= s.scale
    if scale is not None and any(s.task == "sr" for s in plan.steps):
        factor = scale
    h, w = round(height * factor), round(width * factor)
    return max(2, h - h % 2), max(2, w - w % 2)
