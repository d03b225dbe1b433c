"""Noise-level estimation, non-local means and BM3D on synthetic noise (and one CBSD68 image)."""

from __future__ import annotations

import numpy as np
import pytest

from vivid.errors import ConfigError, InputError, ModelError
from vivid.metrics import psnr
from vivid.models.classical.denoise import (
    bm3d_denoise,
    build_bm3d,
    build_nlm,
    estimate_noise_sigma,
    nlm_denoise,
    nlm_h,
)


@pytest.mark.parametrize("channels", [3, 1])
@pytest.mark.parametrize("sigma", [5, 15, 25, 50])
def test_sigma_estimate_is_within_two_levels(textured, add_noise, channels: int, sigma: float) -> None:
    clean = textured(160, 160, channels=channels)
    for clip in (True, False):  # clipped as an image file would be, and float as the benchmark adds it
        noisy = add_noise(clean, sigma, clip=clip)
        assert estimate_noise_sigma(noisy) == pytest.approx(sigma, abs=2.0)


def test_gray_given_as_three_equal_channels_is_estimated_as_gray(textured, add_noise) -> None:
    """The engine hands gray images to RGB models as three equal channels; the colour PCA would then see
    no noise at all (found by the BSD68 benchmark: NLM left gray images untouched)."""
    noisy = add_noise(textured(160, 160, channels=1), 25, clip=True)
    three = np.repeat(noisy, 3, axis=0)
    assert estimate_noise_sigma(three) == pytest.approx(estimate_noise_sigma(noisy), abs=1e-6)
    assert estimate_noise_sigma(three) == pytest.approx(25, abs=2.0)


def test_sigma_estimate_of_clean_and_flat_images(textured) -> None:
    assert estimate_noise_sigma(textured(96, 96)) < 1.5
    assert estimate_noise_sigma(textured(96, 96, channels=1)) < 1.5
    assert estimate_noise_sigma(np.full((3, 32, 32), 0.5, np.float32)) == pytest.approx(0.0, abs=1e-6)
    assert estimate_noise_sigma(np.full((1, 4, 4), 0.5, np.float32)) == pytest.approx(0.0, abs=1e-6)


def test_nlm_strength_mapping() -> None:
    assert nlm_h(10, channels=3) == pytest.approx(10.0)
    assert nlm_h(15, channels=3) == pytest.approx(15.0)
    assert nlm_h(50, channels=3) == pytest.approx(40.0)
    assert nlm_h(80, channels=3) == pytest.approx(64.0)
    assert nlm_h(25, channels=1) == pytest.approx(25.0)


@pytest.mark.parametrize("channels", [3, 1])
def test_nlm_raises_psnr(textured, add_noise, channels: int) -> None:
    clean = textured(96, 96, channels=channels)
    noisy = add_noise(clean, 25)
    out = nlm_denoise(noisy)  # sigma estimated
    assert out.shape == clean.shape and out.dtype == np.float32
    assert 0.0 <= out.min() and out.max() <= 1.0
    assert psnr(out, clean) > psnr(noisy, clean) + 5.0
    np.testing.assert_array_equal(out, nlm_denoise(noisy, sigma=estimate_noise_sigma(noisy)))


@pytest.mark.parametrize("channels", [3, 1])
def test_bm3d_raises_psnr(textured, add_noise, channels: int) -> None:
    clean = textured(64, 64, channels=channels)
    noisy = add_noise(clean, 25)
    out = bm3d_denoise(noisy, sigma=25)
    assert out.shape == clean.shape and out.dtype == np.float32
    assert 0.0 <= out.min() and out.max() <= 1.0
    assert psnr(out, clean) > psnr(noisy, clean) + 6.0


def test_bm3d_pads_images_too_small_for_the_binaries(add_noise) -> None:
    # the bm3d binaries crash on sides of 8 pixels or fewer: the wrapper mirror-pads
    img = add_noise(np.full((1, 6, 11), 0.5, np.float32), 20)
    out = bm3d_denoise(img, sigma=20)
    assert out.shape == (1, 6, 11)
    assert out.std() < img.std()


@pytest.mark.parametrize("fn", [nlm_denoise, bm3d_denoise])
def test_options_are_checked(fn, textured) -> None:
    img = textured(16, 16)
    for bad in (-1.0, float("nan"), 300.0, "25"):
        with pytest.raises(ConfigError, match="sigma"):
            fn(img, sigma=bad)
    with pytest.raises(InputError, match=r"\(2, 16, 16\)"):
        fn(np.zeros((2, 16, 16), np.float32))
    np.testing.assert_array_equal(fn(img, sigma=0), img)  # nothing to remove


def test_restorers_map_over_the_batch(textured, add_noise) -> None:
    batch = np.stack([add_noise(textured(40, 40, seed=i), 20, seed=i) for i in range(2)])
    model = build_nlm(1)
    out = model(batch)
    assert out.shape == batch.shape and out.dtype == np.float32
    for i in range(2):  # sigma estimated per image
        np.testing.assert_array_equal(out[i], nlm_denoise(batch[i]))
    d = model.descriptor
    assert (d.name, d.task, d.scale, d.tileable, d.runtime, d.speed_class) == (
        "nlm", "denoise", 1, False, "opencv", "medium")
    d = build_bm3d(1).descriptor
    assert (d.name, d.task, d.scale, d.tileable, d.speed_class) == ("bm3d", "denoise", 1, False, "slow")
    assert "non-commercial" in d.license
    with pytest.raises(ModelError, match="scale 2"):
        build_nlm(2)


@pytest.mark.shared
def test_cbsd68_crop(shared_path, read_rgb, add_noise) -> None:
    clean = read_rgb(shared_path("datasets/denoise/CBSD68/GT/101087.png"))[:, :160, :160]
    noisy = add_noise(clean, 25, clip=False)
    assert estimate_noise_sigma(noisy) == pytest.approx(25, abs=1.0)
    out = nlm_denoise(noisy)
    assert psnr(out, clean) > psnr(np.clip(noisy, 0, 1), clean) + 4.0


def test_bm3d_without_its_optional_package_names_the_extra(monkeypatch: pytest.MonkeyPatch, textured) -> None:
    # bm3d is an extra (non-commercial licence): without it, choosing the model fails in one line
    monkeypatch.setitem(__import__("sys").modules, "bm3d", None)  # `import bm3d` raises ImportError
    for use in (lambda: build_bm3d(1), lambda: bm3d_denoise(textured(16, 16), sigma=10)):
        with pytest.raises(ModelError, match=r"^model 'bm3d' needs the optional bm3d package .*"
                                             r"pip install 'vivid-restore\[bm3d\]'$"):
            use()
