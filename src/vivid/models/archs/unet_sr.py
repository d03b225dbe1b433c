"""Seed 002's U-Net autoencoder for super-resolution, done properly.

The seed trained a convolutional autoencoder with skip connections (a U-Net) mapping a blurry upscaled
image to the sharp one. Here: bicubic-upscale inside, encoder of strided convolutions, decoder with
transposed convolutions and skip connections, residual output.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1), nn.ReLU(inplace=True),
    )


class UNetSR(nn.Module):
    """U-Net autoencoder SR. Input sides are padded to a multiple of 2**levels inside.

    Args:
        scale: SR factor. in_channels: 1 or 3. channels: width of the first level. levels: down-samplings.
    """

    def __init__(self, *, scale: int, in_channels: int = 3, channels: int = 32, levels: int = 2) -> None:
        super().__init__()
        self.scale, self.levels = scale, levels
        widths = [channels * 2**i for i in range(levels + 1)]
        self.inc = _block(in_channels, widths[0])
        self.downs = nn.ModuleList(
            nn.Sequential(nn.Conv2d(widths[i], widths[i + 1], 3, stride=2, padding=1), nn.ReLU(inplace=True),
                          _block(widths[i + 1], widths[i + 1]))
            for i in range(levels)
        )
        self.ups = nn.ModuleList(nn.ConvTranspose2d(widths[i + 1], widths[i], 2, stride=2) for i in range(levels))
        self.dec = nn.ModuleList(_block(2 * widths[i], widths[i]) for i in range(levels))
        self.out = nn.Conv2d(widths[0], in_channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        up = F.interpolate(x, scale_factor=self.scale, mode="bicubic", align_corners=False)
        m = 2**self.levels
        h, w = up.shape[-2:]
        ph, pw = (-h) % m, (-w) % m
        z = F.pad(up, (0, pw, 0, ph), mode="replicate") if ph or pw else up
        skips = [self.inc(z)]
        for down in self.downs:
            skips.append(down(skips[-1]))
        f = skips.pop()
        for i in reversed(range(self.levels)):
            f = self.ups[i](f)
            f = self.dec[i](torch.cat([f, skips[i]], dim=1))
        return up + self.out(f)[..., :h, :w]
