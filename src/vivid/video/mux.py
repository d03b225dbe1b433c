"""The final container: the encoded segments joined, every other stream of the input copied untouched.

Video packets come from the segment files with the exact timestamps recorded at encode time; audio,
subtitle and data packets are copied from the input as they are (no re-encode), and both are interleaved
by decode time. Container and stream metadata, dispositions, chapters, the display matrix (rotation) and
the colour description are carried over. The file is written under a temporary name in the output folder
and renamed into place, so the output appears only when complete.

:func:`check_muxable` makes the same streams in memory and writes the header before any work, so a
stream that the chosen container cannot hold is reported up front.
"""

from __future__ import annotations

import heapq
import io
import os
from collections.abc import Iterator, Sequence
from fractions import Fraction
from pathlib import Path

from vivid.errors import InputError, OutputError
from vivid.video.codecs import CONTAINERS, EncoderSettings, quiet_encoder_logs
from vivid.video.probe import VideoInfo
from vivid.video.segments import StreamFormat, WorkDir

#: container tags the muxer writes itself
_GENERATED_TAGS = {"encoder", "major_brand", "minor_version", "compatible_brands", "duration"}
_SUBTITLE_HINT = {"mp4": "mp4 and mov take mov_text subtitles", "mov": "mp4 and mov take mov_text subtitles",
                  "webm": "webm takes webvtt subtitles"}


def _suffix(fmt: str) -> str:
    return next(s for s, f in CONTAINERS.items() if f == fmt)


def _copy_tags(src: dict[str, str], dst: dict[str, str]) -> None:
    for k, v in src.items():
        if k.lower() not in _GENERATED_TAGS:
            dst[k] = v


def _fix_hint(fmt: str, stream) -> str:  # noqa: ANN001
    if fmt != "matroska":
        return "write .mkv instead"
    return (f"no container vivid writes can keep it: drop it first, e.g. "
            f"ffmpeg -i IN -map 0 -map -0:{stream.index} -c copy OUT.mkv")


def _describe(stream) -> str:  # noqa: ANN001
    codec = stream.codec_context.codec.canonical_name if stream.codec_context else stream.type
    return f"the input's {stream.type} stream #{stream.index} ({codec})"


def is_timecode_track(stream) -> bool:  # noqa: ANN001
    """A QuickTime timecode (tmcd) track: the MP4/MOV muxer rebuilds it from the video's ``timecode`` tag."""
    return stream.type == "data" and "timecode" in stream.metadata


def _template_stream(out, stream, fmt: str):  # noqa: ANN001, ANN202 - av containers and streams
    """``out``'s copy of input ``stream``; a clear error when ``fmt`` cannot hold its codec."""
    if stream.type == "attachment" and fmt != "matroska":
        raise InputError(f"the input's attachment #{stream.index} ({stream.metadata.get('filename', 'file')}) "
                         f"cannot be copied into a {_suffix(fmt)} file: write .mkv instead")
    try:
        new = out.add_stream_from_template(stream)
    except ValueError:
        hint = _SUBTITLE_HINT.get(fmt, "") if stream.type == "subtitle" else ""
        raise InputError(
            f"{_describe(stream)} cannot be copied into a {_suffix(fmt)} file"
            f"{' (' + hint + ')' if hint else ''}: {_fix_hint(fmt, stream)}"
        ) from None
    _copy_tags(dict(stream.metadata), new.metadata)
    new.disposition = int(stream.disposition)
    return new


def _video_tags(inp, video) -> dict[str, str]:  # noqa: ANN001
    """The processed stream's tags, with the timecode of a timecode track that is not copied."""
    tags: dict[str, str] = {}
    _copy_tags(dict(video.metadata), tags)
    for s in inp.streams:
        if is_timecode_track(s) and "timecode" not in tags:
            tags["timecode"] = s.metadata["timecode"]
    return tags


def _setup_video(vs, info: VideoInfo, fps: Fraction | None) -> None:  # noqa: ANN001
    vs.time_base = info.time_base
    if fps:
        vs.codec_context.framerate = fps
    if info.display_matrix is not None:
        vs.set_display_matrix(info.display_matrix)


def check_muxable(info: VideoInfo, *, fmt: str, settings: EncoderSettings,
                  stream_format: StreamFormat) -> None:
    """Raise :class:`InputError` now if the output container cannot hold a stream of the input."""
    import av


    quiet_encoder_logs(settings.encoder)
    with av.open(str(info.path)) as inp:
        out = av.open(io.BytesIO(), "w", format=fmt, options={"avoid_negative_ts": "disabled"})
        copied: dict[int, object] = {}
        try:
            for s in inp.streams:
                if s.index == info.stream_index:
                    vs = out.add_stream(settings.encoder, rate=stream_format.fps or Fraction(25),
                                        options=settings.options())
                    vs.width, vs.height = stream_format.width, stream_format.height
                    vs.pix_fmt = stream_format.pix_fmt
                    vs.codec_context.time_base = info.time_base
                    _setup_video(vs, info, stream_format.fps)
                    vs.metadata.update(_video_tags(inp, s))
                elif not is_timecode_track(s):
                    copied[s.index] = _template_stream(out, s, fmt)
            try:
                out.start_encoding()
            except av.FFmpegError as e:
                raise InputError(f"the input's streams cannot be written as {_suffix(fmt)} "
                                 f"({e.strerror or e}): write .mkv instead") from None
            # some muxers refuse a codec only at its first packet: write one of each copied stream
            if copied:
                seen: set[int] = set()
                for n, p in enumerate(inp.demux(*[s for s in inp.streams if s.index in copied])):
                    if p.size and p.stream_index not in seen and (p.pts is not None or p.dts is not None):
                        stream = inp.streams[p.stream_index]
                        p.stream = copied[p.stream_index]
                        try:
                            out.mux(p)
                        except av.FFmpegError as e:
                            raise InputError(f"{_describe(stream)} cannot be written into a {_suffix(fmt)} "
                                             f"file ({e.strerror or e}): {_fix_hint(fmt, stream)}") from None
                        seen.add(p.stream_index)
                    if len(seen) == len(copied) or n > 5000:
                        break
        finally:
            try:
                out.close()
            except av.FFmpegError:
                pass  # the in-memory trial file: only its errors above matter


def _segment_packets(work: WorkDir, segments: Sequence[int], tb: Fraction,
                     out_stream) -> Iterator[tuple[Fraction, object]]:  # noqa: ANN001
    """The video packets of the segments numbered ``segments`` (in that order), with their recorded
    timestamps (in ``tb``)."""
    import av

    last_dts: int | None = None
    for i in segments:
        stamps = work.read_timestamps(i)
        with av.open(str(work.segment_path(i))) as seg:
            vs = seg.streams.video[0]
            packets = [p for p in seg.demux(vs) if p.size]
            if len(packets) != len(stamps):
                raise InputError(f"segment {work.segment_path(i)} is damaged ({len(packets)} packets, "
                                 f"{len(stamps)} expected): delete {work.path} and run again")
            for p, (pts, dts, dur) in zip(packets, stamps, strict=True):
                if dts is None:
                    dts = pts
                if last_dts is not None and dts <= last_dts:  # a fresh encoder's first dts may undercut
                    dts = min(last_dts + 1, pts)
                last_dts = dts
                p.time_base = tb
                p.pts, p.dts, p.duration = pts, dts, dur
                p.stream = out_stream
                yield dts * tb, p


def _input_packets(inp, streams: dict[int, object], end: float | None,  # noqa: ANN001
                   *, fmt: str) -> Iterator[tuple[Fraction, object]]:
    """The input's other packets as they are (cut at ``end`` seconds), re-addressed to the output streams."""
    if not streams:
        return
    in_streams = [s for s in inp.streams if s.index in streams]
    mov_text = {s.index for s in in_streams
                if s.codec_context is not None and s.codec_context.name == "mov_text"}
    for p in inp.demux(*in_streams):
        if not p.size or (p.pts is None and p.dts is None):
            continue
        if fmt in ("mp4", "mov") and p.stream_index in mov_text and bytes(p) == b"\0\0":
            continue  # an empty "cue ends" sample: the mp4 muxer writes these itself; copies would double them
        tb = p.time_base
        ts = p.dts if p.dts is not None else p.pts
        if end is not None and p.pts is not None and p.pts * tb >= end:
            continue
        p.stream = streams[p.stream_index]
        yield ts * tb, p


def assemble(info: VideoInfo, work: WorkDir, *, segments: Sequence[int], fmt: str, fps: Fraction | None,
             end: float | None, dst: Path) -> None:
    """Join the finished segments numbered ``segments`` (in time order) with the input's other streams into
    ``dst`` (atomically)."""
    import av

    tmp = dst.with_name(f".{dst.stem}.vivid-part{dst.suffix}")
    try:
        with av.open(str(info.path)) as inp, av.open(str(work.segment_path(segments[0]))) as seg0, \
                av.open(str(tmp), "w", format=fmt, options={"avoid_negative_ts": "disabled"}) as out:
            # "disabled": Matroska would otherwise shift every stream when one starts before zero (MP4's
            # AAC priming, B-frame dts); MP4/MOV keep such starts in edit lists anyway
            _copy_tags(dict(inp.metadata), out.metadata)
            out_video = None
            others: dict[int, object] = {}
            for s in inp.streams:
                if s.index == info.stream_index:
                    # opaque: keep the template's codec (a decoder such as libdav1d names no encoder)
                    out_video = out.add_stream_from_template(seg0.streams.video[0], opaque=True)
                    out_video.metadata.update(_video_tags(inp, s))
                    out_video.disposition = int(s.disposition)
                    _setup_video(out_video, info, fps)
                    if fmt in ("mp4", "mov") and out_video.codec_context.name in ("hevc", "libx265"):
                        out_video.codec_context.codec_tag = "hvc1"  # what Apple players look for
                elif not is_timecode_track(s):
                    others[s.index] = _template_stream(out, s, fmt)
            chapters = inp.chapters()
            if chapters:
                out.set_chapters(chapters)
            out.start_encoding()
            merged = heapq.merge(_segment_packets(work, segments, info.time_base, out_video),
                                 _input_packets(inp, others, end, fmt=fmt), key=lambda item: item[0])
            for _, packet in merged:
                out.mux(packet)
        with tmp.open("rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, dst)
    except av.FFmpegError as e:
        raise OutputError(f"writing {dst} failed ({e.strerror or e}); the encoded segments are kept in "
                          f"{work.path}: fix the cause and run again with --resume") from None
    except OSError as e:
        raise OutputError(f"writing {dst} failed ({e.strerror or e}); the encoded segments are kept in "
                          f"{work.path}: fix the cause and run again with --resume") from None
    finally:
        tmp.unlink(missing_ok=True)
