"""One golden output per shipped model (tests/fixtures/models; README.md there): a changed network, weight file or
restorer shows here, without ../shared.

Outputs are kept at 16 bits so that small changes show: the tolerance is 0.02 8-bit levels (5 16-bit steps) at
any pixel. torch and ONNX Runtime agree within 0.004 levels (one 16-bit step, models.json records it); a 2 %
change of any model's first convolution moves its output by 0.036 to 1.4 levels. A model that ships an int8 graph
(vivid-sr x2, opt-in with precision "int8") has a second golden output from it."""

from __future__ import annotations

import numpy as np
import pytest

from tests.fixtures.golden import FIXTURES, read_json, read_png, sha256
from vivid.models.registry import build, list_models
from vivid.zoo.onnx_runtime import load_on_runtime
from vivid.zoo.shipped_onnx import load_shipped_onnx

MODELS = FIXTURES / "models"
GOLDEN = read_json(MODELS / "models.json")
SHIPPED = [(e.name, s) for e in list_models() if e.network is not None for s in e.scales]
TOLERANCE_LEVELS = 0.02
#: int8 convolutions are exact integer sums, but ONNX Runtime picks its kernels by CPU (without VNNI, u8 x s8
#: products can saturate): a looser bound, still far below the 2.4 levels that separate int8 from float32 here
TOLERANCE_INT8_LEVELS = 0.5
INT8 = [(e.name, s) for e in list_models() if e.network is not None for s in e.network.int8_scales]


def run(model, pixels: np.ndarray) -> np.ndarray:  # noqa: ANN001 - a Restorer
    """As scripts/make_golden_fixtures.py runs it: bound to the whole image, clipped, on the 0..255 scale."""
    x = pixels.astype(np.float32) / 255.0
    return np.clip(model.bind(x)(x[None])[0].astype(np.float64), 0.0, 1.0) * 255.0


def test_every_shipped_model_has_a_golden_output() -> None:
    assert sorted(f"{n}_x{s}" for n, s in SHIPPED) == sorted(GOLDEN)


@pytest.mark.parametrize("name,scale", SHIPPED)
def test_the_model_reproduces_its_golden_output(name: str, scale: int) -> None:
    g = GOLDEN[f"{name}_x{scale}"]
    for f in ("input", "output"):
        assert sha256(MODELS / g[f]) == g[f"{f}_sha256"], f"{g[f]} is not the recorded file"
    model = build(name, scale=scale)
    assert model.descriptor.sha256 == g["weights_sha256"], (
        f"{name} x{scale} has other weights than its golden output was made with: if on purpose, run "
        f"scripts/make_golden_fixtures.py --models-only and say so in the commit")
    pixels, want = read_png(MODELS / g["input"]), np.load(MODELS / g["output"]) * (255.0 / 65535.0)
    # float32 explicitly: the registry's build (torch when installed) and the shipped float graph in ONNX Runtime
    for restorer in (model, load_shipped_onnx(name, scale)):
        got = run(restorer, pixels)
        assert got.shape == want.shape
        off = float(np.abs(got - want).max())
        assert off <= TOLERANCE_LEVELS, f"{name} x{scale} on {restorer.descriptor.runtime}: {off:.3f} levels off"


def test_every_declared_int8_graph_has_a_golden_output() -> None:
    assert sorted(f"{n}_x{s}" for n, s in INT8) == sorted(k for k, g in GOLDEN.items() if "int8_output" in g)


@pytest.mark.parametrize("name,scale", INT8)
def test_the_shipped_int8_graph_reproduces_its_golden_output(name: str, scale: int) -> None:
    g = GOLDEN[f"{name}_x{scale}"]
    assert sha256(MODELS / g["int8_output"]) == g["int8_output_sha256"], f"{g['int8_output']} is not the recorded file"
    model = load_on_runtime(name, scale=scale, runtime="auto", precision="int8")
    assert model.precision == "int8"
    pixels, want = read_png(MODELS / g["input"]), np.load(MODELS / g["int8_output"]) * (255.0 / 65535.0)
    off = float(np.abs(run(model, pixels) - want).max())
    assert off <= TOLERANCE_INT8_LEVELS, f"{name} x{scale} int8: {off:.3f} levels off"
    float_golden = np.load(MODELS / g["output"]) * (255.0 / 65535.0)
    # int8 is another output, near float32's (4.2 levels at most on this input, second-stage weights)
    assert 0 < np.abs(want - float_golden).max() < 6
