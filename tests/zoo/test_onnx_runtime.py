"""vivid.zoo.onnx_runtime: built-in models exported to a cache and run in ONNX Runtime agree with torch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.images import textured
from vivid.engine.api import enhance, run_model
from vivid.engine.cache import ModelCache
from vivid.errors import ConfigError, ModelError
from vivid.io.image import Image
from vivid.models.registry import list_models
from vivid.zoo import builtin, shipped_onnx
from vivid.zoo.loader import load_model
from vivid.zoo.onnx_runtime import cache_dir, exportable, to_onnx, with_runtime
from vivid.zoo.shipped_onnx import ShippedOnnxRestorer

LEARNED = [(e.name, s) for e in list_models() if e.kind == "learned" for s in e.scales]


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.mark.parametrize("name,scale", LEARNED)
def test_every_exportable_builtin_agrees_with_torch(name: str, scale: int) -> None:
    try:
        torch_model = load_model(name, scale=scale)
    except ModelError as e:  # a registry entry whose weights are not shipped yet
        pytest.skip(str(e))
    why = exportable(torch_model)
    if why is not None:
        # models with per-image parameters (bind) stay on torch, and say so in one line
        with pytest.raises(ModelError, match=f"{name!r} cannot run in ONNX Runtime: .*use runtime torch"):
            to_onnx(torch_model)
        assert with_runtime(torch_model, "auto") is torch_model
        return
    ort_model = to_onnx(torch_model)
    assert ort_model.descriptor.runtime == "onnx" and ort_model.descriptor.sha256 == torch_model.descriptor.sha256
    for image in (Image(textured(60, 76)), Image(textured(60, 76, c=1, seed=1))):
        want = run_model(torch_model, image, tile=4096).pixels
        got = run_model(ort_model, image, tile=4096).pixels
        assert got.shape == want.shape and np.abs(got - want).max() <= 1 / 255


def test_shipped_models_run_their_shipped_graphs_without_exporting(own_cache: Path) -> None:
    for name in ("vivid-sr-fast", "vivid-denoise"):  # a plain network and one bound per image
        ort_model = to_onnx(load_model(name))
        assert isinstance(ort_model, ShippedOnnxRestorer) and ort_model.descriptor.runtime == "onnx"
    assert not own_cache.exists()  # nothing exported


def test_export_is_cached_by_weights_hash_in_xdg_cache_home(own_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shipped_onnx, "read_index", dict)  # a built-in model without shipped ONNX graphs
    torch_model = load_model("vivid-sr-fast", scale=2)
    to_onnx(torch_model)
    files = list(cache_dir().iterdir())
    assert cache_dir() == own_cache / "vivid" / "onnx"
    assert [f.name for f in files] == [f"vivid-sr-fast-x2-{torch_model.descriptor.sha256[:16]}-opset17-dynamic.onnx"]
    stamp = files[0].stat().st_mtime_ns
    to_onnx(load_model("vivid-sr-fast", scale=2))
    assert files[0].stat().st_mtime_ns == stamp  # reused, not exported again


def test_runtime_option_through_enhance_and_provenance() -> None:
    image = Image(textured(60, 76))
    res = enhance(image, task="sr", model="vivid-sr-fast", models=ModelCache(runtime="onnx"))
    assert res.provenance()["steps"][0]["runtime"] == "onnx"
    torch_res = enhance(image, task="sr", model="vivid-sr-fast", models=ModelCache(runtime="torch"))
    assert "runtime" not in torch_res.provenance()["steps"][0]
    assert np.abs(res.image.pixels - torch_res.image.pixels).max() <= 1 / 255
    with pytest.raises(ConfigError, match="unknown runtime 'tensorrt'"):
        ModelCache(runtime="tensorrt")
    with pytest.raises(ModelError, match="'bicubic' cannot run in ONNX Runtime: it runs on numpy"):
        ModelCache(runtime="onnx").get("bicubic", 2)


def test_auto_uses_ort_where_measured_faster_and_torch_for_bfloat16() -> None:
    cache = ModelCache()  # runtime auto
    model = cache.get("vivid-sr-fast", 2)
    assert model.descriptor.runtime == "onnx"  # in ORT_FASTER
    assert model.with_dtype("bfloat16").descriptor.runtime == "torch"
    denoise = cache.get("vivid-denoise", None)  # shipped graphs: ORT measured faster for every shipped model
    assert denoise.descriptor.runtime == "onnx" and denoise.with_dtype("bfloat16").descriptor.runtime == "torch"
    assert ModelCache(runtime="torch").get("vivid-denoise", None).descriptor.runtime == "torch"
    with pytest.raises(ModelError, match="runs in ONNX Runtime in float32 only; bfloat16 needs runtime torch"):
        ModelCache(runtime="onnx").get("vivid-sr-fast", 2).with_dtype("bfloat16")


def test_without_torch_every_runtime_but_torch_runs_the_shipped_graphs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(builtin, "torch_installed", lambda: False)
    for runtime in ("auto", "onnx"):
        assert ModelCache(runtime=runtime).get("vivid-tone", None).descriptor.runtime == "onnx"
    with pytest.raises(ModelError, match=r"runtime torch for 'vivid-tone' needs PyTorch: pip install 'vivid-restore\[torch\]'"):
        ModelCache(runtime="torch").get("vivid-tone", None)


def test_auto_loads_shipped_models_without_importing_torch() -> None:
    import subprocess
    import sys

    code = ("import sys; from vivid.engine.cache import ModelCache; "
            "m = ModelCache().get('vivid-lowlight', None); m.bind(__import__('numpy').full((3, 8, 8), .2, 'float32')); "
            "print(m.descriptor.runtime, 'torch' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.stdout.split() == ["onnx", "False"], run.stderr
