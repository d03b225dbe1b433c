"""CLIP-LIT (Liang et al., ICCV 2023): backlit-image enhancement learned with CLIP prompts, no pairs.

The enhancement network estimates a one-channel light map ``l`` and returns ``clamp(x / l, 0, 1)``. The
network: a 3x3 convolution to 32 channels (LeakyReLU 0.2), two residual blocks, a pyramid pooling module
(average pools to 1, 2, 3 and 6 cells, 1x1 convolutions to 8 channels with PReLU, upsampled bilinearly
with corners aligned, concatenated with the input and fused by a 3x3 convolution with PReLU), a 3x3
convolution to 64 channels, two residual blocks, a 3x3 convolution back to 32, two residual blocks and a
3x3 convolution to ``l`` with ReLU. Residual blocks are two bias-free 3x3 convolutions with LeakyReLU 0.2
after the first and after the sum. Convolutions pad by reflection except the pyramid's fusion (zeros).
Where both the input and ``l`` are 0 the result is 0 (the division is undefined there).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from vivid.zoo.peers.base import UNSTATED, PeerArch, fits, load_strict

BINS = (1, 2, 3, 6)


def _conv(cin: int, cout: int, *, bias: bool = True) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, padding=1, bias=bias, padding_mode="reflect")


class _Residual(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = _conv(channels, channels, bias=False)
        self.conv2 = _conv(channels, channels, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu(self.conv2(F.leaky_relu(self.conv1(x), 0.2)) + x, 0.2)


class _Pyramid(nn.Module):
    def __init__(self, channels: int, reduced: int) -> None:
        super().__init__()
        self.features = nn.ModuleList(
            nn.Sequential(nn.AdaptiveAvgPool2d(b), nn.Conv2d(channels, reduced, 1, bias=False), nn.PReLU())
            for b in BINS
        )
        self.fuse = nn.Sequential(
            nn.Conv2d(channels + reduced * len(BINS), channels, 3, padding=1, bias=False), nn.PReLU()
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[-2:]
        pooled = [F.interpolate(f(x), size, mode="bilinear", align_corners=True) for f in self.features]
        return self.fuse(torch.cat([x, *pooled], 1))


class CLIPLITNet(nn.Module):
    """CLIP-LIT's enhancement network at test time. Input ``(N, 3, H, W)`` in [0, 1]; same shape out."""

    def __init__(self) -> None:
        super().__init__()
        self.cond1 = _conv(3, 32)
        self.ResidualBlock1 = _Residual(32)
        self.ResidualBlock2 = _Residual(32)
        self.PPM1 = _Pyramid(32, 8)
        self.condx = _conv(32, 64)
        self.ResidualBlock3 = _Residual(64)
        self.ResidualBlock4 = _Residual(64)
        self.condy = _conv(64, 32)
        self.ResidualBlock5 = _Residual(32)
        self.ResidualBlock6 = _Residual(32)
        self.cond_add1 = _conv(32, 1)

    def light(self, x: torch.Tensor) -> torch.Tensor:
        """The light map ``(N, 1, H, W)``."""
        f = self.ResidualBlock2(self.ResidualBlock1(F.leaky_relu(self.cond1(x), 0.2)))
        f = self.ResidualBlock4(self.ResidualBlock3(self.condx(self.PPM1(f))))
        f = self.ResidualBlock6(self.ResidualBlock5(self.condy(f)))
        return F.relu(self.cond_add1(f))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.nan_to_num(torch.clamp(x / self.light(x), 0.0, 1.0), nan=0.0)


def _matches(state: Mapping[str, Any]) -> bool:
    return "PPM1.fuse.0.weight" in state and fits(state, CLIPLITNet())


def _build(state: Mapping[str, Any]) -> nn.Module:
    return load_strict(CLIPLITNet(), state)


# the pyramid pools over the whole image
CLIP_LIT = PeerArch("CLIP-LIT", "Liang et al., ICCV 2023; weights github.com/ZhexinLiang/CLIP-LIT",
                    UNSTATED, _matches, _build, tileable=False)
