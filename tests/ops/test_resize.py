"""OpenCV plane resizing (vivid.ops.resize.resize_planes); MATLAB imresize is tested with the degradations."""

from __future__ import annotations

import numpy as np


def test_resize_planes_keeps_leading_axes_and_picks_the_method() -> None:
    """OpenCV resizing for previews and the engine: any leading axes, uint8 or float; "auto" averages
    when shrinking (a checkerboard becomes flat gray) and interpolates when enlarging."""
    from vivid.ops.resize import resize_planes

    board = (np.indices((2, 3, 8, 8)).sum(0) % 2).astype(np.float32)  # 1-pixel checkerboard per plane
    small = resize_planes(board, (4, 4))
    assert small.shape == (2, 3, 4, 4) and np.allclose(small, 0.5, atol=1e-6)
    ramp = np.tile(np.arange(4, dtype=np.uint8) * 60, (3, 4, 1))
    big = resize_planes(ramp, (8, 8))
    assert big.shape == (3, 8, 8) and big.dtype == np.uint8
    assert np.all(np.diff(big[0, 0].astype(int)) >= 0) and big[0, 0, 0] < 30 < big[0, 0, 3]
    assert resize_planes(board, (8, 8)) is board
