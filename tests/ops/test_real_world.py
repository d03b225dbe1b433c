"""The real-world SR degradation chain (vivid.ops.real_world): sizes, seeds, and that it degrades."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.images import photo_like
from vivid.errors import InputError
from vivid.metrics import psnr_y
from vivid.ops.real_world import (
    BENCH_CHAIN,
    X2_RANGES,
    BlurKernel,
    Chain,
    NoiseModel,
    Stage,
    apply_chain,
    degrade_real,
    draw_chain,
)
from vivid.ops.resize import imresize

CLEAN = Stage(None, 1.0, "cubic", None, None)


def _hr(h: int = 96, w: int = 128, seed: int = 0) -> np.ndarray:
    return photo_like(h, w, seed=seed)


def test_output_is_the_lr_size_in_8_bit_levels() -> None:
    hr = _hr(96, 128)
    for seed in range(8):  # up, down and kept resizes, every method
        lr = degrade_real(hr, 2, np.random.default_rng(seed))
        assert lr.shape == (3, 48, 64) and lr.dtype == np.float32
        assert np.allclose(lr * 255, np.rint(lr * 255), atol=1e-4)  # the final JPEG stores 8-bit values
    assert BENCH_CHAIN.describe(2).count("JPEG") == 2


def test_same_seed_same_output_other_seed_other_output() -> None:
    hr = _hr()
    a = degrade_real(hr, 2, np.random.default_rng(3))
    b = degrade_real(hr, 2, np.random.default_rng(3))
    c = degrade_real(hr, 2, np.random.default_rng(4))
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    assert draw_chain(np.random.default_rng(5)) == draw_chain(np.random.default_rng(5))


def test_the_chain_really_degrades() -> None:
    """Upscaled back by bicubic, chained inputs are far worse than the clean bicubic LR of the same image."""
    hr = _hr(128, 128)
    clean_lr = apply_chain(hr, Chain(CLEAN, CLEAN, "cubic", 100), 2, np.random.default_rng(0))
    clean = psnr_y(np.clip(imresize(clean_lr, 2.0), 0, 1), hr, shave=2)
    for seed in range(4):
        lr = degrade_real(hr, 2, np.random.default_rng(seed))
        assert psnr_y(np.clip(imresize(lr, 2.0), 0, 1), hr, shave=2) < clean - 1.0
    bench = apply_chain(hr, BENCH_CHAIN, 2, np.random.default_rng(0))
    assert psnr_y(np.clip(imresize(bench, 2.0), 0, 1), hr, shave=2) < clean - 2.0


def test_without_degradation_the_lr_is_aligned_with_the_hr() -> None:
    """No blur, noise or resize: the LR grid is centred on the HR grid (no shift beats no shift)."""
    hr = _hr(128, 128)
    up = np.clip(imresize(apply_chain(hr, Chain(CLEAN, CLEAN, "cubic", 100), 2, np.random.default_rng(0)), 2.0), 0, 1)
    scores = {(dy, dx): psnr_y(np.roll(up, (dy, dx), axis=(1, 2)), hr, shave=4) for dy in (-1, 0, 1) for dx in (-1, 0, 1)}
    assert max(scores, key=scores.get) == (0, 0)


def test_blur_kernels_are_normalised_and_anisotropic_ones_rotate() -> None:
    k = BlurKernel(2.0, 0.5, 0.0, 21).kernel()
    assert k.shape == (21, 21) and math.isclose(k.sum(), 1.0, rel_tol=1e-9)
    spread_x = (k.sum(axis=0) * (np.arange(21) - 10) ** 2).sum()
    spread_y = (k.sum(axis=1) * (np.arange(21) - 10) ** 2).sum()
    assert spread_x > 4 * spread_y  # wide along x
    r = BlurKernel(2.0, 0.5, math.pi / 2, 21).kernel()
    assert np.allclose(r, k.T, atol=1e-9)  # rotated a quarter turn: wide along y


def test_gray_noise_is_the_same_on_every_channel() -> None:
    flat = np.full((3, 64, 64), 0.5, dtype=np.float32)
    for kind, level in (("gaussian", 10.0), ("poisson", 1.0)):
        st = Stage(None, 1.0, "area", NoiseModel(kind, level, gray=True), None)
        out = apply_chain(flat, Chain(st, CLEAN, "area", 100), 1, np.random.default_rng(0))
        assert out.std() > 2 / 255
        assert np.abs(out[0] - out[1]).max() < 3 / 255  # equal noise, up to the JPEG's colour rounding
        colour = Stage(None, 1.0, "area", NoiseModel(kind, level, gray=False), None)
        out = apply_chain(flat, Chain(colour, CLEAN, "area", 100), 1, np.random.default_rng(0))
        assert np.abs(out[0] - out[1]).mean() > 2 / 255


def test_ranges_are_drawn_as_declared() -> None:
    rng = np.random.default_rng(0)
    chains = [draw_chain(rng) for _ in range(300)]
    r1 = X2_RANGES.first
    assert all(c.first.blur is not None for c in chains)  # blur_prob 1
    assert all(r1.quality[0] <= c.first.quality <= r1.quality[1] for c in chains)
    assert all(c.second.quality is None for c in chains)  # the second order's JPEG is the final one
    assert {c.final_method for c in chains} == {"area", "linear", "cubic"}
    aniso = np.mean([c.first.blur.sigma_x != c.first.blur.sigma_y for c in chains])
    assert 0.35 < aniso < 0.65
    assert all(c.first.blur.size % 2 == 1 and 7 <= c.first.blur.size <= 21 for c in chains)


def test_a_gray_array_is_refused_clearly() -> None:
    with pytest.raises(InputError, match="RGB"):
        apply_chain(np.zeros((1, 32, 32), np.float32), BENCH_CHAIN, 2, np.random.default_rng(0))
