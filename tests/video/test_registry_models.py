"""The classical registry models (bicubic, gamma, grayworld) and ``auto`` through the real model cache.

These need ``vivid.models.classical``; each test skips with the reason while that module is missing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.video.conftest import make_clip, read_streams
from vivid.video import VideoOptions, enhance_video


def dark(i: int) -> np.ndarray:
    yy, xx = np.mgrid[0:48, 0:64].astype(np.float32)
    img = np.stack([20 + 30 * xx / 64, 18 + 25 * yy / 48, 15 + 10 * np.sin((xx + i) / 5)], axis=-1)
    return np.clip(img, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("task,model,module", [
    ("sr", "bicubic", "vivid.models.classical.resample"),
    ("lowlight", "gamma", "vivid.models.classical.lowlight"),
    ("color", "grayworld", "vivid.models.classical.color"),
])
def test_classical_models_over_a_clip(task: str, model: str, module: str, tmp_path: Path) -> None:
    pytest.importorskip(module, reason=f"{module} is not in this checkout yet")
    src = make_clip(tmp_path / "in.mkv", frames=6, content=dark)
    out = tmp_path / "out.mkv"
    res = enhance_video(src, out, VideoOptions(task=task, model=model, preset="ultrafast"))
    a, b = read_streams(src), read_streams(out)
    assert res.frames == len(b["video"]) == 6 and b["audio"] == a["audio"] and b["subtitle"] == a["subtitle"]
    scale = 2 if task == "sr" else 1
    assert (b["width"], b["height"]) == (64 * scale, 48 * scale)
    if task == "lowlight":
        assert b["video"][3].mean() > a["video"][3].mean() + 20  # brighter


def test_auto_plans_once_from_sampled_frames(tmp_path: Path) -> None:
    pytest.importorskip("vivid.models.classical.denoise", reason="routing needs vivid.models.classical")
    src = make_clip(tmp_path / "in.mkv", frames=8, content=dark)
    res = enhance_video(src, tmp_path / "out.mkv", VideoOptions(task="auto", preset="ultrafast"))
    tasks = [s.task for s in res.plan.steps]
    assert "lowlight" in tasks and "sr" in tasks  # dark and small
    assert all("sampled frames" in s.reason for s in res.plan.steps)
