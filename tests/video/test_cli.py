"""``vivid video``: a thin layer — progress, one-line errors with exit codes, Ctrl-C then --resume."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.video.conftest import make_clip, read_streams
from vivid.cli.main import app

runner = CliRunner()


def invoke(*args: str):  # noqa: ANN201
    return runner.invoke(app, ["video", *args])


def test_video_command_writes_the_output(tmp_path: Path) -> None:
    src = make_clip(tmp_path / "in.mkv", frames=6)
    out = tmp_path / "out.mkv"
    r = invoke(str(src), "-o", str(out), "--task", "sr", "--model", "vivid-sr", "--preset", "ultrafast")
    assert r.exit_code == 0, r.output
    assert "wrote" in r.output and "6 frames 128x96 h264" in r.output
    assert "sr with vivid-sr x2" in r.output  # the plan is shown
    assert "int8" not in r.output  # precision auto runs float32 (vivid-sr x2's int8 graph is opt-in)
    b = read_streams(out)
    assert len(b["video"]) == 6 and b["types"] == ["video", "audio", "subtitle"]


@pytest.mark.parametrize("update,int8,bits", [({}, True, 8), ({"precision": "float32"}, False, 8),
                                              ({"scale": 3}, False, 8), ({"runtime": "torch"}, False, 8),
                                              ({"dtype": "bfloat16"}, False, 8), ({}, False, 10)])
def test_the_int8_note_names_what_precision_auto_runs(update: dict, int8: bool, bits: int, int8_by_default: None) -> None:
    from vivid.engine.plan import Plan, Step
    from vivid.video import VideoOptions
    from vivid.video.enhance import _int8_note

    options = VideoOptions(task="sr", model="vivid-sr", scale=2).model_copy(update=update)
    plan = Plan((Step("sr", "vivid-sr", int(options.scale)),))
    note = _int8_note(plan, options, None, bit_depth=bits)
    assert (note is not None and note.startswith("vivid-sr x2 ran its shipped int8 graph")) == int8, note


def test_errors_are_one_line_with_exit_codes(tmp_path: Path) -> None:
    src = make_clip(tmp_path / "in.mkv", frames=3)
    r = invoke(str(src), "-o", str(src), "--task", "sr")
    assert r.exit_code == 2 and r.output.count("\n") == 1 and "is the input" in r.output
    r = invoke(str(tmp_path / "nope.mkv"), "-o", str(tmp_path / "o.mkv"))
    assert r.exit_code == 2 and "does not exist" in r.output
    r = invoke(str(src), "-o", str(tmp_path / "o.mkv"), "--task", "sr", "--model", "no-such-model")
    assert r.exit_code == 4 and "unknown model" in r.output
    assert not (tmp_path / "o.mkv").exists()


def test_ctrl_c_keeps_segments_and_resume_finishes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from vivid.video.segments import SegmentWriter

    src = make_clip(tmp_path / "in.mkv", frames=20)
    out = tmp_path / "out.mkv"
    args = [str(src), "-o", str(out), "--task", "sr", "--model", "vivid-sr", "--preset", "ultrafast",
            "--segment-seconds", "0.5", "--batch", "2"]
    real = SegmentWriter.write
    calls = {"n": 0}

    def interrupt_at_12(*a, **k):  # noqa: ANN002, ANN003, ANN202 - Ctrl-C as the 13th frame is encoded
        calls["n"] += 1
        if calls["n"] > 12:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(SegmentWriter, "write", interrupt_at_12)
    r = invoke(*args)
    assert r.exit_code == 130, r.output
    assert "interrupted" in r.output and "2 finished segment(s)" in r.output and "--resume" in r.output
    assert not out.exists()
    monkeypatch.setattr(SegmentWriter, "write", real)
    r = invoke(*args)  # forgetting --resume is caught, not silently restarted
    assert r.exit_code == 3 and "--resume" in r.output
    r = invoke(*args, "--resume")
    assert r.exit_code == 0, r.output
    assert "2 of 4 segments from the earlier run" in r.output
    b = read_streams(out)
    assert len(b["video"]) == 20 and b["video_pts"] == read_streams(src)["video_pts"]


def test_colorize_refuses_a_colour_clip_unless_recolor(tmp_path: Path) -> None:
    """A colour clip is never recoloured by accident: exit 2, nothing written; --recolor does it."""
    src = make_clip(tmp_path / "in.mkv", frames=3)
    out = tmp_path / "out.mkv"
    r = invoke(str(src), "-o", str(out), "--task", "colorize", "--preset", "ultrafast")
    assert r.exit_code == 2, r.output
    assert "colour" in r.output and "--recolor" in r.output and not out.exists()
    r = invoke(str(src), "-o", str(out), "--task", "colorize", "--recolor", "--preset", "ultrafast")
    assert r.exit_code == 0, r.output
