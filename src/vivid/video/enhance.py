"""``enhance_video``: decode, enhance every frame with one plan, encode in resumable segments, remux the rest.

The flow, all checks first::

    probe input ─ check output path, codec, container ─ plan (sampled frames; --realtime measures models)
      ─ check the container can hold every stream (header written in memory) ─ checkpoint
      ─ decode ▸ batch ▸ FrameProcessor ▸ encode into segment k (new segment every N s of the output)
      ─ join segments + copy audio/subtitle/data packets into OUT (temporary name, then renamed)

Frames stream through memory (no frame files). Every frame keeps its own timestamp, so variable frame
rates and audio sync survive; rotation and the colour description are carried over.

The checks, the plan and the join (:class:`PreparedVideo`) also serve ``--engine ray``
(:mod:`vivid.cluster.video`), whose workers make the same segments in parallel (:mod:`vivid.video.cells`).
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from vivid.engine.plan import Plan
from vivid.engine.progress import Progress, null_progress
from vivid.errors import ConfigError, InputError, OutputError
from vivid.video.codecs import (
    EncoderSettings,
    container_for,
    keep_normal_scheduling,
    output_pix_fmt,
    resolve_encoder,
)
from vivid.video.frames import frame_to_rgb, rgb_to_frame
from vivid.video.options import VideoOptions, key_differences, key_hash
from vivid.video.overlap import Prefetch, Worker
from vivid.video.planar_sr import frame_planes, planar_sr
from vivid.video.probe import VideoInfo, probe
from vivid.video.process import FrameProcessor
from vivid.video.realtime import RealtimeChoice
from vivid.video.segments import Checkpoint, SegmentWriter, StreamFormat, WorkDir, cell_of, end_pts


@dataclass(frozen=True)
class VideoResult:
    """What a video job did."""

    output: Path
    frames: int
    processed: int
    segments: int
    resumed_segments: int
    seconds: float
    plan: Plan
    width: int
    height: int
    source_fps: float | None
    settings: EncoderSettings
    realtime: RealtimeChoice | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: how frames went through the model: "planar" (yuv420p planes, :mod:`vivid.video.planar_sr`) or "rgb"
    frame_path: str = "rgb"
    #: seconds each overlapped stage was busy: ``decode`` (its thread), ``model`` (this thread), ``encode``
    #: (its thread); the largest one sets the pace when the machine has the cores to overlap them
    stage_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def fps(self) -> float:
        """Frames processed per second of wall time in this run (decode, models, encode, mux)."""
        return self.processed / self.seconds if self.seconds > 0 else 0.0


def check_paths(src: Path, dst: Path, *, overwrite: bool) -> str:
    """Validate input and output paths before any work; return the output container format."""
    fmt = container_for(dst)
    if not src.exists():
        raise InputError(f"input {src} does not exist")
    if dst.exists() and (dst.resolve() == src.resolve() or os.path.samefile(dst, src)):
        raise OutputError(f"output {dst} is the input: write to another file (vivid never overwrites inputs)")
    if dst.resolve() == src.resolve():
        raise OutputError(f"output {dst} is the input: write to another file")
    parent = dst.parent
    if not parent.is_dir():
        raise OutputError(f"output folder {parent} does not exist: create it first")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"output folder {parent} is not writable: choose another output")
    if dst.exists() and not overwrite:
        raise OutputError(f"output {dst} exists: pass --overwrite to replace it")
    if dst.is_dir():
        raise OutputError(f"output {dst} is a folder: give a file name such as {dst / 'out.mp4'}")
    return fmt


class FrameSource:
    """Decoded frames with reliable timestamps ``(frame, pts, duration)``, optionally after a point."""

    def __init__(self, info: VideoInfo, *, end_pts: int | None) -> None:
        self.info = info
        self.end_pts = end_pts
        tb = info.time_base
        self.interval = max(1, round(1 / ((info.fps or 25) * tb)))
        self.fixed = 0  # frames whose timestamp had to be made up or moved

    def _iter(self, container, vs) -> Iterator[tuple[Any, int, int]]:  # noqa: ANN001
        last: int | None = None
        for frame in container.decode(vs):
            pts = frame.pts
            if pts is None:
                pts = last + self.interval if last is not None else self.info.start_pts
                self.fixed += 1
            elif last is not None and pts <= last:  # broken files: keep the order, nudge the time
                pts = last + 1
                self.fixed += 1
            if self.end_pts is not None and pts >= self.end_pts:
                return
            last = pts
            duration = frame.duration if frame.duration else self.interval
            yield frame, pts, int(duration)

    def frames(self, *, after_pts: int | None, skip: int) -> Iterator[tuple[Any, int, int]]:
        """Frames after ``after_pts`` (seeking there); else from the start, skipping ``skip`` frames."""
        import av

        with av.open(str(self.info.path)) as c:
            vs = c.streams[self.info.stream_index]
            vs.thread_type = "AUTO"
            if after_pts is None:
                yield from self._iter(c, vs)
                return
            c.seek(after_pts, stream=vs, backward=True)
            it = self._iter(c, vs)
            first = next(it, None)
            # the seek must land on or before the resume point, else frames could be missed
            if first is not None and first[0].pts is not None and first[1] <= after_pts:
                for item in it:
                    if item[1] > after_pts:
                        yield item
                return
        # the seek did not land before the resume point: decode from the start instead
        with av.open(str(self.info.path)) as c:
            vs = c.streams[self.info.stream_index]
            vs.thread_type = "AUTO"
            for i, item in enumerate(self._iter(c, vs)):
                if i >= skip:
                    yield item


def _start_checkpoint(work: WorkDir, key: dict[str, Any], options: VideoOptions) -> Checkpoint | None:
    """The checkpoint to continue from (``--resume``), or None for a fresh start; refuses mismatches."""
    existing = work.load() if work.exists() else None
    if existing is None:
        if work.path.exists():
            work.remove()  # a folder without a checkpoint holds nothing finished
        return None
    if not options.resume:
        raise OutputError(
            f"an unfinished run of this output left {work.path}: add --resume to finish it, "
            f"or delete that folder to start over"
        )
    if existing.options_hash != key_hash(key):
        raise ConfigError(
            f"--resume: the options differ from the unfinished run in {work.path} "
            f"({key_differences(existing.options, key)}): use the same options, "
            f"or delete that folder to start over"
        )
    return existing


def _realtime(info: VideoInfo, options: VideoOptions, samples: list[tuple[np.ndarray, float]], models: Any,
              settings: EncoderSettings, fmt_for: Any, other_runtimes: dict[str, Any]) -> RealtimeChoice:
    """Measure the candidates (vivid's realtime models also on each of ``other_runtimes``, name -> model cache)
    and choose (:func:`vivid.video.realtime.choose_realtime`)."""
    from vivid.engine.api import plan_for
    from vivid.io.image import Image
    from vivid.models.registry import get_entry
    from vivid.video.clip_plan import output_size
    from vivid.video.process import resize_batch
    from vivid.video.realtime import (
        StandInEncoder,
        candidates_for,
        choose_realtime,
        preference_for,
        realtime_models,
    )

    started = time.perf_counter()
    frames = np.stack([x for x, _ in samples])
    times = [t for _, t in samples]
    step_scale = max(2, math.ceil((options.scale or 2) - 1e-9))
    if options.model is not None:
        try:
            speed = get_entry(options.model).speed_class
        except Exception:  # a model file: no registry entry
            speed = "?"
        candidates = [(options.model, speed)]
    else:
        candidates = candidates_for(options.task, step_scale=step_scale)
    fast = realtime_models(options.task)
    candidates = [c for name, speed in candidates
                  for c in [(name, speed, None)] + [(name, speed, r) for r in other_runtimes if name in fast]]

    def make_processor(name: str, runtime: str | None = None) -> Any:
        cache = models if runtime is None else other_runtimes[runtime]
        plan = plan_for(Image(frames[0]), task=options.task, model=name, scale=options.scale, size=None,
                        models=cache)
        size = output_size(plan, info.height, info.width, scale=options.scale)
        planar = planar_sr(plan, cache, info, out_size=size, out_pix_fmt=fmt_for(size).pix_fmt)
        if planar is not None:  # the job will run the planar path: time that
            return _PlanarTimer(planar, info)
        return FrameProcessor(plan, cache, out_size=size, temporal_seconds=options.temporal_seconds)

    factor = (options.scale or 2) if options.task == "sr" else 1
    h, w = round(info.height * factor), round(info.width * factor)
    h, w = h - h % 2, w - w % 2
    fmt = fmt_for((h, w))
    big = resize_batch(frames[:4], (h, w))  # stand-ins for the output frames, for the encoder
    source_fps = float(info.fps) if info.fps else 25.0
    with contextlib.ExitStack() as stack:
        encoders: dict[bool, StandInEncoder] = {}

        def encoder(planar: bool) -> StandInEncoder:
            if planar not in encoders:
                encoders[planar] = stack.enter_context(
                    StandInEncoder(big, settings=settings, fmt=fmt, converted=planar))
            return encoders[planar]

        choice = choose_realtime(candidates, frames, times, source_fps=source_fps, make_processor=make_processor,
                                 encoder=encoder, preference=preference_for(options.task),
                                 fallback=realtime_models(options.task))
    return replace(choice, seconds=time.perf_counter() - started)


class _PlanarTimer:
    """The planar path behind the frame processor's call, for ``--realtime``'s timing of sampled RGB frames.

    The frames are converted to yuv420p planes inside the timed call (a few ms at 480p: slightly
    pessimistic); the encoder's time is then counted without the RGB->YUV conversion (``planar``).
    """

    planar = True

    def __init__(self, planar: Any, info: VideoInfo) -> None:
        self.proc, self.info = planar, info

    def __call__(self, frames: np.ndarray, times: list[float]) -> list[Any]:
        planes = [tuple(p.copy() for p in frame_planes(rgb_to_frame(f, pix_fmt="yuv420p", color=self.info.color),
                                                        size=self.proc.size)) for f in frames]
        return self.proc(planes)


@dataclass(frozen=True)
class VideoJob:
    """What the checks before any work found: the output container, the input, the encoder."""

    fmt: str
    info: VideoInfo
    settings: EncoderSettings
    pix_fmt: str

    def stream_format(self, size: tuple[int, int]) -> StreamFormat:
        """The encoded stream's format for frames of ``size`` ``(height, width)``."""
        info = self.info
        return StreamFormat(width=size[1], height=size[0], pix_fmt=self.pix_fmt, time_base=info.time_base,
                            fps=info.fps, color=info.color, sample_aspect_ratio=info.sample_aspect_ratio)


def _check_job(src: Path, dst: Path, options: VideoOptions) -> VideoJob:
    """Everything that can be checked before work: paths, the input, the encoder, the container's streams."""
    from vivid.video.mux import check_muxable

    fmt = check_paths(src, dst, overwrite=options.overwrite)
    info = probe(src)
    # real time: the encoder must keep up too (x264 medium alone costs ~35 ms per 1708x960 frame here)
    settings = resolve_encoder(options.codec, crf=options.crf, preset=options.preset, container=fmt,
                               fastest=options.realtime)
    job = VideoJob(fmt, info, settings, output_pix_fmt(settings.encoder, bit_depth=info.bit_depth))
    even_in = (max(2, info.height // 2 * 2), max(2, info.width // 2 * 2))
    check_muxable(info, fmt=fmt, settings=settings, stream_format=job.stream_format(even_in))
    return job


def model_caches(options: VideoOptions, models: Any, *, bit_depth: int) -> tuple[Any, dict[str, Any]]:
    """The model cache to run a source of ``bit_depth`` bits per sample with (the caller's, else a new one; in
    ``options.dtype``; precision ``auto`` is float32 for sources deeper than 8 bits,
    :func:`vivid.engine.cache.for_bit_depth`) and, for ``--realtime``, caches on the other runtimes it also
    measures (OpenVINO when installed; ours to choose only when the caller gave no cache and float32 is asked
    for)."""
    from vivid.engine.cache import ModelCache, for_bit_depth

    other_runtimes: dict[str, Any] = {}
    if models is None:
        models = ModelCache(allow_pickle=options.allow_pickle, runtime=options.runtime,
                            task_hint=None if options.task == "auto" else options.task, precision=options.precision)
        if options.realtime and options.dtype == "float32" and options.precision != "int8":
            from vivid.zoo.openvino_runtime import openvino_installed

            if openvino_installed():
                other_runtimes["openvino"] = ModelCache(allow_pickle=options.allow_pickle, task_hint=options.task,
                                                        runtime="openvino")
    models = for_bit_depth(models, bit_depth)
    if options.dtype != "float32":
        models = _InDtype(models, options.dtype)
    return models, other_runtimes


def _plan_job(job: VideoJob, options: VideoOptions, ckpt: Checkpoint | None, models: Any,
              other_runtimes: dict[str, Any]) -> tuple[Plan, RealtimeChoice | None, Any]:
    """The plan for the whole clip (a resumed run's own, else from sampled frames; ``--realtime`` measures
    the candidates first), the realtime choice, and the model cache to run it with."""
    from vivid.engine.cache import ModelCache
    from vivid.video.clip_plan import plan_video, sample_frames

    choice: RealtimeChoice | None = None
    if ckpt is not None:
        plan = Plan.from_dict(ckpt.plan)
        if ckpt.realtime:
            choice = _choice_from_dict(ckpt.realtime)
    else:
        samples = sample_frames(job.info, count=6 if options.realtime else 5, end=options.duration)
        chosen_model = options.model
        if options.realtime:
            choice = _realtime(job.info, options, samples, models, job.settings, job.stream_format, other_runtimes)
            chosen_model = choice.model
        plan = plan_video(samples, task=options.task, model=chosen_model, scale=options.scale, models=models,
                          recolor=options.recolor)
        if choice is not None:
            pace = "keeps up with" if choice.keeps_up else "slower than"
            why = f"--realtime: {choice.fps:.1f} fps measured here, {pace} the source's {choice.source_fps:.2f} fps"
            plan = replace(plan, steps=tuple(replace(s, reason=why) if s.task == options.task else s
                                             for s in plan.steps))
    if choice is not None and choice.runtime is not None:  # measured faster on another runtime: run it there
        models = other_runtimes.get(choice.runtime) or ModelCache(
            allow_pickle=options.allow_pickle, task_hint=options.task, runtime=choice.runtime)
    return plan, choice, models


@dataclass
class _Encoded:
    """What :func:`_encode_segments` did in this run."""

    processed: int
    fixed_timestamps: int
    stage_seconds: dict[str, float]


def _encode_segments(job: VideoJob, options: VideoOptions, work: WorkDir, ckpt: Checkpoint, *, processor: FrameProcessor,
                     planar: Any, out_size: tuple[int, int], progress: Progress) -> _Encoded:
    """Decode (from where the checkpoint ends), enhance in batches and encode into resumable segments of
    ``options.segment_seconds``; each finished segment is recorded in the checkpoint."""
    info, tb, end = job.info, job.info.time_base, options.duration
    sfmt = job.stream_format(out_size)
    t0 = ckpt.t0
    total = info.frames or 0
    if end is not None and info.fps:
        total = min(total or 10**12, math.ceil(end * info.fps))
    source = FrameSource(info, end_pts=end_pts(info, end))
    after = ckpt.segments[-1].last_pts if ckpt.segments else None
    done = ckpt.frames_done
    processed = 0
    writer: SegmentWriter | None = None
    grid = -1
    pending: list[tuple[Any, int, int, float]] = []
    model_seconds = [0.0]

    def flush() -> None:
        nonlocal done, processed
        if not pending:
            return
        assert writer is not None
        t_model = time.perf_counter()
        if planar is not None:
            frames = planar([p[0] for p in pending])
        else:
            out = processor(np.stack([p[0] for p in pending]), [p[3] for p in pending])
            frames = None
        timing = [(pts, dur) for _, pts, dur, _ in pending]
        target = writer

        def encode() -> None:
            made = frames if frames is not None else [rgb_to_frame(o, pix_fmt=job.pix_fmt, color=info.color)
                                                      for o in out]
            for f, (pts, dur) in zip(made, timing, strict=True):
                target.write(f, pts=pts, duration=dur)

        model_seconds[0] += time.perf_counter() - t_model
        encoder.submit(encode)
        done += len(pending)
        processed += len(pending)
        pending.clear()
        progress(done, max(total, done), f"segment {writer.index + 1}")

    def close_segment() -> None:
        nonlocal writer
        assert writer is not None
        flush()
        state, target = processor.state_dict(), writer
        # finished in the encoder's thread, after every frame of the segment: all encoder calls stay in that
        # thread (SVT-AV1 run as root makes the thread that calls it real-time)
        encoder.submit(lambda: ckpt.segments.append(target.finish(state)))
        encoder.drain()
        work.save(ckpt)
        writer = None

    def decoded(item: tuple[Any, int, int]) -> tuple[Any, int, int, float]:
        frame, pts, dur = item
        if planar is not None:  # copies of the planes (the decoder reuses its buffers)
            pixels: Any = tuple(p.copy() for p in frame_planes(frame, size=planar.size))
        else:
            pixels = frame_to_rgb(frame, bit_depth=info.bit_depth)
        return pixels, pts, dur, float((pts - t0) * tb)

    progress(done, max(total, done), "starting")
    # decode runs ahead in a thread, encoding behind in another, the model here: the slowest stage sets the pace
    encoder = Worker(depth=2)
    frames_in = Prefetch(source.frames(after_pts=after, skip=done), depth=2 * options.batch, transform=decoded)
    try:
        for pixels, pts, dur, t in frames_in:
            g = cell_of(pts, t0=t0, time_base=tb, segment_seconds=options.segment_seconds)
            if writer is not None and g != grid:
                close_segment()
            if writer is None:
                writer = SegmentWriter(work, len(ckpt.segments), settings=job.settings, fmt=sfmt)
                grid = g
            pending.append((pixels, pts, dur, t))
            if len(pending) >= options.batch:
                flush()
        if writer is not None:
            close_segment()
    finally:
        frames_in.close()
        encoder.close()
        if writer is not None:
            writer.abort()
    stages = {"decode": frames_in.busy_seconds, "model": model_seconds[0], "encode": encoder.busy_seconds}
    return _Encoded(processed, source.fixed, stages)


@dataclass
class PreparedVideo:
    """A video job after every check and its plan, before any frame is encoded: what this process
    (:func:`enhance_video`) and a Ray cluster (:func:`vivid.cluster.video.enhance_video_on_cluster`) both run."""

    src: Path
    dst: Path
    options: VideoOptions
    job: VideoJob
    work: WorkDir
    #: the unfinished run to continue (``--resume``), else None until :meth:`begin`
    ckpt: Checkpoint | None
    key: dict[str, Any]
    plan: Plan
    choice: RealtimeChoice | None
    models: Any
    out_size: tuple[int, int]
    engine: str
    notes: list[str] = field(default_factory=list)
    resumed: int = 0
    t_start: float = field(default_factory=time.perf_counter)

    def begin(self) -> Checkpoint:
        """Create the work folder and its checkpoint (a fresh run), or drop what the resumed run left
        unfinished; returns the checkpoint to record segments in."""
        if self.ckpt is None:
            self.work.create()
            self.ckpt = Checkpoint(options_hash=key_hash(self.key), options=self.key, plan=self.plan.to_dict(),
                                   t0=self.job.info.start_pts, engine=self.engine,
                                   realtime=self.choice.to_dict() if self.choice else None)
            self.work.save(self.ckpt)
        else:
            self.work.drop_unfinished(self.ckpt)
            self.resumed = len(self.ckpt.segments)
        return self.ckpt

    def finish(self, *, processed: int, fixed_timestamps: int = 0, stage_seconds: dict[str, float] | None = None,
               frame_path: str = "rgb") -> VideoResult:
        """Join the checkpoint's segments (in time order) and the input's other streams into the output."""
        from vivid.video.mux import assemble

        info, ckpt, end = self.job.info, self.ckpt, self.options.duration
        assert ckpt is not None
        if not ckpt.segments:
            raise InputError(f"{self.src}: no video frame was decoded" + (f" in the first {end:g} s" if end else ""))
        if fixed_timestamps:
            self.notes.append(f"{fixed_timestamps} frames had missing or out-of-order timestamps: made increasing")
        order = [s.index for s in sorted(ckpt.segments, key=lambda s: s.index)]
        assemble(info, self.work, segments=order, fmt=self.job.fmt, fps=info.fps,
                 end=float(ckpt.t0 * info.time_base) + end if end is not None else None, dst=self.dst)
        self.work.remove()
        out_h, out_w = self.out_size
        return VideoResult(
            output=self.dst, frames=ckpt.frames_done, processed=processed, segments=len(ckpt.segments),
            resumed_segments=self.resumed, seconds=time.perf_counter() - self.t_start, plan=self.plan, width=out_w,
            height=out_h, source_fps=float(info.fps) if info.fps else None, settings=self.job.settings,
            realtime=self.choice, notes=tuple(self.notes), frame_path=frame_path, stage_seconds=stage_seconds or {},
        )


def prepare_video(src: Path | str, dst: Path | str, options: VideoOptions | None = None, *, models: Any = None,
                  engine: str = "local") -> PreparedVideo:
    """Check everything that can be checked, find an unfinished run to resume, and plan the clip (see
    :func:`enhance_video`); nothing is written yet. ``engine`` is part of the job's key: a run is resumed
    only by the engine that started it (their segments are numbered differently)."""
    from vivid.video.clip_plan import output_size

    t_start = time.perf_counter()
    options = options or VideoOptions()
    src, dst = Path(src), Path(dst)
    job = _check_job(src, dst, options)
    keep_normal_scheduling()  # opening SVT-AV1 as root made this thread real-time; the job's threads start here
    work = WorkDir(dst)
    key = options.job_key(src)
    if engine != "local":
        key["engine"] = engine
    ckpt = _start_checkpoint(work, key, options)
    models, other_runtimes = model_caches(options, models, bit_depth=job.info.bit_depth)
    notes: list[str] = []
    if options.resume and ckpt is None:
        notes.append("--resume: no unfinished run of this output was found, so it started from the beginning")
    plan, choice, models = _plan_job(job, options, ckpt, models, other_runtimes)
    notes.extend(note for note in [_int8_note(plan, options, choice, bit_depth=job.info.bit_depth)] if note)
    out_size = output_size(plan, job.info.height, job.info.width, scale=options.scale)
    return PreparedVideo(src=src, dst=dst, options=options, job=job, work=work, ckpt=ckpt, key=key, plan=plan,
                         choice=choice, models=models, out_size=out_size, engine=engine, notes=notes,
                         t_start=t_start)


def _int8_note(plan: Plan, options: VideoOptions, choice: RealtimeChoice | None, *, bit_depth: int) -> str | None:
    """The note naming the plan's models that run their shipped int8 graph under precision ``auto`` on a source
    of ``bit_depth`` bits per sample (what the model cache resolves, :func:`vivid.zoo.quantize.resolve_precision`;
    other dtypes and runtimes, and sources deeper than 8 bits, run float)."""
    if options.precision != "auto" or options.dtype != "float32":
        return None
    from vivid.zoo.quantize import auto_int8_note, resolve_precision

    runtime = choice.runtime if choice is not None and choice.runtime else options.runtime
    return auto_int8_note(
        f"{s.model} x{s.scale:g}" if s.task == "sr" else s.model for s in plan.steps
        if resolve_precision(s.model, s.scale if s.task == "sr" else None, "auto", runtime=runtime,
                             bit_depth=bit_depth) == "int8")


def enhance_video(
    src: Path | str,
    dst: Path | str,
    options: VideoOptions | None = None,
    *,
    models: Any = None,
    progress: Progress = null_progress,
) -> VideoResult:
    """Enhance the video ``src`` into ``dst`` (see the module docstring and :class:`VideoOptions`).

    Args:
        models: optional cache with ``get(name, scale) -> Restorer`` (default: a new
            :class:`vivid.engine.cache.ModelCache`).
        progress: called as ``progress(frames_done, frames_total, message)`` after every batch.

    Raises :class:`InputError`, :class:`OutputError`, :class:`ConfigError` or :class:`ModelError` before
    any work when something cannot work; an interruption leaves the finished segments for ``resume``.
    """
    prep = prepare_video(src, dst, options, models=models)
    options, info = prep.options, prep.job.info
    processor = FrameProcessor(prep.plan, prep.models, out_size=prep.out_size,
                               temporal_seconds=options.temporal_seconds)
    planar = planar_sr(prep.plan, prep.models, info, out_size=prep.out_size, out_pix_fmt=prep.job.pix_fmt)
    ckpt = prep.begin()
    if ckpt.segments:
        processor.load_state_dict(ckpt.segments[-1].state)
    run = _encode_segments(prep.job, options, prep.work, ckpt, processor=processor, planar=planar,
                           out_size=prep.out_size, progress=progress)
    return prep.finish(processed=run.processed, fixed_timestamps=run.fixed_timestamps, stage_seconds=run.stage_seconds,
                       frame_path="planar" if planar is not None else "rgb")


class _InDtype:
    """A model cache whose models compute in ``dtype`` (``Restorer.with_dtype``: an error for models without it)."""

    def __init__(self, models: Any, dtype: str) -> None:
        self.models, self.dtype = models, dtype

    def get(self, name: str, scale: int | None, **kwargs: Any) -> Any:
        return self.models.get(name, scale, **kwargs).with_dtype(self.dtype)


def _choice_from_dict(d: dict[str, Any]) -> RealtimeChoice:
    from vivid.video.realtime import SpeedSample

    return RealtimeChoice(model=d["model"], fps=d["fps"], source_fps=d["source_fps"], keeps_up=d["keeps_up"],
                          samples=tuple(SpeedSample(**s) for s in d["samples"]), runtime=d.get("runtime"),
                          seconds=d.get("seconds", 0.0))
