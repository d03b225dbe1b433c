"""Tiled inference: exact for local models, seam-free blending, bounded strips."""

from __future__ import annotations

import numpy as np
import pytest

from vivid.engine.tiling import iter_tiled, pad_to_multiple, plan_cores, run_tiled
from vivid.errors import ConfigError


def box_then_upsample(x: np.ndarray, radius: int = 3, scale: int = 2) -> np.ndarray:
    """A local operator with receptive radius ``radius``: zero-padded box filter, then nearest upsampling."""
    c, h, w = x.shape
    p = np.pad(x, ((0, 0), (radius, radius), (radius, radius)))
    out = np.zeros_like(x)
    for dy in range(2 * radius + 1):
        for dx in range(2 * radius + 1):
            out += p[:, dy : dy + h, dx : dx + w]
    out /= (2 * radius + 1) ** 2
    return out.repeat(scale, axis=1).repeat(scale, axis=2)


@pytest.mark.parametrize("tile,overlap", [(16, 8), (23, 10), (40, 6), (1000, 8)])
def test_tiled_equals_untiled_when_overlap_covers_receptive_field(tile: int, overlap: int) -> None:
    rng = np.random.default_rng(1)
    x = rng.random((3, 61, 77)).astype(np.float32)
    ref = box_then_upsample(x)
    got = run_tiled(box_then_upsample, x, scale=2, tile=tile, overlap=overlap)
    assert got.shape == ref.shape
    # radius 3 <= overlap / 2 for every case: the result is exact up to float rounding
    assert np.abs(got - ref).max() < 1e-5


def test_blending_weights_sum_to_one() -> None:
    """With an operator that ignores content (constant 1), any seam would show as a value != 1."""
    x = np.zeros((1, 50, 70), dtype=np.float32)
    got = run_tiled(lambda t: np.ones((1, t.shape[1] * 3, t.shape[2] * 3), np.float32), x, scale=3, tile=17, overlap=9)
    assert got.shape == (1, 150, 210)
    assert np.allclose(got, 1.0, atol=1e-6)


def test_small_overlap_blends_instead_of_seams() -> None:
    """Receptive radius larger than overlap/2: not exact, but no hard seam (error stays small and smooth)."""
    rng = np.random.default_rng(2)
    x = rng.random((1, 64, 64)).astype(np.float32)
    ref = box_then_upsample(x, radius=4, scale=1)
    got = run_tiled(lambda t: box_then_upsample(t, radius=4, scale=1), x, scale=1, tile=20, overlap=4)
    assert np.abs(got - ref).max() < 0.1


def test_strips_arrive_in_order_and_cover_output() -> None:
    x = np.random.default_rng(3).random((1, 90, 40)).astype(np.float32)
    starts, total = [], 0
    for row0, rows in iter_tiled(lambda t: t, x, scale=1, tile=20, overlap=8):
        starts.append(row0)
        assert row0 == total
        total += rows.shape[1]
    assert total == 90 and len(starts) > 1


def test_plan_cores_partition() -> None:
    cores = plan_cores(100, 30)
    assert cores[0][0] == 0 and cores[-1][1] == 100
    assert all(a[1] == b[0] for a, b in zip(cores, cores[1:]))
    assert max(b - a for a, b in cores) <= 30


def test_bad_tile_options() -> None:
    x = np.zeros((1, 8, 8), np.float32)
    with pytest.raises(ConfigError, match="tile size"):
        run_tiled(lambda t: t, x, scale=1, tile=4, overlap=2)
    with pytest.raises(ConfigError, match="overlap"):
        run_tiled(lambda t: t, x, scale=1, tile=8, overlap=-1)


def test_overlap_larger_than_tile_still_sums_to_one() -> None:
    """Found in review: an overlap wider than the tile core must not break the cross-fade."""
    x = np.random.default_rng(4).random((1, 150, 190)).astype(np.float32)
    for overlap in (32, 40, 48):
        got = run_tiled(lambda t: t, x, scale=1, tile=40, overlap=overlap)
        assert np.abs(got - x).max() < 1e-5, overlap


def test_windows_start_on_the_model_grid() -> None:
    """Found in review: a network that downsamples by 8 inside is only shift-equivariant on an 8-pixel grid
    (the end-to-end check is test_api's tiled-equals-untiled for vivid-denoise)."""

    def record(t: np.ndarray) -> np.ndarray:
        assert t.shape[1] % 8 == 0 and t.shape[2] % 8 == 0
        return t

    x = np.random.default_rng(5).random((1, 96, 120)).astype(np.float32)
    got = run_tiled(record, x, scale=1, tile=20, overlap=12, multiple=8)
    assert np.abs(got - x).max() < 1e-5


def test_pad_to_multiple_mirrors_or_repeats_the_last_pixels() -> None:
    x = np.arange(2 * 5 * 7, dtype=np.float32).reshape(2, 5, 7)
    assert pad_to_multiple(x, 1) is x and pad_to_multiple(x[:, :4, :4], 4).shape == (2, 4, 4)
    m = pad_to_multiple(x, 4)
    assert m.shape == (2, 8, 8) and np.array_equal(m[:, :5, :7], x)
    assert np.array_equal(m[:, 5, :7], x[:, 3]) and np.array_equal(m[:, :5, 7], x[:, :, 5])  # mirrored
    e = pad_to_multiple(x, 4, fill="edge")
    assert np.array_equal(e[:, 5, :7], x[:, 4]) and np.array_equal(e[:, 7, :7], x[:, 4])  # the last row repeated
    assert np.array_equal(e[:, :5, 7], x[:, :, 6])
    assert pad_to_multiple(x[:, :2, :2], 8).shape == (2, 8, 8)  # too small to mirror: repeated
    assert np.array_equal(pad_to_multiple(x[:, :2, :2], 8)[:, 7, 7], x[:, 1, 1])
    assert pad_to_multiple(x[None], 4, minimum=12).shape == (1, 2, 12, 12)  # batches too, at least minimum
