"""``vivid bench quality`` / ``vivid bench speed`` from the command line, and the report files."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from typer.testing import CliRunner

from vivid.cli.main import app

runner = CliRunner()


def test_quality_prints_a_table_and_writes_a_self_contained_report(make_folder, tmp_path: Path) -> None:
    folder = make_folder("mine", n=2)
    out = tmp_path / "report"
    res = runner.invoke(
        app,
        [
            "bench",
            "quality",
            "--task",
            "sr",
            "--scale",
            "2",
            "--data",
            str(folder),
            "--models",
            "bicubic,lanczos",
            "--out",
            str(out),
            "-q",
        ],
    )
    assert res.exit_code == 0, res.output
    md = res.stdout
    assert (
        "| dataset | model | images | PSNR | SSIM | Δ PSNR vs baseline | published PSNR / SSIM | ms / image |"
        in md
    )
    assert "| mine | bicubic (baseline) | 2 |" in md and "| mine | lanczos | 2 |" in md
    assert "| mine | bicubic | 2 |" not in md  # the baseline listed in --models: one row, not two alike
    assert sorted(p.name for p in out.iterdir()) == [
        "crops.png",
        "report.html",
        "results.csv",
        "results.json",
        "results.md",
    ]
    html = (out / "report.html").read_text()
    assert "<table>" in html and "bicubic (baseline)" in html
    assert '<img alt="quality against time per image" src="data:image/png;base64,iVBOR' in html
    assert 'src="data:image/png;base64,' in html.split("<h2>Crops</h2>")[1]
    assert "<link" not in html and "<script" not in html  # nothing external
    rows = list(csv.DictReader(io.StringIO((out / "results.csv").read_text())))
    assert [r["model"] for r in rows] == ["bicubic (baseline)", "lanczos"]
    for text in (html, (out / "results.md").read_text()):  # sources users can look up, no project paths
        assert "../shared" not in text and "issue" not in text and "seed 0" not in text
    doc = json.loads((out / "results.json").read_text())
    assert doc["kind"] == "quality" and len(doc["images"]) == 2 * 2
    assert (out / "results.md").read_text().startswith("# vivid bench quality — sr")


def test_quality_bad_model_exits_with_one_line_before_work(make_folder, tmp_path: Path) -> None:
    folder = make_folder("mine", n=1)
    res = runner.invoke(
        app,
        [
            "bench",
            "quality",
            "--scale",
            "2",
            "--data",
            str(folder),
            "--models",
            "bicubik",
            "--out",
            str(tmp_path / "r"),
            "-q",
        ],
    )
    assert res.exit_code == 4
    assert "unknown model 'bicubik'" in res.output and "bicubic" in res.output
    assert "Traceback" not in res.output
    assert not any((tmp_path / "r").iterdir())  # no report of a run that did not happen


def test_quality_unknown_dataset_exits_2() -> None:
    res = runner.invoke(app, ["bench", "quality", "--data", "Set55", "--models", "bicubic", "-q"])
    assert res.exit_code == 2 and "unknown dataset 'Set55'" in res.output


def test_speed_table_with_reference_ratios(tmp_path: Path) -> None:
    out = tmp_path / "speed"
    res = runner.invoke(
        app,
        [
            "bench",
            "speed",
            "--models",
            "bicubic",
            "--reference",
            "lanczos",
            "--sizes",
            "64x48",
            "--scale",
            "2",
            "--runs",
            "5",
            "--out",
            str(out),
            "-q",
        ],
    )
    assert res.exit_code == 0, res.output
    md = res.stdout
    assert (
        "| model | size (output) | input | ms / frame | output MP/s | fps "
        "| speed vs lanczos (×, > 1 = faster) |" in md
    )
    assert "Sizes name the OUTPUT frame" in md and "Machine:" in md
    doc = json.loads((out / "results.json").read_text())
    rows = {r["model"]: r for r in doc["rows"]}
    assert rows["lanczos"]["ratio"] == 1.0
    assert (rows["bicubic"]["in_width"], rows["bicubic"]["in_height"]) == (32, 24)
    assert (rows["bicubic"]["out_width"], rows["bicubic"]["out_height"]) == (64, 48)
    assert len(rows["bicubic"]["runs_ms"]) == 5 and rows["bicubic"]["peak_rss_mib"] > 10
    assert 'src="data:image/png;base64,' in (out / "report.html").read_text()


def test_speed_rejects_fewer_than_five_runs_and_bad_sizes() -> None:
    res = runner.invoke(app, ["bench", "speed", "--models", "bicubic", "--runs", "3", "-q"])
    assert res.exit_code == 2 and "at least 5" in res.output
    res = runner.invoke(app, ["bench", "speed", "--models", "bicubic", "--sizes", "720q", "-q"])
    assert res.exit_code == 2 and "unknown frame size '720q'" in res.output


def test_speed_times_the_runtime_enhance_runs_and_names_it(tmp_path: Path) -> None:
    def runtimes(*extra: str) -> set[str]:
        out = tmp_path / ("r" + "".join(extra).replace("-", ""))
        res = runner.invoke(app, ["bench", "speed", "--models", "vivid-sr-fast", "--sizes", "64x48", "--runs", "5",
                                  "-o", str(out), "-q", *extra])
        assert res.exit_code == 0, res.output
        return {r["runtime"] for r in json.loads((out / "results.json").read_text())["rows"]}

    assert runtimes() == {"onnx"}  # vivid enhance runs vivid-sr-fast in ONNX Runtime by default
    assert runtimes("--runtime", "torch") == {"torch"}
    import importlib.util

    if importlib.util.find_spec("openvino") is not None:  # the [openvino] extra
        assert runtimes("--runtime", "openvino") == {"openvino"}


def test_speed_rejects_an_unknown_runtime() -> None:
    res = runner.invoke(app, ["bench", "speed", "--models", "bicubic", "--runtime", "tensorrt", "-q"])
    assert res.exit_code == 2 and "unknown runtime 'tensorrt'" in res.output


def test_speed_and_quality_at_int8_are_labelled(tmp_path: Path, monkeypatch) -> None:
    from vivid.bench.models import precision_label
    from vivid.zoo.onnx_runtime import load_on_runtime

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    res = runner.invoke(app, ["bench", "speed", "--models", "vivid-sr-fast", "--precision", "int8", "--sizes",
                              "64x48", "-q"])
    assert res.exit_code != 0 and "vivid models quantize" in res.output  # no int8 file made yet
    res = runner.invoke(app, ["bench", "speed", "--models", "vivid-sr-fast", "--runtime", "int8", "--sizes",
                              "64x48", "-q"])
    assert res.exit_code != 0 and "vivid models quantize" in res.output  # --runtime int8 = --precision int8
    res = runner.invoke(app, ["bench", "speed", "--models", "bicubic", "--precision", "int4", "-q"])
    assert res.exit_code == 2 and "unknown precision 'int4'" in res.output
    bicubic = load_on_runtime("bicubic", scale=2, runtime="auto", precision="int8")
    assert precision_label("bicubic", bicubic) == "bicubic"  # classical models run as they are




def test_speed_times_what_precision_auto_runs_and_the_shipped_int8_graph_when_asked(tmp_path: Path) -> None:
    out = tmp_path / "r"
    res = runner.invoke(app, ["bench", "speed", "--models", "vivid-sr", "--sizes", "64x48", "--runs", "5",
                              "--precision", "auto,float32,int8", "-o", str(out), "-q"])
    assert res.exit_code == 0, res.output
    rows = [(r["model"], r["runtime"]) for r in json.loads((out / "results.json").read_text())["rows"]]
    # auto is what vivid enhance runs: float32 (vivid-sr x2's int8 graph is opt-in, README "Runtimes"), so
    # auto and float32 are one row; int8 runs the shipped graph (the timing runs in a worker process)
    assert rows == [("vivid-sr", "onnx"), ("vivid-sr (int8)", "onnx int8")]
