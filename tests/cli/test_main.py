"""The ``vivid`` command group: one-line usage errors, --version/-h, readable help, warnings as notes,
the same exit codes and option names in every command."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from tests.cli.test_enhance import make_png
from vivid.cli.main import app

runner = CliRunner()


def run(*args: str, **kw):  # noqa: ANN003, ANN201
    return runner.invoke(app, list(args), **kw)


def test_version_and_short_help() -> None:
    from vivid import __version__

    res = run("--version")
    assert res.exit_code == 0 and res.output.strip() == f"vivid {__version__}"
    res = run("-h")
    assert res.exit_code == 0 and "enhance" in res.output and "--version" in res.output
    assert run("enhance", "-h").exit_code == 0


@pytest.mark.parametrize(
    "args,words",
    [
        (["--scale", "abc"], "--scale: 'abc' is not a number"),
        (["--tile", "4"], "--tile: "),
        (["--strength", "1.5"], "--strength: "),
        (["--quality", "many"], "--quality: 'many' is not a whole number"),
        (["--sclae", "2"], "No such option: --sclae"),
    ],
)
def test_usage_errors_are_one_line_with_exit_code_2(tmp_path: Path, args: list[str], words: str) -> None:
    src = make_png(tmp_path / "in.png")
    res = run("enhance", str(src), "-o", str(tmp_path / "o.png"), *args)
    assert res.exit_code == 2, res.output
    assert res.output.startswith("error: ") and res.output.count("\n") == 1, res.output
    assert words in res.output and "╭" not in res.output and "Traceback" not in res.output


def test_a_missing_output_option_is_one_line(tmp_path: Path) -> None:
    res = run("enhance", str(make_png(tmp_path / "in.png")))
    assert res.exit_code == 2 and res.output == "error: --output is required (see 'vivid enhance --help')\n"


@pytest.mark.parametrize("command", [[], ["enhance"], ["video"], ["analyze"], ["bench", "quality"], ["bench", "speed"]])
def test_help_is_not_cut_at_80_columns(command: list[str]) -> None:
    res = run(*command, "--help", env={"COLUMNS": "80"}, terminal_width=80)
    assert res.exit_code == 0
    assert max(len(line) for line in res.output.splitlines()) <= 80
    assert "…" not in res.output
    listed = res.output.split("Commands:")[-1] if not command else ""
    assert "..." not in listed  # each command's one-line summary is whole
    if command == ["enhance"]:
        for name in ("--strip-metadata", "--skip-existing", "--model-file", "--max-pixels", "--fit"):
            assert name in res.output
    if command == ["video"]:
        assert "--segment-seconds" in res.output and "--model-file" in res.output


def test_python_warnings_become_one_note_without_source_paths(tmp_path: Path) -> None:
    rgba = np.zeros((30, 40, 4), np.uint8)
    rgba[..., 0], rgba[..., 3] = 200, 128
    src = tmp_path / "alpha.png"
    Image.fromarray(rgba).save(src)
    res = run("enhance", str(src), "-o", str(tmp_path / "o.jpg"), "--task", "sr", "--model", "bicubic")
    assert res.exit_code == 0, res.output
    assert "note: JPEG has no alpha channel: the image is composited over white" in res.output
    assert "UserWarning" not in res.output and ".py:" not in res.output


@pytest.mark.parametrize(
    "args,code,words",
    [
        (["--task", "sr", "--scale", "0"], 2, "--scale must be a number above 0"),
        (["--task", "sr", "--scale", "-2"], 2, "--scale must be a number above 0"),
        (["--task", "denoise", "--model", "vivid-sr"], 2, "'vivid-sr' is made for --task sr, not denoise"),
        (["--task", "denoise", "--scale", "2"], 2, "not to --task denoise"),
        (["--task", "sr", "--scale", "2", "--size", "60x40"], 2, "either a scale or a size"),
        (["--task", "sr", "--size", "60x40", "--fit", "squash"], 2, "--fit must be one of contain, cover, stretch"),
        (["--task", "sr", "--max-pixels", "100"], 2, "1,200 pixels, over the limit of 100 pixels"),
    ],
)
def test_option_checks_match_the_rest_api(tmp_path: Path, args: list[str], code: int, words: str) -> None:
    src = make_png(tmp_path / "in.png")
    res = run("enhance", str(src), "-o", str(tmp_path / "o.png"), *args)
    assert res.exit_code == code, res.output
    assert words in res.output and res.output.count("\n") == 1, res.output
    assert not (tmp_path / "o.png").exists()


def test_the_pixel_limit_message_names_the_option(tmp_path: Path) -> None:
    src = make_png(tmp_path / "in.png")
    res = run("enhance", str(src), "-o", str(tmp_path / "o.png"), "--task", "sr", "--max-pixels", "100")
    assert "raise the pixel limit with --max-pixels" in res.output
    assert "PIL" not in res.output and "max_pixels" not in res.output and "0.0 megapixels" not in res.output
    res = run("analyze", str(src), "--max-pixels", "100")
    assert res.exit_code == 2 and "with --max-pixels" in res.output


def test_video_takes_model_file_like_enhance(tmp_path: Path) -> None:
    clip = tmp_path / "in.mp4"
    clip.write_bytes(b"not read: the options are checked first")
    res = run("video", str(clip), "-o", str(tmp_path / "o.mp4"), "--task", "sr",
              "--model-file", str(tmp_path / "nope.onnx"))
    assert res.exit_code == 2 and "model file" in res.output and "does not exist" in res.output
    res = run("video", str(clip), "-o", str(tmp_path / "o.mp4"), "--task", "sr", "--model", "bicubic",
              "--model-file", str(clip))
    assert res.exit_code == 2 and "either --model or --model-file" in res.output
    res = run("video", str(clip), "-o", str(tmp_path / "o.mp4"), "--task", "sr", "--scale", "0")
    assert res.exit_code == 2 and "--scale must be a number above 0" in res.output


def test_input_as_output_is_exit_2_in_enhance_and_video(tmp_path: Path) -> None:
    src = make_png(tmp_path / "in.png")
    res = run("enhance", str(src), "-o", str(src), "--task", "sr", "--overwrite")
    assert res.exit_code == 2 and "is the input" in res.output
    clip = tmp_path / "in.mp4"
    clip.write_bytes(b"x")
    res = run("video", str(clip), "-o", str(tmp_path / "." / "in.mp4"), "--task", "sr", "--overwrite")
    assert res.exit_code == 2 and "is the input" in res.output
    assert clip.read_bytes() == b"x"


def test_existing_output_is_exit_3_in_enhance_and_video(tmp_path: Path) -> None:
    from tests.video.conftest import make_clip

    src = make_png(tmp_path / "in.png")
    (tmp_path / "o.png").write_bytes(b"keep")
    res = run("enhance", str(src), "-o", str(tmp_path / "o.png"), "--task", "sr")
    assert res.exit_code == 3 and "--overwrite" in res.output
    clip = make_clip(tmp_path / "in.mkv", frames=2)
    (tmp_path / "o.mkv").write_bytes(b"keep")
    res = run("video", str(clip), "-o", str(tmp_path / "o.mkv"), "--task", "sr")
    assert res.exit_code == 3 and "--overwrite" in res.output
    assert (tmp_path / "o.png").read_bytes() == (tmp_path / "o.mkv").read_bytes() == b"keep"


def test_bench_takes_output_like_the_other_commands() -> None:
    res = run("bench", "speed", "--help", terminal_width=120)
    assert "-o, --output" in res.output


def test_an_existing_bench_report_is_exit_3_like_any_existing_output(tmp_path: Path) -> None:
    out = tmp_path / "speed"
    out.mkdir()
    (out / "results.md").write_text("an earlier run")
    args = ["bench", "speed", "--models", "bicubic", "--sizes", "64x48", "--scale", "2", "--runs", "5", "-o", str(out), "-q"]
    res = run(*args)
    assert res.exit_code == 3 and "holds a report already (results.md)" in res.output and "--overwrite" in res.output
    assert (out / "results.md").read_text() == "an earlier run"
    res = run(*args, "--overwrite")
    assert res.exit_code == 0, res.output
    assert (out / "results.md").read_text().startswith("# vivid bench speed")


@pytest.mark.parametrize(
    "form,cli",
    [
        ({"task": "sr", "scale": 0.0}, ["--task", "sr", "--scale", "0"]),
        ({"task": "sr", "scale": 17.0}, ["--task", "sr", "--scale", "17"]),
        ({"task": "denoise", "model": "vivid-sr"}, ["--task", "denoise", "--model", "vivid-sr"]),
        ({"task": "auto", "model": "bicubic"}, ["--model", "bicubic"]),
        ({"task": "denoise", "scale": 2.0}, ["--task", "denoise", "--scale", "2"]),
        ({"task": "sr", "scale": 2.0, "size": "60x40"}, ["--task", "sr", "--scale", "2", "--size", "60x40"]),
        ({"task": "sr", "size": "big"}, ["--task", "sr", "--size", "big"]),
    ],
)
def test_the_cli_and_the_rest_api_refuse_the_same_requests(tmp_path: Path, form: dict, cli: list[str]) -> None:
    """The REST form goes through its validation and the plan the service makes; both end in a 422."""
    from vivid.engine.cache import ModelCache
    from vivid.errors import VividError
    from vivid.io.read import read_image
    from vivid.server.enhancement import make_plan, options_from_form

    src = make_png(tmp_path / "in.png")
    res = run("enhance", str(src), "-o", str(tmp_path / "o.png"), *cli)
    assert res.exit_code == 2, res.output
    fields = {"task": "auto", "model": None, "plan": None, "scale": None, "size": None, "strength": 1.0,
              "format": "png", "quality": None, **form}
    with pytest.raises(VividError) as caught:
        make_plan(read_image(src), options_from_form(**fields), models=ModelCache())
    assert caught.value.http_status == 422


def test_analyze_prints_a_jpeg_files_saved_quality(tmp_path: Path) -> None:
    rgb = (np.random.default_rng(1).random((40, 56, 3)) * 255).astype(np.uint8)
    Image.fromarray(rgb).save(tmp_path / "web.jpg", "JPEG", quality=35)
    Image.fromarray(rgb).save(tmp_path / "same.png")
    res = run("analyze", str(tmp_path / "web.jpg"))
    assert res.exit_code == 0 and "JPEG quality 35" in res.output
    res = run("analyze", str(tmp_path / "same.png"))
    assert res.exit_code == 0 and "JPEG quality" not in res.output
