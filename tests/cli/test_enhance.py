"""`vivid enhance` end to end: files and folders, exit codes, one-line errors, nothing half-written."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from vivid.cli.main import app

runner = CliRunner()


def make_png(path: Path, w: int = 40, h: int = 30, seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    rgb = np.stack([xx * 5, yy * 7, (xx + yy) * 3], -1) % 256 + rng.integers(0, 8, (h, w, 3))
    Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)).save(path)
    return path


def enhance(*args: str):  # noqa: ANN201
    return runner.invoke(app, ["enhance", *args])


def test_single_file_sr_writes_output_with_provenance(tmp_path: Path) -> None:
    src = make_png(tmp_path / "in.png")
    out = tmp_path / "out.png"
    res = enhance(str(src), "-o", str(out), "--task", "sr", "--scale", "2")
    assert res.exit_code == 0, res.output
    with Image.open(out) as im:
        assert im.size == (80, 60)
        prov = json.loads(im.text["vivid"])
    assert prov["steps"][0]["task"] == "sr" and prov["steps"][0]["sha256"]


@pytest.mark.parametrize(
    "fit,expected",
    [
        ("contain", (67, 50)),  # 40x30 inside 100x50: x1.67, aspect kept
        ("cover", (100, 50)),  # fills 100x50: x2.5 then the centre 100x50
        ("stretch", (100, 50)),
    ],
)
def test_target_size_keeps_the_aspect_ratio_unless_told(tmp_path: Path, fit: str, expected: tuple) -> None:
    src = make_png(tmp_path / "in.png")  # 40x30
    out = tmp_path / "out.png"
    args = ["--task", "sr", "--model", "bicubic", "--size", "100x50"]
    res = enhance(str(src), "-o", str(out), *args, *(["--fit", fit] if fit != "contain" else []))
    assert res.exit_code == 0, res.output
    with Image.open(out) as im:
        assert im.size == expected
        if fit == "cover":  # the middle rows of the x2.5 image, not squeezed ones
            with Image.open(src) as small:
                ref = small.resize((100, 75), Image.Resampling.BICUBIC).crop((0, 12, 100, 62))
            diff = np.abs(np.asarray(im, np.int16) - np.asarray(ref, np.int16))
            assert np.median(diff) <= 4, np.median(diff)


def test_folder_batch_mirrors_structure_and_skips_existing(tmp_path: Path) -> None:
    root = tmp_path / "photos"
    make_png(root / "a.png")
    make_png(root / "sub" / "b.png", seed=1)
    out = tmp_path / "out"
    res = enhance(str(root), "-o", str(out), "--task", "sr", "--scale", "2", "-q")
    assert res.exit_code == 0, res.output
    # the folder's contents, not the folder itself
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png")) == ["a.png", "sub/b.png"]
    res = enhance(str(root), "-o", str(out), "--task", "sr", "--scale", "2", "--skip-existing", "-q")
    assert res.exit_code == 0 and "2 skipped" in res.output


def test_batch_goes_on_past_a_bad_file_and_reports_it(tmp_path: Path) -> None:
    root = tmp_path / "photos"
    make_png(root / "good.png")
    (root / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage")
    out = tmp_path / "out"
    res = enhance(str(root), "-o", str(out), "--task", "sr", "--scale", "2", "-q")
    assert res.exit_code == 1
    assert (out / "good.png").exists()
    assert not (out / "broken.png").exists()
    assert "broken.png" in res.output and "Traceback" not in res.output
    assert not list(out.rglob("*.tmp")) and not [p for p in out.rglob("*") if p.name.startswith(".")]
    assert sorted(p.name for p in out.iterdir()) == ["good.png", "vivid-report.jsonl"]


@pytest.mark.parametrize(
    "args,code,words",
    [
        (["--task", "sharpen"], 2, "unknown task"),
        (["--task", "sr", "--model", "vivid-srr"], 4, "did you mean"),
        (["--task", "sr", "--size", "big"], 2, "--size"),
        (["--task", "sr", "--model", "vivid-sr", "--scale", "7"], 4, "does not support scale"),
        (["--model", "vivid-sr"], 2, "explicit --task"),
    ],
)
def test_bad_options_get_one_clear_line(tmp_path: Path, args: list[str], code: int, words: str) -> None:
    src = make_png(tmp_path / "in.png")
    res = enhance(str(src), "-o", str(tmp_path / "o.png"), *args)
    assert res.exit_code == code, res.output
    assert words in res.output and "Traceback" not in res.output
    assert not (tmp_path / "o.png").exists()


def test_missing_input_and_existing_output(tmp_path: Path) -> None:
    res = enhance(str(tmp_path / "nope.png"), "-o", str(tmp_path / "o.png"))
    assert res.exit_code == 2 and "does not exist" in res.output
    src = make_png(tmp_path / "in.png")
    out = tmp_path / "o.png"
    out.write_bytes(b"keep me")
    res = enhance(str(src), "-o", str(out), "--task", "sr", "--scale", "2")
    assert res.exit_code == 3 and "exists" in res.output and "--overwrite" in res.output  # as `vivid video`
    assert out.read_bytes() == b"keep me"


def test_never_writes_onto_the_input(tmp_path: Path) -> None:
    src = make_png(tmp_path / "in.png")
    before = src.read_bytes()
    res = enhance(str(src), "-o", str(src), "--task", "sr", "--scale", "2", "--overwrite")
    assert res.exit_code == 2 and "input itself" in res.output
    assert src.read_bytes() == before


def test_models_lists_every_registered_model() -> None:
    from vivid.models.registry import ENTRIES

    res = runner.invoke(app, ["models", "--json"])
    assert res.exit_code == 0
    names = {m["name"] for m in json.loads(res.output)}
    assert names == {e.name for e in ENTRIES}


def test_big_outputs_stream_with_the_same_pixels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import vivid.engine.stream as stream

    src = make_png(tmp_path / "in.png", w=90, h=70)
    args = ["--task", "sr", "--scale", "2", "--model", "vivid-sr-fast", "--tile", "32"]
    assert enhance(str(src), "-o", str(tmp_path / "memory.png"), *args).exit_code == 0
    monkeypatch.setattr(stream, "STREAM_OVER_PIXELS", 1)  # every output counts as big
    res = enhance(str(src), "-o", str(tmp_path / "streamed.png"), *args)
    assert res.exit_code == 0, res.output
    with Image.open(tmp_path / "memory.png") as a, Image.open(tmp_path / "streamed.png") as b:
        diff = np.abs(np.asarray(a, dtype=np.int16) - np.asarray(b, dtype=np.int16))
        assert a.size == b.size == (180, 140) and diff.max() <= 1
        assert json.loads(b.text["vivid"])["steps"][0]["model"] == "vivid-sr-fast"


def test_dtype_option(tmp_path: Path) -> None:
    src = make_png(tmp_path / "in.png")
    out = tmp_path / "out.png"
    res = enhance(str(src), "-o", str(out), "--task", "sr", "--model", "vivid-sr-fast", "--dtype", "bfloat16")
    assert res.exit_code == 0, res.output
    with Image.open(out) as im:
        assert json.loads(im.text["vivid"])["steps"][0]["dtype"] == "bfloat16"
    res = enhance(str(src), "-o", str(tmp_path / "x.png"), "--task", "sr", "--dtype", "float16")
    assert res.exit_code == 2 and "unknown dtype 'float16'" in res.output


@pytest.mark.parametrize("fit", ["cover", "contain"])
def test_fitted_sizes_stream_with_the_same_pixels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fit: str) -> None:
    import vivid.engine.stream as stream

    src = make_png(tmp_path / "in.png", w=90, h=70)
    # cover: exactly x2 of the centre 90x45, which streams; contain: 116x90, not a whole multiple, in memory
    args = ["--task", "sr", "--model", "vivid-sr-fast", "--size", "180x90", "--fit", fit, "--tile", "32"]
    assert enhance(str(src), "-o", str(tmp_path / "memory.png"), *args).exit_code == 0
    monkeypatch.setattr(stream, "STREAM_OVER_PIXELS", 1)
    streamed = []
    real = stream._stream
    monkeypatch.setattr(stream, "_stream", lambda *a, **kw: streamed.append(1) or real(*a, **kw))
    res = enhance(str(src), "-o", str(tmp_path / "streamed.png"), *args)
    assert res.exit_code == 0, res.output
    assert streamed == ([1] if fit == "cover" else [])
    with Image.open(tmp_path / "memory.png") as a, Image.open(tmp_path / "streamed.png") as b:
        assert a.size == b.size == ((180, 90) if fit == "cover" else (116, 90))
        diff = np.abs(np.asarray(a, dtype=np.int16) - np.asarray(b, dtype=np.int16))
        assert diff.max() <= 1


def test_colorize_refuses_a_colour_photo_unless_recolor(tmp_path: Path) -> None:
    """Colorizing keeps only the lightness: on a colour photo it would throw the real colours away. It is a
    clear exit 2 with nothing written, unless --recolor; a gray photo (also stored as RGB) is colorized."""
    src = make_png(tmp_path / "colour.png")
    out = tmp_path / "out.png"
    res = enhance(str(src), "-o", str(out), "--task", "colorize")
    assert res.exit_code == 2, res.output
    assert "colour" in res.output and "--recolor" in res.output and len(res.output.strip().splitlines()) == 1
    assert not out.exists()
    res = enhance(str(src), "-o", str(out), "--task", "colorize", "--recolor")
    assert res.exit_code == 0, res.output
    gray = tmp_path / "gray.png"
    Image.open(src).convert("L").convert("RGB").save(gray)
    res = enhance(str(gray), "-o", str(tmp_path / "gray_out.png"), "--task", "colorize")
    assert res.exit_code == 0, res.output


def test_the_plan_says_when_precision_auto_ran_int8(tmp_path: Path, int8_by_default: None) -> None:
    src = make_png(tmp_path / "in.png")
    note = "vivid-sr x2 ran its shipped int8 graph (--precision auto, the default)"
    res = enhance(str(src), "-o", str(tmp_path / "a.png"), "--task", "sr", "--scale", "2")
    assert res.exit_code == 0 and note in res.output, res.output
    for i, args in enumerate((["--scale", "3"], ["--scale", "2", "--precision", "float32"])):  # float32: no note
        res = enhance(str(src), "-o", str(tmp_path / f"f{i}.png"), "--task", "sr", *args)
        assert res.exit_code == 0 and "int8" not in res.output, res.output
    make_png(tmp_path / "batch" / "b.png", seed=1)
    res = enhance(str(tmp_path / "batch"), "-o", str(tmp_path / "out"), "--task", "sr", "--scale", "2")
    assert res.exit_code == 0 and note in res.output, res.output
