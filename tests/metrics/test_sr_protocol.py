"""The classical SR sanity anchor of ../shared/docs/EVAL.md on Set5, Set14 and BSD100.

Bicubic x2/x3/x4 (MATLAB imresize on uint8, both ways) scored with psnr_y/ssim_y must reproduce the
published bicubic baselines. Published values: the "Bicubic" rows of Table 3 of Zhang et al., "Image
Super-Resolution Using Very Deep Residual Channel Attention Networks" (RCAN, ECCV 2018), the same
numbers as in VDSR (Kim et al., CVPR 2016) and EDSR (Lim et al., CVPRW 2017).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from vivid.metrics import psnr_y, ssim_y
from vivid.ops.resize import imresize, modcrop

SR_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "sr"

# (dataset, scale): (PSNR dB, SSIM)
PUBLISHED = {
    ("Set5", 2): (33.66, 0.9299),
    ("Set5", 3): (30.39, 0.8682),
    ("Set5", 4): (28.42, 0.8104),
    ("Set14", 2): (30.24, 0.8688),
    ("Set14", 3): (27.55, 0.7742),
    ("Set14", 4): (26.00, 0.7027),
    ("BSD100", 2): (29.56, 0.8431),
    ("BSD100", 3): (27.21, 0.7385),
    ("BSD100", 4): (25.96, 0.6675),
}
PSNR_TOL_DB = 0.02
SSIM_TOL = 0.002


@lru_cache(maxsize=None)
def _load(dataset: str) -> tuple[np.ndarray, ...]:
    """The HR images of a set as float32 (C, H, W) in [0, 1]; gray stays one channel.

    Read with Pillow here on purpose (vivid.io is tested separately). Set14's bridge.bmp is 8-bit gray:
    scored as its own Y (as the standard MATLAB scripts do); expanding it to RGB and taking
    16 + 219/255 * gray instead raises the Set14 means by about 0.095 dB, out of tolerance.
    """
    from PIL import Image as PILImage

    folder = SR_DATA / dataset / "HR"
    images = []
    for path in sorted(p for p in folder.iterdir() if p.suffix.lower() in (".png", ".bmp")):
        with PILImage.open(path) as im:
            if im.mode not in ("L", "RGB"):
                im = im.convert("RGB")
            a = np.asarray(im, dtype=np.float32) / 255.0
        images.append(a[None] if a.ndim == 2 else np.moveaxis(a, -1, 0))
    return tuple(images)


@pytest.mark.shared
@pytest.mark.parametrize(
    ("dataset", "scale"),
    [pytest.param(d, s, marks=[pytest.mark.slow] if d == "BSD100" else []) for d, s in PUBLISHED],
)
def test_bicubic_baseline_matches_published(dataset: str, scale: int) -> None:
    if not (SR_DATA / dataset / "HR").is_dir():
        pytest.skip(f"{SR_DATA / dataset / 'HR'} is absent")
    psnrs, ssims = [], []
    for img in _load(dataset):
        hr = modcrop(img, scale)
        lr = imresize(hr, 1 / scale, quantize=8)
        sr = imresize(lr, scale, quantize=8)
        psnrs.append(psnr_y(sr, hr, shave=scale))
        ssims.append(ssim_y(sr, hr, shave=scale))
    want_psnr, want_ssim = PUBLISHED[(dataset, scale)]
    got_psnr, got_ssim = float(np.mean(psnrs)), float(np.mean(ssims))
    assert got_psnr == pytest.approx(want_psnr, abs=PSNR_TOL_DB), f"{dataset} x{scale} PSNR {got_psnr:.4f}"
    assert got_ssim == pytest.approx(want_ssim, abs=SSIM_TOL), f"{dataset} x{scale} SSIM {got_ssim:.4f}"
