"""--runtime openvino: vivid's shipped ONNX graphs in OpenVINO give ONNX Runtime's outputs (float32
inference, within 1/255), every part of multi-part models included; skipped without the [openvino] extra."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("openvino")

from vivid.zoo.onnx_runtime import load_on_runtime  # noqa: E402


@pytest.mark.parametrize(("name", "scale", "channels"), [("vivid-sr-fast", 2, 1), ("vivid-denoise", None, 3),
                                                         ("vivid-lowlight", None, 3)])
def test_openvino_matches_onnx_runtime(name: str, scale: int | None, channels: int) -> None:
    ov = load_on_runtime(name, scale=scale, runtime="openvino")
    ort = load_on_runtime(name, scale=scale, runtime="onnx", precision="float32")  # OpenVINO runs float32
    assert ov.descriptor.runtime == "openvino" and ort.descriptor.runtime == "onnx"
    rng = np.random.default_rng(0)
    image = (rng.random((3, 40, 56), dtype=np.float32) * 0.8 + 0.1).astype(np.float32)
    x = image[None, :channels] if channels == 3 else image[None, :1]
    a, b = ov.bind(image)(x), ort.bind(image)(x)
    assert a.shape == b.shape and np.abs(a - b).max() < 1 / 255


def test_openvino_compiles_each_shape_once_and_keeps_a_few() -> None:
    from vivid.zoo import openvino_runtime

    model = load_on_runtime("vivid-sr-fast", scale=2, runtime="openvino")
    session = model.sessions["forward"]
    for h in (16, 24, 16, 32):
        assert model(np.zeros((1, 1, h, 20), np.float32)).shape == (1, 1, 2 * h, 40)
    assert len(session._compiled) == 3  # 16 x 20 compiled once
    for h in range(40, 40 + openvino_runtime.SHAPES_KEPT + 2):
        model(np.zeros((1, 1, h, 8), np.float32))
    assert len(session._compiled) == openvino_runtime.SHAPES_KEPT


def test_openvino_runs_other_models_as_auto_does() -> None:
    assert load_on_runtime("bicubic", scale=2, runtime="openvino").descriptor.runtime == "numpy"
