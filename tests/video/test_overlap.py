"""The decode-ahead and encode-behind threads of a video job (vivid.video.overlap): order and count kept,
errors raised in the caller, closing stops early, threads stay on the normal scheduler."""

from __future__ import annotations

import os
import threading

import pytest

from vivid.video.overlap import Prefetch, Worker


def test_prefetch_keeps_order_and_count_and_transforms_in_its_thread() -> None:
    threads = set()

    def transform(x: int) -> int:
        threads.add(threading.current_thread().name)
        return 10 * x

    assert list(Prefetch(iter(range(50)), depth=3, transform=transform)) == [10 * i for i in range(50)]
    assert threads == {"vivid-decode"}


def test_prefetch_raises_the_producers_error_where_it_happened() -> None:
    def items():  # noqa: ANN202
        yield 1
        yield 2
        raise ValueError("corrupt packet")

    got = []
    with pytest.raises(ValueError, match="corrupt packet"):
        for x in Prefetch(items(), depth=1):
            got.append(x)
    assert got == [1, 2]


def test_prefetch_close_stops_the_producer_early_and_closes_the_generator() -> None:
    made, closed = [], []

    def items():  # noqa: ANN202
        try:
            for i in range(10_000):
                made.append(i)
                yield i
        finally:
            closed.append(True)

    p = Prefetch(items(), depth=2)
    first = next(iter(p))
    p.close()
    assert first == 0 and closed == [True] and len(made) < 100


def test_worker_runs_calls_in_order_and_drain_waits_for_them() -> None:
    out: list[int] = []
    w = Worker(depth=2)
    for i in range(20):
        w.submit(lambda i=i: out.append(i))
    w.drain()
    assert out == list(range(20))
    w.close()


def test_worker_error_is_raised_by_the_next_call_and_later_calls_are_skipped() -> None:
    out: list[int] = []
    w = Worker(depth=4)
    w.submit(lambda: out.append(1))
    w.submit(lambda: (_ for _ in ()).throw(OSError("disk full")))
    w.submit(lambda: out.append(3))
    with pytest.raises(OSError, match="disk full"):
        w.drain()
    with pytest.raises(OSError, match="disk full"):
        w.submit(lambda: out.append(4))
    w.close()
    assert out == [1]


@pytest.mark.skipif(not hasattr(os, "sched_getscheduler"), reason="Linux scheduling calls")
def test_threads_put_themselves_back_on_the_normal_scheduler(monkeypatch: pytest.MonkeyPatch) -> None:
    """SVT-AV1 as root makes the thread that opens it SCHED_FIFO; every thread here resets itself at start
    and after each call (checked by recording that the reset runs in both threads)."""
    import vivid.video.overlap as overlap

    calls: list[str] = []
    monkeypatch.setattr(overlap, "keep_normal_scheduling", lambda: calls.append(threading.current_thread().name))
    list(Prefetch(iter(range(3)), depth=1))
    w = Worker(depth=1)
    w.submit(lambda: None)
    w.drain()
    w.close()
    assert "vivid-decode" in calls and calls.count("vivid-encode") >= 2


def test_overlapped_job_keeps_every_frame_in_order_across_segments(tmp_path) -> None:  # noqa: ANN001
    from tests.video.conftest import Cache, Upscale, make_clip, read_streams
    from vivid.video import VideoOptions, enhance_video

    src = make_clip(tmp_path / "in.mkv", frames=23, audio=False, subtitles=False)
    res = enhance_video(src, tmp_path / "out.mkv",
                        VideoOptions(task="sr", model="up", preset="ultrafast", batch=3, segment_seconds=0.5),
                        models=Cache(up=Upscale()))
    assert res.segments >= 4 and res.frames == 23
    assert read_streams(tmp_path / "out.mkv")["video_pts"] == read_streams(src)["video_pts"]
    assert set(res.stage_seconds) == {"decode", "model", "encode"}
    assert all(v >= 0 for v in res.stage_seconds.values())
