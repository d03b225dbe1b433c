"""vivid.ops.degrade: determinism, physical sanity of each degradation, and the spec pipeline."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vivid.errors import ConfigError, InputError
from vivid.ops.degrade import (
    Cast,
    Degradation,
    Down,
    Gray,
    Jpeg,
    LowLight,
    Motion,
    Noise,
    add_gaussian_noise,
    color_cast,
    downscale,
    gaussian_blur,
    jpeg,
    low_light,
    motion_blur,
    motion_kernel,
    temperature_gains,
    to_grayscale,
)
from vivid.ops.resize import imresize


def _image(h: int = 64, w: int = 80, seed: int = 0) -> np.ndarray:
    """A smooth colour image with some texture, float32 (3, H, W) in [0, 1]."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    rng = np.random.default_rng(seed)
    img = np.stack(
        [
            0.5 + 0.4 * np.sin(xx / 7.0) * np.cos(yy / 11.0),
            0.5 + 0.3 * np.cos((xx + yy) / 9.0),
            0.3 + 0.2 * (xx / w) + 0.1 * rng.random((h, w)),
        ]
    )
    return np.clip(img, 0, 1).astype(np.float32)


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    return 10 * math.log10(1.0 / float(np.mean((a.astype(np.float64) - b) ** 2)))


# ------------------------------------------------------------------------------------------------ downscale


def test_downscale_is_matlab_imresize_with_8_bit_passes() -> None:
    img = _image(66, 81)
    out = downscale(img, 3)
    assert out.shape == (3, 22, 27) and out.dtype == np.float32
    np.testing.assert_array_equal(out, imresize(img, 1 / 3, quantize=8))
    assert np.array_equal(np.rint(out * 255), out * 255)  # on 8-bit levels (float32 exact)
    assert not np.array_equal(downscale(img, 3, quantize=False), out)


def test_downscale_rejects_upscaling() -> None:
    with pytest.raises(ConfigError, match="0.5"):
        downscale(_image(), 0.5)


# ------------------------------------------------------------------------------------------------ noise


def test_gaussian_noise_has_the_requested_std_and_no_clipping_by_default() -> None:
    img = np.full((3, 128, 128), 0.02, dtype=np.float32)
    noisy = add_gaussian_noise(img, sigma=25, seed=7)
    residual = noisy.astype(np.float64) - img
    # 49,152 samples: the sample std is within 1 % of sigma with overwhelming probability
    assert residual.std() == pytest.approx(25 / 255, rel=0.01)
    assert abs(residual.mean()) < 0.002
    assert noisy.min() < 0  # not clipped
    clipped = add_gaussian_noise(img, sigma=25, seed=7, clip=True)
    assert clipped.min() == 0.0 and clipped.max() <= 1.0
    q = add_gaussian_noise(img, sigma=25, seed=7, quantize=True)
    assert np.allclose(q * 255, np.rint(q * 255), atol=1e-4)


def test_gaussian_noise_is_deterministic_per_seed() -> None:
    img = _image()
    a = add_gaussian_noise(img, sigma=15, seed=1)
    assert np.array_equal(a, add_gaussian_noise(img, sigma=15, seed=1))
    assert not np.array_equal(a, add_gaussian_noise(img, sigma=15, seed=2))
    # a Generator is a stream: two draws differ, and a fresh generator with the same seed repeats them
    rng = np.random.default_rng(1)
    first = add_gaussian_noise(img, sigma=15, seed=rng)
    second = add_gaussian_noise(img, sigma=15, seed=rng)
    assert np.array_equal(first, a) and not np.array_equal(first, second)


def test_input_is_not_modified() -> None:
    img = _image()
    before = img.copy()
    add_gaussian_noise(img, sigma=50, seed=0)
    low_light(img, exposure=0.1, shot_noise=0.01, seed=0)
    color_cast(img, temperature=3000)
    assert np.array_equal(img, before)


# ------------------------------------------------------------------------------------------------ blur


def test_gaussian_blur_keeps_constants_and_smooths_noise() -> None:
    flat = np.full((1, 32, 32), 0.4, dtype=np.float32)
    np.testing.assert_allclose(gaussian_blur(flat, sigma=2.0), flat, atol=1e-6)
    noise = np.random.default_rng(0).random((1, 64, 64)).astype(np.float32)
    blurred = gaussian_blur(noise, sigma=1.5)
    assert blurred.std() < 0.5 * noise.std()
    assert abs(blurred.mean() - noise.mean()) < 1e-3
    assert np.array_equal(gaussian_blur(noise, sigma=0), noise)


def test_motion_kernel_shape_and_normalisation() -> None:
    np.testing.assert_allclose(motion_kernel(5, 0), np.full((1, 5), 0.2))
    np.testing.assert_allclose(motion_kernel(5, 90), np.full((5, 1), 0.2))
    k = motion_kernel(9, 30)
    assert k.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(k, k[::-1, ::-1])  # centred: moves no content
    assert motion_kernel(1, 45).shape == (1, 1)


def test_motion_blur_acts_along_its_direction_only() -> None:
    # stripes constant along x: a horizontal blur leaves them, a vertical one smears them
    rows = (np.arange(32) % 2).astype(np.float32)
    img = np.repeat(np.broadcast_to(rows[:, None], (32, 40))[None], 3, axis=0).copy()
    np.testing.assert_allclose(motion_blur(img, length=7, angle=0), img, atol=1e-6)
    assert motion_blur(img, length=7, angle=90).std() < 0.2 * img.std()


# ------------------------------------------------------------------------------------------------ JPEG


def test_jpeg_psnr_rises_with_quality() -> None:
    img = _image(96, 96)
    scores = [_psnr(jpeg(img, quality=q), img) for q in (5, 20, 40, 70, 95)]
    assert all(a < b for a, b in zip(scores, scores[1:])), scores
    assert scores[-1] > 35


def test_jpeg_shapes_determinism_and_errors() -> None:
    img = _image(33, 47)
    out = jpeg(img, quality=50)
    assert out.shape == img.shape and out.dtype == np.float32
    assert np.array_equal(out, jpeg(img, quality=50))
    gray = jpeg(img[:1], quality=50)
    assert gray.shape == (1, 33, 47)
    with pytest.raises(ConfigError, match="101"):
        jpeg(img, quality=101)
    with pytest.raises(InputError, match=r"\(4, 33, 47\)"):
        jpeg(np.zeros((4, 33, 47), np.float32), quality=50)


# ------------------------------------------------------------------------------------------------ low light


def test_low_light_darkens_in_linear_light() -> None:
    img = _image()
    dark = low_light(img, exposure=0.25, seed=0)
    assert dark.mean() < 0.75 * img.mean()
    # without noise: exactly a quarter of the linear intensity (sRGB 0.5 -> linear 0.214 -> 0.0535)
    mid = np.full((3, 4, 4), 0.5, dtype=np.float32)
    out = low_light(mid, exposure=0.25, seed=0)
    np.testing.assert_allclose(out, 1.055 * (0.25 * 0.21404114) ** (1 / 2.4) - 0.055, atol=1e-5)
    np.testing.assert_allclose(low_light(img, exposure=1.0, seed=0), img, atol=1e-6)
    assert low_light(img, exposure=0.25, gamma=2.0, seed=0).mean() < dark.mean()


def test_low_light_noise_is_seeded_and_grows_with_the_signal() -> None:
    img = np.concatenate([np.full((3, 64, 32), 0.3), np.full((3, 64, 32), 0.9)], axis=2).astype(np.float32)
    a = low_light(img, exposure=0.5, shot_noise=0.002, read_noise=0.001, seed=5)
    assert np.array_equal(a, low_light(img, exposure=0.5, shot_noise=0.002, read_noise=0.001, seed=5))
    assert not np.array_equal(a, low_light(img, exposure=0.5, shot_noise=0.002, read_noise=0.001, seed=6))
    from vivid.ops.color import srgb_to_linear

    lin = srgb_to_linear(a.astype(np.float64))
    # Poisson: variance = shot_noise * signal (+ read noise^2), so the bright half is noisier
    dark_var, bright_var = lin[..., :32].var(), lin[..., 32:].var()
    expected_bright = 0.002 * 0.5 * float(srgb_to_linear(np.array(0.9))) + 0.001**2
    assert bright_var == pytest.approx(expected_bright, rel=0.1)
    assert dark_var < bright_var


def test_low_light_camera_noise_is_correlated_and_keeps_its_variance() -> None:
    from vivid.ops.color import srgb_to_linear

    flat = np.full((3, 96, 96), 0.6, dtype=np.float32)
    kw = dict(exposure=0.5, shot_noise=0.0, read_noise=0.01)
    white = srgb_to_linear(low_light(flat, **kw, seed=1).astype(np.float64)) - 0.5 * float(srgb_to_linear(np.array(0.6)))
    cam = srgb_to_linear(low_light(flat, **kw, noise_blur=1.5, channel_corr=0.8, seed=1).astype(np.float64))
    cam = cam - 0.5 * float(srgb_to_linear(np.array(0.6)))

    def lag1(n: np.ndarray) -> float:
        return float(np.corrcoef(n[1, :, :-1].ravel(), n[1, :, 1:].ravel())[0, 1])

    def red_blue(n: np.ndarray) -> float:
        return float(np.corrcoef(n[0].ravel(), n[2].ravel())[0, 1])

    # the per-pixel variance stays that of the read noise (0.01^2), within sampling error
    assert white.std() == pytest.approx(0.01, rel=0.05) and cam.std() == pytest.approx(0.01, rel=0.15)
    assert abs(lag1(white)) < 0.1 and abs(red_blue(white)) < 0.1
    assert lag1(cam) > 0.6 and red_blue(cam) == pytest.approx(0.8, abs=0.1)
    # without the new options the draws are what they were: independent noise from the same seed
    img = _image()
    plain = low_light(img, exposure=0.2, shot_noise=0.001, read_noise=0.002, seed=3)
    assert np.array_equal(plain, low_light(img, exposure=0.2, shot_noise=0.001, read_noise=0.002,
                                           noise_blur=0.0, channel_corr=0.0, seed=3))
    with pytest.raises(ConfigError, match="channel_corr"):
        low_light(img, exposure=0.2, channel_corr=1.5, seed=0)


# ------------------------------------------------------------------------------------------------ colour


def test_to_grayscale() -> None:
    img = _image()
    g3 = to_grayscale(img)
    assert g3.shape == img.shape and np.array_equal(g3[0], g3[1]) and np.array_equal(g3[1], g3[2])
    g1 = to_grayscale(img, keep_channels=False)
    assert g1.shape == (1,) + img.shape[1:]
    np.testing.assert_allclose(g1[0], 0.2989 * img[0] + 0.5870 * img[1] + 0.1140 * img[2], atol=1e-6)


def test_color_cast_by_gains_and_temperature() -> None:
    img = _image()
    np.testing.assert_allclose(color_cast(img, gains=(1, 1, 1)), img, atol=1e-6)
    np.testing.assert_allclose(color_cast(img, temperature=6504), img, atol=1e-6)
    gray = np.full((3, 8, 8), 0.5, dtype=np.float32)
    warm = color_cast(gray, temperature=3000)
    cool = color_cast(gray, temperature=10000)
    assert warm[0].mean() > warm[1].mean() > warm[2].mean()
    assert cool[2].mean() > cool[0].mean()
    r, g, b = temperature_gains(3000)
    assert 0.2126 * r + 0.7152 * g + 0.0722 * b == pytest.approx(1.0)
    with pytest.raises(ConfigError, match="exactly one"):
        color_cast(img)
    with pytest.raises(ConfigError, match="exactly one"):
        color_cast(img, gains=(1, 1, 1), temperature=5000)
    with pytest.raises(InputError, match=r"\(1, 64, 80\)"):
        color_cast(img[:1], gains=(1, 1, 1))


def test_functions_reject_bad_images_and_seeds() -> None:
    with pytest.raises(InputError, match=r"\(64, 80\)"):
        add_gaussian_noise(_image()[0], sigma=5, seed=0)
    with pytest.raises(InputError, match="uint8"):
        gaussian_blur(np.zeros((3, 8, 8), np.uint8), sigma=1)
    with pytest.raises(ConfigError, match="seed"):
        add_gaussian_noise(_image(), sigma=5, seed=-1)
    with pytest.raises(ConfigError, match="sigma"):
        add_gaussian_noise(_image(), sigma=-5, seed=0)


# ------------------------------------------------------------------------------------------------ pipeline


def test_degradation_parse_round_trip_and_scale() -> None:
    d = Degradation.parse("down:4,noise:25,jpeg:40")
    assert d.steps == (Down(4.0), Noise(25.0), Jpeg(40.0))
    assert str(d) == "down:4,noise:25,jpeg:40"
    assert d.scale == 4
    spec = "blur:0.5..2,motion:9/30,lowlight:0.1/1.2/0.001/0.002,cast:3000,gray,cast:1.1/1/0.9,jpeg:20..90"
    d2 = Degradation.parse(spec)
    assert str(d2) == spec and Degradation.parse(str(d2)) == d2
    assert d2.steps[1] == Motion(9.0, 30.0) and d2.steps[4] == Gray()
    assert d2.steps[2] == LowLight(0.1, 1.2, 0.001, 0.002) and d2.steps[5] == Cast(gains=(1.1, 1.0, 0.9))
    assert d2.scale == 1
    assert Degradation([Down(2), Down(3)]).scale == 6


def test_degradation_is_deterministic_and_applies_in_order() -> None:
    img = _image()
    d = Degradation.parse("down:4,noise:25,jpeg:40")
    out = d(img, seed=11)
    assert out.shape == (3, 16, 20) and out.dtype == np.float32
    assert np.array_equal(out, d(img, seed=11))
    assert not np.array_equal(out, d(img, seed=12))
    noisy = add_gaussian_noise(downscale(img, 4), sigma=25, seed=np.random.default_rng(11), clip=True)
    by_hand = jpeg(noisy, quality=40)
    assert np.array_equal(out, by_hand)


def test_degradation_ranges_are_drawn_within_bounds() -> None:
    img = np.full((3, 64, 64), 0.5, dtype=np.float32)
    d = Degradation.parse("noise:5..50")
    stds = [float((d(img, seed=s) - img).std()) * 255 for s in range(20)]
    assert all(4.5 < s < 51 for s in stds) and max(stds) - min(stds) > 10


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ("", "empty"),
        ("down:4,,jpeg:40", "empty step"),
        ("sharpen:2", "unknown degradation step 'sharpen'"),
        ("jpeg:0", "out of range"),
        ("jpeg:40.5", "out of range"),
        ("noise:abc", "'abc' is not a number"),
        ("noise", "takes 'noise:SIGMA'"),
        ("down:2..4", "no range"),
        ("down:0.5", ">= 1"),
        ("down:2/nearest", "kernel"),
        ("cast:1/2", "out of range"),
        ("cast:1/1..2/1", "no ranges"),
        ("cast:500", "out of range"),
        ("gray:3", "no arguments"),
        ("blur:3..1", "not a number or a range"),
    ],
)
def test_degradation_bad_specs_raise_config_error(spec: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        Degradation.parse(spec)
