"""SCI, self-calibrated illumination (Ma et al., CVPR 2022): Retinex division by a learned illumination.

At test time SCI runs one stage of its illumination estimator only (the self-calibrating module serves
training; the official files carry it as ``calibrate.*``, which is not needed here): a 3x3 convolution
with ReLU, ``layers`` residual blocks that all share one convolution + batch-norm + ReLU, and a 3x3
convolution with a sigmoid whose output is added to the input as the illumination
``i = clamp(x + f(x), 1e-4, 1)``; the result is ``clamp(x / i, 0, 1)``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from vivid.zoo.peers.base import PeerArch, fits, indexed_count, load_strict

#: the self-calibrating module, used in training only
_TRAINING_ONLY = "calibrate."
_BLOCK = re.compile(r"enhance\.blocks\.(\d+)\.")


class Illumination(nn.Module):
    """SCI's illumination estimator. Input ``(N, 3, H, W)`` in [0, 1]; illumination of the same shape.

    Args:
        channels: width of the hidden layers (3 in the official weights).
        layers: how many times the shared residual block runs (1 in the official weights).
    """

    def __init__(self, *, channels: int = 3, layers: int = 1) -> None:
        super().__init__()
        self.in_conv = nn.Sequential(nn.Conv2d(3, channels, 3, padding=1), nn.ReLU())
        self.conv = nn.Sequential(nn.Conv2d(channels, channels, 3, padding=1), nn.BatchNorm2d(channels), nn.ReLU())
        self.blocks = nn.ModuleList([self.conv] * layers)  # one block, applied `layers` times
        self.out_conv = nn.Sequential(nn.Conv2d(channels, 3, 3, padding=1), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.in_conv(x)
        for block in self.blocks:
            f = f + block(f)
        return torch.clamp(self.out_conv(f) + x, 1e-4, 1.0)


class SCINet(nn.Module):
    """SCI at test time: ``clamp(x / illumination(x), 0, 1)``. Args as :class:`Illumination`."""

    def __init__(self, *, channels: int = 3, layers: int = 1) -> None:
        super().__init__()
        self.enhance = Illumination(channels=channels, layers=layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.clamp(x / self.enhance(x), 0.0, 1.0)


def _used(state: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in state.items() if not k.startswith(_TRAINING_ONLY)}


def _shape(state: Mapping[str, Any]) -> tuple[int, int] | None:
    """``(channels, layers)`` read off the tensors, or None if the names are not SCI's."""
    weight, layers = state.get("enhance.in_conv.0.weight"), indexed_count(state, _BLOCK)
    return (int(weight.shape[0]), layers) if weight is not None and weight.ndim == 4 and layers else None


def _matches(state: Mapping[str, Any]) -> bool:
    shape = _shape(_used(state))
    return shape is not None and fits(_used(state), SCINet(channels=shape[0], layers=shape[1]))


def _build(state: Mapping[str, Any]) -> nn.Module:
    channels, layers = _shape(_used(state))  # type: ignore[misc]
    return load_strict(SCINet(channels=channels, layers=layers), _used(state))


# three 3x3 convolutions
SCI = PeerArch("SCI", "Ma et al., CVPR 2022; weights github.com/vis-opt-group/SCI",
               "MIT", _matches, _build, tile_overlap=8)
