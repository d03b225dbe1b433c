"""vivid.io.image's conversion to integer levels: halves rounded away from zero, as MATLAB's uint8()/im2uint8."""

from __future__ import annotations

import numpy as np
import pytest

from vivid.errors import InputError
from vivid.io.image import quantize, round_half_away, to_levels, to_uint


def test_round_half_away_from_zero() -> None:
    x = np.array(
        [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 254.5, -0.49999999999999994, 0.49999999999999994, 1.2, -1.7]
    )
    np.testing.assert_array_equal(round_half_away(x), [-3, -2, -1, 1, 2, 3, 255, 0, 0, 1, -2])
    assert np.rint(2.5) == 2  # numpy rounds this half to even: the behaviour replaced here
    assert round_half_away(np.float32([2.5])).dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_to_uint_and_quantize_round_halves_up_like_im2uint8(dtype: type) -> None:
    """Pixels whose 8-bit value is exactly k + 0.5 (found, not assumed: float error moves most of them) go to
    k + 1 as ``im2uint8`` does, where ``rint`` sends even k + 0.5 down to k."""
    v = ((np.arange(255) + 0.5) / 255).astype(dtype)
    ties = v[(v * dtype(255)) % 1 == 0.5]
    even = ties[np.floor(ties * dtype(255)) % 2 == 0]
    assert even.size > 0
    want = np.floor(even * dtype(255)) + 1
    np.testing.assert_array_equal(to_uint(even), want)
    assert not np.array_equal(np.rint(even * dtype(255)), want)
    np.testing.assert_allclose(quantize(even) * 255, want, rtol=0, atol=1e-4)
    np.testing.assert_array_equal(to_uint(np.array([-0.2, 0.0, 1.0, 1.3])), [0, 0, 255, 255])


def test_to_levels_16_bit_and_bad_depth() -> None:
    assert to_uint(np.array([0.5]), 16).dtype == np.uint16
    np.testing.assert_array_equal(to_levels(np.array([0.0, 1.0]), 16), [0, 65535])
    with pytest.raises(InputError, match="bit depth must be 8 or 16, got 12"):
        to_levels(np.array([0.5]), 12)


@pytest.mark.parametrize("bit_depth", [8, 16])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_to_levels_is_round_half_away_then_saturate(bit_depth: int, dtype: type) -> None:
    """to_levels takes a faster route than :func:`round_half_away`: the same levels on random values, every
    tie, every level and the values one step below each tie."""
    peak = 2**bit_depth - 1
    ties = ((np.arange(peak) + 0.5) / peak).astype(dtype)
    v = np.concatenate([np.random.default_rng(0).random(100_000).astype(dtype) * 1.4 - 0.2, ties,
                        np.nextafter(ties, dtype(0)), (np.arange(peak + 1) / peak).astype(dtype)])
    want = np.clip(round_half_away(v * dtype(peak)), 0, peak)
    got = to_levels(v, bit_depth)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, want)
