"""``vivid models``: the list with your models, ``add``/``remove``/``pull``, and your models by name in
``enhance`` and ``video``."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from PIL import Image
from typer.testing import CliRunner

from tests.cli.test_enhance import make_png
from tests.zoo.test_user_models import onnx_x2, server  # noqa: F401 - fixtures
from vivid.cli.main import app

runner = CliRunner()


def run(*args: str):  # noqa: ANN201
    return runner.invoke(app, list(args))


def test_add_list_use_remove(onnx_x2: Path, own_models_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    res = run("models", "add", str(onnx_x2), "--name", "my-sr", "--license", "MIT")
    assert res.exit_code == 0, res.output
    assert "added my-sr: sr x2" in res.output and "--model my-sr" in res.output
    rows = {m["name"]: m for m in json.loads(run("models", "--json").output)}
    assert rows["my-sr"]["kind"] == "yours" and rows["my-sr"]["license"] == "MIT" and "vivid-sr" in rows
    assert "my-sr" in run("models", "--task", "sr").output and "my-sr" not in run("models", "--task", "denoise").output
    src = make_png(tmp_path / "in.png")
    res = run("enhance", str(src), "-o", str(tmp_path / "o.png"), "--task", "sr", "--model", "my-sr")
    assert res.exit_code == 0, res.output
    with Image.open(tmp_path / "o.png") as im:
        assert im.size == (80, 60)
        step = json.loads(im.text["vivid"])["steps"][0]
    assert step["sha256"] == hashlib.sha256(onnx_x2.read_bytes()).hexdigest()
    assert step["model"] == "my-sr" and step["file"] == onnx_x2.name  # named by its name, with its file
    assert "sr with my-sr x2" in res.output  # the printed plan too
    res = run("enhance", str(src), "-o", str(tmp_path / "d.png"), "--task", "denoise", "--model", "my-sr")
    assert res.exit_code == 2 and "'my-sr' is made for --task sr, not denoise" in res.output  # as vivid's own
    res = run("models", "remove", "my-sr")
    assert res.exit_code == 0 and "removed my-sr" in res.output
    assert list(own_models_dir.iterdir()) == []
    res = run("enhance", str(src), "-o", str(tmp_path / "o2.png"), "--task", "sr", "--model", "my-sr")
    assert res.exit_code == 4 and "unknown model 'my-sr'" in res.output


def test_add_errors_are_one_line(onnx_x2: Path, tmp_path: Path) -> None:  # noqa: F811
    assert run("models", "add", str(tmp_path / "nope.onnx")).exit_code == 2
    res = run("models", "add", str(onnx_x2), "--name", "bicubic")
    assert res.exit_code == 2 and "one of vivid's own models" in res.output and res.output.count("\n") == 1
    res = run("models", "remove", "bicubic")
    assert res.exit_code == 2 and "vivid's own" in res.output


def test_video_takes_your_model_by_name(onnx_x2: Path, tmp_path: Path) -> None:  # noqa: F811
    from tests.video.conftest import make_clip, read_streams

    assert run("models", "add", str(onnx_x2), "--name", "my-sr").exit_code == 0
    clip = make_clip(tmp_path / "in.mkv", frames=2)
    res = run("video", str(clip), "-o", str(tmp_path / "o.mkv"), "--task", "sr", "--model", "my-sr",
              "--preset", "ultrafast")
    assert res.exit_code == 0, res.output
    assert len(read_streams(tmp_path / "o.mkv")["video"]) == 2
    assert "sr with my-sr x2" in res.output  # the plan names your model


def test_pull_lists_the_catalog_and_downloads(onnx_x2: Path, server, tmp_path: Path) -> None:  # noqa: F811, ANN001
    base, served = server
    data = onnx_x2.read_bytes()
    served.files["/Tiny_x2.onnx"] = data
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps({"2x-Tiny": {
        "name": "Tiny", "author": "me", "license": "CC0-1.0", "architecture": "rep_sr", "scale": 2,
        "resources": [{"platform": "onnx", "type": "onnx", "size": len(data),
                       "sha256": hashlib.sha256(data).hexdigest(), "urls": [f"{base}/Tiny_x2.onnx"]}]}}))
    res = run("models", "pull", "--list", "--catalog", str(catalog))
    assert res.exit_code == 0 and "2x-Tiny" in res.output and "CC0-1.0" in res.output
    res = run("models", "pull", "2x-Tiny", "--catalog", str(catalog), "-q")
    assert res.exit_code == 0, res.output
    assert "added 2x-tiny: sr x2" in res.output and "licence CC0-1.0" in res.output
    res = run("models", "pull", f"{base}/missing.onnx", "-q")
    assert res.exit_code == 4 and "HTTP 404" in res.output and res.output.count("\n") == 1
    assert "4x-LapSRN" in run("models", "pull", "--list").output  # the packaged catalog


def test_bench_takes_your_model_by_name(onnx_x2: Path) -> None:  # noqa: F811
    assert run("models", "add", str(onnx_x2), "--name", "my-sr").exit_code == 0
    res = run("bench", "speed", "--models", "my-sr", "--sizes", "64x48", "--scale", "2", "--runs", "5", "-q")
    assert res.exit_code == 0, res.output
    assert "file:my-sr/Tiny_SR_x2.onnx" in res.output  # labelled by your name and the file
