"""VDSR (Kim, Lee and Lee, CVPR 2016) as its popular PyTorch port stores it (github.com/twtygqyy/pytorch-vdsr).

Twenty 3x3 convolutions without biases (``input`` 1→64, ``residual_layer.0-17.conv`` 64→64, ``output`` 64→1)
with ReLUs, predicting the residual of the bicubic-upscaled luma: one network for x2, x3 and x4. It expects
the low-resolution Y (BT.601, studio range, in [0, 1]) upscaled by MATLAB's bicubic first, so vivid upscales
with its MATLAB-exact :func:`vivid.ops.resize.imresize` inside the module and the engine treats it like any
x``s`` SR model. The port's file pickles the whole ``vdsr.Net``; vivid reads its tensors without running the
pickle's code (:mod:`vivid.zoo.pickled_tensors`), so it loads without ``--allow-pickle``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from torch import nn

from vivid.zoo.peers.base import PeerArch, indexed_count, sized_from_state

_BLOCK = re.compile(r"residual_layer\.(\d+)\.conv\.weight$")


class _ConvReLU(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.conv(x))


class VDSRNet(nn.Module):
    """The port's network on an already upscaled luma ``(N, 1, H, W)``."""

    def __init__(self, *, channels: int = 64, blocks: int = 18) -> None:
        super().__init__()
        self.residual_layer = nn.Sequential(*[_ConvReLU(channels) for _ in range(blocks)])
        self.input = nn.Conv2d(1, channels, 3, padding=1, bias=False)
        self.output = nn.Conv2d(channels, 1, 3, padding=1, bias=False)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.output(self.residual_layer(self.relu(self.input(x))))


class UpscaleFirst(nn.Module):
    """``net`` on the input upscaled ``scale`` times by MATLAB's bicubic (:func:`vivid.ops.resize.imresize`)."""

    def __init__(self, net: nn.Module, scale: int) -> None:
        super().__init__()
        self.net, self.scale = net, int(scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        from vivid.ops.resize import imresize

        up = imresize(x.detach().float().cpu().numpy(), self.scale)
        return self.net(torch.from_numpy(np.ascontiguousarray(up)).to(x.dtype))


def _shape(state: Mapping[str, Any]) -> tuple[int, int] | None:
    weight, blocks = state.get("input.weight"), indexed_count(state, _BLOCK)
    if weight is None or weight.ndim != 4 or tuple(weight.shape[1:]) != (1, 3, 3) or not blocks:
        return None
    return int(weight.shape[0]), blocks


def _make(state: Mapping[str, Any]) -> nn.Module | None:
    shape = _shape(state)
    return None if shape is None else VDSRNet(channels=shape[0], blocks=shape[1])


_matches, _build = sized_from_state(_make)


# receptive field 20 layers x 1 pixel at the output's size: 10 input pixels at x2, 5 at x4
VDSR = PeerArch("VDSR", "Kim et al., CVPR 2016; weights github.com/twtygqyy/pytorch-vdsr (PyTorch port)",
                "MIT", _matches, _build, task="sr", tile_overlap=16, scales=(2, 3, 4), channels=1,
                upscale_first=True)
