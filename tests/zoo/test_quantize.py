"""INT8 versions of vivid's networks (vivid.zoo.quantize): the PReLU rewrite is exact, ``vivid models quantize``
makes a file that loads through ``precision="int8"`` and stays close to float32, and missing or impossible
int8 requests fail with a clear message. Calibration images are made here (no ../shared needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from vivid.errors import ConfigError, ModelError


def _photo_like(h: int, w: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = 0.5 + 0.3 * np.sin(xx / (5 + seed)) * np.cos(yy / 9.0) + 0.15 * (((yy // 12) + (xx // 12)) % 2)
    img = np.stack([base * (0.7 + 0.1 * c) for c in range(3)]) + rng.normal(0, 0.02, (3, h, w))
    return np.clip(img, 0, 1).astype(np.float32)


@pytest.fixture
def calibration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Four 96x80 image-like PNGs; the int8 files go to a cache folder of this test's own."""
    from vivid.io.image import Image
    from vivid.io.write import write_image

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = tmp_path / "calib"
    folder.mkdir()
    for i in range(4):
        write_image(Image(_photo_like(80, 96, i)), folder / f"{i}.png")
    return folder


def test_split_prelu_computes_the_same_function() -> None:
    import onnx
    import onnxruntime as ort

    from vivid.zoo.builtin import weights_dir
    from vivid.zoo.quantize import split_prelu

    path = weights_dir() / "vivid-sr-fast_x2.forward.onnx"
    model = onnx.load(str(path))
    n_prelu = sum(n.op_type == "PRelu" for n in model.graph.node)
    split = split_prelu(model)
    assert n_prelu == 3 and not any(n.op_type == "PRelu" for n in split.graph.node)
    x = _photo_like(40, 56, 0)[:1][None]
    run = lambda m: ort.InferenceSession(m, providers=["CPUExecutionProvider"]).run(None, {"image": x})[0]  # noqa: E731
    assert np.abs(run(str(path)) - run(split.SerializeToString())).max() < 1e-4  # float rounding only


def test_quantize_makes_an_int8_file_that_loads_and_stays_close(calibration: Path) -> None:
    from vivid.zoo.onnx_runtime import load_on_runtime
    from vivid.zoo.quantize import quantize_model

    path = quantize_model("vivid-sr-fast", scale=2, calibration=calibration, patches=8)
    assert path.is_file() and path.suffixes[-2:] == [".int8", ".onnx"]
    int8 = load_on_runtime("vivid-sr-fast", scale=2, runtime="auto", precision="int8")
    f32 = load_on_runtime("vivid-sr-fast", scale=2, runtime="auto")
    assert getattr(int8, "precision", None) == "int8" and int8.descriptor.runtime == "onnx"
    from vivid.ops.color import rgb_to_y

    x = rgb_to_y(_photo_like(48, 64, 7))[None]  # what the model sees: studio-range Y
    diff = np.abs(int8(x) - f32(x)) * 255
    # static int8 with float edges: within a few 8-bit levels (measured here: mean 0.44, max 1.9)
    assert diff.mean() < 1.0 and diff.max() < 6, (diff.mean(), diff.max())


def test_int8_without_a_quantized_file_says_how_to_make_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from vivid.zoo.onnx_runtime import load_on_runtime

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty"))
    with pytest.raises(ModelError, match="vivid models quantize vivid-sr-fast"):
        load_on_runtime("vivid-sr-fast", scale=2, runtime="auto", precision="int8")
    with pytest.raises(ConfigError, match="runtime auto or onnx"):
        load_on_runtime("vivid-sr-fast", scale=2, runtime="torch", precision="int8")
    with pytest.raises(ConfigError, match="unknown precision 'int4'"):
        load_on_runtime("vivid-sr-fast", scale=2, runtime="auto", precision="int4")
    # classical models have no precision: they run as they are
    assert load_on_runtime("bicubic", scale=2, runtime="auto", precision="int8").descriptor.name == "bicubic"


def test_models_quantize_cli(calibration: Path) -> None:
    from vivid.cli.main import app

    runner = CliRunner()
    res = runner.invoke(app, ["models", "quantize", "vivid-sr-fast", "--calibration", str(calibration),
                              "--patches", "4"])
    assert res.exit_code == 0, res.output
    assert "wrote " in res.output and ".int8.onnx" in res.output
    res = runner.invoke(app, ["models", "quantize", "vivid-lowlight", "--calibration", str(calibration)])
    assert res.exit_code != 0 and "has no int8 version" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["models", "quantize", "vivid-sr-fast", "--calibration", str(calibration / "nope")])
    assert res.exit_code != 0 and "does not exist" in res.output


def test_enhance_and_video_take_precision_int8(calibration: Path, tmp_path: Path) -> None:
    from vivid.cli.main import app
    from vivid.engine.options import EnhanceOptions
    from vivid.io.image import Image
    from vivid.io.write import write_image

    runner = CliRunner()
    src = tmp_path / "in.png"
    write_image(Image(_photo_like(40, 48, 3)), src)
    args = ["enhance", str(src), "--task", "sr", "--model", "vivid-sr-fast", "--precision", "int8"]
    res = runner.invoke(app, [*args, "-o", str(tmp_path / "a.png")])
    assert res.exit_code != 0 and "vivid models quantize vivid-sr-fast" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "a.png").exists()
    from vivid.zoo.quantize import quantize_model

    quantize_model("vivid-sr-fast", scale=2, calibration=calibration, patches=4)
    res = runner.invoke(app, [*args, "-o", str(tmp_path / "b.png")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "b.png").is_file()
    with pytest.raises(ConfigError, match="unknown precision 'int4'"):
        EnhanceOptions(precision="int4")
    res = runner.invoke(app, ["video", str(src), "-o", str(tmp_path / "v.mp4"), "--task", "sr", "--precision", "fp8"])
    assert res.exit_code != 0 and "unknown precision 'fp8'" in res.output
