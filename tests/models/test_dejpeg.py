"""vivid-dejpeg on real photos: it removes JPEG artefacts and leaves clean and high-quality images alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"


@pytest.mark.shared
def test_dejpeg_gains_on_real_jpeg_copies_and_leaves_clean_photos_alone() -> None:
    """CBSD68's first 4 photos (a test set): quality-20 copies gain (measured +0.83 to +1.46 dB, fifth stage;
    fourth +0.80 to +1.39, third +0.73 to +1.21), quality-90 copies gain too (+0.36 to +0.57) and the clean
    originals come back at 50.8-55.7 dB against themselves (third stage 46-52). The first stage smoothed them: 33-41 dB on clean photos and
    -1.4 dB at q90 (its card)."""
    from vivid.engine.api import enhance
    from vivid.io.image import Image
    from vivid.metrics import psnr
    from vivid.ops.degrade import jpeg
    from vivid.train.sr_data import load_rgb

    folder = SHARED / "denoise" / "CBSD68" / "GT"
    if not folder.is_dir():
        pytest.skip("../shared/datasets/denoise/CBSD68 is not available")

    def dejpeg(x: np.ndarray) -> np.ndarray:
        out = enhance(Image(x), task="dejpeg", model="vivid-dejpeg").image.color
        return np.clip(np.rint(out * 255), 0, 255) / 255

    for f in sorted(folder.glob("*.png"))[:4]:
        clean = np.ascontiguousarray(load_rgb(f), dtype=np.float32)
        assert psnr(dejpeg(clean), clean) > 42.0, f.name
        for quality, least in ((20, 0.5), (90, 0.2)):
            copy = np.ascontiguousarray(jpeg(clean, quality=quality), dtype=np.float32)
            gain = psnr(dejpeg(copy), clean) - psnr(copy, clean)
            assert gain > least, (f.name, quality, gain)


@pytest.mark.shared
def test_the_last_partial_blocks_are_restored_like_the_rest() -> None:
    """CBSD68's sides (481, 321) are not multiples of the 16-pixel 4:2:0 block grid. The JPEG encoder filled
    its last blocks by repeating the edge pixels; the engine fills them the same way for vivid-dejpeg
    (``fill="edge"``), so the network sees the blocks that were coded. Measured on the first 4 images at
    quality 10: the right and bottom 8-pixel bands gain 1.42 dB on average (whole images +0.91 to +1.45);
    with mirrored padding they gained 0.94 (0.35 to 0.58 on the first image's bands)."""
    from vivid.engine.api import run_model
    from vivid.engine.cache import ModelCache
    from vivid.io.image import Image
    from vivid.ops.degrade import jpeg
    from vivid.train.sr_data import load_rgb

    folder = SHARED / "denoise" / "CBSD68" / "GT"
    if not folder.is_dir():
        pytest.skip("../shared/datasets/denoise/CBSD68 is not available")
    restorer = ModelCache().get("vivid-dejpeg", None)
    assert restorer.descriptor.fill == "edge"
    bands = []
    for f in sorted(folder.glob("*.png"))[:4]:
        clean = np.ascontiguousarray(load_rgb(f), dtype=np.float32)
        assert clean.shape[1] % 16 and clean.shape[2] % 16
        copy = np.ascontiguousarray(jpeg(clean, quality=10), dtype=np.float32)
        out = np.rint(np.clip(run_model(restorer, Image(copy)).color, 0, 1) * 255) / 255
        before, after = ((x - clean) ** 2 for x in (copy, out))
        for band in (np.s_[:, :, -8:], np.s_[:, -8:, :]):  # the last 8 columns, the last 8 rows
            bands.append(10 * np.log10(before[band].mean() / after[band].mean()))
    assert np.mean(bands) > 1.2, bands
