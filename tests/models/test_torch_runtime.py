"""vivid.models.torch_runtime: bfloat16 is an opt-in that stays close to float32; float32 is the default."""

from __future__ import annotations

import numpy as np
import pytest

from tests.images import textured as shared_textured
from vivid.engine.api import enhance
from vivid.errors import ConfigError, ModelError
from vivid.io.image import Image
from vivid.zoo.loader import load_model

#: bfloat16 keeps 8 significant bits: measured on 512x512 inputs (benchmarks/bf16_speed.py) the largest
#: difference from float32 was 2.2 levels (vivid-sr), the mean under 0.25; the test allows 3 and 0.5
MAX_LEVELS, MEAN_LEVELS = 3.0, 0.5


def textured(h: int = 96, w: int = 112, seed: int = 0) -> np.ndarray:
    return shared_textured(h, w, 3, seed, noise=0.05)


@pytest.mark.parametrize("name,task,scale", [("vivid-sr-fast", "sr", 2), ("vivid-sr", "sr", 2),
                                             ("vivid-denoise", "denoise", None)])
def test_bfloat16_agrees_with_float32(name: str, task: str, scale: int | None) -> None:
    model = load_model(name, scale=scale)
    assert model.descriptor.dtypes[0] == "float32" and "bfloat16" in model.descriptor.dtypes
    assert model.dtype == "float32"  # the default
    image = Image(textured())
    fp32 = enhance(image, task=task, model=name, scale=scale, precision="float32")  # vivid-sr x2 defaults to int8
    bf16 = enhance(image, task=task, model=name, scale=scale, dtype="bfloat16")
    assert "precision" not in bf16.provenance()["steps"][0]  # bfloat16 runs the float model, even for vivid-sr x2
    diff = np.abs(bf16.image.pixels - fp32.image.pixels) * 255
    assert 0 < diff.max() <= MAX_LEVELS and diff.mean() <= MEAN_LEVELS
    assert bf16.provenance()["steps"][0]["dtype"] == "bfloat16"
    assert "dtype" not in fp32.provenance()["steps"][0]


def test_models_without_bfloat16_say_so() -> None:
    image = Image(textured(32, 32))
    with pytest.raises(ModelError, match=r"'bicubic' computes in float32 only, not bfloat16"):
        enhance(image, task="sr", model="bicubic", scale=2, dtype="bfloat16")
    with pytest.raises(ConfigError, match="unknown dtype 'fp16'"):
        enhance(image, task="sr", model="bicubic", scale=2, dtype="fp16")
