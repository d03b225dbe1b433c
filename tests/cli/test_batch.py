"""Where outputs go (``vivid.cli.batch.plan_jobs``), the batch report, and ``vivid analyze`` on folders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.cli.test_enhance import make_png
from vivid.cli.batch import plan_jobs
from vivid.cli.main import app
from vivid.errors import ConfigError, OutputError

runner = CliRunner()


def rel(jobs, root: Path) -> list[tuple[str, str]]:  # noqa: ANN001
    return [(j.src.relative_to(root).as_posix(), j.dst.relative_to(root).as_posix()) for j in jobs]


def test_one_file_to_a_file_name(tmp_path: Path) -> None:
    src = make_png(tmp_path / "in.png")
    assert rel(plan_jobs([src], tmp_path / "x.jpg", fmt=None), tmp_path) == [("in.png", "x.jpg")]
    assert rel(plan_jobs([src], tmp_path / "x.JPEG", fmt="jpeg"), tmp_path) == [("in.png", "x.JPEG")]
    # no extension: a folder, named as such in the job
    assert rel(plan_jobs([src], tmp_path / "out", fmt="webp"), tmp_path) == [("in.png", "out/in.webp")]


@pytest.mark.parametrize(
    "output,words",
    [
        ("x.gif", "vivid does not write .gif files"),
        ("typo.jgp", "did you mean typo.jpg?"),
        ("notes.txt", "vivid does not write .txt files"),
    ],
)
def test_an_unknown_extension_is_an_error_not_a_folder(tmp_path: Path, output: str, words: str) -> None:
    src = make_png(tmp_path / "in.png")
    with pytest.raises(ConfigError, match=words):
        plan_jobs([src], tmp_path / output, fmt=None)
    (tmp_path / output).mkdir()  # an existing folder with a dot in its name is a folder
    assert rel(plan_jobs([src], tmp_path / output, fmt=None), tmp_path) == [("in.png", f"{output}/in.png")]


def test_a_file_name_takes_exactly_one_input_file(tmp_path: Path) -> None:
    a, b = make_png(tmp_path / "in" / "a.png"), make_png(tmp_path / "in" / "b.png")
    with pytest.raises(ConfigError, match="names one file, but 2 inputs"):
        plan_jobs([a, b], tmp_path / "two.png", fmt=None)
    with pytest.raises(ConfigError, match="names one file, but the folder"):
        plan_jobs([tmp_path / "in"], tmp_path / "all.png", fmt=None)


def test_format_and_extension_must_agree(tmp_path: Path) -> None:
    src = make_png(tmp_path / "in.png")
    with pytest.raises(ConfigError, match=r"-o .*x\.png is a PNG name but --format asks for JPEG: name the output x\.jpg"):
        plan_jobs([src], tmp_path / "x.png", fmt="jpeg")
    with pytest.raises(ConfigError, match="unsupported output format 'gif'"):
        plan_jobs([src], tmp_path / "out", fmt="gif")


def test_one_folder_is_mirrored_by_its_contents_several_inputs_by_name(tmp_path: Path) -> None:
    make_png(tmp_path / "photos" / "a.png")
    make_png(tmp_path / "photos" / "sub" / "b.jpg")
    make_png(tmp_path / "more" / "c.png")
    (tmp_path / "photos" / "notes.txt").write_text("not an image")
    (tmp_path / "photos" / ".hidden.png").write_bytes(b"")
    out = tmp_path / "out"
    assert rel(plan_jobs([tmp_path / "photos"], out, fmt=None), tmp_path) == [
        ("photos/a.png", "out/a.png"), ("photos/sub/b.jpg", "out/sub/b.jpg")]
    assert rel(plan_jobs([tmp_path / "photos"], out, fmt=None, recursive=False), tmp_path) == [
        ("photos/a.png", "out/a.png")]
    assert rel(plan_jobs([tmp_path / "photos", tmp_path / "more"], out, fmt="png"), tmp_path) == [
        ("photos/a.png", "out/photos/a.png"), ("photos/sub/b.jpg", "out/photos/sub/b.png"),
        ("more/c.png", "out/more/c.png")]


def test_outputs_that_would_collide_or_overwrite_the_input_are_refused(tmp_path: Path) -> None:
    make_png(tmp_path / "in" / "pic.png")
    make_png(tmp_path / "in" / "pic.jpg")
    with pytest.raises(ConfigError, match="would both be written to") as caught:
        plan_jobs([tmp_path / "in"], tmp_path / "out", fmt="png")
    assert "--format" not in str(caught.value)  # it was given already
    with pytest.raises(ConfigError, match="is the input itself"):
        plan_jobs([tmp_path / "in"], tmp_path / "in", fmt=None)
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="is a file"):
        plan_jobs([tmp_path / "in"], tmp_path / "file", fmt=None)
    with pytest.raises(OutputError, match="cannot write into .*file: it is a file, not a folder"):
        plan_jobs([tmp_path / "in" / "pic.png"], tmp_path / "file" / "sub" / "o.png", fmt=None)


def test_batch_writes_a_report_and_prints_a_table(tmp_path: Path) -> None:
    make_png(tmp_path / "photos" / "a.png")
    make_png(tmp_path / "photos" / "sub" / "b.png", seed=1)
    (tmp_path / "photos" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage")
    out = tmp_path / "out"
    res = runner.invoke(app, ["enhance", str(tmp_path / "photos"), "-o", str(out), "--task", "sr",
                              "--model", "bicubic", "--scale", "2"])
    assert res.exit_code == 1, res.output
    lines = [json.loads(line) for line in (out / "vivid-report.jsonl").read_text().splitlines()]
    by_name = {Path(r["input"]).name: r for r in lines}
    assert set(by_name) == {"a.png", "b.png", "broken.png"}
    a = by_name["a.png"]
    assert a["status"] == "written" and a["plan"] == ["sr x2"] and a["models"] == ["bicubic"]
    assert a["output"] == str(out / "a.png") and a["seconds"] >= 0 and a["error"] is None
    assert by_name["broken.png"]["status"] == "failed" and "broken.png" in by_name["broken.png"]["error"]
    assert "sr x2 (bicubic)" in res.output and "failed" in res.output  # the table
    assert "2 written, 0 skipped, 1 failed" in res.output and "vivid-report.jsonl" in res.output
    # again with --skip-existing: the report says what happened this time
    res = runner.invoke(app, ["enhance", str(tmp_path / "photos"), "-o", str(out), "--task", "sr",
                              "--model", "bicubic", "--scale", "2", "--skip-existing", "-q"])
    statuses = sorted(json.loads(line)["status"] for line in (out / "vivid-report.jsonl").read_text().splitlines())
    assert statuses == ["failed", "skipped", "skipped"]
    assert "sr x2 (bicubic)" not in res.output  # -q: no table


def test_existing_outputs_stop_a_batch_before_any_work(tmp_path: Path) -> None:
    make_png(tmp_path / "photos" / "a.png")
    make_png(tmp_path / "photos" / "b.png", seed=1)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "b.png").write_bytes(b"keep")
    res = runner.invoke(app, ["enhance", str(tmp_path / "photos"), "-o", str(tmp_path / "out"), "--task", "sr"])
    assert res.exit_code == 3 and "1 of 2 outputs exist" in res.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["b.png"]


def test_single_file_output_names_the_written_file(tmp_path: Path) -> None:
    src = make_png(tmp_path / "in.png")
    res = runner.invoke(app, ["enhance", str(src), "-o", str(tmp_path / "out"), "--task", "sr",
                              "--model", "bicubic", "--format", "jpeg"])
    assert res.exit_code == 0, res.output
    assert f"wrote {tmp_path / 'out' / 'in.jpg'}" in res.output.replace("\n", "")
    assert (tmp_path / "out" / "in.jpg").is_file()


def test_analyze_takes_folders(tmp_path: Path) -> None:
    make_png(tmp_path / "photos" / "a.png")
    make_png(tmp_path / "photos" / "sub" / "b.png", seed=1)
    res = runner.invoke(app, ["analyze", str(tmp_path / "photos"), "--json"])
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in res.output.splitlines()]
    assert [Path(r["input"]).name for r in rows] == ["a.png", "b.png"] and all("steps" in r for r in rows)
    (tmp_path / "photos" / "bad.png").write_bytes(b"nope")
    res = runner.invoke(app, ["analyze", str(tmp_path / "photos")])
    assert res.exit_code == 1 and "2 analysed, 1 failed" in res.output and "bad.png" in res.output


def test_nothing_to_do_is_said_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import vivid.engine.routing as routing
    from vivid.engine.plan import Plan

    analysis = {"width": 40, "height": 30, "mean_luma": 0.5, "dark_share": 0.5, "noise_sigma": 1.0,
                "grayscale": False, "blockiness": 1.0}
    fine = Plan(steps=(), analysis=analysis, notes=("brightness, noise, colour and size look fine → nothing to do",))
    monkeypatch.setattr(routing, "analyze", lambda image, **kw: fine)
    res = runner.invoke(app, ["analyze", str(make_png(tmp_path / "fine.png"))])
    assert res.exit_code == 0, res.output
    assert res.output.count("nothing to do") == 1, res.output
