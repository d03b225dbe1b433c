"""Resumable encoding: the output video is encoded in segments kept in a hidden work folder.

Layout next to the output ``OUT``::

    .OUT.vivid-work/
        checkpoint.json     options hash, the plan, finished segments (and the smoothers' state after each)
        seg-00000.mkv       one segment: its own encoder, so it starts with a keyframe (a closed GOP)
        seg-00000.json      the exact pts/dts/duration of each packet (Matroska keeps milliseconds only)
        ...

A segment counts as finished only once its file and timestamp list are on disk and the checkpoint
names it; a crash or Ctrl-C loses at most the segment in progress. The checkpoint is replaced
atomically (write a temporary file, fsync, rename).

This process (``engine="local"``) encodes the segments in order and numbers them 0, 1, 2, ...; a Ray
cluster (``engine="ray"``, :mod:`vivid.cluster.video`) encodes them in any order, each numbered by its
cell of the time grid (``seg-00003.mkv`` holds the frames of 30-40 s with 10 s segments), so its
checkpoint may list 0, 1, 3 while 2 is still missing.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import uuid
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from vivid.errors import OutputError
from vivid.video.codecs import EncoderSettings, keep_normal_scheduling
from vivid.video.probe import ColorTags, VideoInfo

CHECKPOINT_VERSION = 1


@dataclass
class SegmentRecord:
    """A finished segment."""

    index: int
    frames: int
    first_pts: int
    last_pts: int
    #: the frame processor's state after this segment (temporal smoothers), to resume exactly
    state: dict[str, Any] = field(default_factory=dict)


@dataclass
class Checkpoint:
    """What a run has finished, and under which options."""

    options_hash: str
    options: dict[str, Any]
    plan: dict[str, Any]
    t0: int
    segments: list[SegmentRecord] = field(default_factory=list)
    realtime: dict[str, Any] | None = None
    version: int = CHECKPOINT_VERSION
    #: who encodes the segments: ``local`` (in order) or ``ray`` (any order, numbered by time-grid cell)
    engine: str = "local"

    @property
    def frames_done(self) -> int:
        return sum(s.frames for s in self.segments)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Checkpoint:
        segs = [SegmentRecord(**s) for s in d.get("segments", [])]
        return cls(options_hash=d["options_hash"], options=d["options"], plan=d["plan"], t0=int(d["t0"]),
                   segments=segs, realtime=d.get("realtime"), version=int(d.get("version", 0)),
                   engine=d.get("engine", "local"))


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def write_json_atomic(path: Path, data: Any) -> None:
    tmp = path.with_name(f"{path.name}.{uuid.uuid4().hex[:12]}.tmp")  # two writers of one file never share one
    with tmp.open("w") as f:
        json.dump(data, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def cell_of(pts: int, *, t0: int, time_base: Fraction, segment_seconds: float) -> int:
    """The grid cell of a frame shown at ``pts``: the one rule both engines cut segments by."""
    return max(0, int((pts - t0) * time_base // Fraction(str(segment_seconds))))


def end_pts(info: VideoInfo, duration: float | None) -> int | None:
    """The first timestamp after ``duration`` seconds of the clip (None: the whole clip)."""
    if duration is None:
        return None
    return info.start_pts + math.ceil(Fraction(str(duration)) / info.time_base)


class WorkDir:
    """The hidden folder beside the output that holds segments and the checkpoint."""

    def __init__(self, output: Path) -> None:
        self.output = output
        self.path = output.parent / f".{output.name}.vivid-work"

    @property
    def checkpoint_path(self) -> Path:
        return self.path / "checkpoint.json"

    def exists(self) -> bool:
        return self.checkpoint_path.exists()

    def segment_path(self, index: int) -> Path:
        return self.path / f"seg-{index:05d}.mkv"

    def timestamps_path(self, index: int) -> Path:
        return self.path / f"seg-{index:05d}.json"

    def load(self) -> Checkpoint | None:
        if not self.checkpoint_path.exists():
            return None
        try:
            ckpt = Checkpoint.from_dict(json.loads(self.checkpoint_path.read_text()))
        except (ValueError, KeyError, TypeError) as e:
            raise OutputError(f"the checkpoint in {self.path} is unreadable ({e}): "
                              f"delete that folder to start over") from None
        if ckpt.version != CHECKPOINT_VERSION:
            raise OutputError(f"the work folder {self.path} was made by another vivid version: "
                              f"delete it to start over")
        if ckpt.engine != "local":  # segments in any order: keep each one whose files are there
            ckpt.segments = [s for s in ckpt.segments if self._on_disk(s.index)]
            return ckpt
        # keep the longest prefix of segments whose files are all there
        for i, seg in enumerate(ckpt.segments):
            if seg.index != i or not self._on_disk(i):
                ckpt.segments = ckpt.segments[:i]
                break
        return ckpt

    def _on_disk(self, index: int) -> bool:
        return self.segment_path(index).exists() and self.timestamps_path(index).exists()

    def create(self) -> None:
        try:
            self.path.mkdir(parents=False, exist_ok=True)
        except OSError as e:
            raise OutputError(f"cannot create the work folder {self.path} ({e.strerror}): "
                              f"check the output folder") from None

    def save(self, ckpt: Checkpoint) -> None:
        write_json_atomic(self.checkpoint_path, ckpt.to_dict())

    def drop_unfinished(self, ckpt: Checkpoint) -> None:
        """Delete segment files that the checkpoint does not list (a crash mid-segment)."""
        done = {s.index for s in ckpt.segments}
        for p in self.path.glob("seg-*"):
            try:
                index = int(p.name[4:9])
            except ValueError:
                continue
            if index not in done:
                p.unlink(missing_ok=True)

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def read_timestamps(self, index: int) -> list[tuple[int, int | None, int]]:
        data = json.loads(self.timestamps_path(index).read_text())
        return [(int(p), None if d is None else int(d), int(u)) for p, d, u in data["packets"]]


@dataclass(frozen=True)
class StreamFormat:
    """What every segment's encoder is set up with (identical across segments)."""

    width: int
    height: int
    pix_fmt: str
    time_base: Fraction
    fps: Fraction | None
    color: ColorTags
    sample_aspect_ratio: Fraction | None


class SegmentWriter:
    """Encodes frames into one segment file, recording each packet's exact timestamps.

    ``private``: write under a name of this writer's own and move the file into place when finished (for
    workers that may run the same segment twice at once: a worker thought lost and its replacement).
    """

    def __init__(self, work: WorkDir, index: int, *, settings: EncoderSettings, fmt: StreamFormat,
                 private: bool = False) -> None:
        import av

        from vivid.video.codecs import quiet_encoder_logs

        quiet_encoder_logs(settings.encoder)
        self.work = work
        self.index = index
        self.final = work.segment_path(index)
        self.path = self.final.with_name(f"{self.final.stem}.{uuid.uuid4().hex[:12]}.part.mkv") if private \
            else self.final
        self.container = av.open(str(self.path), "w", format="matroska")
        vs = self.container.add_stream(settings.encoder, rate=fmt.fps or Fraction(25), options=settings.options())
        vs.width, vs.height, vs.pix_fmt = fmt.width, fmt.height, fmt.pix_fmt
        vs.time_base = fmt.time_base
        cc = vs.codec_context
        cc.time_base = fmt.time_base
        if fmt.fps:
            cc.framerate = fmt.fps
        cc.color_range = fmt.color.color_range
        cc.colorspace = fmt.color.colorspace
        cc.color_primaries = fmt.color.color_primaries
        cc.color_trc = fmt.color.color_trc
        if fmt.sample_aspect_ratio:
            cc.sample_aspect_ratio = fmt.sample_aspect_ratio
        self.stream = vs
        self.time_base = fmt.time_base
        self.packets: list[tuple[int, int | None, int]] = []
        self._durations: dict[int, int] = {}
        self.frames = 0
        self.first_pts: int | None = None
        self.last_pts: int | None = None

    def _mux(self, packets: list) -> None:  # noqa: ANN001
        for p in packets:
            pts = int(p.pts)
            self.packets.append((pts, None if p.dts is None else int(p.dts), self._durations.pop(pts, 0)))
            self.container.mux(p)

    def write(self, frame, *, pts: int, duration: int) -> None:  # noqa: ANN001 - av.VideoFrame
        frame.pts = pts
        frame.time_base = self.time_base
        self._durations[pts] = duration
        self._mux(self.stream.encode(frame))
        keep_normal_scheduling()  # SVT-AV1 as root makes the calling thread real-time
        self.frames += 1
        if self.first_pts is None:
            self.first_pts = pts
        self.last_pts = pts

    def finish(self, state: dict[str, Any]) -> SegmentRecord:
        """Flush the encoder, close the file, write the timestamp list; the segment is then durable."""
        self._mux(self.stream.encode(None))
        self.container.close()
        with self.path.open("rb") as f:
            os.fsync(f.fileno())
        if self.path != self.final:
            os.replace(self.path, self.final)
        write_json_atomic(self.work.timestamps_path(self.index), {"packets": self.packets})
        assert self.first_pts is not None and self.last_pts is not None
        return SegmentRecord(index=self.index, frames=self.frames, first_pts=self.first_pts,
                             last_pts=self.last_pts, state=state)

    def abort(self) -> None:
        """Close and delete a segment that will not be finished."""
        try:
            self.container.close()
        except Exception:  # noqa: BLE001 - the file is deleted anyway
            pass
        self.path.unlink(missing_ok=True)
