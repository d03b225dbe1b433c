"""Bad input and impossible outputs fail with one clear line before any work (no model call, no files)."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from tests.video.conftest import Cache, Upscale, make_clip
from vivid.errors import ConfigError, InputError, OutputError, VividError
from vivid.video import VideoOptions, enhance_video
from vivid.video import codecs as codecs_mod

OPTS = VideoOptions(task="sr", model="up", preset="ultrafast")


def run(src: Path, dst: Path, opts: VideoOptions = OPTS) -> Upscale:
    up = Upscale()
    enhance_video(src, dst, opts, models=Cache(up=up))
    return up


def assert_no_work(up: Upscale, folder: Path, before: set[str]) -> None:
    assert up.frames == 0
    assert {p.name for p in folder.iterdir()} == before  # no work folder, no partial output


def expect(error: type[VividError], match: str, src: Path, dst: Path, opts: VideoOptions = OPTS) -> str:
    up = Upscale()
    before = {p.name for p in dst.parent.iterdir()} if dst.parent.is_dir() else set()
    with pytest.raises(error, match=match) as info:
        enhance_video(src, dst, opts, models=Cache(up=up))
    message = str(info.value)
    assert "\n" not in message
    if dst.parent.is_dir():
        assert_no_work(up, dst.parent, before)
    return message


def test_not_a_video(tmp_path: Path) -> None:
    txt = tmp_path / "notes.mp4"
    txt.write_text("not a video at all\n" * 50)
    expect(InputError, "not a video", txt, tmp_path / "out.mp4")
    expect(InputError, "does not exist", tmp_path / "missing.mp4", tmp_path / "out.mp4")


def test_still_image_points_to_enhance(tmp_path: Path) -> None:
    import cv2

    png = tmp_path / "photo.png"
    cv2.imwrite(str(png), np.full((32, 32, 3), 128, np.uint8))
    expect(InputError, "still image.*vivid enhance", png, tmp_path / "out.mp4")


def test_no_video_stream(tmp_path: Path) -> None:
    import av

    audio_only = tmp_path / "sound.mka"
    with av.open(str(audio_only), "w") as out:
        s = out.add_stream("aac", rate=8000)
        s.layout = "mono"
        for k in range(4):
            f = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            f.sample_rate, f.pts = 8000, k * 1024
            out.mux(s.encode(f))
        out.mux(s.encode(None))
    msg = expect(InputError, "no video stream", audio_only, tmp_path / "out.mkv")
    assert "audio (aac)" in msg


def test_undecodable_video_stream(tmp_path: Path) -> None:
    import av

    bad = tmp_path / "bad.mkv"
    with av.open(str(bad), "w") as out:
        s = out.add_mux_stream("mpeg4", rate=Fraction(10), width=64, height=48)
        s.time_base = Fraction(1, 1000)
        for i in range(3):
            p = av.Packet(b"\0" * 100)
            p.pts = p.dts = i * 100
            p.time_base, p.stream, p.is_keyframe = s.time_base, s, True
            out.mux(p)
    expect(InputError, "cannot decode its mpeg4", bad, tmp_path / "out.mkv")


def test_output_paths(clip_mkv: Path, tmp_path: Path) -> None:
    expect(OutputError, "is the input", clip_mkv, clip_mkv)
    expect(OutputError, "does not exist", clip_mkv, tmp_path / "nowhere" / "out.mkv")
    expect(ConfigError, "suffix '.avi'", clip_mkv, tmp_path / "out.avi")
    (tmp_path / "taken.mkv").write_bytes(b"x")
    expect(OutputError, "--overwrite", clip_mkv, tmp_path / "taken.mkv")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write anywhere")
def test_unwritable_output_folder(clip_mkv: Path, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        expect(OutputError, "not writable", clip_mkv, locked / "out.mkv")
    finally:
        locked.chmod(0o755)


def test_unsupported_output_codec(clip_mkv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expect(ConfigError, "hold vp9 or av1 video, not h264", clip_mkv, tmp_path / "out.webm")
    expect(ConfigError, "unknown --codec", clip_mkv, tmp_path / "out.mkv",
           VideoOptions(task="sr", model="up", codec="mpeg2"))
    monkeypatch.setattr(codecs_mod, "available_encoders", lambda: {"libx264"})
    expect(ConfigError, "needs the libsvtav1 or libaom-av1 encoder.*lacks: use one of h264", clip_mkv,
           tmp_path / "out.mkv", VideoOptions(task="sr", model="up", codec="av1"))


def test_bad_encoder_settings(clip_mkv: Path, tmp_path: Path) -> None:
    expect(ConfigError, "--crf for h264", clip_mkv, tmp_path / "o.mkv", VideoOptions(task="sr", model="up", crf=70))
    expect(ConfigError, "--preset for h264", clip_mkv, tmp_path / "o.mkv",
           VideoOptions(task="sr", model="up", preset="warp"))


def test_streams_the_container_cannot_hold_are_named_before_work(clip_mkv: Path, tmp_path: Path) -> None:
    msg = expect(InputError, "subtitle stream #2 \\(subrip\\) cannot be copied into a .mp4", clip_mkv,
                 tmp_path / "out.mp4")
    assert "mov_text" in msg and "write .mkv instead" in msg
    aac = make_clip(tmp_path / "aac.mkv", subtitles=False)
    expect(InputError, "audio stream #1 \\(aac\\) cannot be copied into a .webm", aac, tmp_path / "out.webm",
           VideoOptions(task="sr", model="up", codec="vp9"))


def test_attachments_need_matroska(tmp_path: Path) -> None:
    import av

    src = make_clip(tmp_path / "fonts.mkv", frames=3, audio=False, subtitles=False)
    with_font = tmp_path / "with_font.mkv"
    with av.open(str(src)) as inp, av.open(str(with_font), "w") as out:
        vs = out.add_stream_from_template(inp.streams.video[0])
        out.add_attachment("font.ttf", "font/ttf", b"\0\1\0\0fake font")
        for p in inp.demux(inp.streams.video[0]):
            if p.size:
                p.stream = vs
                out.mux(p)
    expect(InputError, r"attachment #1 \(font.ttf\) cannot be copied into a .mp4 file: write .mkv", with_font,
           tmp_path / "out.mp4")
    enhance_video(with_font, tmp_path / "out.mkv", OPTS, models=Cache(up=Upscale()))
    with av.open(str(tmp_path / "out.mkv")) as c:
        assert [s.type for s in c.streams] == ["video", "attachment"]


def test_option_errors() -> None:
    with pytest.raises(ConfigError, match="unknown task"):
        VideoOptions(task="sharpen")
    with pytest.raises(ConfigError, match="--model needs an explicit --task"):
        VideoOptions(model="bicubic")
    with pytest.raises(ConfigError, match="--realtime needs an explicit --task"):
        VideoOptions(realtime=True)
    with pytest.raises(ConfigError, match="--scale is for --task sr"):
        VideoOptions(task="denoise", scale=2)
    with pytest.raises(ConfigError, match="--batch"):
        VideoOptions(batch=0)


@pytest.mark.parametrize("ext", ["mp4", "mkv"])
def test_mutated_clips_are_input_errors_or_work(tmp_path: Path, ext: str) -> None:
    """Bit flips, overwritten runs and truncations of a real clip (video, audio, subtitles): each one either
    converts or fails with a vivid error; never PyAV's own exception (UnicodeDecodeError, InvalidDataError)."""
    import random

    clip = make_clip(tmp_path / f"seed.{ext}", frames=12)
    data = clip.read_bytes()
    rng = random.Random(20)
    outcomes: dict[str, int] = {}
    for k in range(30):
        b = bytearray(data)
        if k % 3 == 0:
            for _ in range(rng.randint(1, 8)):
                b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
        elif k % 3 == 1:
            at = rng.randrange(len(b))
            b[at:at + 12] = bytes(rng.randrange(256) for _ in range(12))
        else:
            b = b[: rng.randrange(64, len(b))]
        src = tmp_path / f"m{k}.{ext}"
        src.write_bytes(bytes(b))
        try:
            enhance_video(src, tmp_path / f"out{k}.{ext}", OPTS, models=Cache(up=Upscale()))
            outcomes["ok"] = outcomes.get("ok", 0) + 1
        except VividError as e:
            assert "\n" not in str(e)
            outcomes["error"] = outcomes.get("error", 0) + 1
    assert sum(outcomes.values()) == 30 and outcomes.get("error", 0) > 0, outcomes
