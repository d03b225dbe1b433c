"""vivid.ops.color: MATLAB/BT.601 reference values, round trips and numpy/torch agreement."""

from __future__ import annotations

import colorsys

import numpy as np
import pytest

from vivid.errors import InputError
from vivid.ops.color import (
    hsv_to_rgb,
    lab_to_rgb,
    linear_to_srgb,
    rgb_to_gray,
    rgb_to_hsv,
    rgb_to_lab,
    rgb_to_y,
    rgb_to_ycbcr,
    srgb_to_linear,
    ycbcr_to_rgb,
)


def _pixels(*rgb: tuple[float, float, float]) -> np.ndarray:
    """Colours as an image (3, 1, N), float64."""
    return np.array(rgb, dtype=np.float64).T[:, None, :]


def _random_rgb(shape: tuple[int, ...] = (3, 17, 23), seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random(shape)


# ITU-R BT.601 100 % colour bars in 8-bit studio swing (Y, Cb, Cr), the values MATLAB's rgb2ycbcr gives
# on uint8 input: origT = [65.481 128.553 24.966; -37.797 -74.203 112; 112 -93.786 -18.214], offset
# [16; 128; 128] (rgb2ycbcr.m). White maps to [235 128 128] and black to [16 128 128].
BARS = {
    (1, 1, 1): (235, 128, 128),
    (1, 1, 0): (210, 16, 146),
    (0, 1, 1): (170, 166, 16),
    (0, 1, 0): (145, 54, 34),
    (1, 0, 1): (106, 202, 222),
    (1, 0, 0): (81, 90, 240),
    (0, 0, 1): (41, 240, 110),
    (0, 0, 0): (16, 128, 128),
}


def test_rgb_to_ycbcr_matches_bt601_colour_bars() -> None:
    rgb = _pixels(*BARS)
    ycbcr = rgb_to_ycbcr(rgb)[:, 0, :].T * 255.0
    assert np.array_equal(np.rint(ycbcr), np.array(list(BARS.values()), dtype=np.float64))


def test_rgb_to_ycbcr_exact_double_values() -> None:
    # MATLAB, double input (T and offset of rgb2ycbcr.m divided by 255):
    # rgb2ycbcr([1 1 1]) = [235 128 128]/255, rgb2ycbcr([1 0 0]) = [81.481 90.203 240]/255
    out = rgb_to_ycbcr(_pixels((1, 1, 1), (1, 0, 0)))[:, 0, :].T
    np.testing.assert_allclose(out[0], np.array([235, 128, 128]) / 255, atol=1e-12)
    np.testing.assert_allclose(out[1], np.array([81.481, 90.203, 240.0]) / 255, atol=1e-12)


def test_rgb_to_y_is_the_eval_md_formula_and_keeps_the_channel_axis() -> None:
    rgb = _random_rgb((2, 3, 8, 9))
    y = rgb_to_y(rgb)
    assert y.shape == (2, 1, 8, 9)
    r, g, b = rgb[:, 0:1] * 255, rgb[:, 1:2] * 255, rgb[:, 2:3] * 255
    np.testing.assert_allclose(y * 255, 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255, atol=1e-10)
    np.testing.assert_allclose(y, rgb_to_ycbcr(rgb)[:, 0:1], atol=1e-12)


def test_ycbcr_round_trip() -> None:
    rgb = _random_rgb()
    np.testing.assert_allclose(ycbcr_to_rgb(rgb_to_ycbcr(rgb)), rgb, atol=1e-12)


def test_float32_in_float32_out() -> None:
    rgb = _random_rgb().astype(np.float32)
    for fn in (rgb_to_ycbcr, ycbcr_to_rgb, rgb_to_y, rgb_to_gray, rgb_to_lab, rgb_to_hsv, hsv_to_rgb):
        assert fn(rgb).dtype == np.float32, fn.__name__


def test_rgb_to_gray_matches_pillow_within_one_level() -> None:
    from PIL import Image as PILImage

    u8 = np.random.default_rng(1).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    pil = np.asarray(PILImage.fromarray(u8).convert("L"), dtype=np.float64)
    ours = rgb_to_gray(np.moveaxis(u8, -1, 0).astype(np.float64) / 255)[0] * 255
    assert np.abs(ours - pil).max() <= 1.0
    # MATLAB rgb2gray weights: 0.2989 R + 0.5870 G + 0.1140 B
    np.testing.assert_allclose(rgb_to_gray(_pixels((1, 0, 0), (0, 1, 0)))[0, 0], [0.2989, 0.5870])


def test_rgb_to_lab_reference_values() -> None:
    # sRGB D65 references (Bruce Lindbloom's calculator, sRGB, D65): red -> (53.2408, 80.0925, 67.2032),
    # white -> (100, 0, 0). Our white point is the sRGB matrix's row sums (D65 to 4 decimals): 0.05 tolerance.
    lab = rgb_to_lab(_pixels((1, 0, 0), (1, 1, 1), (0, 0, 0), (0.5, 0.5, 0.5)))[:, 0, :].T
    np.testing.assert_allclose(lab[0], [53.2408, 80.0925, 67.2032], atol=0.05)
    np.testing.assert_allclose(lab[1], [100, 0, 0], atol=1e-9)
    np.testing.assert_allclose(lab[2], [0, 0, 0], atol=1e-9)
    # grays are exactly neutral; sRGB 0.5 is L* = 53.389
    np.testing.assert_allclose(lab[3], [53.389, 0, 0], atol=1e-3)


def test_lab_round_trip() -> None:
    rgb = _random_rgb()
    np.testing.assert_allclose(lab_to_rgb(rgb_to_lab(rgb)), rgb, atol=1e-9)


def test_srgb_transfer_round_trip_and_known_point() -> None:
    x = np.linspace(0, 1, 101)
    np.testing.assert_allclose(linear_to_srgb(srgb_to_linear(x)), x, atol=1e-12)
    assert srgb_to_linear(np.array(0.5)) == pytest.approx(0.21404, abs=1e-5)


def test_hsv_matches_colorsys_and_round_trips() -> None:
    rgb = _random_rgb((3, 5, 7))
    rgb[:, 0, 0] = 0.3  # a gray pixel: hue and saturation 0
    hsv = rgb_to_hsv(rgb)
    for i in range(5):
        for j in range(7):
            ref = colorsys.rgb_to_hsv(*rgb[:, i, j])
            np.testing.assert_allclose(hsv[:, i, j], ref, atol=1e-12)
    np.testing.assert_allclose(hsv_to_rgb(hsv), rgb, atol=1e-12)


@pytest.mark.parametrize("fn", [rgb_to_ycbcr, ycbcr_to_rgb, rgb_to_y, rgb_to_gray, rgb_to_lab, lab_to_rgb])
def test_rejects_wrong_shapes_and_integer_images(fn) -> None:
    with pytest.raises(InputError, match=r"\(4, 5, 6\)"):
        fn(np.zeros((4, 5, 6)))
    with pytest.raises(InputError, match="uint8"):
        fn(np.zeros((3, 5, 6), dtype=np.uint8))


@pytest.mark.parametrize(
    "fn", [rgb_to_ycbcr, ycbcr_to_rgb, rgb_to_y, rgb_to_gray, rgb_to_lab, lab_to_rgb, rgb_to_hsv, hsv_to_rgb]
)
def test_torch_agrees_with_numpy(fn) -> None:
    torch = pytest.importorskip("torch")
    x = _random_rgb((2, 3, 9, 11), seed=3)
    if fn is lab_to_rgb:
        x = rgb_to_lab(x)
    ref = fn(x)
    t64 = fn(torch.from_numpy(x))
    assert isinstance(t64, torch.Tensor) and t64.dtype == torch.float64
    np.testing.assert_allclose(t64.numpy(), ref, atol=1e-10)
    t32 = fn(torch.from_numpy(x).float())
    assert t32.dtype == torch.float32
    np.testing.assert_allclose(t32.numpy(), ref, atol=1e-4)


def test_torch_gradients_are_finite_at_black_and_white() -> None:
    torch = pytest.importorskip("torch")
    x = torch.tensor(_pixels((0, 0, 0), (1, 1, 1), (0.5, 0.2, 0.9)), requires_grad=True)
    (rgb_to_lab(x).sum() + rgb_to_y(x).sum()).backward()
    assert torch.isfinite(x.grad).all()
