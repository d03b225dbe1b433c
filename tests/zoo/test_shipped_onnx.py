"""vivid.zoo.shipped_onnx: every shipped model runs from its shipped ONNX graphs and equals the torch path."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.images import textured
from vivid.engine.api import run_model
from vivid.errors import ModelError
from vivid.io.image import Image
from vivid.models import registry
from vivid.models.registry import Network, get_entry, learned
from vivid.zoo import builtin, shipped_onnx
from vivid.zoo.builtin import file_sha256, read_index, shipped_weights, weights_dir
from vivid.zoo.shipped_onnx import area_resize, load_shipped_onnx, parts_of

ENTRIES = [(w.name, w.scale) for w in shipped_weights()]


def test_every_shipped_weight_file_has_current_onnx_graphs() -> None:
    index = read_index()
    for w in shipped_weights():
        item = index.get(w.file)
        hint = f"{w.file}: run `python -m vivid.zoo.shipped_onnx {w.name}` to export it"
        assert shipped_onnx.is_current(item, w), hint  # same weights and hyper-parameters
        assert set(item["parts"]) == set(parts_of(w)), hint
        for spec in item["parts"].values():
            assert file_sha256(weights_dir() / spec["file"]) == spec["sha256"], spec["file"]
    assert set(index) == {w.file for w in shipped_weights()}  # nothing stale is shipped


def _inputs(name: str, color_space: str) -> list[np.ndarray]:
    if color_space == "gray":  # colorizers: small, odd and larger than their 512-pixel working copy
        return [textured(37, 53, c=1), textured(40, 600, c=1, seed=2)]
    images = [textured(45, 61), textured(40, 52, c=1, seed=1)]
    if name == "vivid-zerodce":  # larger than its 128-pixel map side: the reduced-copy path
        images.append(textured(150, 290, seed=2) * 0.3)
    return images


@pytest.mark.parametrize("name,scale", ENTRIES)
def test_shipped_onnx_equals_torch_within_one_level(name: str, scale: int) -> None:
    torch_model = builtin.load_builtin(name, scale)
    ort_model = load_shipped_onnx(name, scale)
    d, td = ort_model.descriptor, torch_model.descriptor
    assert (d.runtime, d.dtypes, d.sha256) == ("onnx", ("float32",), td.sha256)
    assert {k: v for k, v in vars(d).items() if k not in ("runtime", "dtypes")} == {
        k: v for k, v in vars(td).items() if k not in ("runtime", "dtypes")}
    for pixels in _inputs(name, d.color_space):
        image = Image(pixels)
        want = run_model(torch_model, image, tile=4096).pixels
        got = run_model(ort_model, image, tile=4096).pixels
        assert got.shape == want.shape
        assert np.abs(got - want).max() <= 1 / 255, (name, pixels.shape, np.abs(got - want).max() * 255)


def test_tiled_onnx_equals_untiled_for_a_bound_model() -> None:
    model = load_shipped_onnx("vivid-lowlight", 1)
    image = Image(textured(70, 90) * 0.4)
    whole = run_model(model, image, tile=4096).pixels
    tiled = run_model(model, image, tile=48).pixels
    assert np.abs(whole - tiled).max() <= 1 / 255


@pytest.mark.parametrize("src,dst", [((37, 53), (16, 16)), ((150, 290), (52, 97)), ((64, 64), (8, 8)), ((5, 7), (5, 7))])
def test_area_resize_is_torchs_area_interpolation(src: tuple[int, int], dst: tuple[int, int]) -> None:
    import torch
    import torch.nn.functional as F

    x = np.random.default_rng(0).random((2, 3, *src), dtype=np.float32)
    want = F.interpolate(torch.from_numpy(x), size=dst, mode="area").numpy()
    np.testing.assert_allclose(area_resize(x, dst), want, atol=1e-6)


def test_without_torch_load_builtin_takes_the_shipped_onnx(monkeypatch: pytest.MonkeyPatch) -> None:
    from vivid.zoo.loader import load_model

    monkeypatch.setattr(builtin, "torch_installed", lambda: False)
    model = load_model("vivid-denoise")
    assert model.descriptor.runtime == "onnx" and isinstance(model, shipped_onnx.NoiseMapOnnx)
    bound = model.bind(textured(32, 40))
    assert bound.sigma is not None and model.sigma is None  # bind returns a bound copy


def test_missing_stale_or_corrupt_onnx_files_are_clear_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entry = get_entry("vivid-sr-fast")
    file = entry.weights_file(2)
    item = read_index()[file]
    for f in (file, *(p["file"] for p in item["parts"].values())):
        (tmp_path / f).write_bytes((weights_dir() / f).read_bytes())
    monkeypatch.setattr(builtin, "weights_dir", lambda: tmp_path)
    with pytest.raises(ModelError, match=r"weights index .*onnx\.json is missing: the package is incomplete"):
        load_shipped_onnx("vivid-sr-fast", 2)
    (tmp_path / "onnx.json").write_text(json.dumps({file: {**item, "entry_sha256": "0" * 64}}))
    with pytest.raises(ModelError, match=r"vivid-sr-fast x2 has a stale ONNX export .*python -m vivid\.zoo\.shipped_onnx"):
        load_shipped_onnx("vivid-sr-fast", 2)
    (tmp_path / "onnx.json").write_text(json.dumps({file: item}))
    network = Network(**{**vars(entry.network), "params": {**entry.network.params, "blocks": 4}})
    changed = learned(entry.name, entry.task, entry.scales, entry.summary, network)  # a hyper-parameter changes
    monkeypatch.setattr(registry, "ENTRIES", (changed,))
    with pytest.raises(ModelError, match=r"stale ONNX export \(other weights or hyper-parameters\)"):
        load_shipped_onnx("vivid-sr-fast", 2)
    monkeypatch.setattr(registry, "ENTRIES", (entry,))
    assert load_shipped_onnx("vivid-sr-fast", 2).descriptor.name == "vivid-sr-fast"
    graph = tmp_path / item["parts"]["forward"]["file"]
    graph.write_bytes(graph.read_bytes()[:-1] + b"\0")
    with pytest.raises(ModelError, match=r"of vivid-sr-fast is corrupt \(sha256 mismatch\): reinstall vivid"):
        load_shipped_onnx("vivid-sr-fast", 2)


def test_a_map_free_denoiser_exports_and_runs_like_torch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A dejpeg-style model (denoise_unet without a noise map): exported beside its weights, one graph."""
    from safetensors.torch import save_file

    from vivid.models.archs.factory import build_arch

    params = {"channels": 8, "blocks": 1, "in_channels": 3, "noise_map": False}
    net = build_arch("denoise_unet", **params)
    for p in net.parameters():  # not the zero-initialised tail: a network that changes its input
        p.data.normal_(0, 0.05)
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(tmp_path / "vivid-test.safetensors"))
    entry = learned("vivid-test", "dejpeg", (1,), "a test", Network("denoise_unet", params, size_multiple=8))
    monkeypatch.setattr(registry, "ENTRIES", (entry,))
    monkeypatch.setattr(builtin, "weights_dir", lambda: tmp_path)
    shipped_onnx.export_all()
    assert set(read_index()["vivid-test.safetensors"]["parts"]) == {"forward"}
    ort_model = load_shipped_onnx("vivid-test", 1)
    assert type(ort_model) is shipped_onnx.ShippedOnnxRestorer  # no noise-level channel
    image = Image(textured(45, 61))
    want = run_model(builtin.load_builtin("vivid-test", 1), image, tile=4096).pixels
    got = run_model(ort_model, image, tile=4096).pixels
    assert np.abs(want - image.pixels).max() > 2 / 255  # the network does something
    assert np.abs(got - want).max() <= 1 / 255
