"""Low-light enhancers: they brighten a darkened image towards the original and leave bright ones be."""

from __future__ import annotations

import numpy as np
import pytest

from vivid.errors import ConfigError, InputError
from vivid.metrics import psnr
from vivid.models.classical.lowlight import (
    build_clahe,
    build_gamma,
    build_lime,
    clahe_enhance,
    gamma_enhance,
    lime_enhance,
)
from vivid.models.classical.per_image import luma

METHODS = [gamma_enhance, clahe_enhance, lime_enhance]


def darken(img: np.ndarray) -> np.ndarray:
    """An under-exposure: a fifth of the light, plus a slightly steeper tone curve."""
    return (0.2 * img**1.2).astype(np.float32)


@pytest.mark.parametrize("channels", [3, 1])
@pytest.mark.parametrize("fn", METHODS)
def test_brightens_a_dark_image_towards_the_original(textured, fn, channels: int) -> None:
    img = textured(96, 128, channels=channels)
    dark = darken(img)
    out = fn(dark)
    assert out.shape == img.shape and out.dtype == np.float32
    assert 0.0 <= out.min() and out.max() <= 1.0
    assert out.mean() > dark.mean() + 0.2
    assert psnr(out, img) > psnr(dark, img) + 5.0


def test_gamma_reaches_the_target_mean(textured) -> None:
    dark = darken(textured(64, 64))
    for target in (0.3, 0.45, 0.6):
        assert luma(gamma_enhance(dark, target_mean=target)).mean() == pytest.approx(target, abs=0.01)


def test_gamma_never_darkens_and_leaves_well_exposed_images_alone(textured) -> None:
    img = textured(64, 64)  # mean luma about 0.5
    np.testing.assert_array_equal(gamma_enhance(img), img)
    slightly_dark = (img * 0.85).astype(np.float32)  # mean luma about 0.43, a little under the target
    out = gamma_enhance(slightly_dark)
    assert np.all(out >= slightly_dark - 1e-7)
    assert np.abs(out - slightly_dark).max() < 0.05


def test_clahe_keeps_colour(textured) -> None:
    img = textured(96, 96)
    img[0] *= 0.8  # a colourful image: chromaticities differ from gray
    dark = darken(img)
    out = clahe_enhance(dark)

    def chromaticity(x: np.ndarray) -> np.ndarray:
        return x.reshape(3, -1).sum(axis=1) / x.sum()

    np.testing.assert_allclose(chromaticity(out), chromaticity(gamma_enhance(dark)), atol=0.01)
    # CLAHE adds local contrast on top of the gamma
    assert out.std() > gamma_enhance(dark).std()


def test_lime_fast_solver_matches_the_exact_solve(textured) -> None:
    dark = darken(textured(64, 80))
    fast = lime_enhance(dark)
    exact = lime_enhance(dark, solver="exact")
    assert psnr(fast, exact) > 30.0


def test_lime_runs_on_a_600x400_image(textured) -> None:
    # LOL's size; the default (split) solver is O(pixels): about 0.03 s here on a 2-core CPU
    dark = darken(textured(400, 600))
    out = lime_enhance(dark)
    assert out.shape == (3, 400, 600)
    assert out.mean() > dark.mean() + 0.2


def test_options_are_checked(textured) -> None:
    img = textured(16, 16)
    with pytest.raises(ConfigError, match="1.5"):
        gamma_enhance(img, target_mean=1.5)
    with pytest.raises(ConfigError, match="-1"):
        clahe_enhance(img, clip_limit=-1)
    with pytest.raises(ConfigError, match="0"):
        clahe_enhance(img, tile_grid=0)
    with pytest.raises(ConfigError, match="alpha"):
        lime_enhance(img, alpha=0)
    with pytest.raises(ConfigError, match="gamma"):
        lime_enhance(img, gamma=0)
    with pytest.raises(ConfigError, match="'magic'"):
        lime_enhance(img, solver="magic")
    with pytest.raises(InputError, match=r"\(16, 16\)"):
        gamma_enhance(img[0])


def test_restorers(textured) -> None:
    batch = np.stack([darken(textured(32, 32, seed=i)) for i in range(2)])
    for build, fn, name in ((build_gamma, gamma_enhance, "gamma"), (build_clahe, clahe_enhance, "clahe"),
                            (build_lime, lime_enhance, "lime")):
        model = build(1)
        d = model.descriptor
        assert (d.name, d.task, d.scale, d.tileable) == (name, "lowlight", 1, False)
        out = model(batch)
        assert out.shape == batch.shape and out.dtype == np.float32
        np.testing.assert_array_equal(out[1], fn(batch[1]))


@pytest.mark.shared
def test_lol_pair(shared_path, read_rgb) -> None:
    low = read_rgb(shared_path("datasets/lowlight/LOL/eval15/low/1.png"))
    high = read_rgb(shared_path("datasets/lowlight/LOL/eval15/high/1.png"))
    # measured (RGB PSNR against the normal-light image): input 7.2, gamma 16.4, CLAHE 16.4, LIME 16.0 dB
    base = psnr(low, high)
    for fn in METHODS:
        assert psnr(fn(low), high) > base + 7.0
