"""Tiny clips made with PyAV in the tests, and small deterministic models that count their frames.

Clips are 64x48 H.264 (x264 ultrafast: no B-frames) at 10 fps unless a test asks otherwise, with an AAC
track and a subtitle stream (SubRip in Matroska, mov_text in MP4), so every test sees a real container.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from vivid.models.base import ModelDescriptor, Restorer

SUBTITLES = ((0, 500, "hello"), (700, 1200, "world"))  # (start ms, end ms, text)


def gradient_frame(i: int, h: int = 48, w: int = 64) -> np.ndarray:
    """An ``(H, W, 3)`` uint8 frame: gradients that move with ``i`` plus a moving bright square."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r = 60 + 120 * xx / w
    g = 50 + 100 * yy / h
    b = 90 + 60 * np.sin((xx + 3 * i) / 6.0)
    img = np.stack([r, g, b], axis=-1)
    x0 = (4 * i) % (w - 12)
    img[10:22, x0:x0 + 12] = 230
    return np.clip(img, 0, 255).astype(np.uint8)


def make_clip(
    path: Path,
    *,
    frames: int = 15,
    fps: int = 10,
    size: tuple[int, int] = (64, 48),
    audio: bool = True,
    subtitles: bool = True,
    pts_ms: Sequence[int] | None = None,
    rotation: float | None = None,
    bt709: bool = False,
    content: Callable[[int], np.ndarray] | None = None,
    preset: str = "ultrafast",
) -> Path:
    """Write a test clip; ``pts_ms`` gives variable frame times (milliseconds) instead of a fixed rate.

    ``preset="fast"`` makes x264 use B-frames (decode order differs from display order).
    """
    import av

    w, h = size
    content = content or (lambda i: gradient_frame(i, h, w))
    ext = path.suffix.lower()
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=Fraction(fps), options={"preset": preset, "crf": "12"})
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        if pts_ms is not None:
            vs.codec_context.time_base = Fraction(1, 1000)
        if rotation is not None:
            vs.set_display_rotation(rotation)
        if bt709:
            cc = vs.codec_context
            cc.color_range, cc.colorspace, cc.color_primaries, cc.color_trc = 1, 1, 1, 1
        aus = None
        if audio:
            aus = out.add_stream("aac", rate=8000)
            aus.layout = "mono"
        ss = None
        if subtitles:
            ss = out.add_mux_stream("mov_text" if ext in (".mp4", ".mov") else "subrip")
            ss.time_base = Fraction(1, 1000)
            ss.metadata["language"] = "eng"
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(content(i), format="rgb24")
            if bt709:
                frame = frame.reformat(format="yuv420p", dst_colorspace=1, dst_color_range=1)
                frame.colorspace, frame.color_range = 1, 1
            if pts_ms is not None:
                frame.pts, frame.time_base = pts_ms[i], Fraction(1, 1000)
            else:
                frame.pts = i
            out.mux(vs.encode(frame))
        out.mux(vs.encode(None))
        if aus is not None:
            seconds = (pts_ms[-1] / 1000 + 0.1) if pts_ms is not None else frames / fps
            t = np.arange(int(seconds * 8000), dtype=np.float32) / 8000
            wave = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
            for k in range(0, len(wave) - 1023, 1024):
                a = av.AudioFrame.from_ndarray(wave[None, k:k + 1024], format="fltp", layout="mono")
                a.sample_rate, a.pts = 8000, k
                out.mux(aus.encode(a))
            out.mux(aus.encode(None))
        if ss is not None:
            for start, end, text in SUBTITLES:
                data = text.encode()
                if ext in (".mp4", ".mov"):
                    data = len(data).to_bytes(2, "big") + data
                p = av.Packet(data)
                p.pts = p.dts = start
                p.duration = end - start
                p.time_base = ss.time_base
                p.stream = ss
                out.mux(p)
    return path


def read_streams(path: Path) -> dict:
    """Per stream type: the packets (pts, dts, bytes) and the decoded video frames' pts and pixels."""
    import av

    info: dict = {"video_pts": [], "video": [], "audio": [], "subtitle": [], "rotation": None, "color": None}
    with av.open(str(path)) as c:
        vs = c.streams.video[0]
        info["video_tb"] = vs.time_base
        info["width"], info["height"] = vs.codec_context.width, vs.codec_context.height
        info["duration"] = c.duration / av.time_base if c.duration else None
        info["types"] = [s.type for s in c.streams]
        info["codecs"] = [s.codec_context.name if s.codec_context else None for s in c.streams]
        info["languages"] = [s.language for s in c.streams]
        for p in c.demux():
            if not p.size:
                continue
            kind = p.stream.type
            if kind in ("audio", "subtitle"):
                info[kind].append((float(p.pts * p.time_base), bytes(p)))
        c.seek(0)
        for f in c.decode(video=0):
            info["video_pts"].append(f.pts * f.time_base)
            info["video"].append(f.to_ndarray(format="rgb24"))
            if info["rotation"] is None:
                info["rotation"] = f.rotation
                info["color"] = (int(f.color_range), int(f.colorspace), int(f.color_primaries), int(f.color_trc))
    return info


class Upscale(Restorer):
    """Nearest-neighbour SR, tileable, RGB: exact and fast. Counts the frames it sees."""

    def __init__(self, scale: int = 2, *, name: str = "up", color_space: str = "rgb") -> None:
        self.descriptor = ModelDescriptor(name=name, task="sr", scale=scale, color_space=color_space)  # type: ignore[arg-type]
        self.frames = 0
        self.calls = 0

    def __call__(self, batch: np.ndarray, *, size: tuple[int, int] | None = None) -> np.ndarray:
        self.frames += len(batch)
        self.calls += 1
        s = self.descriptor.scale
        return np.repeat(np.repeat(batch, s, axis=2), s, axis=3)


class Smooth3(Restorer):
    """A same-size 3x3 box blur (local, tileable) in the descriptor's colour space."""

    def __init__(self, *, color_space: str = "rgb") -> None:
        self.descriptor = ModelDescriptor(name="blur", task="denoise", color_space=color_space, tile_overlap=4)  # type: ignore[arg-type]

    def __call__(self, batch: np.ndarray, *, size: tuple[int, int] | None = None) -> np.ndarray:
        p = np.pad(batch, ((0, 0), (0, 0), (1, 1), (1, 1)), mode="edge")
        h, w = batch.shape[2:]
        return sum(p[:, :, i:i + h, j:j + w] for i in range(3) for j in range(3)) / 9.0


class AutoGain(Restorer):
    """A low-light "model" with a global decision: scales each frame so its mean becomes ``target``."""

    def __init__(self, target: float = 0.45) -> None:
        self.descriptor = ModelDescriptor(name="autogain", task="lowlight", tileable=False)
        self.target = target
        self.frames = 0

    def __call__(self, batch: np.ndarray, *, size: tuple[int, int] | None = None) -> np.ndarray:
        self.frames += len(batch)
        means = batch.mean(axis=(1, 2, 3), keepdims=True)
        return np.clip(batch * (self.target / np.maximum(means, 1e-3)), 0, 1)


class Cache:
    """A model cache (``get(name, scale)``) over test models; remembers what it handed out."""

    def __init__(self, **models: Restorer) -> None:
        self.models = models

    def get(self, name: str, scale: int | None, *, family: str | None = None) -> Restorer:
        try:
            return self.models[name]
        except KeyError:
            from vivid.errors import ModelError

            raise ModelError(f"unknown test model {name!r}") from None


class Sleepy(Upscale):
    """As slow as a heavy model: 0.25 s per frame."""

    def __call__(self, batch: np.ndarray, *, size: tuple[int, int] | None = None) -> np.ndarray:
        import time

        time.sleep(0.25 * len(batch))
        return super().__call__(batch, size=size)


def build_up(scale: int) -> Restorer:
    return Upscale(scale)


def build_sleepy(scale: int) -> Restorer:
    return Sleepy(scale, name="sleepy")


def build_autogain(scale: int) -> Restorer:
    return AutoGain()


@pytest.fixture(autouse=True)
def test_models_in_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test models get registry entries, so the engine's planning knows their tasks and scales."""
    from vivid.models import registry
    from vivid.models.registry import ModelEntry

    here = "tests.video.conftest"
    entries = (
        ModelEntry("up", "sr", (2, 3, 4), "nearest-neighbour test SR", f"{here}:build_up", speed_class="realtime"),
        ModelEntry("sleepy", "sr", (2,), "a slow test SR", f"{here}:build_sleepy", speed_class="slow"),
        ModelEntry("autogain", "lowlight", (1,), "per-frame auto gain", f"{here}:build_autogain",
                   speed_class="realtime"),
    )
    monkeypatch.setattr(registry, "ENTRIES", registry.ENTRIES + entries)


@pytest.fixture
def clip_mkv(tmp_path: Path) -> Path:
    return make_clip(tmp_path / "in.mkv")


@pytest.fixture
def clip_mp4(tmp_path: Path) -> Path:
    return make_clip(tmp_path / "in.mp4", rotation=90, bt709=True)


@pytest.fixture(autouse=True)
def _normal_scheduling() -> Iterator[None]:
    """Tests that encode AV1 directly through PyAV (not through vivid's encoder paths) must not leave the
    test process real-time: SVT-AV1 run as root switches the calling thread to SCHED_FIFO 99."""
    yield
    from vivid.video.codecs import keep_normal_scheduling

    keep_normal_scheduling()
