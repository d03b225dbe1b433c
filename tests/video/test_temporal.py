"""Temporal smoothing of global decisions: flicker drops, steady clips are untouched, state resumes exactly.

The synthetic clip: a dim, static scene (mean ~0.16) with a bright light that switches on and off, so the
frame's brightness wobbles. A per-frame auto-gain ("low-light") model lowers its gain whenever the light is
on, which makes the static background pump. Flicker is measured where the input does not change: the
mean frame-to-frame change of the background's mean colour, in 8-bit levels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.video.conftest import AutoGain, Cache, make_clip, read_streams
from vivid.video import VideoOptions, enhance_video
from vivid.video.temporal import TemporalSmoother, fit_global

H, W = 48, 64
LIGHT = (slice(4, 24), slice(4, 28))  # the blinking light
BACKGROUND = (slice(30, 48), slice(32, 64))  # never touched by the light


def dim_scene(i: int, *, light: bool | None = None) -> np.ndarray:
    """``(3, H, W)`` float32: a static dim gradient; the light is on for frames 2-3, 6-7, 10-11, ..."""
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    base = 0.08 + 0.10 * xx / W + 0.05 * yy / H
    img = np.stack([base * 1.1, base, base * 0.9])
    if light if light is not None else (i // 2) % 2 == 1:
        img[:, LIGHT[0], LIGHT[1]] = 0.95
    return img.astype(np.float32)


def flicker(frames: list[np.ndarray], scale: float = 255.0) -> float:
    """Mean absolute frame-to-frame change of the background's mean colour (8-bit levels)."""
    means = np.array([f[..., BACKGROUND[0], BACKGROUND[1]].reshape(3, -1).mean(axis=1) for f in frames]) * scale
    return float(np.abs(np.diff(means, axis=0)).mean())


def test_fit_global_recovers_gain_and_offset() -> None:
    x = dim_scene(2) * 0.5  # dark, light on; no clipping below
    gain, offset = fit_global(x, 1.7 * x + 0.05)
    assert np.allclose(gain, 1.7, atol=0.01) and np.allclose(offset, 0.05, atol=0.002)


def test_smoothing_reduces_background_flicker() -> None:
    model = AutoGain(target=0.45)
    frames = [dim_scene(i) for i in range(24)]
    raw = [model(f[None])[0] for f in frames]
    smoother = TemporalSmoother(seconds=0.5)
    smoothed = [smoother(f, r, i / 10) for i, (f, r) in enumerate(zip(frames, raw, strict=True))]
    before, after = flicker(raw[4:]), flicker(smoothed[4:])  # after the average has settled
    assert before > 8.0  # the model pumps the background by several levels
    assert after < 0.35 * before
    # the light itself still blinks: local changes of the input are kept
    light = [s[:, LIGHT[0], LIGHT[1]].mean() - s[..., BACKGROUND[0], BACKGROUND[1]].mean() for s in smoothed[4:]]
    assert max(light) - min(light) > 0.3


def test_steady_clip_is_unchanged_and_scene_cuts_restart() -> None:
    model = AutoGain(target=0.45)
    smoother = TemporalSmoother(seconds=0.5)
    steady = dim_scene(0, light=False)
    out = model(steady[None])[0]
    for i in range(5):
        assert np.abs(smoother(steady, out, i / 10) - out).max() < 1e-5
    # a cut to a different scene takes the new frame's own transform at once (no drag from the old one)
    other = np.clip(dim_scene(0, light=False)[::-1] * 3.0, 0, 1)[:, ::-1].copy()
    other_out = model(other[None])[0]
    assert np.abs(smoother(other, other_out, 0.5) - other_out).max() < 1e-5


def test_state_round_trip_gives_identical_output() -> None:
    model = AutoGain()
    frames = [dim_scene(i) for i in range(8)]
    a = TemporalSmoother(seconds=0.5)
    for i in range(5):
        a(frames[i], model(frames[i][None])[0], i / 10)
    b = TemporalSmoother(seconds=0.5)
    b.load_state_dict(a.state_dict())
    for i in range(5, 8):
        out = model(frames[i][None])[0]
        assert np.array_equal(a(frames[i], out, i / 10), b(frames[i], out, i / 10))


def test_video_flicker_drops_with_smoothing(tmp_path: Path) -> None:
    """End to end through encode and decode: --smooth 0 pumps the background, the default does not."""
    src = make_clip(tmp_path / "blink.mkv", frames=24, content=lambda i: np.rint(
        dim_scene(i).transpose(1, 2, 0) * 255).astype(np.uint8), audio=False, subtitles=False)
    results = {}
    for seconds in (0.0, 0.5):
        out = tmp_path / f"smooth_{seconds}.mkv"
        enhance_video(src, out, VideoOptions(task="lowlight", model="autogain", temporal_seconds=seconds,
                                             preset="ultrafast"), models=Cache(autogain=AutoGain(target=0.45)))
        decoded = [f.transpose(2, 0, 1).astype(np.float32) for f in read_streams(out)["video"]]
        results[seconds] = flicker(decoded[4:], scale=1.0)
    assert results[0.0] > 8.0
    assert results[0.5] < 0.35 * results[0.0]
