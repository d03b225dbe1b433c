"""Look inside a video before any work: which stream to process, its timing, colour, rotation, the rest.

:func:`probe` opens the file, picks the first real video stream (cover art is skipped), decodes its first
frame (so an undecodable codec fails here, not an hour in) and lists every other stream, which will be
copied packet for packet.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from vivid.errors import ImageTooLargeError, InputError

#: FFmpeg demuxers that read still images (a .png opens as a one-frame "video")
_IMAGE_DEMUXERS = ("image2", "_pipe")


@dataclass(frozen=True)
class ColorTags:
    """The colour description of the video (FFmpeg's AVColor* enum values)."""

    color_range: int = 0
    colorspace: int = 2
    color_primaries: int = 2
    color_trc: int = 2


@dataclass(frozen=True)
class StreamInfo:
    """A stream that is copied untouched."""

    index: int
    type: str
    codec: str
    language: str | None = None


@dataclass(frozen=True)
class VideoInfo:
    """What vivid needs to know about an input video."""

    path: Path
    format_name: str
    stream_index: int
    codec: str
    width: int
    height: int
    pix_fmt: str
    bit_depth: int
    time_base: Fraction
    fps: Fraction | None
    frames: int | None
    duration: float | None
    start_pts: int
    color: ColorTags
    display_matrix: tuple[int, ...] | None
    sample_aspect_ratio: Fraction | None
    others: tuple[StreamInfo, ...]

    @property
    def rotation(self) -> float:
        """Counter-clockwise display rotation in degrees (0 when none)."""
        if self.display_matrix is None:
            return 0.0
        import math

        a, b, _, c, d, *_ = self.display_matrix
        return round(-math.degrees(math.atan2(b / 65536, a / 65536)), 3) if (a or b or c or d) else 0.0

    def frame_interval(self) -> float:
        """Seconds between frames at the average rate (1/25 when the file does not say)."""
        return float(1 / self.fps) if self.fps else 0.04


def _open(path: Path):  # noqa: ANN202 - av container
    import av

    if not path.exists():
        raise InputError(f"input {path} does not exist")
    if path.is_dir():
        raise InputError(f"input {path} is a folder: give one video file")
    try:
        return av.open(str(path))
    except av.FFmpegError as e:
        raise InputError(f"{path} is not a video FFmpeg can read ({e.strerror or type(e).__name__})") from None
    except UnicodeDecodeError:  # PyAV decodes container metadata (e.g. a mangled MP4 brand) as UTF-8
        raise InputError(f"{path} is not a video FFmpeg can read (its metadata is corrupt)") from None


def _display_matrix(frame) -> tuple[int, ...] | None:  # noqa: ANN001
    from av.sidedata.sidedata import Type

    for sd in frame.side_data:
        if sd.type == Type.DISPLAYMATRIX:
            raw = bytes(sd)
            if len(raw) == 36:
                return struct.unpack("<9i", raw)
    return None


def _codec_name(stream) -> str:  # noqa: ANN001
    """FFmpeg's name of the stream's codec (``subrip``, not the decoder's ``srt``)."""
    if stream.codec_context is None:
        return stream.metadata.get("mimetype") or "unknown"
    return stream.codec_context.codec.canonical_name


def _bit_depth(pix_fmt: str) -> int:
    import av

    try:
        fmt = av.VideoFormat(pix_fmt)
        return max(c.bits for c in fmt.components)
    except Exception:
        return 8


def probe(path: Path, *, max_pixels: int | None = None) -> VideoInfo:
    """Open ``path``, check that vivid can process it, and describe it.

    Raises :class:`InputError` for a missing file, a file that is no video (or a still image), a file
    without a video stream, or a video stream FFmpeg cannot decode; :class:`ImageTooLargeError` when
    the stream declares frames of more than ``max_pixels`` (checked before a frame is decoded).
    """
    import av

    path = Path(path)
    try:
        return _probe(path, max_pixels)
    except (av.FFmpegError, UnicodeDecodeError) as e:  # a corrupt file can fail anywhere in the container
        detail = getattr(e, "strerror", None) or type(e).__name__
        raise InputError(f"{path} is corrupt: FFmpeg cannot read it ({detail})") from None


def _probe(path: Path, max_pixels: int | None = None) -> VideoInfo:
    import av
    from av.stream import Disposition

    with _open(path) as c:
        fmt = c.format.name
        videos = [s for s in c.streams.video if not (s.disposition & Disposition.attached_pic)]
        if not videos:
            kinds = ", ".join(f"{s.type} ({_codec_name(s)})" for s in c.streams)
            raise InputError(f"{path} has no video stream (it holds {kinds or 'nothing'}): give a video file")
        vs = videos[0]
        if any(part in fmt for part in _IMAGE_DEMUXERS):
            raise InputError(f"{path} is a still image ({fmt}): use 'vivid enhance' for images")
        if vs.codec_context is None:
            raise InputError(f"{path}: FFmpeg has no decoder for its video codec: convert it first "
                             f"(e.g. to H.264)")
        codec = _codec_name(vs)
        declared = vs.codec_context.width * vs.codec_context.height
        if max_pixels is not None and declared > max_pixels:
            raise ImageTooLargeError(
                f"{path}: its frames are {vs.codec_context.width}x{vs.codec_context.height} = "
                f"{declared / 1e6:.1f} megapixels, over the limit of {max_pixels / 1e6:.1f} megapixels")
        vs.thread_type = "AUTO"
        try:
            first = next(c.decode(vs), None)
        except av.FFmpegError as e:
            raise InputError(f"{path}: cannot decode its {codec} video stream ({e.strerror or e})") from None
        if first is None:
            raise InputError(f"{path}: its {codec} video stream holds no decodable frame")
        tb = vs.time_base or (Fraction(1, int(vs.average_rate)) if vs.average_rate else Fraction(1, 25))
        fps = vs.average_rate or vs.guessed_rate or None
        duration = None
        if vs.duration is not None and vs.time_base:
            duration = float(vs.duration * vs.time_base)
        elif c.duration is not None:
            duration = c.duration / av.time_base
        frames = vs.frames or (round(duration * fps) if duration and fps else None)
        pix_fmt = first.format.name
        others = tuple(
            StreamInfo(s.index, s.type, _codec_name(s), s.language)
            for s in c.streams if s.index != vs.index
        )
        return VideoInfo(
            path=path, format_name=fmt, stream_index=vs.index, codec=codec,
            width=first.width, height=first.height, pix_fmt=pix_fmt, bit_depth=_bit_depth(pix_fmt),
            time_base=Fraction(tb), fps=Fraction(fps) if fps else None, frames=frames or None,
            duration=duration,
            start_pts=first.pts if first.pts is not None else 0,
            color=ColorTags(int(first.color_range), int(first.colorspace), int(first.color_primaries),
                            int(first.color_trc)),
            display_matrix=_display_matrix(first),
            sample_aspect_ratio=Fraction(vs.sample_aspect_ratio) if vs.sample_aspect_ratio else None,
            others=others,
        )
