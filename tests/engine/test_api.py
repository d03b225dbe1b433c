"""The engine's enhance/run_model: every learned model tiles seam-free; options behave."""

from __future__ import annotations

import numpy as np
import pytest

from tests.images import textured as shared_textured
from vivid.engine.api import enhance, run_model
from vivid.errors import ConfigError, ModelError
from vivid.io.image import Image, ImageMeta
from vivid.models.registry import list_models
from vivid.zoo.loader import load_model

LEARNED = [(e.name, s) for e in list_models() if e.kind == "learned" for s in e.scales]


def textured(h: int = 72, w: int = 88, c: int = 3, seed: int = 0) -> np.ndarray:
    return shared_textured(h, w, c, seed)


@pytest.mark.parametrize("name,scale", LEARNED)
def test_learned_model_tiled_equals_untiled(name: str, scale: int) -> None:
    model = load_model(name, scale=scale)
    img = Image(textured(280, 304))
    whole = run_model(model, img, tile=4096).pixels
    # windows (tile + 2 x overlap) must be smaller than the image, or nothing is really tiled
    tile = 40
    assert tile + 2 * model.descriptor.tile_overlap < 280
    tiled = run_model(model, img, tile=tile).pixels
    assert whole.shape == (3, 280 * model.descriptor.scale, 304 * model.descriptor.scale)
    assert np.abs(whole - tiled).max() <= 1 / 255


@pytest.mark.parametrize("name,scale", LEARNED)
def test_learned_model_handles_gray_and_alpha(name: str, scale: int) -> None:
    model = load_model(name, scale=scale)
    s = model.descriptor.scale
    gray = run_model(model, Image(textured(c=1)))
    colorizer = model.descriptor.task == "colorize"
    assert gray.pixels.shape == (3 if colorizer else 1, 72 * s, 88 * s)
    rgba = np.concatenate([textured(), np.linspace(0, 1, 72 * 88, dtype=np.float32).reshape(1, 72, 88)])
    out = run_model(model, Image(rgba))
    assert out.pixels.shape == (4, 72 * s, 88 * s)
    # alpha is resampled, not lost: its mean is kept
    assert abs(out.pixels[3].mean() - rgba[3].mean()) < 0.01


@pytest.mark.parametrize("name", [e.name for e in list_models() if e.task == "colorize"])
def test_colorizers_keep_the_gray_image_as_lightness(name: str) -> None:
    gray = textured(c=1)
    out = enhance(Image(gray), task="colorize", model=name).image.pixels
    assert out.shape == (3, 72, 88)
    luma = 0.299 * out[0] + 0.587 * out[1] + 0.114 * out[2]
    assert np.abs(luma - gray[0]).mean() < 4 / 255  # colour is added, the picture is kept
    # auto sends gray images to the recommended colorizer
    plan = enhance(Image(np.repeat(gray, 3, axis=0)), task="auto").plan
    assert "colorize" in [st.task for st in plan.steps]


def test_strength_zero_returns_the_baseline() -> None:
    img = Image(textured())
    out = enhance(img, task="denoise", model="nlm", strength=0.0)
    assert np.abs(out.image.pixels - img.pixels).max() < 1e-6


def test_sr_to_any_size_and_metadata_kept() -> None:
    meta = ImageMeta(bit_depth=16, icc_profile=b"icc", dpi=(300.0, 300.0))
    img = Image(textured(), meta)
    res = enhance(img, task="sr", size=(100, 150))
    assert res.image.pixels.shape == (3, 100, 150)
    assert res.image.meta.bit_depth == 16 and res.image.meta.icc_profile == b"icc"
    prov = res.provenance()
    assert prov["steps"][0]["task"] == "sr" and prov["steps"][0]["model"]


def test_color_guard_reports_and_reduces_shift() -> None:
    img = Image(textured())
    res = enhance(img, task="sr", model="bicubic", scale=2, color_guard=True)
    assert res.records[0].delta_e is not None and res.records[0].delta_e < 1.0


def test_bad_options_are_clear() -> None:
    img = Image(textured())
    with pytest.raises(ConfigError, match="strength"):
        enhance(img, task="sr", model="bicubic", scale=2, strength=1.5)
    with pytest.raises(ConfigError, match="unknown task"):
        enhance(img, task="sharpen")
    with pytest.raises(ModelError, match="did you mean"):
        enhance(img, task="sr", model="bicubc", scale=2)
    with pytest.raises(ModelError, match="does not support scale"):
        enhance(img, task="sr", model="vivid-sr", scale=7)
