"""vivid.metrics.color: CIEDE2000 against Sharma et al.'s test data, and colourfulness closed forms."""

from __future__ import annotations

import numpy as np
import pytest

from vivid.errors import InputError
from vivid.metrics import ciede2000, colorfulness, delta_e2000
from vivid.ops.color import rgb_to_lab

# All 34 pairs of Table 1 of G. Sharma, W. Wu, E. N. Dalal, "The CIEDE2000 color-difference formula:
# implementation notes, supplementary test data, and mathematical observations", Color Research and
# Application 30(1), 2005 (also ciede2000testdata.txt on the authors' site): L1 a1 b1 L2 a2 b2 dE00.
SHARMA_2005 = """
50.0000 2.6772 -79.7751 50.0000 0.0000 -82.7485 2.0425
50.0000 3.1571 -77.2803 50.0000 0.0000 -82.7485 2.8615
50.0000 2.8361 -74.0200 50.0000 0.0000 -82.7485 3.4412
50.0000 -1.3802 -84.2814 50.0000 0.0000 -82.7485 1.0000
50.0000 -1.1848 -84.8006 50.0000 0.0000 -82.7485 1.0000
50.0000 -0.9009 -85.5211 50.0000 0.0000 -82.7485 1.0000
50.0000 0.0000 0.0000 50.0000 -1.0000 2.0000 2.3669
50.0000 -1.0000 2.0000 50.0000 0.0000 0.0000 2.3669
50.0000 2.4900 -0.0010 50.0000 -2.4900 0.0009 7.1792
50.0000 2.4900 -0.0010 50.0000 -2.4900 0.0010 7.1792
50.0000 2.4900 -0.0010 50.0000 -2.4900 0.0011 7.2195
50.0000 2.4900 -0.0010 50.0000 -2.4900 0.0012 7.2195
50.0000 -0.0010 2.4900 50.0000 0.0009 -2.4900 4.8045
50.0000 -0.0010 2.4900 50.0000 0.0010 -2.4900 4.8045
50.0000 -0.0010 2.4900 50.0000 0.0011 -2.4900 4.7461
50.0000 2.5000 0.0000 50.0000 0.0000 -2.5000 4.3065
50.0000 2.5000 0.0000 73.0000 25.0000 -18.0000 27.1492
50.0000 2.5000 0.0000 61.0000 -5.0000 29.0000 22.8977
50.0000 2.5000 0.0000 56.0000 -27.0000 -3.0000 31.9030
50.0000 2.5000 0.0000 58.0000 24.0000 15.0000 19.4535
50.0000 2.5000 0.0000 50.0000 3.1736 0.5854 1.0000
50.0000 2.5000 0.0000 50.0000 3.2972 0.0000 1.0000
50.0000 2.5000 0.0000 50.0000 1.8634 0.5757 1.0000
50.0000 2.5000 0.0000 50.0000 3.2592 0.3350 1.0000
60.2574 -34.0099 36.2677 60.4626 -34.1751 39.4387 1.2644
63.0109 -31.0961 -5.8663 62.8187 -29.7946 -4.0864 1.2630
61.2901 3.7196 -5.3901 61.4292 2.2480 -4.9620 1.8731
35.0831 -44.1164 3.7933 35.0232 -40.0716 1.5901 1.8645
22.7233 20.0904 -46.6940 23.0331 14.9730 -42.5619 2.0373
36.4612 47.8580 18.3852 36.2715 50.5065 21.2231 1.4146
90.8027 -2.0831 1.4410 91.1528 -1.6435 0.0447 1.4441
90.9257 -0.5406 -0.9208 88.6381 -0.8985 -0.7239 1.5381
6.7747 -0.2908 -2.4247 5.8714 -0.0985 -2.2286 0.6377
2.0776 0.0795 -1.1350 0.9033 -0.0636 -0.5514 0.9082
"""


def _table() -> np.ndarray:
    return np.array([[float(v) for v in line.split()] for line in SHARMA_2005.strip().splitlines()])


def test_delta_e2000_reproduces_all_34_sharma_pairs() -> None:
    t = _table()
    assert t.shape == (34, 7)
    got = delta_e2000(t[:, 0:3].T, t[:, 3:6].T)
    # the table is printed to 4 decimals
    np.testing.assert_allclose(got, t[:, 6], atol=5e-5)
    # symmetric in its arguments
    np.testing.assert_allclose(delta_e2000(t[:, 3:6].T, t[:, 0:3].T), got, atol=1e-12)


def test_ciede2000_of_images() -> None:
    rng = np.random.default_rng(0)
    a = rng.random((3, 12, 10))
    assert ciede2000(a, a) == 0.0
    b = np.clip(a + 0.02, 0, 1)
    per_pixel = delta_e2000(rgb_to_lab(a), rgb_to_lab(b))
    assert per_pixel.shape == (12, 10)
    assert ciede2000(a, b) == pytest.approx(float(per_pixel.mean()))
    assert 0.5 < ciede2000(a, b) < 5
    with pytest.raises(InputError, match=r"\(1, 12, 10\)"):
        ciede2000(a[:1], b[:1])


def test_colorfulness_closed_forms() -> None:
    gray = np.full((3, 8, 8), 0.37)
    assert colorfulness(gray) == pytest.approx(0.0, abs=1e-9)
    # half pure red, half pure green (0..255): rg = +-255 (std 255, mean 0), yb = 127.5 (std 0)
    # -> M = sqrt(255^2 + 0) + 0.3 * sqrt(0 + 127.5^2) = 293.25
    img = np.zeros((3, 8, 8))
    img[0, :, :4] = 1.0
    img[1, :, 4:] = 1.0
    assert colorfulness(img) == pytest.approx(293.25, abs=1e-9)
    with pytest.raises(InputError, match=r"\(1, 8, 8\)"):
        colorfulness(gray[:1])
