"""vivid.metrics.ssim: closed forms, an independent reference implementation, input checks."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import correlate2d

from vivid.errors import InputError
from vivid.metrics import ssim, ssim_map, ssim_y


def _reference_ssim(x: np.ndarray, y: np.ndarray, peak: float) -> float:
    """A direct transcription of Wang et al.'s ssim_index.m (2-D window, filter2 'valid'), float64."""
    r = np.arange(11) - 5
    g = np.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / (2 * 1.5**2))
    w = g / g.sum()  # fspecial('gaussian', 11, 1.5)
    c1, c2 = (0.01 * peak) ** 2, (0.03 * peak) ** 2

    def f(img: np.ndarray) -> np.ndarray:
        return correlate2d(img, w, mode="valid")

    mu1, mu2 = f(x), f(y)
    s1, s2, s12 = f(x * x) - mu1**2, f(y * y) - mu2**2, f(x * y) - mu1 * mu2
    m = ((2 * mu1 * mu2 + c1) * (2 * s12 + c2)) / ((mu1**2 + mu2**2 + c1) * (s1 + s2 + c2))
    return float(m.mean())


def test_identical_images_score_one() -> None:
    a = np.random.default_rng(0).random((3, 20, 24))
    assert ssim(a, a) == pytest.approx(1.0, abs=1e-12)


def test_constant_images_have_closed_form_ssim() -> None:
    # zero variance: SSIM = (2 mu_x mu_y + C1) / (mu_x^2 + mu_y^2 + C1) with C1 = (0.01 L)^2
    a, b = np.full((1, 16, 16), 0.5), np.full((1, 16, 16), 0.6)
    expected = (2 * 0.5 * 0.6 + 1e-4) / (0.25 + 0.36 + 1e-4)
    assert ssim(a, b) == pytest.approx(expected, abs=1e-12)


def test_map_is_the_valid_region() -> None:
    a = np.random.default_rng(1).random((30, 41))
    assert ssim_map(a, a * 0.5).shape == (20, 31)


@pytest.mark.parametrize("peak", [1.0, 255.0])
def test_matches_an_independent_ssim_index_transcription(peak: float) -> None:
    rng = np.random.default_rng(2)
    x = rng.random((37, 45)) * peak
    y = np.clip(x + rng.normal(0, 0.1 * peak, x.shape), 0, peak)
    assert ssim(x, y, data_range=peak) == pytest.approx(_reference_ssim(x, y, peak), abs=1e-12)


def test_rgb_is_the_channel_mean_and_y_channel_uses_bt601() -> None:
    rng = np.random.default_rng(3)
    a = rng.random((3, 32, 32))
    b = np.clip(a + rng.normal(0, 0.05, a.shape), 0, 1)
    per_channel = [_reference_ssim(a[c], b[c], 1.0) for c in range(3)]
    assert ssim(a, b) == pytest.approx(np.mean(per_channel), abs=1e-12)

    def y255(x: np.ndarray) -> np.ndarray:
        r, g, bl = x * 255
        return 16 + (65.481 * r + 128.553 * g + 24.966 * bl) / 255

    ref = _reference_ssim(y255(a)[4:-4, 4:-4], y255(b)[4:-4, 4:-4], 255.0)
    assert ssim_y(a, b, shave=4) == pytest.approx(ref, abs=1e-12)
    # L = 1 on [0, 1] Y and L = 255 on [0, 255] Y are the same statistic
    assert ssim(a, b, y_channel=True, shave=4) == pytest.approx(ref, abs=1e-12)


def test_too_small_or_mismatched() -> None:
    with pytest.raises(InputError, match="11x11"):
        ssim(np.zeros((1, 20, 20)), np.zeros((1, 20, 20)), shave=5)
    with pytest.raises(InputError, match=r"\(3, 20, 20\) vs \(1, 20, 20\)"):
        ssim(np.zeros((3, 20, 20)), np.zeros((1, 20, 20)))
