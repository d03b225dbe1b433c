"""`vivid data prepare`: crops, resizes, scales and flips a folder; inputs untouched; bad options clear."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from vivid.cli.main import app
from vivid.errors import ConfigError, InputError
from vivid.train.prepare import PrepareOptions, prepare_folder


def _photos(root: Path) -> Path:
    (root / "sub").mkdir(parents=True)
    rng = np.random.default_rng(0)
    for p in (root / "a.png", root / "sub" / "b.jpg"):
        Image.fromarray(rng.integers(0, 255, (60, 80, 3), dtype=np.uint8)).save(p)
    return root


def test_modes_and_counts(tmp_path: Path) -> None:
    src = _photos(tmp_path / "src")
    before = {p: p.read_bytes() for p in src.rglob("*.*")}
    assert prepare_folder(src, tmp_path / "r", PrepareOptions(size=32, mode="random", crops_per_image=3)) == 6
    assert prepare_folder(src, tmp_path / "g", PrepareOptions(size=20, mode="grid")) == 2 * 3 * 4
    assert prepare_folder(src, tmp_path / "z", PrepareOptions(size=112, mode="resize", flip=True)) == 4
    assert prepare_folder(src, tmp_path / "s", PrepareOptions(size=32, mode="center", scales=(1.0, 0.5))) == 2
    with Image.open(tmp_path / "z" / "sub" / "b_flip.png") as im:
        assert im.size == (112, 112)
    assert {p: p.read_bytes() for p in src.rglob("*.*")} == before


def test_random_crops_are_seeded(tmp_path: Path) -> None:
    src = _photos(tmp_path / "src")
    prepare_folder(src, tmp_path / "1", PrepareOptions(size=16, seed=3))
    prepare_folder(src, tmp_path / "2", PrepareOptions(size=16, seed=3))
    assert (tmp_path / "1" / "a_r0.png").read_bytes() == (tmp_path / "2" / "a_r0.png").read_bytes()


def test_bad_input(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown mode"):
        PrepareOptions(size=16, mode="tiles")
    with pytest.raises(InputError, match="does not exist"):
        prepare_folder(tmp_path / "nope", tmp_path / "o", PrepareOptions(size=16))
    src = _photos(tmp_path / "src")
    with pytest.raises(ConfigError, match="inside the source"):
        prepare_folder(src, src / "out", PrepareOptions(size=16))


def test_cli(tmp_path: Path) -> None:
    src = _photos(tmp_path / "src")
    res = CliRunner().invoke(app, ["data", "prepare", str(src), "-o", str(tmp_path / "o"), "--size", "24", "--crops", "2"])
    assert res.exit_code == 0 and "4 images written" in res.output
    res = CliRunner().invoke(app, ["data", "prepare", str(src), "-o", str(tmp_path / "o"), "--scales", "x"])
    assert res.exit_code == 2 and "--scales" in res.output
