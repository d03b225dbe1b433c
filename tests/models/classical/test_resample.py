"""Classical resamplers: bicubic is vivid.ops.resize.imresize exactly; Lanczos-3 is a close cousin."""

from __future__ import annotations

import numpy as np
import pytest

from vivid.errors import ConfigError, InputError
from vivid.metrics import psnr
from vivid.models.classical.resample import build_bicubic, build_lanczos
from vivid.ops.resize import imresize


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_bicubic_restorer_equals_imresize(textured, scale: int) -> None:
    batch = np.stack([textured(20, 24, seed=0), textured(20, 24, seed=1)])
    out = build_bicubic(scale)(batch)
    assert out.dtype == np.float32 and out.shape == (2, 3, 20 * scale, 24 * scale)
    np.testing.assert_array_equal(out, imresize(batch, scale, kernel="cubic"))


def test_size_overrides_scale_and_any_channel_count_works(textured) -> None:
    model = build_bicubic(2)
    for c in (1, 2, 4):
        batch = textured(18, 22, channels=c)[None]
        out = model(batch, size=(31, 50))
        assert out.shape == (1, c, 31, 50)
        np.testing.assert_array_equal(out, imresize(batch, size=(31, 50), kernel="cubic"))
    # no quantisation here: the SR benchmark rounds where its protocol says so
    out = model(textured(16, 16)[None])
    assert not np.allclose(out * 255, np.rint(out * 255))


def test_lanczos_differs_from_bicubic_but_is_close(textured) -> None:
    hr = textured(96, 96)
    lr = imresize(hr, 0.5)
    bic = build_bicubic(2)(lr[None])[0]
    lan = build_lanczos(2)(lr[None])[0]
    np.testing.assert_array_equal(lan, imresize(lr, 2, kernel="lanczos3"))
    assert np.abs(lan - bic).max() > 1e-3  # another kernel ...
    assert psnr(lan, bic) > 35.0  # ... but nearly the same picture
    assert abs(psnr(lan, hr) - psnr(bic, hr)) < 1.0  # and about as faithful to the original


@pytest.mark.parametrize("build", [build_bicubic, build_lanczos])
def test_tiles_with_the_declared_overlap_are_seam_free(textured, build) -> None:
    model = build(2)
    ov = model.descriptor.tile_overlap
    img = textured(24, 40)[None]
    whole = model(img)
    left = model(img[..., : 20 + ov])[..., : 2 * 20]
    right = model(img[..., 20 - ov :])[..., 2 * ov :]
    np.testing.assert_allclose(np.concatenate([left, right], axis=-1), whole, atol=1e-6)


def test_descriptors() -> None:
    for name, build in (("bicubic", build_bicubic), ("lanczos", build_lanczos)):
        d = build(3).descriptor
        assert (d.name, d.task, d.scale, d.any_scale, d.tileable) == (name, "sr", 3, True, True)
        assert (d.color_space, d.runtime, d.speed_class) == ("rgb", "numpy", "realtime")
        assert 0 < d.tile_overlap <= 8


def test_bad_scale_and_batch_raise() -> None:
    with pytest.raises(ConfigError, match="0"):
        build_bicubic(0)
    with pytest.raises(ConfigError, match="2.5"):
        build_lanczos(2.5)  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"\(3, 8, 8\)"):
        build_bicubic(2)(np.zeros((3, 8, 8), np.float32))
