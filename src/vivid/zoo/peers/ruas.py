"""RUAS, Retinex-inspired unrolling with architecture search (Liu et al., CVPR 2021).

Two searched sub-networks, both built of one distillation cell (seven operations chosen by the search,
LeakyReLU 0.05, the four distilled outputs fused by a 1x1 convolution):

* illumination estimation, unrolled 3 times: stage ``k`` starts from a warm start ``t0`` (the 2x2 local
  maximum of the input at ``k = 0``, else the local maximum of the previous result minus half its
  difference to the input), estimates the illumination ``t = clamp(sigmoid(cell(t0)), 0.001, 1)`` and
  returns ``u = clamp(x / t, 0, 1)`` (each stage divides the *input*);
* noise removal: a 3x3 stem to 6 channels, 3 cells, a 3x3 convolution to the noise ``n``; the result is
  ``u - n``.

The official LOL weights are scored on the noise-removed result, which is what this network returns
(the MIT-Adobe and DarkFace weights' authors show the result before noise removal).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from vivid.zoo.peers.base import UNSTATED, PeerArch, indexed_count, sized_from_state

#: the operations the search chose for the cell's slots c1_d, c1_r, c2_d, c2_r, c3_d, c3_r, c4
ILLUMINATION_CELL = ("skip", "res1", "resdil3", "conv3", "conv3", "skip", "conv3")
NOISE_CELL = ("res1", "res1", "resdil3", "skip", "res1", "res1", "skip")
_SLOTS = ("c1_d", "c1_r", "c2_d", "c2_r", "c3_d", "c3_r", "c4")
_STAGE = re.compile(r"enhance_net\.iems\.(\d+)\.")
_CELL = re.compile(r"denoise_net\.nrms\.(\d+)\.")


class _Op(nn.Module):
    """A convolution (key ``op``), optionally dilated by 2 and/or residual."""

    def __init__(self, channels: int, kernel: int, *, dilation: int = 1, residual: bool = False) -> None:
        super().__init__()
        self.op = nn.Conv2d(channels, channels, kernel, padding=(kernel // 2) * dilation, dilation=dilation)
        self.residual = residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.op(x)
        return y + x if self.residual else y


def _operation(name: str, channels: int) -> nn.Module:
    if name == "skip":
        return nn.Identity()
    kernel = int(name[-1])
    return _Op(channels, kernel, dilation=2 if "dil" in name else 1, residual=name.startswith("res"))


class Cell(nn.Module):
    """The searched distillation cell: ``(N, C, H, W) -> (N, C, H, W)``."""

    def __init__(self, channels: int, operations: tuple[str, ...]) -> None:
        super().__init__()
        for slot, name in zip(_SLOTS, operations, strict=True):
            setattr(self, slot, _operation(name, channels))
        self.c5 = nn.Conv2d(4 * channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        act = lambda t: F.leaky_relu(t, 0.05)  # noqa: E731
        d1, r1 = act(self.c1_d(x)), act(self.c1_r(x) + x)
        d2, r2 = act(self.c2_d(r1)), act(self.c2_r(r1) + r1)
        d3, r3 = act(self.c3_d(r2)), act(self.c3_r(r2) + r2)
        return self.c5(torch.cat([d1, d2, d3, act(self.c4(r3))], 1))


def local_max(x: torch.Tensor) -> torch.Tensor:
    """The maximum over each pixel and its right, lower and lower-right neighbours (zeros outside)."""
    return F.max_pool2d(F.pad(x, (0, 1, 0, 1)), 2, stride=1)


class _Stage(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.cell = Cell(channels, ILLUMINATION_CELL)


class _Illumination(nn.Module):
    def __init__(self, stages: int) -> None:
        super().__init__()
        self.iems = nn.ModuleList(_Stage(3) for _ in range(stages))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        u = x
        for k, stage in enumerate(self.iems):
            t0 = local_max(x) if k == 0 else local_max(u) - 0.5 * (u - x)
            t = torch.clamp(torch.sigmoid(stage.cell(t0)), 0.001, 1.0)
            u = torch.clamp(x / t, 0.0, 1.0)
        return u


class _NoiseRemoval(nn.Module):
    def __init__(self, cells: int, channels: int = 6) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, channels, 3, padding=1)
        self.nrms = nn.ModuleList(Cell(channels, NOISE_CELL) for _ in range(cells))
        self.activate = nn.Sequential(nn.Conv2d(channels, 3, 3, padding=1))

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        f = self.stem(u)
        for cell in self.nrms:
            f = cell(f)
        return u - self.activate(f)


class RUASNet(nn.Module):
    """RUAS: illumination estimation, then noise removal. ``(N, 3, H, W)`` in [0, 1] -> same shape.

    Args:
        stages: unrolled illumination stages (3 in the official weights).
        cells: noise-removal cells (3 in the official weights).
    """

    def __init__(self, *, stages: int = 3, cells: int = 3) -> None:
        super().__init__()
        self.enhance_net = _Illumination(stages)
        self.denoise_net = _NoiseRemoval(cells)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.denoise_net(self.enhance_net(x))


def _make(state: Mapping[str, Any]) -> nn.Module | None:
    stages, cells = indexed_count(state, _STAGE), indexed_count(state, _CELL)
    return RUASNet(stages=stages, cells=cells) if stages > 0 and cells > 0 else None


_matches, _build = sized_from_state(_make)


RUAS = PeerArch("RUAS", "Liu et al., CVPR 2021; weights github.com/KarelZhang/RUAS",
                UNSTATED, _matches, _build)
