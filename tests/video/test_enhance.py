"""enhance_video end to end on tiny generated clips: streams, timestamps, metadata, resume."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from tests.video.conftest import AutoGain, Cache, Upscale, make_clip, read_streams
from vivid.errors import ConfigError, OutputError
from vivid.video import VideoOptions, enhance_video

SR = VideoOptions(task="sr", model="up", segment_seconds=0.5, preset="ultrafast")


def test_sr_keeps_frames_timestamps_audio_and_subtitles(clip_mkv: Path, tmp_path: Path) -> None:
    up = Upscale()
    out = tmp_path / "out.mkv"
    res = enhance_video(clip_mkv, out, SR, models=Cache(up=up))
    a, b = read_streams(clip_mkv), read_streams(out)
    assert res.frames == len(a["video"]) == len(b["video"]) == 15 == up.frames
    assert res.segments == 3  # 1.5 s in 0.5 s segments
    assert (b["width"], b["height"]) == (128, 96)
    assert b["video_pts"] == a["video_pts"]
    assert b["types"] == a["types"] == ["video", "audio", "subtitle"]
    assert b["audio"] == a["audio"]  # packet copy: same bytes at the same times
    assert b["subtitle"] == a["subtitle"]
    assert b["languages"][2] == "eng"
    assert abs(b["duration"] - a["duration"]) < 0.05
    # nearest-neighbour x2 of the decoded input, through one more lossy encode: close to the source
    ref = np.repeat(np.repeat(a["video"][7].astype(np.float32), 2, 0), 2, 1)
    assert np.abs(b["video"][7] - ref).mean() < 4.0
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())  # work folder and temp file gone


def test_mp4_keeps_rotation_colour_tags_and_mov_text(clip_mp4: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    enhance_video(clip_mp4, out, SR, models=Cache(up=Upscale()))
    a, b = read_streams(clip_mp4), read_streams(out)
    assert a["rotation"] == b["rotation"] == 90
    assert a["color"] == b["color"] == (1, 1, 1, 1)  # limited range, BT.709 matrix, primaries, transfer
    assert b["codecs"] == ["h264", "aac", "mov_text"]
    assert b["audio"] == a["audio"]

    def cues(packets: list) -> list:  # mov_text "cue ends" samples are the muxer's own bookkeeping
        return [(t, d) for t, d in packets if d != b"\0\0"]

    assert cues(b["subtitle"]) == cues(a["subtitle"]) == [(0.0, b"\0\x05hello"), (0.7, b"\0\x05world")]
    assert b["video_pts"] == a["video_pts"]


def test_colours_survive_the_round_trip(tmp_path: Path) -> None:
    """Flat colour patches through an identity-like model come back within a few 8-bit levels."""
    colours = np.array([[200, 40, 40], [40, 180, 60], [30, 60, 210], [128, 128, 128]], np.uint8)

    def patches(i: int) -> np.ndarray:
        img = np.zeros((48, 64, 3), np.uint8)
        for k, c in enumerate(colours):
            img[:, 16 * k:16 * (k + 1)] = c
        return img

    src = make_clip(tmp_path / "flat.mp4", frames=4, bt709=True, content=patches, audio=False, subtitles=False)
    out = tmp_path / "flat_x2.mkv"
    enhance_video(src, out, SR, models=Cache(up=Upscale()))
    got = read_streams(out)["video"][2].astype(np.float32)
    for k, c in enumerate(colours):
        patch = got[8:88, 32 * k + 8:32 * (k + 1) - 8].reshape(-1, 3).mean(axis=0)
        assert np.abs(patch - c).max() <= 3.0, (k, patch, c)


def test_variable_frame_rate_timestamps_are_kept(tmp_path: Path) -> None:
    pts = [0, 40, 120, 160, 300, 340, 380, 620, 660, 700, 900, 940]
    src = make_clip(tmp_path / "vfr.mkv", frames=len(pts), pts_ms=pts, subtitles=False)
    a = read_streams(src)
    assert [round(float(t) * 1000) for t in a["video_pts"]] == pts
    for name in ("vfr_out.mkv", "vfr_out.mp4"):
        out = tmp_path / name
        enhance_video(src, out, VideoOptions(task="sr", model="up", segment_seconds=0.3, preset="ultrafast"),
                      models=Cache(up=Upscale()))
        b = read_streams(out)
        assert [round(float(t) * 1000) for t in b["video_pts"]] == pts, name
        assert b["audio"] == a["audio"]


@pytest.mark.parametrize("name,preset", [("in.mkv", "ultrafast"), ("in.mp4", "fast")], ids=["mkv", "mp4-bframes"])
def test_resume_after_a_crash_redoes_only_unfinished_segments(tmp_path: Path, name: str, preset: str) -> None:
    src = make_clip(tmp_path / name, frames=20, preset=preset, subtitles=name.endswith(".mkv"))
    opts = VideoOptions(task="sr", model="up", segment_seconds=0.5, batch=2, preset="ultrafast")

    clean = tmp_path / "clean.mkv"
    enhance_video(src, clean, opts, models=Cache(up=Upscale()))

    out = tmp_path / "out.mkv"
    first = Upscale()

    def crash(done: float, total: float, message: str = "") -> None:
        if done >= 12:
            raise RuntimeError("simulated crash")

    with pytest.raises(RuntimeError, match="simulated crash"):
        enhance_video(src, out, opts, models=Cache(up=first), progress=crash)
    assert not out.exists()  # the output appears only when complete
    work = tmp_path / ".out.mkv.vivid-work"
    assert (work / "checkpoint.json").exists()

    # without --resume the unfinished run is not silently thrown away
    with pytest.raises(OutputError, match="--resume"):
        enhance_video(src, out, opts, models=Cache(up=Upscale()))
    # with other options it is refused, naming what differs
    with pytest.raises(ConfigError, match="crf"):
        enhance_video(src, out, VideoOptions(task="sr", model="up", segment_seconds=0.5, batch=2,
                                             preset="ultrafast", crf=30, resume=True), models=Cache(up=Upscale()))

    second = Upscale()
    res = enhance_video(src, out, VideoOptions(task="sr", model="up", segment_seconds=0.5, batch=4,
                                               preset="ultrafast", resume=True), models=Cache(up=second))
    assert res.resumed_segments == 2  # frames 0-9 were finished before the crash
    assert second.frames == 10  # only the unfinished segments ran again
    assert res.frames == 20 and res.processed == 10
    a, b, c = read_streams(src), read_streams(out), read_streams(clean)
    assert len(b["video"]) == 20 and b["video_pts"] == a["video_pts"]
    assert b["audio"] == a["audio"] and b["subtitle"] == a["subtitle"] == c["subtitle"]
    # the resumed output decodes to the same pixels as an uninterrupted run
    assert all(np.array_equal(x, y) for x, y in zip(b["video"], c["video"], strict=True))
    assert not work.exists()


def test_duration_processes_a_preview_and_cuts_other_streams(clip_mkv: Path, tmp_path: Path) -> None:
    up = Upscale()
    out = tmp_path / "preview.mkv"
    res = enhance_video(clip_mkv, out, VideoOptions(task="sr", model="up", duration=0.6, preset="ultrafast"),
                        models=Cache(up=up))
    b = read_streams(out)
    assert res.frames == len(b["video"]) == up.frames == 6
    a = read_streams(clip_mkv)
    assert b["audio"] == [(t, d) for t, d in a["audio"] if t < 0.6]
    assert b["subtitle"] == [(0.0, b"hello")]  # the cue at 0.7 s is past the preview


def test_lowlight_task_runs_a_global_model_per_frame(clip_mkv: Path, tmp_path: Path) -> None:
    gain = AutoGain(target=0.6)
    out = tmp_path / "bright.mkv"
    res = enhance_video(clip_mkv, out, VideoOptions(task="lowlight", model="autogain", preset="ultrafast"),
                        models=Cache(autogain=gain))
    b = read_streams(out)
    assert gain.frames == 15 == res.frames
    assert (b["width"], b["height"]) == (64, 48)
    assert abs(b["video"][5].mean() / 255 - 0.6) < 0.05


def test_timecode_track_is_rebuilt_from_the_video_tag(tmp_path: Path) -> None:
    """A QuickTime timecode (tmcd) data track: MOV rebuilds it, Matroska keeps the tag."""
    import av

    src = tmp_path / "tc.mov"
    with av.open(str(src), "w") as out:
        vs = out.add_stream("libx264", rate=Fraction(10), options={"preset": "ultrafast"})
        vs.width, vs.height, vs.pix_fmt = 64, 48, "yuv420p"
        vs.metadata["timecode"] = "01:00:00:00"
        for i in range(5):
            f = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 40 * i, np.uint8), format="rgb24")
            f.pts = i
            out.mux(vs.encode(f))
        out.mux(vs.encode(None))
    for name in ("out.mov", "out.mkv"):
        enhance_video(src, tmp_path / name, SR, models=Cache(up=Upscale()))
        with av.open(str(tmp_path / name)) as c:
            tags = {k.lower(): v for k, v in c.streams.video[0].metadata.items()}
            assert tags["timecode"].startswith("01:00:00")
            assert [s.type for s in c.streams] == (["video", "data"] if name.endswith(".mov") else ["video"])


def _ten_bit_clip(src: Path) -> Path:
    """4 frames 64x48 of a shallow ramp (5 levels of 8 bits, about 20 of 10 bits, across the width), lossless
    x264 yuv420p10le; skips when this FFmpeg's x264 has no 10-bit encoder."""
    import av

    if "yuv420p10le" not in [f.name for f in av.codec.Codec("libx264", "w").video_formats or []]:
        pytest.skip("this FFmpeg's libx264 does not encode yuv420p10le")
    ramp = (np.linspace(0.50, 0.52, 64)[None, :, None] * np.ones((48, 1, 3)) * 65535).astype(np.uint16)
    with av.open(str(src), "w") as out:
        vs = out.add_stream("libx264", rate=Fraction(10), options={"preset": "ultrafast", "crf": "0"})
        vs.width, vs.height, vs.pix_fmt = 64, 48, "yuv420p10le"
        for i in range(4):
            f = av.VideoFrame.from_ndarray(ramp, format="rgb48le").reformat(format="yuv420p10le")
            f.pts = i
            out.mux(vs.encode(f))
        out.mux(vs.encode(None))
    return src


def test_ten_bit_video_runs_float32_under_precision_auto(tmp_path: Path, int8_by_default: None) -> None:
    from vivid.engine.cache import ModelCache

    src = _ten_bit_clip(tmp_path / "deep.mkv")
    cache = ModelCache()  # precision auto, what vivid video makes
    res = enhance_video(src, tmp_path / "deep_x2.mkv", VideoOptions(task="sr", model="vivid-sr", preset="ultrafast"),
                        models=cache)
    assert not any("int8" in n for n in res.notes), res.notes  # int8 is for 8-bit sources
    # the float32 sibling loaded the model; the auto cache itself (int8 for vivid-sr x2) loaded nothing
    assert cache.loads == 0 and cache.with_runtime("auto", "float32").loads == 1


def test_ten_bit_video_stays_ten_bit(tmp_path: Path) -> None:
    import av

    src = _ten_bit_clip(tmp_path / "deep.mkv")
    out_path = tmp_path / "deep_x2.mkv"
    enhance_video(src, out_path, VideoOptions(task="sr", model="up", preset="ultrafast", crf=0),
                  models=Cache(up=Upscale()))
    with av.open(str(out_path)) as c:
        frame = next(c.decode(video=0))
        assert frame.format.name == "yuv420p10le"
        row = frame.to_ndarray(format="rgb48le")[48, :, 1].astype(np.float64) / 65535
    assert len(np.unique(np.round(row * 1023))) >= 15  # 8 bits would leave about 6 distinct values
    assert np.abs(row - np.repeat(np.linspace(0.50, 0.52, 64), 2)).max() < 2 / 1023
