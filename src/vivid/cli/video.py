"""``vivid video``: enhance a video file — a thin layer over :func:`vivid.video.enhance_video`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from vivid.cli.options import (
    AllowPickle,
    Dtype,
    Engine,
    Model,
    ModelFile,
    Precision,
    RayAddress,
    RayWorkers,
    Runtime,
)


def video(
    input: Annotated[Path, typer.Argument(help="The video file.", show_default=False)],  # noqa: A002
    output: Annotated[Path, typer.Option("-o", "--output", help="Output file: .mp4, .mkv, .mov or .webm.")],
    task: Annotated[str, typer.Option(help="sr, denoise, dejpeg, lowlight, color, colorize, or auto (analyse sampled frames and plan).")] = "auto",
    scale: Annotated[float | None, typer.Option(help="Super-resolution factor above 0, at most 16 (default 2 for --task sr).")] = None,
    model: Model = None,
    model_file: ModelFile = None,
    codec: Annotated[str, typer.Option(help="Video codec: h264, h265, vp9 or av1.")] = "h264",
    crf: Annotated[int | None, typer.Option(help="Encoder quality, lower is better (default: 18 h264, 22 h265, 32 vp9/av1).")] = None,
    preset: Annotated[str | None, typer.Option(help="Encoder speed: x264/x265 preset name, or vp9 0-8 / av1 0-13.")] = None,
    batch: Annotated[int, typer.Option(min=1, max=256, help="Frames per model call.")] = 4,
    resume: Annotated[bool, typer.Option(help="Finish an interrupted run of the same command.")] = False,
    realtime: Annotated[bool, typer.Option(help="Measure the task's models here and pick one that keeps up with the frame rate; the encoder takes its fastest preset unless --preset is given.")] = False,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing output.")] = False,
    smooth: Annotated[float, typer.Option(min=0.0, max=60.0, help="Seconds over which lowlight/color/colorize decisions are smoothed (0: off).")] = 0.5,
    segment_seconds: Annotated[float, typer.Option(min=0.01, help="Length of resumable segments (each starts with a keyframe).")] = 10.0,
    duration: Annotated[float | None, typer.Option(help="Process only the first this-many seconds (a preview).")] = None,
    allow_pickle: AllowPickle = False,
    dtype: Dtype = "float32",
    runtime: Runtime = "auto",
    precision: Precision = "auto",
    recolor: Annotated[bool, typer.Option(help="Let --task colorize recolour a colour clip (its colours are replaced by guessed ones).")] = False,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="No progress bar.")] = False,
    engine: Engine = "local",
    ray_address: RayAddress = None,
    ray_workers: RayWorkers = None,
) -> None:
    """Enhance a video: every frame through one plan; audio, subtitles, timestamps, rotation and colour kept.

    Interrupted (Ctrl-C, crash)? Run the same command again with --resume: finished segments are kept.
    With --engine ray the segments are made in parallel by Ray workers, which need the input and the output's
    folder at the same path (one machine, or a shared filesystem).
    """
    from vivid.cli.common import guarded

    guarded(_run)(input, output, task=task, scale=scale, model=model, model_file=model_file, codec=codec, crf=crf, preset=preset,
                  batch=batch, resume=resume, realtime=realtime, overwrite=overwrite, smooth=smooth,
                  segment_seconds=segment_seconds, duration=duration, allow_pickle=allow_pickle, dtype=dtype,
                  runtime=runtime, precision=precision, recolor=recolor, quiet=quiet, engine=engine,
                  ray_address=ray_address, ray_workers=ray_workers)


def _run(input: Path, output: Path, *, task: str, scale: float | None, model: str | None,  # noqa: A002, PLR0913
         model_file: Path | None, codec: str,
         crf: int | None, preset: str | None, batch: int, resume: bool, realtime: bool, overwrite: bool,
         smooth: float, segment_seconds: float, duration: float | None, allow_pickle: bool, dtype: str,
         runtime: str, precision: str, recolor: bool, quiet: bool, engine: str = "local",
         ray_address: str | None = None, ray_workers: int | None = None) -> None:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    from vivid.cli.batch import check_not_input
    from vivid.cli.cluster import check_engine
    from vivid.cli.common import console, enhance_options, model_option
    from vivid.video import VideoOptions, enhance_video
    from vivid.video.segments import WorkDir

    class FpsColumn(ProgressColumn):
        def render(self, task) -> Text:  # noqa: ANN001
            return Text(f"{task.speed:.1f} fps" if task.speed else "- fps", style="progress.data.speed")

    options = enhance_options(
        VideoOptions, task=task, model=model_option(model, model_file), scale=scale, codec=codec, crf=crf,
        preset=preset, batch=batch, resume=resume, realtime=realtime, overwrite=overwrite, temporal_seconds=smooth,
        segment_seconds=segment_seconds, duration=duration, allow_pickle=allow_pickle, dtype=dtype, runtime=runtime,
        precision=precision,
        recolor=recolor)
    check_engine(engine, ray_address, ray_workers)
    input, output = _local(input), _local(output)  # noqa: A001
    check_not_input(input, output)
    work = WorkDir(output)
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("frames"),
                   FpsColumn(), TimeRemainingColumn(), console=console, disable=quiet, transient=True)
    bar_task = bar.add_task("starting", total=None)
    started = False

    def on_progress(done: float, total: float, message: str = "") -> None:
        nonlocal started
        if not started:  # the bar appears once the checks passed and work begins
            bar.start()
            # frames finished by an earlier run do not count towards the speed
            bar.reset(bar_task, total=total or None, completed=done, description=message)
            started = True
            return
        bar.update(bar_task, total=total or None, completed=done, description=message)

    def stop() -> None:
        if started:
            bar.stop()

    stats = None
    try:
        if engine == "ray":
            result, stats = _on_ray(input, output, options, address=ray_address, workers=ray_workers,
                                    progress=on_progress)
        else:
            result = enhance_video(input, output, options, progress=on_progress)
    except KeyboardInterrupt:
        stop()
        ckpt = work.load() if work.exists() else None
        n = len(ckpt.segments) if ckpt else 0
        console.print(f"[bold yellow]interrupted:[/] {n} finished segment(s) kept in {work.path}; "
                      f"run the same command with --resume to finish", highlight=False, soft_wrap=True)
        raise typer.Exit(130) from None
    except Exception:
        stop()
        if work.exists():
            console.print(f"note: finished segments are kept in {work.path}; after fixing the problem, "
                          f"run the same command with --resume", highlight=False, soft_wrap=True)
        raise
    stop()
    if not quiet:
        for line in result.plan.explain():
            console.print(f"  {line}", highlight=False, soft_wrap=True)
        if result.realtime is not None:
            for line in result.realtime.lines():
                console.print(f"  realtime: {line}", highlight=False, soft_wrap=True)
        for note in result.notes:
            console.print(f"  note: {note}", highlight=False, soft_wrap=True)
    src_fps = f"; source {result.source_fps:.2f} fps" if result.source_fps else ""
    resumed = f", {result.resumed_segments} of {result.segments} segments from the earlier run" if result.resumed_segments else ""
    s = result.settings
    console.print(
        f"wrote {result.output}: {result.frames} frames {result.width}x{result.height} {s.codec} ({s.encoder}, "
        f"crf {s.crf}, preset {s.preset}) in {result.seconds:.1f} s, {result.fps:.1f} fps{src_fps}{resumed}",
        highlight=False, soft_wrap=True,
    )
    if stats is not None:
        lost = f", {stats.lost_workers} lost and replaced" if stats.lost_workers else ""
        made = result.segments - result.resumed_segments
        console.print(f"ray: {stats.workers} workers{lost}; {stats.loads} model loads; {made} segments in "
                      f"{result.seconds:.1f} s", highlight=False, soft_wrap=True)


def _local(path: Path) -> Path:
    """The file a command-line path names: a ``file://`` URL is its local path; other URLs are refused."""
    from vivid.cluster import storage
    from vivid.errors import ConfigError

    location = storage.from_cli_path(path)
    local = storage.local_path(location)
    if local is None:
        raise ConfigError(f"vivid video reads and writes files, not {location}: mount the store as a folder "
                          "(with --engine ray: on every node, at the same path) and give its path")
    return Path(local)


def _on_ray(input: Path, output: Path, options: Any, *, address: str | None,  # noqa: A002
            workers: int | None, progress: Any) -> tuple[Any, Any]:
    """The video's segments on Ray workers (:func:`vivid.cluster.video.enhance_video_on_cluster`)."""
    from vivid.cluster.pool import RayPool, connect, import_ray
    from vivid.cluster.video import ClusterStats, SegmentWorker, enhance_video_on_cluster

    import_ray()  # missing: say so before any work

    def make_pool(args: dict) -> RayPool:
        connect(address)
        return RayPool(args, workers=workers, worker_class=SegmentWorker)

    stats = ClusterStats()
    result = enhance_video_on_cluster(input, output, options, make_pool=make_pool, progress=progress, stats=stats)
    return result, stats
