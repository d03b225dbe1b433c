"""One segment of a clip made on its own: the frames of one cell of the time grid, enhanced and encoded.

:func:`vivid.video.enhance.enhance_video` cuts its segments on a time grid: a new segment (with an encoder of
its own, so it starts with a keyframe) whenever a frame falls into the next ``segment_seconds`` of the clip.
Cell ``k`` of that grid holds the frames shown from ``k * segment_seconds`` to ``(k + 1) * segment_seconds``
after the clip's start. :func:`encode_cell` makes one cell alone, in any process that sees the input and the
work folder: it seeks to the source's keyframe at or before the cell's start, decodes to the cell's end, runs
the clip's plan in the same batches and encodes with the same settings, so it writes the segment the
sequential run writes (bit for bit where the encoder is deterministic: x264 is, for a given thread count).
Cells are independent, so a cluster (:mod:`vivid.cluster.video`) makes them in parallel and in any order.

Smoothed steps (lowlight/color/colorize with ``temporal_seconds`` above 0) carry their state from frame to
frame, across segments in the sequential run. A cell made alone first runs the frames of the
:data:`WARMUP_CONSTANTS` time constants before it through the plan, without encoding them: whatever the
smoother started from then weighs ``exp(-10)`` (5e-5) in its state at the cell's start, far below an 8-bit
level; it starts from the same point at a scene cut in that window. Plans without smoothing need no warm-up.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

from vivid.engine.plan import Plan
from vivid.errors import ConfigError
from vivid.video.enhance import FrameSource, VideoJob
from vivid.video.frames import frame_to_rgb, rgb_to_frame
from vivid.video.options import VideoOptions
from vivid.video.planar_sr import frame_planes, planar_sr
from vivid.video.probe import VideoInfo
from vivid.video.process import FrameProcessor
from vivid.video.segments import SegmentRecord, SegmentWriter, WorkDir, cell_of, end_pts

#: time constants of the smoother that a cell made alone runs before its start (see the module docstring)
WARMUP_CONSTANTS = 10.0
#: the most seconds of warm-up (for very long smoothing: the state then differs by exp(-60 / seconds))
MAX_WARMUP = 60.0


def grid_cells(info: VideoInfo, *, segment_seconds: float, duration: float | None) -> dict[int, int]:
    """Cell -> number of frames, from the video stream's packet timestamps (demuxed, not decoded): every cell
    from the first to the last that holds a frame (a cell in a gap of a variable-rate clip, with no frame,
    is made empty and left out of the output). A video whose frames carry no timestamps (a raw ``.h264``
    stream) cannot be cut by time: :class:`~vivid.errors.ConfigError`."""
    import av

    end = end_pts(info, duration)
    counts: dict[int, int] = {}
    with av.open(str(info.path)) as c:
        for p in c.demux(c.streams[info.stream_index]):
            ts = p.pts if p.pts is not None else p.dts
            if not p.size:
                continue
            if ts is None:
                raise ConfigError(f"{info.path}: its video frames carry no timestamps, so it cannot be cut into "
                                  "segments by time: run it with --engine local, or put it in a container first "
                                  f"(ffmpeg -i {info.path.name} -c copy clip.mkv)")
            if end is not None and ts >= end:
                continue
            cell = cell_of(ts, t0=info.start_pts, time_base=info.time_base, segment_seconds=segment_seconds)
            counts[cell] = counts.get(cell, 0) + 1
    if not counts:
        return {}
    return {k: counts.get(k, 0) for k in range(min(counts), max(counts) + 1)}


def warmup_seconds(processor: FrameProcessor, options: VideoOptions) -> float:
    """Seconds of frames to run before a cell so that its smoothers start where the sequential run's are."""
    if not processor.state_dict():  # no smoothed step
        return 0.0
    return min(MAX_WARMUP, WARMUP_CONSTANTS * options.temporal_seconds)


def encode_cell(job: VideoJob, options: VideoOptions, plan: Plan, models: Any, work: WorkDir, cell: int, *,
                out_size: tuple[int, int]) -> tuple[SegmentRecord | None, str]:
    """Make segment ``cell`` (``work.segment_path(cell)`` and its timestamps; written under a private name and
    moved into place when complete); returns its record (None when the cell holds no frame) and the frame
    path taken (``planar`` or ``rgb``, as :class:`~vivid.video.enhance.VideoResult` names them)."""
    info, tb = job.info, job.info.time_base
    t0 = info.start_pts
    processor = FrameProcessor(plan, models, out_size=out_size, temporal_seconds=options.temporal_seconds)
    planar = planar_sr(plan, models, info, out_size=out_size, out_pix_fmt=job.pix_fmt)
    start_s = Fraction(cell) * Fraction(str(options.segment_seconds))
    warm_from = start_s - Fraction(str(warmup_seconds(processor, options)))
    first_pts = t0 + math.floor(max(Fraction(0), warm_from) / tb)
    source = FrameSource(info, end_pts=end_pts(info, options.duration))
    writer: SegmentWriter | None = None
    pending: list[tuple[Any, int, int, float]] = []
    warm: list[tuple[np.ndarray, float]] = []

    def run_warmup() -> None:
        if warm:
            processor(np.stack([w[0] for w in warm]), [w[1] for w in warm])
            warm.clear()

    def flush() -> None:
        assert writer is not None
        if not pending:
            return
        if planar is not None:
            made = planar([p[0] for p in pending])
        else:
            out = processor(np.stack([p[0] for p in pending]), [p[3] for p in pending])
            made = [rgb_to_frame(o, pix_fmt=job.pix_fmt, color=info.color) for o in out]
        for f, (_, pts, dur, _) in zip(made, pending, strict=True):
            writer.write(f, pts=pts, duration=dur)
        pending.clear()

    try:
        for frame, pts, dur in source.frames(after_pts=first_pts - 1, skip=0):
            g = cell_of(pts, t0=t0, time_base=tb, segment_seconds=options.segment_seconds)
            t = (pts - t0) * tb
            if g > cell:
                break
            if g < cell:
                if t >= warm_from and planar is None:
                    warm.append((frame_to_rgb(frame, bit_depth=info.bit_depth), float(t)))
                    if len(warm) >= options.batch:
                        run_warmup()
                continue
            run_warmup()
            if writer is None:
                writer = SegmentWriter(work, cell, settings=job.settings, fmt=job.stream_format(out_size),
                                       private=True)
            if planar is not None:  # copies of the planes (the decoder reuses its buffers)
                pixels: Any = tuple(p.copy() for p in frame_planes(frame, size=planar.size))
            else:
                pixels = frame_to_rgb(frame, bit_depth=info.bit_depth)
            pending.append((pixels, pts, dur, float(t)))
            if len(pending) >= options.batch:
                flush()
        if writer is None:
            return None, "planar" if planar is not None else "rgb"
        flush()
        record = writer.finish({})
        writer = None
        return record, "planar" if planar is not None else "rgb"
    finally:
        if writer is not None:
            writer.abort()
