"""The Zero-DCE++-style enhancer and the zero-reference losses it trains on."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vivid.engine.api import run_model
from vivid.errors import ConfigError, ModelError
from vivid.io.image import Image
from vivid.models.archs.factory import build_arch
from vivid.models.archs.zero_dce import ZeroDCE
from vivid.models.base import ModelDescriptor
from vivid.train.zero_ref_losses import (
    color_constancy,
    exposure_control,
    illumination_smoothness,
    spatial_consistency,
    zero_reference_loss,
)
from vivid.zoo.builtin import CurveMapRestorer


@pytest.fixture(autouse=True)
def _one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIVID_THREADS", "1")  # restorers set torch's threads from it
    torch.set_num_threads(1)


def test_registered_shapes_and_range() -> None:
    torch.manual_seed(0)
    net = build_arch("zero_dce", in_channels=3, channels=8, low_side=32).eval()
    x = torch.rand(2, 3, 70, 45)
    with torch.no_grad():
        maps = net.curve_maps(x)
        y = net(x)
    assert maps.shape == (2, 3, 24, 15)  # shrunk 3x (ceil(70 / 32)) to fit 32
    assert float(maps.abs().max()) <= 1
    assert y.shape == x.shape and float(y.min()) >= 0 and float(y.max()) <= 1
    assert net.low_size(20, 30) == (20, 30)  # small images are not shrunk
    with pytest.raises(ConfigError, match="in_channels must be 3"):
        build_arch("zero_dce", in_channels=1)


def test_curve_brightens_monotonically() -> None:
    net = ZeroDCE(channels=8, iterations=8)
    ramp = torch.linspace(0, 1, 257).view(1, 1, 1, -1).expand(1, 3, 1, -1)
    for a in (0.3, 1.0):
        y = net.apply_curves(ramp, torch.full((1, 3, 1, 1), a))
        assert torch.all(y[..., 1:] >= y[..., :-1]) and torch.all(y >= ramp)
        assert float(y[..., 0].max()) == 0 and float(y[..., -1].min()) == pytest.approx(1.0)
    # x + x(1 - x) eight times: 0.1 -> about 0.91 (each step is the map x -> 2x - x^2)
    v = 0.1
    for _ in range(8):
        v = 2 * v - v * v
    y = net.apply_curves(torch.full((1, 3, 2, 2), 0.1), torch.ones(1, 3, 1, 1))
    assert float(y[0, 0, 0, 0]) == pytest.approx(v, abs=1e-6)


def test_exposure_loss_prefers_well_exposed() -> None:
    assert float(exposure_control(torch.full((1, 3, 32, 32), 0.6))) == pytest.approx(0.0, abs=1e-12)
    assert float(exposure_control(torch.full((1, 3, 32, 32), 0.55))) < float(
        exposure_control(torch.full((1, 3, 32, 32), 0.1))
    )


def test_color_loss_is_zero_for_gray_and_grows_with_a_cast() -> None:
    gray = torch.full((1, 3, 16, 16), 0.4)
    weak, strong = gray.clone(), gray.clone()
    weak[:, 0] += 0.05
    strong[:, 0] += 0.3
    assert float(color_constancy(gray)) < 1e-5
    assert 1e-5 < float(color_constancy(weak)) < float(color_constancy(strong))


def test_spatial_loss_keeps_local_differences() -> None:
    torch.manual_seed(1)
    x = torch.rand(1, 3, 32, 32) * 0.3
    assert float(spatial_consistency(x, x)) == 0.0
    assert float(spatial_consistency(x + 0.3, x)) < 1e-10  # brightening keeps neighbour differences
    assert float(spatial_consistency(x * 0.2, x)) > float(spatial_consistency(x * 0.9, x)) > 0  # flattening


def test_smoothness_loss_is_total_variation() -> None:
    assert float(illumination_smoothness(torch.full((1, 3, 8, 8), 0.7))) == 0.0
    maps = torch.zeros(1, 3, 8, 8)
    maps[..., ::2, :] = 1.0  # alternating rows: every vertical step is 1
    assert float(illumination_smoothness(maps)) == pytest.approx(1.0)


def test_loss_trains_a_dark_image_brighter() -> None:
    """A few steps on the zero-reference loss alone raise the mean of a dark input towards 0.6."""
    torch.manual_seed(2)
    net = ZeroDCE(channels=8, low_side=32)
    x = torch.rand(2, 3, 48, 48) * 0.15
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    with torch.no_grad():
        before = float(net(x).mean())
    for _ in range(30):
        maps = net.curve_maps(x)
        loss = zero_reference_loss(net.apply_curves(x, maps), x, maps)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        after = float(net(x).mean())
    assert after > before + 0.05


def _restorer() -> CurveMapRestorer:
    torch.manual_seed(3)
    net = ZeroDCE(channels=8, low_side=32)
    desc = ModelDescriptor(
        name="test-zero-dce", task="lowlight", tileable=False, tile_overlap=0, runtime="torch"
    )
    return CurveMapRestorer(net, desc)


def test_restorer_runs_on_whole_images() -> None:
    restorer = _restorer()
    rgb = (np.random.default_rng(0).random((3, 50, 70)) * 0.2).astype(np.float32)
    out = run_model(restorer, Image(rgb)).pixels
    with torch.no_grad():
        direct = restorer.module(torch.from_numpy(rgb[None]))[0].numpy()
    assert np.abs(out - direct).max() < 1e-6
    gray = run_model(restorer, Image(rgb[:1])).pixels
    assert gray.shape == (1, 50, 70)
    bound = restorer.bind(rgb)
    with pytest.raises(ModelError, match="whole images"):
        bound(rgb[None, :, :20, :20])
