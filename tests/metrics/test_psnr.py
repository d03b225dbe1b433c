"""vivid.metrics.psnr: closed-form golden values and input checks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vivid.errors import ConfigError, InputError
from vivid.metrics import psnr, psnr_b, psnr_y
from vivid.metrics.psnr import blocking_effect_factor


def test_constant_offset_has_closed_form_psnr() -> None:
    # MSE of a constant offset d is d^2, so PSNR = 20 log10(1 / d): d = 0.01 -> exactly 40 dB
    a = np.full((3, 20, 30), 0.5)
    assert psnr(a + 0.01, a) == pytest.approx(40.0, abs=1e-9)
    assert psnr(a * 255 + 2.55, a * 255, data_range=255) == pytest.approx(40.0, abs=1e-9)
    # float32 inputs (the internal form) are accumulated in float64: only the inputs' rounding remains
    a32 = a.astype(np.float32)
    assert psnr(a32 + np.float32(0.01), a32) == pytest.approx(40.0, abs=1e-5)


def test_psnr_matches_a_direct_mse_formula() -> None:
    rng = np.random.default_rng(0)
    a = rng.random((3, 31, 29))
    b = np.clip(a + rng.normal(0, 0.05, a.shape), 0, 1)
    mse = np.mean((a - b) ** 2)
    assert psnr(a, b) == pytest.approx(10 * math.log10(1 / mse), abs=1e-12)
    assert psnr(a, b) == psnr(b, a)
    s = 4
    mse_shaved = np.mean((a[:, s:-s, s:-s] - b[:, s:-s, s:-s]) ** 2)
    assert psnr(a, b, shave=s) == pytest.approx(10 * math.log10(1 / mse_shaved), abs=1e-12)
    assert psnr(a, a) == math.inf


def test_psnr_y_is_eval_md_luma_on_the_255_scale() -> None:
    # an equal offset d on R, G and B moves Y by (65.481 + 128.553 + 24.966) d = 219 d (0..255 scale)
    hr = np.full((3, 16, 16), 0.4)
    d = 1 / 255
    expected = 20 * math.log10(255 / (219 * d))  # = 1.3221 dB more than the RGB PSNR
    assert psnr_y(hr + d, hr, shave=2) == pytest.approx(expected, abs=1e-9)
    assert psnr(hr + d, hr, y_channel=True) == pytest.approx(expected, abs=1e-9)
    # an error only in the border is shaved away
    sr = hr.copy()
    sr[:, 0, :] += 0.1
    assert psnr_y(sr, hr, shave=1) == math.inf
    assert psnr_y(sr, hr, shave=0) < 40
    # a gray image is its own Y (as the standard MATLAB SR scripts do; reproduces published Set14)
    assert psnr_y(hr[:1] + d, hr[:1], shave=0) == pytest.approx(20 * math.log10(255), abs=1e-9)


def test_psnr_y_random_against_independent_formula() -> None:
    rng = np.random.default_rng(1)
    hr = rng.random((3, 40, 36))
    sr = np.clip(hr + rng.normal(0, 0.03, hr.shape), 0, 1)

    def y(x: np.ndarray) -> np.ndarray:
        r, g, b = x * 255
        return 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255

    mse = np.mean((y(sr)[3:-3, 3:-3] - y(hr)[3:-3, 3:-3]) ** 2)
    assert psnr_y(sr, hr, shave=3) == pytest.approx(10 * math.log10(255**2 / mse), abs=1e-10)


def test_shape_mismatch_names_both_shapes() -> None:
    with pytest.raises(InputError, match=r"\(3, 10, 10\) vs \(3, 10, 12\)"):
        psnr(np.zeros((3, 10, 10)), np.zeros((3, 10, 12)))
    with pytest.raises(InputError, match="one image"):
        psnr(np.zeros((2, 3, 10, 10)), np.zeros((2, 3, 10, 10)))
    with pytest.raises(InputError, match=r"\(4, 10, 10\)"):
        psnr(np.zeros((4, 10, 10)), np.zeros((4, 10, 10)), y_channel=True)


def test_refuses_values_off_the_stated_scale() -> None:
    a = np.full((3, 8, 8), 200.0)
    with pytest.raises(InputError, match="data_range=255"):
        psnr(a, a + 1)
    with pytest.raises(ConfigError, match="data_range"):
        psnr(a, a, data_range=0)


def test_bad_shave() -> None:
    a = np.zeros((1, 8, 8))
    with pytest.raises(InputError, match="shave=4"):
        psnr(a, a, shave=4)
    with pytest.raises(ConfigError, match="shave"):
        psnr(a, a, shave=-1)


def test_psnr_b_adds_the_blocking_effect_factor_to_the_mse() -> None:
    """Yim & Bovik's PSNR-B: a smooth error scores its plain Y PSNR; the same error power placed as steps on
    the 8-pixel block grid scores lower. The factor by hand for a tiny plane: steps of 0.1 at every block
    boundary column of a 16x16 plane (one boundary column at j=7), none inside."""
    yy, xx = np.mgrid[0:64, 0:64] / 128.0
    ref = np.stack([0.25 + xx, 0.3 + yy, 0.2 + (xx + yy) / 2])  # a ramp: every step the same size
    smooth = ref + 0.01
    assert psnr_b(smooth, ref) == pytest.approx(psnr(smooth, ref, y_channel=True), abs=1e-9)
    plane = np.zeros((16, 16))
    plane[:, 8:] = 0.1  # a step between columns 7 and 8: the block boundary
    # boundary steps: 16 rows x 1 column (+ 16 columns x 1 row of zero steps) = 32 places, sum 16 * 0.01
    # inside: 16*15 + 16*15 - 32 = 448 places, sum 0; factor log2(8)/log2(16) = 0.75
    assert blocking_effect_factor(plane) == pytest.approx(0.75 * (16 * 0.01 / 32), rel=1e-9)
    assert blocking_effect_factor(plane.T) == pytest.approx(blocking_effect_factor(plane), rel=1e-9)
    blocky = ref.copy()
    blocky[:, :, 8::16] += 0.05  # steps on the grid
    assert psnr_b(blocky, ref) < psnr(blocky, ref, y_channel=True) - 0.1
