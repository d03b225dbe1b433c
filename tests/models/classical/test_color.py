"""Gray-world white balance plus auto-levels: removes a colour cast, stretches a flat image, keeps hues."""

from __future__ import annotations

import numpy as np
import pytest

from vivid.errors import ConfigError
from vivid.metrics import ciede2000, psnr
from vivid.models.classical.color import build_grayworld, grayworld_autolevels
from vivid.models.classical.per_image import luma


def neutral(textured, h: int = 96, w: int = 96) -> np.ndarray:
    """A colourful image whose channel means are equal (the gray-world assumption holds) and whose
    luma already spans [0, 1] at the 0.5 % tails (auto-levels has next to nothing to do)."""
    img = textured(h, w).astype(np.float64)
    img = img[[0, 2, 1]] * 0.5 + img * 0.5  # mix so the channels differ pixel by pixel
    img = img / img.reshape(3, -1).mean(axis=1)[:, None, None] * 0.5
    lo, hi = np.percentile(luma(img), [0.5, 99.5])
    return np.clip((img - lo) / (hi - lo), 0, 1).astype(np.float32)


def test_removes_a_colour_cast(textured) -> None:
    img = neutral(textured)
    cast = np.clip(img * np.array([1.25, 1.0, 0.7], np.float32)[:, None, None], 0, 1)
    out = grayworld_autolevels(cast)
    means = out.reshape(3, -1).mean(axis=1)
    assert means.max() - means.min() < 0.02  # channel means equalised
    assert psnr(out, img) > psnr(cast, img) + 6.0
    assert ciede2000(out, img) < ciede2000(cast, img) / 3


def test_stretches_a_low_contrast_image_keeping_hues(textured) -> None:
    img = neutral(textured)
    flat = (0.35 + 0.3 * img).astype(np.float32)  # a hazy, washed-out version
    out = grayworld_autolevels(flat)
    lo, hi = np.percentile(luma(out), [0.5, 99.5])
    assert lo == pytest.approx(0.0, abs=0.01) and hi == pytest.approx(1.0, abs=0.01)
    assert out.std() > 2.5 * flat.std()
    assert psnr(out, img) > psnr(flat, img) + 10.0
    # one stretch for all channels: colour differences scale together, so hue angles are kept
    d_in, d_out = flat[0] - flat[1], out[0] - out[1]
    mask = np.abs(d_in) > 0.02
    ratio = (d_out[mask] / d_in[mask])
    assert ratio.std() < 0.05 * ratio.mean()


def test_gray_images_get_auto_levels_only(textured) -> None:
    gray = (0.3 + 0.2 * textured(64, 64, channels=1)).astype(np.float32)
    out = grayworld_autolevels(gray)
    assert out.shape == (1, 64, 64) and out.dtype == np.float32
    assert out.min() == 0.0 and out.max() == 1.0
    assert np.corrcoef(out.ravel(), gray.ravel())[0, 1] > 0.999  # an affine stretch, clipped at the tails


def test_flat_and_balanced_images_are_left_alone(textured) -> None:
    flat = np.full((3, 16, 16), 0.4, np.float32)
    np.testing.assert_allclose(grayworld_autolevels(flat), flat, atol=1e-6)
    img = neutral(textured)
    assert psnr(grayworld_autolevels(img), img) > 40.0


def test_gains_are_clamped() -> None:
    img = np.zeros((3, 8, 8), np.float32)
    img[0] = 0.8  # a pure red scene is not a cast: at most a gain of 2 on the missing channels
    img[1, :, :4] = 0.05
    out = grayworld_autolevels(img, clip_percent=0.0)
    assert out[0].mean() > 3 * out[1].mean()


def test_options_and_restorer(textured) -> None:
    img = textured(16, 16)
    for bad in (-1, 50, float("nan")):
        with pytest.raises(ConfigError, match="clip_percent"):
            grayworld_autolevels(img, clip_percent=bad)
    model = build_grayworld(1)
    d = model.descriptor
    assert (d.name, d.task, d.scale, d.tileable) == ("grayworld", "color", 1, False)
    batch = np.stack([img, img[::-1]])
    out = model(batch)
    assert out.shape == batch.shape and out.dtype == np.float32
    np.testing.assert_array_equal(out[1], grayworld_autolevels(img[::-1]))
