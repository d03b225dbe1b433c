"""Video jobs: the server's thin layer over :func:`vivid.video.enhance_video`.

The output goes straight to its final place in the store (a name fixed by the job), so a job interrupted
by a restart continues from the video pipeline's own checkpoint (``resume``) instead of starting over.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vivid import __version__
from vivid.errors import ConfigError, InputError, VividError
from vivid.io.image import Image
from vivid.server.interrupts import ServerStopping

if TYPE_CHECKING:
    from vivid.server.enhancement import EnhanceRequest
    from vivid.server.jobs import JobRunner, StepProgress

#: input container → (output suffix, codec): browsers play MP4/H.264; WebM keeps VP9; the rest go to MKV
_OUTPUT = {"mp4": ("mp4", "h264"), "mov": ("mov", "h264"), "webm": ("webm", "vp9")}
_DEFAULT_OUTPUT = ("mkv", "h264")


def video_available() -> bool:
    try:
        import vivid.video  # noqa: F401
    except ImportError:
        return False
    return True


def video_options(opts: EnhanceRequest, *, resume: bool = False, codec: str = "h264") -> Any:
    """The video pipeline's options for a job's options (refusing what has no meaning for video)."""
    from vivid.engine.options import EnhanceOptions
    from vivid.video import VideoOptions

    if opts.plan is not None:
        raise ConfigError("a video job takes task, model and scale, not a plan")
    if opts.size is not None:
        raise ConfigError("a video job takes scale, not size")
    if opts.strength != 1.0:
        raise ConfigError(f"strength {opts.strength} is not available for video (only 1)")
    image_options = {k: getattr(opts, k) for k in EnhanceOptions.model_fields if k != "allow_pickle"}
    return VideoOptions(**image_options, codec=codec, resume=resume)  # refuses the options frames do not take


def check_video(path: Path, *, max_pixels: int | None = None) -> tuple[int, int, int | None]:
    """Probe a stored upload (refusing corrupt or unsupported files, and frames over ``max_pixels`` before
    one is decoded); returns (width, height, frames)."""
    from vivid.video import probe

    info = probe(path, max_pixels=max_pixels)
    return info.width, info.height, info.frames


def check_video_file(path: Path, name: str, *, max_pixels: int | None = None) -> tuple[int, int, int | None]:
    """:func:`check_video` with errors that name the upload, not the stored file."""
    try:
        return check_video(path, max_pixels=max_pixels)
    except InputError as e:
        raise InputError(str(e).replace(str(path), repr(name))) from None


def run_video_job(runner: JobRunner, job_id: str, options: dict[str, Any], items: list[tuple[int, str, str, str]],
                  progress: StepProgress, *, created_at: Any) -> None:
    from vivid.server.enhancement import EnhanceRequest
    from vivid.server.records import DONE
    from vivid.video import enhance_video
    from vivid.video.segments import WorkDir

    opts = EnhanceRequest.model_validate(options)
    ((index, _status, upload_path, name),) = items
    src = runner.store.path(upload_path)
    ext, codec = _OUTPUT.get(src.suffix.lstrip(".").lower(), _DEFAULT_OUTPUT)
    rel = runner.store.result_name(job_id, index, ext, created_at)
    dst = runner.store.path(rel)
    dst.parent.mkdir(parents=True, exist_ok=True)
    work = WorkDir(dst)
    progress.start_item(index, 1, f"reading {name}")
    if dst.exists() and not work.exists():  # finished just before an interruption
        runner.save_item(job_id, index, DONE, stored_path=rel, format=ext, size_bytes=dst.stat().st_size)
        runner.end(job_id, DONE, None, None, note="done")
        return
    import av

    if not work.exists():  # the limits may have changed since the job was accepted: check them before running
        from vivid.server.budget import check_video, plan_geometry, planned_steps

        width, height, frames = check_video_file(src, name, max_pixels=runner.settings.max_pixels)
        g = plan_geometry(height, width, planned_steps(opts, height, width), scale=opts.scale, size=None)
        check_video(frames, g.height, g.width, runner.settings, name=name)
    models = runner.models.with_runtime(opts.runtime, opts.precision)
    try:
        options = video_options(opts, resume=work.exists(), codec=codec)
        if runner.engine is not None:  # vivid serve --engine ray: the segments are made by the Ray workers
            from vivid.cluster.video import enhance_video_on_cluster

            result = enhance_video_on_cluster(src, dst, options, models=models, progress=progress,
                                              make_pool=lambda args: runner.engine.segment_pool(args, progress))
        else:
            result = enhance_video(src, dst, options, models=models, progress=progress)
    except ServerStopping:  # keep the finished segments: the job resumes from them at the next start
        raise
    except BaseException as e:  # cancelled or failed: nothing half-made stays in the store
        shutil.rmtree(work.path, ignore_errors=True)
        dst.unlink(missing_ok=True)
        if isinstance(e, (av.FFmpegError, UnicodeDecodeError)):  # corrupt past the frames the probe read
            raise InputError(f"{name!r} is corrupt: FFmpeg cannot decode it ({type(e).__name__})") from None
        if isinstance(e, VividError):  # the library names its files by path: show the upload's name
            e.args = tuple(str(a).replace(str(src), name).replace(str(dst), "the result") for a in e.args)
        raise

    provenance = {"software": f"vivid {__version__}", "frames": result.frames, "fps": round(result.fps, 2),
                  "codec": result.settings.encoder if hasattr(result.settings, "encoder") else codec,
                  "plan": [s.reason for s in result.plan.steps], "notes": list(result.notes),
                  "engine": "ray" if runner.engine is not None else "local"}
    runner.save_item(job_id, index, DONE, stored_path=rel, format=ext, width=result.width, height=result.height,
                      size_bytes=dst.stat().st_size, plan=result.plan.to_dict(), provenance=provenance)
    runner.end(job_id, DONE, None, None, note=f"done: {result.frames} frames")


def video_thumbnail(path: Path) -> bytes | None:
    """A JPEG of a frame from the middle of the video, or None when it cannot be decoded."""
    from vivid.server.media import thumbnail
    from vivid.video import probe
    from vivid.video.clip_plan import sample_frames

    try:
        frame, _t = sample_frames(probe(path), count=1)[0]
    except VividError:
        return None
    return thumbnail(Image(frame))
