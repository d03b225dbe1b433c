"""--realtime: candidates are measured in speed order and the pick keeps up when any model can.

No speed is asserted: the slow test model sleeps 0.25 s per frame against a 10 fps source (it cannot keep
up on any machine), the fast one is a nearest-neighbour repeat of 64x48 frames.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.video.conftest import Cache, Sleepy, Upscale, make_clip
from vivid.video import VideoOptions, enhance_video
from vivid.video import realtime as realtime_mod
from vivid.video.realtime import candidates_for


def test_registry_candidates_are_in_speed_order() -> None:
    names = candidates_for("sr", step_scale=2)
    speeds = [s for _, s in names]
    assert speeds == sorted(speeds, key=realtime_mod.SPEED_ORDER.__getitem__)
    assert "vivid-sr" in [n for n, _ in names] and "up" in [n for n, _ in names]
    assert "vivid-sr" not in [n for n, _ in candidates_for("sr", step_scale=8)]  # it ships x2/x3/x4 only


def test_realtime_picks_a_model_that_keeps_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = make_clip(tmp_path / "in.mkv", frames=10)
    monkeypatch.setattr(realtime_mod, "candidates_for", lambda task, step_scale: [("up", "realtime"), ("sleepy", "slow")])
    res = enhance_video(src, tmp_path / "out.mkv",
                        VideoOptions(task="sr", realtime=True, preset="ultrafast"),
                        models=Cache(up=Upscale(), sleepy=Sleepy(name="sleepy")))
    choice = res.realtime
    assert choice is not None and choice.model == "up" and choice.keeps_up
    assert [s.model for s in choice.samples] == ["up", "sleepy"]  # measured in speed order
    slow = choice.samples[1]
    assert slow.fps is not None and slow.fps < 10 and not slow.keeps_up
    assert res.plan.steps[0].model == "up" and res.frames == 10
    assert res.plan.steps[0].reason.startswith("--realtime:") and "keeps up with the source's 10.00 fps" in \
        res.plan.steps[0].reason
    assert any("does NOT" not in line and "chosen: up" in line for line in choice.lines())
    assert 0 < choice.seconds < res.seconds and "measuring took" in choice.lines()[-1]  # part of the job's time


def test_realtime_reports_when_nothing_keeps_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = make_clip(tmp_path / "in.mkv", frames=4, fps=25)
    monkeypatch.setattr(realtime_mod, "candidates_for", lambda task, step_scale: [("sleepy", "slow"), ("gone", "fast")])
    res = enhance_video(src, tmp_path / "out.mkv", VideoOptions(task="sr", realtime=True, preset="ultrafast"),
                        models=Cache(sleepy=Sleepy(name="sleepy")))
    choice = res.realtime
    assert choice is not None and choice.model == "sleepy" and not choice.keeps_up
    assert choice.samples[1].error and "unknown model 'gone'" in choice.samples[1].error
    assert "does NOT keep up" in choice.lines()[-1]


def test_realtime_prefers_by_quality_with_vivids_realtime_model_after_the_flagship() -> None:
    from vivid.video.realtime import preference_for, realtime_models

    assert realtime_models("sr") == ("vivid-sr-fast", "vivid-sr-rt")  # by quality: 12x3 before 8x2
    assert preference_for("sr") == ("vivid-sr", "vivid-sr-fast", "vivid-sr-rt", "bicubic")
    assert realtime_models("denoise") == () and preference_for("denoise")[0] == "vivid-denoise"


def test_when_nothing_keeps_up_vivids_realtime_model_beats_a_faster_plain_resize() -> None:
    import time

    import numpy as np

    from vivid.video.realtime import choose_realtime

    def make(name: str):  # noqa: ANN202 - a frame processor that takes 0.2 s (learned) or 0.1 s (resize)
        return lambda frames, times: time.sleep((0.2 if name == "learned" else 0.1) * len(frames))

    frames, times = np.zeros((3, 3, 8, 8), np.float32), [0.0, 0.1, 0.2]
    args = dict(source_fps=100.0, make_processor=make, timed_frames=1)
    cands = [("resize", "realtime"), ("learned", "realtime")]
    assert choose_realtime(cands, frames, times, fallback=("learned",), **args).model == "learned"
    assert choose_realtime(cands, frames, times, **args).model == "resize"  # no fallback: the fastest


def test_when_nothing_keeps_up_the_fastest_of_vivids_realtime_models_runs() -> None:
    """vivid-sr-fast comes first by quality, but when neither keeps up the faster vivid-sr-rt gets closer."""
    import time

    import numpy as np

    from vivid.video.realtime import choose_realtime

    cost = {"resize": 0.05, "big": 0.3, "small": 0.15}

    def make(name: str):  # a frame processor that takes cost[name] s a frame
        return lambda frames, times: time.sleep(cost[name] * len(frames))

    frames, times = np.zeros((3, 3, 8, 8), np.float32), [0.0, 0.1, 0.2]
    cands = [("resize", "realtime"), ("big", "realtime"), ("small", "realtime")]
    choice = choose_realtime(cands, frames, times, source_fps=100.0, make_processor=make,
                             preference=("big", "small", "resize"), fallback=("big", "small"), timed_frames=1)
    assert choice.model == "small" and not choice.keeps_up
    keeps = choose_realtime(cands, frames, times, source_fps=2.0, make_processor=make,
                            preference=("big", "small", "resize"), fallback=("big", "small"), timed_frames=1)
    assert keeps.model == "big" and keeps.keeps_up  # all keep up: the best by quality


def test_a_model_measured_on_two_runtimes_runs_on_the_faster_that_keeps_up() -> None:
    import time

    import numpy as np

    from vivid.video.realtime import choose_realtime

    def make(name: str, runtime: str | None = None):  # noqa: ANN202 - 0.05 s a frame on "fast", 0.2 s else
        return lambda frames, times: time.sleep((0.05 if runtime == "fast" else 0.2) * len(frames))

    frames, times = np.zeros((3, 3, 8, 8), np.float32), [0.0, 0.1, 0.2]
    cands = [("m", "realtime", None), ("m", "realtime", "fast")]
    keeps = choose_realtime(cands, frames, times, source_fps=2.0, make_processor=make,
                            preference=("m",), timed_frames=1)
    assert keeps.model == "m" and keeps.runtime == "fast" and keeps.keeps_up
    assert [s.label() for s in keeps.samples] == ["m", "m on fast"] and "chosen: m on fast" in keeps.lines()[-1]
    slow = choose_realtime(cands, frames, times, source_fps=100.0, make_processor=make,
                           fallback=("m",), timed_frames=1)
    assert slow.runtime == "fast" and not slow.keeps_up  # none keeps up: the fallback model's fastest runtime


def test_slower_classes_are_skipped_once_a_faster_class_is_too_slow() -> None:
    import time

    import numpy as np

    from vivid.video.realtime import choose_realtime

    measured: list[str] = []

    def make(name: str):  # noqa: ANN202 - every model takes 0.1 s a frame
        measured.append(name)
        return lambda frames, times: time.sleep(0.1 * len(frames))

    frames, times = np.zeros((3, 3, 8, 8), np.float32), [0.0, 0.1, 0.2]
    cands = [("a", "realtime"), ("b", "realtime"), ("c", "fast"), ("d", "slow")]
    choice = choose_realtime(cands, frames, times, source_fps=100.0, make_processor=make,
                             timed_frames=1)
    assert measured == ["a", "b"] and choice.model in ("a", "b")
    assert [bool(s.error and "already too slow" in s.error) for s in choice.samples] == [False, False, True, True]
    assert "c (fast): not measured: a, of a faster class, is already too slow" in choice.lines()


def test_models_ranked_below_one_that_keeps_up_are_not_measured() -> None:
    """Once vivid-sr-fast keeps up, vivid-sr-rt and the resizes cannot be chosen: measuring them is skipped
    (the same model on another runtime is still measured, it may be faster)."""
    import numpy as np

    from vivid.video.realtime import choose_realtime

    measured: list[tuple[str, str | None]] = []

    def make(name: str, runtime: str | None = None):  # a frame processor that costs nothing
        measured.append((name, runtime))
        return lambda frames, times: None

    frames, times = np.zeros((3, 3, 8, 8), np.float32), [0.0, 0.1, 0.2]
    cands = [("fast", "realtime", None), ("fast", "realtime", "other"), ("rt", "realtime", None),
             ("resize", "realtime", None), ("flagship", "fast", None)]
    choice = choose_realtime(cands, frames, times, source_fps=2.0, make_processor=make,
                             preference=("flagship", "fast", "rt", "resize"), timed_frames=1)
    assert measured == [("fast", None), ("fast", "other"), ("flagship", None)]
    assert choice.model == "flagship" and choice.keeps_up
    assert "rt (realtime): not measured: fast, preferred, already keeps up" in choice.lines()


class _SleepyEncoder:
    """An encoder thread that takes ``seconds`` per frame without using the CPU (like the job's encoder
    thread, it runs while the model does)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def start(self, n: int) -> None:
        import threading
        import time

        self._t0 = time.perf_counter()
        self._thread = threading.Thread(target=time.sleep, args=(self.seconds * n,))
        self._thread.start()

    def wait(self, n: int) -> float:
        import time

        self._thread.join()
        return (time.perf_counter() - self._t0) / n


def test_the_encoder_runs_beside_the_model_so_the_slower_stage_sets_the_pace() -> None:
    """Model 60 ms and encoder 50 ms a frame overlap (as the job's threads do): about 16 fps, which keeps up
    with 12 fps; adding them (9 fps) would have called it too slow. An encoder slower than the model sets the
    pace instead."""
    import time

    import numpy as np

    from vivid.video.realtime import choose_realtime

    frames, times = np.zeros((5, 3, 8, 8), np.float32), [0.0, 0.1, 0.2, 0.3, 0.4]
    model = lambda name: (lambda f, t: time.sleep(0.06 * len(f)))  # noqa: E731
    planar_seen: list[bool] = []

    def encoder(planar: bool) -> _SleepyEncoder:
        planar_seen.append(planar)
        return _SleepyEncoder(0.05)

    choice = choose_realtime([("m", "realtime")], frames, times, source_fps=12.0, make_processor=model,
                             encoder=encoder)
    s = choice.samples[0]
    assert choice.keeps_up and 12.0 <= s.fps <= 1 / 0.06 + 0.5, s
    assert planar_seen == [False]  # an RGB-path processor: the encoder converts
    slow_encoder = choose_realtime([("m", "realtime")], frames, times, source_fps=12.0,
                                   make_processor=lambda name: (lambda f, t: None),
                                   encoder=lambda planar: _SleepyEncoder(0.2))
    s = slow_encoder.samples[0]
    assert not slow_encoder.keeps_up and s.fps <= 1 / 0.2 + 0.1 and s.model_fps > 50, s


@pytest.mark.parametrize("converted", [False, True])
def test_stand_in_encoder_encodes_the_frames_in_its_thread(converted: bool) -> None:
    from fractions import Fraction

    import numpy as np

    from vivid.video.codecs import EncoderSettings
    from vivid.video.probe import ColorTags
    from vivid.video.realtime import StandInEncoder
    from vivid.video.segments import StreamFormat

    frames = np.random.default_rng(0).random((3, 3, 64, 96), dtype=np.float32)
    fmt = StreamFormat(96, 64, "yuv420p", Fraction(1, 25), Fraction(25), ColorTags(), None)
    with StandInEncoder(frames, settings=EncoderSettings("h264", "libx264", 18, "ultrafast"), fmt=fmt,
                        converted=converted) as enc:
        enc.start(5)
        busy = enc.wait(5)
        assert busy > 0 and enc.encoded == 5  # every queued frame went through the encoder


def test_a_model_at_twice_the_frame_interval_is_timed_on_one_frame_only() -> None:
    import time

    import numpy as np

    from vivid.video.realtime import choose_realtime

    calls: dict[str, list[int]] = {"slow": [], "fast": []}

    def make(name: str):  # noqa: ANN202 - "slow" takes 0.1 s a frame (10 fps), "fast" nothing
        def proc(frames, times) -> None:  # noqa: ANN001
            calls[name].append(len(frames))
            if name == "slow":
                time.sleep(0.1 * len(frames))
        return proc

    frames, times = np.zeros((5, 3, 8, 8), np.float32), [0.0, 0.1, 0.2, 0.3, 0.4]
    choose_realtime([("slow", "realtime"), ("fast", "realtime")], frames, times, source_fps=25.0,
                    make_processor=make)
    assert calls["slow"] == [1, 1]  # warm-up, then one timed frame: 10 fps is under half of 25
    assert calls["fast"] == [1, 1, 3]  # warm-up, one frame, then the other three
