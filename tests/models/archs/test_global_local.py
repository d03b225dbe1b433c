"""Seed 000's global + local enhancer: curves are monotone and resolution-independent, tiles are exact."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from vivid.engine.api import run_model
from vivid.errors import ConfigError, ModelError
from vivid.io.image import Image
from vivid.models.archs.factory import build_arch
from vivid.models.archs.global_local import GlobalLocal, receptive_radius
from vivid.models.base import ModelDescriptor
from vivid.zoo.builtin import CurveRestorer

SMALL = {"points": 16, "thumb": 64, "dim": 32, "depth": 1, "heads": 2, "channels": 8, "levels": 3}


@pytest.fixture(autouse=True)
def _one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIVID_THREADS", "1")  # restorers set torch's threads from it
    torch.set_num_threads(1)


def _randomised(seed: int = 0, **params: int) -> GlobalLocal:
    """A small network whose every weight (the zero-initialised curve head and tail too) is random."""
    torch.manual_seed(seed)
    net = GlobalLocal(**{**SMALL, **params}).eval()
    with torch.no_grad():
        for p in net.parameters():
            p.normal_(0.0, 0.15)
    return net


def _smooth(h: int, w: int, seed: int = 0) -> torch.Tensor:
    """Image-like content without detail finer than a few pixels."""
    g = torch.Generator().manual_seed(seed)
    low = torch.rand(1, 3, 6, 8, generator=g)
    return F.interpolate(low, size=(h, w), mode="bilinear", align_corners=False)


def test_registered_and_shapes() -> None:
    net = build_arch("global_local", in_channels=3, **SMALL).eval()
    x = torch.rand(2, 3, 37, 53)
    with torch.no_grad():
        assert net(x).shape == (2, 3, 37, 53)
        assert net.curves(x).shape == (2, 3, 16)
    with pytest.raises(ConfigError, match="in_channels must be 3"):
        build_arch("global_local", in_channels=1)
    with pytest.raises(ConfigError, match="multiple of 32"):
        build_arch("global_local", thumb=100)


def test_untrained_network_is_the_identity() -> None:
    """Identity-initialised curves and a zero local tail: a fresh model leaves images (almost) alone."""
    net = GlobalLocal(**SMALL).eval()
    x = _smooth(48, 64)
    with torch.no_grad():
        y = net(x)
    assert float((y - x).abs().max()) < 2 / 255


def test_curves_are_monotone_from_0_to_1() -> None:
    net = _randomised(1)
    with torch.no_grad():
        c = net.curves(torch.rand(4, 3, 70, 90))
    assert torch.all(c[..., 1:] > c[..., :-1])
    assert torch.allclose(c[..., 0], torch.zeros(4, 3)) and torch.allclose(c[..., -1], torch.ones(4, 3))
    # and so is their application, with the values staying in [0, 1]
    ramp = torch.linspace(0, 1, 1001).view(1, 1, 1, -1).expand(4, 3, 1, -1)
    y = GlobalLocal.apply_curves(ramp, c)
    assert torch.all(y[..., 1:] >= y[..., :-1]) and float(y.min()) >= 0 and float(y.max()) <= 1 + 1e-6


def test_apply_is_piecewise_linear_through_the_knots() -> None:
    k = 9
    knots = (torch.arange(k) / (k - 1)) ** 2
    assert torch.allclose(GlobalLocal(**{**SMALL, "points": k}).knots(), knots)
    curves = torch.stack([knots, knots.sqrt(), torch.ones(k)]).unsqueeze(0)  # identity, sqrt-ish, white
    curves[0, 2, 0] = 0.0
    x = torch.rand(1, 3, 20, 20)
    y = GlobalLocal.apply_curves(x, curves)
    assert torch.allclose(y[0, 0], x[0, 0], atol=1e-6)  # linear pieces through (x_k, x_k)
    # between two knots: linear interpolation of the curve values
    t = torch.tensor([0.3]).view(1, 1, 1, 1).expand(1, 3, 1, 1)
    seg = int(0.3**0.5 * (k - 1))
    x0, x1 = float(knots[seg]), float(knots[seg + 1])
    y0, y1 = float(curves[0, 1, seg]), float(curves[0, 1, seg + 1])
    want = y0 + (0.3 - x0) / (x1 - x0) * (y1 - y0)
    assert float(GlobalLocal.apply_curves(t, curves)[0, 1]) == pytest.approx(want, abs=1e-6)


@pytest.mark.parametrize("size,tol", [((128, 192), 1e-5), ((100, 150), 0.02)])
def test_curves_do_not_depend_on_resolution(size: tuple[int, int], tol: float) -> None:
    """The same content at twice the size gives the same curves (exactly when both sizes are multiples of
    the thumbnail; closely otherwise)."""
    net = _randomised(2)
    x = _smooth(*size, seed=3)
    big = F.interpolate(x, scale_factor=2, mode="nearest")
    with torch.no_grad():
        a, b = net.curves(x), net.curves(big)
    assert float((a - b).abs().max()) <= tol


@pytest.mark.parametrize("levels", [1, 2, 3])
def test_local_branch_reach_is_the_stated_radius(levels: int) -> None:
    net = _randomised(4, levels=levels)
    x = torch.zeros(1, 6, 101, 101)
    with torch.no_grad():
        base = net.local(x)
        x[0, :, 50, 50] = 1.0
        changed = (net.local(x) - base).abs().amax(dim=(0, 1)) > 0
    ys, xs = torch.nonzero(changed, as_tuple=True)
    assert int((ys - 50).abs().max()) == int((xs - 50).abs().max()) == receptive_radius(levels)


def _restorer(net: GlobalLocal) -> CurveRestorer:
    desc = ModelDescriptor(name="test-global-local", task="lowlight", tileable=True,
                           tile_overlap=2 * net.radius + 4, runtime="torch")
    return CurveRestorer(net, desc)


def test_bound_restorer_tiles_exactly() -> None:
    """Tiles of 50 (cores 50, at least the overlap of 48, as the tiler's blending needs) over 200 x 250."""
    net = _randomised(5, channels=4)
    restorer = _restorer(net)
    img = Image((_smooth(200, 250, seed=6)[0].numpy() * 0.4 + 0.05).astype(np.float32))
    whole = run_model(restorer, img, tile=4096).pixels
    tiled = run_model(restorer, img, tile=50).pixels
    assert whole.shape == (3, 200, 250)
    assert np.abs(whole - tiled).max() <= 1 / 255
    # the local branch matters here (the test would be empty otherwise), and the curves come from the
    # whole image: tiles do not compute their own
    with torch.no_grad():
        x = torch.from_numpy(img.pixels[None])
        curves_only = net.apply_curves(x, net.curves(x))[0].numpy().clip(0, 1)
    assert np.abs(whole - curves_only).max() > 10 / 255


def test_unbound_restorer_refuses_and_gray_images_work() -> None:
    restorer = _restorer(_randomised(7))
    with pytest.raises(ModelError, match="bind"):
        restorer(np.zeros((1, 3, 8, 8), dtype=np.float32))
    gray = Image(np.full((1, 40, 50), 0.2, dtype=np.float32))
    out = run_model(restorer, gray, tile=4096).pixels
    assert out.shape == (1, 40, 50)
