"""A real clip from ../shared: H.264 768x432 at 12.5 fps with AAC audio (first 2 s only)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from tests.video.conftest import Cache, Upscale, read_streams
from vivid.video import VideoOptions, enhance_video, probe

CAR = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "video" / "car-detection.mp4"

pytestmark = [pytest.mark.shared, pytest.mark.skipif(not CAR.exists(), reason=f"{CAR} is not here")]


def test_probe_reads_the_real_clip() -> None:
    info = probe(CAR)
    assert (info.width, info.height, info.codec) == (768, 432, "h264")
    assert info.fps == Fraction(25, 2) and info.frames == 377
    assert [s.type for s in info.others] == ["audio"]


def test_first_two_seconds_x2_keep_audio_and_timestamps(tmp_path: Path) -> None:
    up = Upscale()
    out = tmp_path / "car_x2.mp4"
    res = enhance_video(CAR, out, VideoOptions(task="sr", model="up", duration=2.0, preset="ultrafast",
                                               segment_seconds=1.0), models=Cache(up=up))
    b = read_streams(out)
    assert res.frames == up.frames == len(b["video"]) == 25  # 2 s at 12.5 fps
    assert (b["width"], b["height"]) == (1536, 864)
    assert b["codecs"] == ["h264", "aac"]
    a_pts, a_audio = [], []
    import av

    with av.open(str(CAR)) as c:
        for p in c.demux(c.streams.audio[0]):
            if p.size and p.pts * p.time_base < 2.0:
                a_audio.append((float(p.pts * p.time_base), bytes(p)))
        c.seek(0)
        for f in c.decode(video=0):
            if f.pts * f.time_base >= 2.0:
                break
            a_pts.append(f.pts * f.time_base)
    assert b["video_pts"] == a_pts
    assert b["audio"] == a_audio  # packet copy, in sync
