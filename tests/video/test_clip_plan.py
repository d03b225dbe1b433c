"""``auto`` analyses a few frames spread over the clip once and keeps the steps half of them ask for."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.video.conftest import AutoGain, Cache, Upscale, make_clip
from vivid.engine.plan import Plan, Step
from vivid.io.image import Image
from vivid.video import VideoOptions, enhance_video, probe
from vivid.video.clip_plan import plan_from_samples, sample_frames


def fake_analyze(image: Image, *, scale: float | None = None, size: tuple[int, int] | None = None) -> Plan:
    """Dark frames ask for low-light; every frame asks for x2 SR (the clips are tiny)."""
    mean = float(image.pixels.mean())
    steps = []
    if mean < 0.3:
        steps.append(Step(task="lowlight", model="autogain", reason=f"mean {mean:.2f} is dark"))
    steps.append(Step(task="sr", model="up", scale=2, reason="small"))
    return Plan(steps=tuple(steps), analysis={"mean_luma": mean, "grayscale": False}, notes=())


def test_sample_frames_spread_over_the_clip(tmp_path: Path) -> None:
    src = make_clip(tmp_path / "in.mkv", frames=20)
    samples = sample_frames(probe(src), count=5)
    times = [t for _, t in samples]
    assert len(samples) == 5 and times == sorted(times)
    assert times[0] < 0.4 and times[-1] > 1.4  # from the start to the end of the 2 s clip
    assert samples[0][0].shape == (3, 48, 64)


def test_steps_are_kept_by_majority(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("vivid.video.clip_plan.analyze", fake_analyze)  # where the clip planner calls it
    dark = Image(np.full((3, 8, 8), 0.1, np.float32))
    bright = Image(np.full((3, 8, 8), 0.6, np.float32))
    plan = plan_from_samples([dark, dark, bright, bright, bright], scale=None)
    assert [s.task for s in plan.steps] == ["sr"]  # low-light: only 2 of 5
    plan = plan_from_samples([dark, dark, dark, bright, bright], scale=None)
    assert [s.task for s in plan.steps] == ["lowlight", "sr"]
    assert plan.steps[0].reason.endswith("(3 of 5 sampled frames)")
    assert plan.analysis["mean_luma"] == pytest.approx(0.1)  # the median
    assert any("one plan for the whole clip" in n for n in plan.notes)


def test_auto_applies_one_plan_to_the_whole_clip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("vivid.video.clip_plan.analyze", fake_analyze)  # where the clip planner calls it
    src = make_clip(tmp_path / "in.mkv", frames=10,
                    content=lambda i: np.full((48, 64, 3), 30 + 2 * i, np.uint8))
    gain, up = AutoGain(), Upscale()
    res = enhance_video(src, tmp_path / "out.mkv", VideoOptions(task="auto", preset="ultrafast"),
                        models=Cache(autogain=gain, up=up))
    assert [s.task for s in res.plan.steps] == ["lowlight", "sr"]
    assert gain.frames == up.frames == 10 and (res.width, res.height) == (128, 96)
