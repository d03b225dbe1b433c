"""A video on a cluster: its segments made in parallel by workers, joined by the driver.

``vivid video IN -o OUT --engine ray`` runs the local engine's design (:mod:`vivid.video.enhance`) with the
segments spread out:

1. the driver makes every check and the clip's one plan (:func:`vivid.video.enhance.prepare_video`), and
   lists the cells of the segment time grid from the video's packet timestamps
   (:func:`vivid.video.cells.grid_cells`);
2. each worker (:class:`SegmentWorker`, a Ray actor with its models loaded once) makes whole segments:
   it seeks to the source keyframe at or before its cell and encodes that cell alone
   (:func:`vivid.video.cells.encode_cell`), writing into the output's work folder;
3. the driver records each finished segment in the checkpoint (so ``--resume`` after an interruption keeps
   it), hands a segment whose worker died to another one (at most :data:`~vivid.cluster.batch.ATTEMPTS`
   times, :func:`vivid.cluster.batch.settle`), and joins the segments with the input's audio, subtitle and
   data streams, packet for packet (:func:`vivid.video.mux.assemble`), into the output (temporary name,
   then renamed).

Workers read the input and write segments by path, so the input and the output's folder must be at the same
path on every node: one machine, or a shared filesystem (NFS, a bucket mounted with s3fs or gcsfuse).
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from vivid.cluster.batch import ATTEMPTS, settle
from vivid.cluster.pool import WorkersLost
from vivid.cluster.worker import DONE, FAILED, RETRY, Outcome
from vivid.engine.plan import Plan
from vivid.engine.progress import Progress, null_progress
from vivid.errors import ConfigError, InputError, OutputError, VividError
from vivid.video.enhance import PreparedVideo, VideoJob, VideoResult, model_caches, prepare_video
from vivid.video.options import VideoOptions
from vivid.video.segments import SegmentRecord, WorkDir


@dataclass(frozen=True)
class Cell:
    """One segment to make: its cell of the time grid, and its file (``dst``, as the pools name items)."""

    index: int
    dst: str


class SegmentWorker:
    """Makes segments of one video job; its models are loaded once, for every segment it is given (``models``:
    a cache to use instead of a new :class:`~vivid.engine.cache.ModelCache`, for a worker in this process)."""

    def __init__(self, *, job: VideoJob, options: dict[str, Any], plan: dict[str, Any], out_size: tuple[int, int],
                 output: str, models: Any = None) -> None:
        self.job = job
        self.options = VideoOptions.model_validate(options)
        self.plan = Plan.from_dict(plan)
        self.out_size = tuple(out_size)
        self.work = WorkDir(Path(output))
        self.models, _ = model_caches(self.options, models, bit_depth=job.info.bit_depth)
        self.cache = getattr(self.models, "models", self.models)  # the ModelCache under a dtype wrapper
        self.name = f"{socket.gethostname()}:{os.getpid()}"

    def ready(self) -> str:
        """Check that this node sees the input and the work folder, load the plan's models; return the name."""
        from vivid.video.process import FrameProcessor

        self._check_paths()
        FrameProcessor(self.plan, self.models, out_size=self.out_size)
        return self.name

    def _check_paths(self) -> None:
        for what, path in (("input", self.job.info.path), ("work folder", self.work.path)):
            if not Path(path).exists():
                raise InputError(f"the {what} {path} is not there on the Ray node {socket.gethostname()}: "
                                 "--engine ray needs the input and the output's folder at the same path on every "
                                 "node (a shared filesystem)")

    def process(self, cell: Cell) -> Outcome:
        from vivid.video.cells import encode_cell

        t0 = time.perf_counter()
        detail: dict[str, Any] = {}
        try:
            self._check_paths()
            record, path = encode_cell(self.job, self.options, self.plan, self.models, self.work, cell.index,
                                       out_size=self.out_size)
            detail = {"record": asdict(record) if record is not None else None, "frame_path": path}
            status, error = DONE, None
        except VividError as e:  # a corrupt stretch of the input, a model that fails on it: final
            status, error = FAILED, str(e)
            detail = {"error_class": type(e).__name__}
        except Exception as e:  # noqa: BLE001 - a full disk, a storage hiccup: the driver retries it
            status, error = RETRY, f"{type(e).__name__}: {e}"
        return Outcome(cell.dst, status, seconds=round(time.perf_counter() - t0, 3), error=error, worker=self.name,
                       loads=getattr(self.cache, "loads", 0), detail=detail)


@dataclass
class ClusterStats:
    """What the workers did: how many ran (and how many of those died), their model loads in all."""

    workers: int = 0
    lost_workers: int = 0
    loads: int = 0


def segment_worker_args(prep: PreparedVideo) -> dict[str, Any]:
    """The arguments every :class:`SegmentWorker` of this job is made with (small: no pixels, no models;
    paths absolute, as workers run in folders of their own)."""
    job = replace(prep.job, info=replace(prep.job.info, path=prep.job.info.path.resolve()))
    return {"job": job, "options": prep.options.model_dump(), "plan": prep.plan.to_dict(),
            "out_size": prep.out_size, "output": str(prep.dst.resolve())}


def enhance_video_on_cluster(
    src: Path | str,
    dst: Path | str,
    options: VideoOptions | None = None,
    *,
    make_pool: Callable[[dict[str, Any]], Any],
    models: Any = None,
    progress: Progress = null_progress,
    attempts: int = ATTEMPTS,
    stats: ClusterStats | None = None,
) -> VideoResult:
    """:func:`vivid.video.enhance_video` with the segments made by the workers of ``make_pool(worker_args)``
    (a :class:`~vivid.cluster.pool.RayPool` or an :class:`~vivid.cluster.pool.InProcessPool` of
    :class:`SegmentWorker`), called once the checks and the plan are done. Same output, same ``--resume``.

    Raises what :func:`~vivid.video.enhance_video` raises; a segment that fails for good stops the job with a
    one-line error naming it (the finished segments stay, for ``--resume``).
    """
    options = options or VideoOptions()
    if options.realtime:
        raise ConfigError("--realtime measures models on this machine to keep up with playback: "
                          "it does not go with --engine ray")
    src, dst = Path(src), Path(dst)
    prep = prepare_video(src, dst, options, models=models, engine="ray")
    cells = _grid(prep)
    pool = make_pool(segment_worker_args(prep))
    ckpt = prep.begin()
    finished = {s.index for s in ckpt.segments}
    todo = [Cell(k, str(prep.work.segment_path(k))) for k in sorted(cells) if k not in finished]
    total = sum(cells.values())
    progress(ckpt.frames_done, total, "starting")
    loads: dict[str, int] = {}
    processed, paths, failures = 0, set(), []
    try:
        for cell, outcome, tries in settle(pool, todo, attempts=attempts, loads=loads):
            if outcome.status != DONE:
                failures.append((cell, outcome, tries))
                continue
            record = outcome.detail.get("record")
            paths.add(outcome.detail.get("frame_path"))
            if record is not None:
                ckpt.segments.append(SegmentRecord(**record))
                processed += record["frames"]
                prep.work.save(ckpt)
            progress(ckpt.frames_done, max(total, ckpt.frames_done), f"{len(ckpt.segments)} segments")
    except WorkersLost as e:
        raise WorkersLost(f"{e}; {len(ckpt.segments)} finished segments are kept in {prep.work.path} "
                          "for --resume") from None
    finally:
        if todo:
            pool.close()
        if stats is not None:
            stats.workers, stats.lost_workers = getattr(pool, "size", 0), getattr(pool, "lost", 0)
            stats.loads = sum(loads.values())
    if failures:
        raise _failure(prep, min(failures, key=lambda f: f[0].index), failed=len(failures))
    ckpt.segments.sort(key=lambda s: s.index)
    prep.work.save(ckpt)
    if ckpt.frames_done != total:  # a decoder that dropped or added frames: the output has what it decoded
        prep.notes.append(f"the input's video has {total} frames, {ckpt.frames_done} were decoded")
    return prep.finish(processed=processed, frame_path="planar" if paths == {"planar"} else "rgb")


def _grid(prep: PreparedVideo) -> dict[int, int]:
    from vivid.video.cells import grid_cells

    cells = grid_cells(prep.job.info, segment_seconds=prep.options.segment_seconds, duration=prep.options.duration)
    if not cells:
        end = prep.options.duration
        raise InputError(f"{prep.src}: no video frame was found" + (f" in the first {end:g} s" if end else ""))
    return cells


def _failure(prep: PreparedVideo, first: tuple[Cell, Outcome, int], *, failed: int) -> VividError:
    """The one-line error for segments that failed for good (the first in time is named)."""
    import vivid.errors

    cell, outcome, _ = first
    seconds = prep.options.segment_seconds
    where = f"segment {cell.index} ({cell.index * seconds:g}-{(cell.index + 1) * seconds:g} s)"
    others = f" (and {failed - 1} more)" if failed > 1 else ""
    kind = getattr(vivid.errors, outcome.detail.get("error_class", ""), OutputError)
    if not (isinstance(kind, type) and issubclass(kind, VividError)):
        kind = OutputError
    return kind(f"{where} of {prep.src}{others} failed: {outcome.error}; the finished segments are kept "
                f"in {prep.work.path}: run the same command with --resume to make the rest")
