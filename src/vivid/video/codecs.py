"""Output containers and video encoders: which names vivid accepts and how each encoder is driven.

The container comes from the output's suffix (``.mp4``, ``.mkv``, ``.mov``, ``.webm``). The video codec is one
of ``h264`` (libx264, the default), ``h265`` (libx265), ``vp9`` (libvpx-vp9) or ``av1`` (SVT-AV1, else libaom),
used only when the FFmpeg build inside PyAV has the encoder (``av.codecs_available``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vivid.errors import ConfigError

#: output suffix -> FFmpeg muxer name
CONTAINERS: dict[str, str] = {".mp4": "mp4", ".mkv": "matroska", ".mov": "mov", ".webm": "webm"}

_X26X_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow",
                 "placebo")


@dataclass(frozen=True)
class CodecSpec:
    """A user-facing video codec: the encoders that make it (first available wins) and its knobs.

    ``presets`` are the accepted ``--preset`` values: x264/x265 preset names, or the speed number of
    libvpx (``cpu-used`` 0..8) and SVT-AV1 (0..13); lower is slower and better.
    """

    name: str
    encoders: tuple[str, ...]
    default_crf: int
    max_crf: int
    presets: tuple[str, ...]
    default_preset: str


CODECS: dict[str, CodecSpec] = {
    "h264": CodecSpec("h264", ("libx264",), 18, 51, _X26X_PRESETS, "medium"),
    "h265": CodecSpec("h265", ("libx265",), 22, 51, _X26X_PRESETS, "medium"),
    "vp9": CodecSpec("vp9", ("libvpx-vp9",), 32, 63, tuple(str(i) for i in range(9)), "4"),
    "av1": CodecSpec("av1", ("libsvtav1", "libaom-av1"), 32, 63, tuple(str(i) for i in range(14)), "8"),
}

#: which video codecs each container holds (checked again by the muxer before any work)
CONTAINER_VIDEO: dict[str, tuple[str, ...]] = {
    "mp4": ("h264", "h265", "vp9", "av1"),
    "matroska": ("h264", "h265", "vp9", "av1"),
    "mov": ("h264", "h265"),
    "webm": ("vp9", "av1"),
}


@dataclass(frozen=True)
class EncoderSettings:
    """A resolved encoder: codec name, FFmpeg encoder, quality and speed."""

    codec: str
    encoder: str
    crf: int
    preset: str

    def options(self) -> dict[str, str]:
        """The FFmpeg private options for this encoder (quality-targeted, no bitrate cap)."""
        if self.encoder in ("libx264", "libx265"):
            opts = {"crf": str(self.crf), "preset": self.preset}
            if self.encoder == "libx265":
                opts["x265-params"] = "log-level=error"
            return opts
        if self.encoder == "libvpx-vp9":
            return {"crf": str(self.crf), "b": "0", "cpu-used": self.preset, "deadline": "good", "row-mt": "1"}
        if self.encoder == "libsvtav1":
            return {"crf": str(self.crf), "preset": self.preset}
        if self.encoder == "libaom-av1":
            return {"crf": str(self.crf), "b": "0", "cpu-used": str(min(int(self.preset), 8)), "row-mt": "1"}
        raise ConfigError(f"no settings known for encoder {self.encoder!r}")  # pragma: no cover

    def to_dict(self) -> dict[str, object]:
        return {"codec": self.codec, "encoder": self.encoder, "crf": self.crf, "preset": self.preset}


def quiet_encoder_logs(encoder: str) -> None:
    """SVT-AV1 prints its banner and configuration to stderr (over the progress bar) unless told not to."""
    import os

    if encoder == "libsvtav1":
        os.environ.setdefault("SVT_LOG", "1")  # errors only; a value the user set is kept


def available_encoders() -> set[str]:
    """Names of the video encoders (of those vivid drives) that this PyAV/FFmpeg build has."""
    import av

    names = {e for spec in CODECS.values() for e in spec.encoders}
    found = set()
    for name in names & set(av.codecs_available):
        try:
            av.codec.Codec(name, "w")
        except Exception:  # a decoder of that name only
            continue
        found.add(name)
    return found


def container_for(path: Path) -> str:
    """The FFmpeg muxer for an output path, from its suffix."""
    fmt = CONTAINERS.get(path.suffix.lower())
    if fmt is None:
        raise ConfigError(
            f"output {path.name!r} has suffix {path.suffix or '(none)'!r}: use one of {', '.join(CONTAINERS)}"
        )
    return fmt


def fastest_preset(codec: str) -> str:
    """The codec's fastest encoder preset (x264/x265 ``ultrafast``; the highest libvpx/SVT-AV1 speed)."""
    spec = CODECS[codec]
    return spec.presets[0] if spec.presets[0] == "ultrafast" else spec.presets[-1]


def resolve_encoder(
    codec: str, *, crf: int | None, preset: str | None, container: str, fastest: bool = False
) -> EncoderSettings:
    """Check the codec against the container and this FFmpeg build; fill in default quality and speed
    (``fastest``: the fastest preset when none is given, as ``--realtime`` wants)."""
    spec = CODECS.get(codec)
    if spec is None:
        raise ConfigError(f"unknown --codec {codec!r}: use one of {', '.join(CODECS)}")
    if codec not in CONTAINER_VIDEO[container]:
        holds = " or ".join(CONTAINER_VIDEO[container])
        suffix = next(s for s, f in CONTAINERS.items() if f == container)
        raise ConfigError(f"{suffix} files hold {holds} video, not {codec}: pick --codec "
                          f"{CONTAINER_VIDEO[container][0]} or write .mkv")
    have = available_encoders()
    encoder = next((e for e in spec.encoders if e in have), None)
    if encoder is None:
        import av

        others = ", ".join(c for c, s in CODECS.items() if any(e in have for e in s.encoders)) or "none"
        raise ConfigError(
            f"--codec {codec} needs the {' or '.join(spec.encoders)} encoder, which the FFmpeg inside PyAV "
            f"{av.__version__} lacks: use one of {others}"
        )
    if crf is None:
        crf = spec.default_crf
    if not 0 <= crf <= spec.max_crf:
        raise ConfigError(f"--crf for {codec} must be between 0 and {spec.max_crf}, got {crf}")
    if preset is None:
        preset = fastest_preset(codec) if fastest else spec.default_preset
    if preset not in spec.presets:
        raise ConfigError(f"--preset for {codec} must be one of {', '.join(spec.presets)}, got {preset!r}")
    return EncoderSettings(codec=codec, encoder=encoder, crf=crf, preset=preset)


def output_pix_fmt(encoder: str, *, bit_depth: int) -> str:
    """4:2:0 at 8 bits, or at 10 bits for deep sources when the encoder takes it."""
    import av

    if bit_depth > 8:
        formats = {f.name for f in (av.codec.Codec(encoder, "w").video_formats or ())}
        if "yuv420p10le" in formats:
            return "yuv420p10le"
    return "yuv420p"


def keep_normal_scheduling() -> None:
    """Put the calling thread back on the normal scheduler if an encoder moved it to real time.

    SVT-AV1 (PyAV's ``libsvtav1``), run as root, switches the thread that opens it to SCHED_FIFO priority
    99. Every thread started from it afterwards inherits that, and on a small machine two busy real-time
    threads (a thread pool spinning for work) starve everything else: the planar video path deadlocked
    while starting a worker thread. Called after every encode call; costs one system call.
    """
    import os

    getter = getattr(os, "sched_getscheduler", None)
    if getter is None:  # not Linux
        return
    try:
        if getter(0) != os.SCHED_OTHER:
            os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
    except OSError:  # not permitted: leave it
        pass
