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
def test_uint8_bicubic_equals_the_golden_values_but_at_rounding_ties(name: str, scale: float) -> None:
    """The SR protocol's path (8-bit after each pass): MATLAB rounds half away from zero, vivid half to even,
    so a value that lands exactly on a half level may differ by 1; at most 1 level, on under 1 % of values."""
    golden = np.load(RESIZE / "bicubic.npz")[f"{name}_{scale:.4f}_uint8"]
    out = np.rint(imresize(read_png(RESIZE / f"{name}.png") / 255.0, scale, quantize=8) * 255).astype(np.uint8)
    assert out.shape == golden.shape
    assert levels(out, golden) <= 1
    assert np.mean(out != golden) < 0.01


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
