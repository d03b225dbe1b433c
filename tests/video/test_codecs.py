"""Every codec this FFmpeg build can encode works end to end; the others are refused clearly."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.video.conftest import Cache, Upscale, make_clip, read_streams
from vivid.errors import ConfigError
from vivid.video import VideoOptions, enhance_video
from vivid.video.codecs import CODECS, available_encoders, container_for, resolve_encoder

FASTEST = {"h264": "ultrafast", "h265": "ultrafast", "vp9": "8", "av1": "13"}
DECODED_AS = {"h264": "h264", "h265": "hevc", "vp9": "vp9", "av1": "av1"}


@pytest.mark.parametrize("codec,suffix", [("h265", ".mp4"), ("vp9", ".webm"), ("av1", ".mkv")])
def test_other_codecs(codec: str, suffix: str, tmp_path: Path) -> None:
    if not set(CODECS[codec].encoders) & available_encoders():
        with pytest.raises(ConfigError, match="lacks"):
            resolve_encoder(codec, crf=None, preset=None, container=container_for(tmp_path / f"o{suffix}"))
        pytest.skip(f"this FFmpeg build has no {codec} encoder")
    src = make_clip(tmp_path / "in.mkv", frames=6, audio=False, subtitles=False)
    out = tmp_path / f"out{suffix}"
    res = enhance_video(src, out, VideoOptions(task="sr", model="up", codec=codec, preset=FASTEST[codec]),
                        models=Cache(up=Upscale()))
    b = read_streams(out)
    assert b["codecs"][0] in (DECODED_AS[codec], "libdav1d")
    assert len(b["video"]) == 6 == res.frames
    assert b["video_pts"] == read_streams(src)["video_pts"]
    # SVT-AV1 run as root makes the thread that opens it real-time (SCHED_FIFO 99); vivid puts it back, or
    # every thread started later inherits it and a spinning thread pool starves the machine (a deadlock)
    if hasattr(os, "sched_getscheduler"):
        assert os.sched_getscheduler(0) == os.SCHED_OTHER


@pytest.mark.parametrize("codec", list(CODECS))
def test_fastest_preset_for_realtime(codec: str, tmp_path: Path) -> None:
    """--realtime without --preset takes the codec's fastest preset; an explicit --preset still wins."""
    from vivid.video.codecs import fastest_preset

    assert fastest_preset(codec) == FASTEST[codec]
    if not set(CODECS[codec].encoders) & available_encoders():
        pytest.skip(f"this FFmpeg build has no {codec} encoder")
    container = "matroska"
    fast = resolve_encoder(codec, crf=None, preset=None, container=container, fastest=True)
    assert fast.preset == FASTEST[codec]
    assert resolve_encoder(codec, crf=None, preset=None, container=container).preset == CODECS[codec].default_preset
    kept = resolve_encoder(codec, crf=None, preset=CODECS[codec].default_preset, container=container, fastest=True)
    assert kept.preset == CODECS[codec].default_preset
