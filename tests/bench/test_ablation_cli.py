"""`vivid bench ablation` (seed 004's study) end to end on tiny folders, and its option errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from typer.testing import CliRunner

from vivid.cli.main import app


def _folder(path: Path) -> Path:
    path.mkdir()
    rng = np.random.default_rng(0)
    for i in range(2):
        g = 127 + 90 * np.sin(np.arange(48)[None, :] / (2 + i)) + rng.normal(0, 2, (48, 48))
        Image.fromarray(np.clip(np.stack([g, g, g], -1), 0, 255).astype(np.uint8)).save(path / f"{i}.png")
    return path


def test_ablation_prints_seed004_table(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, [
        "bench", "ablation", "--scale", "2", "--depths", "4", "--iterations", "2", "--channels", "4",
        "--train-dir", str(_folder(tmp_path / "train")), "--val", str(_folder(tmp_path / "val")),
        "--out", str(tmp_path / "runs"),
    ])
    assert res.exit_code == 0, res.output
    assert "| VDSR-4 plain |" in res.output and "Budget: 2 iterations" in res.output


def test_ablation_rejects_bad_scale(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["bench", "ablation", "--scale", "5", "--val", str(_folder(tmp_path / "v"))])
    assert res.exit_code == 2 and "--scale" in res.output
