"""MATLAB ``imresize`` bicubic on small fixtures, without ../shared (issue 22: swapping the cubic kernel for
OpenCV's a = -0.75 used to pass every core test).

Golden values: tests/fixtures/resize (README.md there says how they were made and checked against
MATLAB-made files). An independent second check needs no fixture: Pillow's float bicubic (Keys' cubic
convolution, a = -0.5, stretched when shrinking) equals MATLAB's away from the borders, where Pillow clamps
instead of mirroring.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tests.fixtures.golden import FIXTURES, levels, read_json, read_png, sha256
from vivid.ops.resize import imresize

RESIZE = FIXTURES / "resize"
CASES = [("down", 1 / 2), ("down", 1 / 3), ("down", 1 / 4), ("up", 2), ("up", 3)]


def test_the_fixture_files_are_the_recorded_ones() -> None:
    for line in (RESIZE / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        assert sha256(RESIZE / name) == digest, name


@pytest.mark.parametrize("name,scale", CASES)
def test_float_bicubic_equals_the_golden_values(name: str, scale: float) -> None:
    """Float path (no rounding): within 1e-6 on [0, 1], i.e. 0.0003 8-bit levels."""
    golden = np.load(RESIZE / "bicubic.npz")[f"{name}_{scale:.4f}_float"]
    out = imresize(read_png(RESIZE / f"{name}.png") / 255.0, scale)
    assert out.shape == golden.shape
    np.testing.assert_allclose(out, golden, rtol=0, atol=1e-6)


@pytest.mark.parametrize("name,scale", CASES)
def test_uint8_bicubic_equals_the_golden_values_exactly(name: str, scale: float) -> None:
    """The SR protocol's path (MATLAB on a uint8 image: 8-bit after each pass, halves rounded away from zero):
    bit-exact, float32 input as vivid's reader gives it. (Rounding halves to even, as vivid did until
    2026-12-07, missed by 1 level on 0.4-1 % of the values at x2 and x1/2.)"""
    golden = np.load(RESIZE / "bicubic.npz")[f"{name}_{scale:.4f}_uint8"]
    x = (read_png(RESIZE / f"{name}.png") / 255.0).astype(np.float32)
    out = np.rint(imresize(x, scale, quantize=8) * 255).astype(np.uint8)
    assert out.shape == golden.shape
    assert levels(out, golden) == 0


@pytest.mark.parametrize("level", range(1, 32, 2))
def test_uint8_path_rounds_halves_away_from_zero_on_shrinking(level: int) -> None:
    """Shrinking x2 a step from 0 to an odd ``level`` puts the output pixel astride it at exactly level/2:
    MATLAB's weights there are (-3, -9, 29, 111 | 111, 29, -9, -3) / 256, 128/256 on either side. MATLAB's
    uint8 gives (level + 1) / 2; numpy's rint gives the even neighbour (one less for level 1, 5, 9, ...), and
    filtering values on [0, 1] instead of levels moves the half a rounding error either way (the code before
    2026-12-07 gave 1 for level 3 and 3 for level 7)."""
    step = np.zeros((1, 8, 8), np.float32)
    step[..., 3:] = level / 255  # columns 4.. (1-based) at ``level``; output column 2 sits at 3.5
    out = np.rint(imresize(step, 1 / 2, quantize=8) * 255)
    assert out.shape == (1, 4, 4)
    np.testing.assert_array_equal(out[0, :, 1], (level + 1) // 2)
    np.testing.assert_array_equal(out[0, :, 0], 0)  # -9 and -3 on the step: negative, saturated


def test_uint8_path_rounds_halves_away_from_zero_on_enlarging() -> None:
    """Enlarging x2 a step from 0 to 32: the two output pixels nearest the edge are exactly 32 * 26/128 = 6.5
    and 32 * 102/128 = 25.5 (weights (-9, 111, 29, -3)/128 and their mirror); MATLAB gives 7 and 26, rint 6
    and 26. Around them: -2.25 saturated to 0, and the overshoot 34.25 -> 34."""
    step = np.zeros((1, 4, 8), np.float32)
    step[..., 4:] = 32 / 255
    out = np.rint(imresize(step, 2, quantize=8) * 255)[0, 0]
    np.testing.assert_array_equal(out[6:10], [0, 7, 26, 34])


@pytest.mark.parametrize("name,scale", CASES)
def test_interior_equals_pillows_float_bicubic(name: str, scale: float) -> None:
    x = read_png(RESIZE / f"{name}.png")[0] / 255.0
    out = imresize(x[None], scale)[0]
    h, w = out.shape
    pil = np.asarray(Image.fromarray(x.astype(np.float32), "F").resize((w, h), Image.Resampling.BICUBIC))
    m = 3 if scale < 1 else 2 * int(scale)  # away from the borders (mirrored here, clamped in Pillow)
    np.testing.assert_allclose(out[m:-m, m:-m], pil[m:-m, m:-m], rtol=0, atol=1e-6)


def test_golden_metrics_of_the_round_trip() -> None:
    """PSNR-Y / SSIM-Y of the x2 round trip, as recorded (reference transcriptions of their definitions)."""
    from vivid.metrics import psnr_y, ssim_y

    want = read_json(RESIZE / "metrics.json")
    hr, sr = (read_png(RESIZE / f) / 255.0 for f in ("down.png", "down_x2_roundtrip.png"))
    assert psnr_y(sr, hr, shave=2) == pytest.approx(want["psnr_y"], abs=1e-9)
    assert ssim_y(sr, hr, shave=2) == pytest.approx(want["ssim_y"], abs=1e-9)
