"""VDSR (Kim et al. 2016) and seed 004's variants, as one configurable family.

Seed 004 studied: the number of conv-ReLU repetitions (12/18/24/30 layers), BatchNorm between conv and ReLU,
and residual blocks with BatchNorm. VDSR works on the bicubic-upscaled Y image (HR space) and predicts the
residual. vivid keeps that interface inside the module: it takes the LR image and upsamples it itself
(bicubic), so the engine treats it like any other SR model.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class _ResBlockBN(nn.Module):
    def __init__(self, ch: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(ch, ch, 3, padding=1, bias=False), nn.BatchNorm2d(ch), nn.ReLU(inplace=True),
            nn.Conv2d(ch, ch, 3, padding=1, bias=False), nn.BatchNorm2d(ch),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(x + self.body(x))


class VDSR(nn.Module):
    """VDSR with seed 004's switches.

    Args:
        scale: SR factor (the input is bicubic-upscaled inside).
        in_channels: 1 (Y) or 3.
        depth: number of 3x3 conv layers in total (VDSR: 20; seed 004: 12/18/24/30).
        channels: feature width (VDSR: 64).
        batch_norm: BatchNorm between each conv and ReLU (seed 004 experiment 2).
        residual_blocks: use (depth - 2) // 2 residual blocks with BatchNorm instead of a plain stack (experiment 3).
    """

    def __init__(
        self, *, scale: int, in_channels: int = 1, depth: int = 20, channels: int = 64,
        batch_norm: bool = False, residual_blocks: bool = False,
    ) -> None:
        super().__init__()
        self.scale = scale
        layers: list[nn.Module] = [nn.Conv2d(in_channels, channels, 3, padding=1), nn.ReLU(inplace=True)]
        if residual_blocks:
            layers += [_ResBlockBN(channels) for _ in range(max(1, (depth - 2) // 2))]
        else:
            for _ in range(depth - 2):
                layers.append(nn.Conv2d(channels, channels, 3, padding=1, bias=not batch_norm))
                if batch_norm:
                    layers.append(nn.BatchNorm2d(channels))
                layers.append(nn.ReLU(inplace=True))
        layers.append(nn.Conv2d(channels, in_channels, 3, padding=1))
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        up = F.interpolate(x, scale_factor=self.scale, mode="bicubic", align_corners=False)
        return up + self.body(up)
