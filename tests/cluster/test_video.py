"""A video's segments made by workers (:mod:`vivid.cluster.video`), here in this process (no Ray): the same
output as the local engine, resumable, bounded retries, one-line errors. ``test_fault.py`` runs it on a real
two-node Ray cluster."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from tests.video.conftest import AutoGain, Cache, Upscale, gradient_frame, make_clip, read_streams
from tests.video.conftest import test_models_in_registry as _registry  # noqa: F401 - the test models' entries
from vivid.cluster.pool import InProcessPool
from vivid.cluster.video import SegmentWorker, enhance_video_on_cluster
from vivid.errors import ConfigError, OutputError
from vivid.video import VideoOptions, enhance_video

SR = VideoOptions(task="sr", model="up", scale=2, segment_seconds=0.5, preset="ultrafast")


class Models(Cache):
    """The test models' cache, with what a worker's cache also has."""

    loads = 1

    def clear(self) -> None:
        pass


def video_packets(path: Path) -> list[tuple[int, int, bytes]]:
    import av

    with av.open(str(path)) as c:
        return [(p.pts, p.dts, bytes(p)) for p in c.demux(video=0) if p.size]


def in_process(models: Any, *, worker_class: type = SegmentWorker) -> Any:
    return lambda args: InProcessPool({**args, "models": models}, worker_class=worker_class)


@pytest.mark.parametrize("name,preset", [("in.mkv", "ultrafast"), ("in.mp4", "fast")], ids=["mkv", "mp4-bframes"])
def test_segments_made_apart_give_the_local_engines_output(tmp_path: Path, name: str, preset: str) -> None:
    src = make_clip(tmp_path / name, frames=24, preset=preset, subtitles=name.endswith(".mkv"))
    local, spread = tmp_path / "local.mkv", tmp_path / "spread.mkv"
    enhance_video(src, local, SR, models=Cache(up=Upscale()))
    up = Upscale()
    res = enhance_video_on_cluster(src, spread, SR, models=Models(up=up), make_pool=in_process(Models(up=up)))
    assert res.frames == res.processed == up.frames == 24 and res.segments == 5  # 2.4 s in 0.5 s cells
    a, b, c = read_streams(src), read_streams(spread), read_streams(local)
    assert b["types"] == a["types"] and b["audio"] == a["audio"] and b["subtitle"] == a["subtitle"]
    assert b["video_pts"] == a["video_pts"]
    # x264 with one thread count is deterministic: the very packets of the local run, joined losslessly
    assert video_packets(spread) == video_packets(local)
    assert all(np.array_equal(x, y) for x, y in zip(b["video"], c["video"], strict=True))
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())


def test_a_preview_with_duration_cuts_like_the_local_engine(tmp_path: Path) -> None:
    src = make_clip(tmp_path / "in.mkv", frames=24)
    opts = SR.model_copy(update={"duration": 1.2})
    local, spread = tmp_path / "local.mkv", tmp_path / "spread.mkv"
    enhance_video(src, local, opts, models=Cache(up=Upscale()))
    res = enhance_video_on_cluster(src, spread, opts, models=Models(up=Upscale()),
                                   make_pool=in_process(Models(up=Upscale())))
    assert res.frames == 12 and res.segments == 3
    b, c = read_streams(spread), read_streams(local)
    assert b["audio"] == c["audio"] and b["subtitle"] == c["subtitle"] and b["video_pts"] == c["video_pts"]
    assert video_packets(spread) == video_packets(local)


def test_smoothed_steps_warm_up_before_each_segment(tmp_path: Path) -> None:
    """A global model (per-frame auto gain, smoothed over 0.1 s): each segment first runs the 1 s before it,
    so its smoother starts where the sequential run's is: the frames agree within 1/255 (identical here;
    without the warm-up they differ by 17 levels)."""
    def flickering(i: int) -> np.ndarray:  # brightness flickers by up to 8% (less than a scene cut)
        return (gradient_frame(i) * (0.5 + 0.04 * (i % 3))).astype(np.uint8)

    src = make_clip(tmp_path / "in.mkv", frames=30, content=flickering, subtitles=False)
    opts = VideoOptions(task="lowlight", model="autogain", segment_seconds=1.0, temporal_seconds=0.1,
                        preset="ultrafast")
    local, spread = tmp_path / "local.mkv", tmp_path / "spread.mkv"
    enhance_video(src, local, opts, models=Cache(autogain=AutoGain()))
    gain = AutoGain()
    enhance_video_on_cluster(src, spread, opts, models=Models(autogain=gain),
                             make_pool=in_process(Models(autogain=gain)))
    assert gain.frames == 30 + 10 + 10  # each frame once, plus 1 s (10 frames) of warm-up before cells 1 and 2
    b, c = read_streams(spread), read_streams(local)
    assert len(b["video"]) == len(c["video"]) == 30
    assert max(int(np.abs(x.astype(int) - y.astype(int)).max()) for x, y in zip(b["video"], c["video"])) <= 1


class Flaky(SegmentWorker):
    """Answers ``retry`` (a storage error) for segment ``k`` the first ``failures[k]`` times it is given."""

    failures: ClassVar[dict[int, int]] = {}

    def process(self, cell: Any) -> Any:
        if Flaky.failures.get(cell.index, 0) > 0:
            Flaky.failures[cell.index] -= 1
            from vivid.cluster.worker import RETRY, Outcome

            return Outcome(cell.dst, RETRY, error=f"OSError: disk full at segment {cell.index}", worker="w")
        return super().process(cell)


def test_a_failing_segment_is_retried_then_reported_and_the_rest_resumes(tmp_path: Path) -> None:
    src = make_clip(tmp_path / "in.mkv", frames=20)
    out = tmp_path / "out.mkv"
    Flaky.failures = {1: 1}  # fails once, then works: nothing to see
    up = Upscale()
    flaky = in_process(Models(up=up), worker_class=Flaky)
    res = enhance_video_on_cluster(src, out, SR, models=Models(up=up), make_pool=flaky)
    assert res.frames == 20 and up.frames == 20

    out.unlink()
    Flaky.failures = {2: 99}  # always fails: after 3 tries the job stops, naming the segment and the reason
    up = Upscale()
    with pytest.raises(OutputError) as e:
        enhance_video_on_cluster(src, out, SR, models=Models(up=up),
                                 make_pool=in_process(Models(up=up), worker_class=Flaky))
    assert str(e.value).startswith(f"segment 2 (1-1.5 s) of {src} failed: failed 3 times; the last time: OSError: "
                                   "disk full at segment 2; the finished segments are kept in")
    assert "\n" not in str(e.value) and not out.exists()
    assert up.frames == 15  # the other segments are finished and kept
    Flaky.failures = {}
    up = Upscale()
    res = enhance_video_on_cluster(src, out, SR.model_copy(update={"resume": True}), models=Models(up=up),
                                   make_pool=in_process(Models(up=up)))
    assert res.resumed_segments == 3 and res.processed == up.frames == 5 and res.frames == 20
    local = tmp_path / "local.mkv"
    enhance_video(src, local, SR, models=Cache(up=Upscale()))
    assert video_packets(out) == video_packets(local)


def video_cli(*args: str):  # noqa: ANN201
    from typer.testing import CliRunner

    from vivid.cli.main import app

    return CliRunner().invoke(app, ["video", *args])


def test_engine_errors_are_one_line_before_any_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    src = make_clip(tmp_path / "in.mkv", frames=5)
    out = str(tmp_path / "out.mkv")
    r = video_cli(str(src), "-o", out, "--task", "sr", "--engine", "ray", "--ray-address", "127.0.0.5:1")
    assert r.exit_code == 2, r.output
    assert " ".join(r.output.split()) == ("error: cannot reach the Ray cluster at 127.0.0.5:1 (Connection refused): "
                                          "start it with 'ray start --head --port 1' on 127.0.0.5, or check "
                                          "--ray-address")
    r = video_cli(str(src), "-o", out, "--ray-workers", "2")
    assert r.exit_code == 2 and "error: --ray-workers needs --engine ray" in r.output
    r = video_cli(str(src), "-o", "s3://bucket/out.mkv", "--engine", "ray")
    assert r.exit_code == 2 and "vivid video reads and writes files, not s3://bucket/out.mkv: mount the store" in \
        " ".join(r.output.split())
    r = video_cli(str(src), "-o", out, "--task", "sr", "--engine", "ray", "--realtime")
    assert r.exit_code == 2 and "--realtime measures models on this machine" in " ".join(r.output.split())
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray fails as it does without the extra
    r = video_cli(str(src), "-o", out, "--task", "sr", "--engine", "ray")
    assert r.exit_code == 2
    assert "--engine ray needs Ray, an optional extra: pip install 'vivid-restore[ray]'" in " ".join(r.output.split())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mkv"]  # nothing written, no work folder


def test_a_video_without_timestamps_cannot_be_cut_and_says_so(tmp_path: Path) -> None:
    """A raw H.264 stream has no timestamps (a sequential decode can number its frames); cutting it by time for
    workers that start in the middle cannot work: the cell listing refuses it in one line."""
    import av

    from vivid.video import probe
    from vivid.video.cells import grid_cells

    src = tmp_path / "raw.h264"
    with av.open(str(src), "w", format="h264") as out:
        vs = out.add_stream("libx264", rate=10, options={"preset": "ultrafast"})
        vs.width, vs.height, vs.pix_fmt = 64, 48, "yuv420p"
        for i in range(10):
            frame = av.VideoFrame.from_ndarray(gradient_frame(i), format="rgb24")
            frame.pts = i
            out.mux(vs.encode(frame))
        out.mux(vs.encode(None))
    with pytest.raises(ConfigError) as e:
        grid_cells(probe(src), segment_seconds=0.5, duration=None)
    assert str(e.value) == (f"{src}: its video frames carry no timestamps, so it cannot be cut into segments by time: "
                            "run it with --engine local, or put it in a container first "
                            "(ffmpeg -i raw.h264 -c copy clip.mkv)")
    clip = make_clip(tmp_path / "in.mkv", frames=12)  # 1.2 s: cells 0, 1, 2 of 0.5 s hold 5, 5 and 2 frames
    assert grid_cells(probe(clip), segment_seconds=0.5, duration=None) == {0: 5, 1: 5, 2: 2}
    assert grid_cells(probe(clip), segment_seconds=0.5, duration=0.7) == {0: 5, 1: 2}
