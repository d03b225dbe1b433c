"""Every SR architecture: output shape for each scale, and RepSR's fusion is exact."""

from __future__ import annotations

import copy
import inspect

import pytest
import torch

from vivid.models.archs.factory import ARCHS, arch_class, build_arch
from vivid.models.archs.rep_sr import RepSR

#: the SR families: those whose constructor takes a scale (same-size ones have tests of their own)
SR_ARCHS = sorted(a for a in ARCHS if "scale" in inspect.signature(arch_class(a).__init__).parameters)


@pytest.mark.parametrize("arch", SR_ARCHS)
@pytest.mark.parametrize("scale", [2, 3, 4])
def test_output_shape(arch: str, scale: int) -> None:
    net = build_arch(arch, scale=scale, in_channels=1).eval()
    with torch.no_grad():
        y = net(torch.rand(1, 1, 13, 17))
    assert y.shape == (1, 1, 13 * scale, 17 * scale)


def test_vdsr_seed004_switches_change_the_network() -> None:
    plain = build_arch("vdsr", scale=2, depth=12)
    bn = build_arch("vdsr", scale=2, depth=12, batch_norm=True)
    res = build_arch("vdsr", scale=2, depth=12, residual_blocks=True)
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in bn.modules())
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in plain.modules())
    assert sum(isinstance(m, torch.nn.Conv2d) for m in build_arch("vdsr", scale=2, depth=30).modules()) == 30
    assert type(res.body[2]).__name__ == "_ResBlockBN"


def test_repsr_fusion_is_exact() -> None:
    torch.manual_seed(0)
    net = RepSR(scale=3, channels=8, blocks=3).eval()
    for p in net.parameters():
        p.data.normal_(0, 0.2)
    x = torch.rand(2, 1, 11, 9)
    with torch.no_grad():
        before = net(x)
        after = net.fuse()(x)
    assert torch.allclose(before, after, atol=1e-5)
    assert not any(type(m).__name__ == "Conv2d" and m.kernel_size == (1, 1) for m in net.modules())


def test_repsr_fused_weights_expand_back_into_training_branches() -> None:
    """A shipped (fused) model can be trained further: its weights expand into the branches exactly."""
    torch.manual_seed(1)
    trained = RepSR(scale=2, channels=8, blocks=2).eval()
    for p in trained.parameters():
        p.data.normal_(0, 0.2)
    fused = copy.deepcopy(trained).fuse().state_dict()
    fresh = RepSR(scale=2, channels=8, blocks=2).eval()
    state = fresh.expand_fused_state(fused)
    assert set(state) == set(fresh.state_dict())
    fresh.load_state_dict(state)
    x = torch.rand(1, 1, 9, 10)
    with torch.no_grad():
        assert torch.allclose(fresh(x), trained(x), atol=1e-5)


def test_denoise_unet_without_noise_map_takes_the_image_only() -> None:
    blind = build_arch("denoise_unet", in_channels=3, channels=8, blocks=1, noise_map=False)
    mapped = build_arch("denoise_unet", in_channels=3, channels=8, blocks=1)
    assert blind.head.in_channels == 12 and mapped.head.in_channels == 13
    assert blind(torch.rand(1, 3, 16, 24)).shape == (1, 3, 16, 24)


def test_denoise_unet_grown_deeper_starts_with_the_shallower_networks_output(tmp_path) -> None:
    """A warm start of a deeper denoise_unet (more blocks per level) from a shallower one's weights gives the
    same output: the grown residual blocks start as the identity; the blocks it loaded keep their weights."""
    from safetensors.torch import save_file

    from vivid.train.loop import load_matching

    torch.manual_seed(0)
    shallow = build_arch("denoise_unet", in_channels=3, channels=8, blocks=1, noise_map=False)
    for p in shallow.parameters():  # the tail starts at zero; give every layer weight so the output is not x
        torch.nn.init.normal_(p, std=0.1)
    save_file(shallow.state_dict(), str(tmp_path / "w.safetensors"))
    deep = build_arch("denoise_unet", in_channels=3, channels=8, blocks=3, noise_map=False)
    matched, total = load_matching(deep, tmp_path / "w.safetensors")
    assert matched == len(shallow.state_dict()) < total
    x = torch.rand(2, 3, 16, 24)
    with torch.no_grad():
        want, got = shallow(x), deep(x)
    assert not torch.allclose(want, x, atol=1e-3)
    assert torch.allclose(got, want, atol=1e-6)
    assert deep.enc1[2].c1.weight.abs().sum() > 0  # grown blocks train: only their last conv starts at zero
