"""An FSRCNN/ESPCN-class fast SR network: feature extraction, shrink, a few mapping layers, expand,
sub-pixel (pixel-shuffle) upsampling, on the LR image with a nearest-neighbour residual."""

from __future__ import annotations

import torch
from torch import nn


class FastSR(nn.Module):
    """Args: scale; in_channels 1 or 3; d feature width; s shrunk width; m mapping layers."""

    def __init__(self, *, scale: int, in_channels: int = 1, d: int = 32, s: int = 12, m: int = 3) -> None:
        super().__init__()
        self.scale = scale
        layers: list[nn.Module] = [nn.Conv2d(in_channels, d, 5, padding=2), nn.PReLU(d),
                                   nn.Conv2d(d, s, 1), nn.PReLU(s)]
        for _ in range(m):
            layers += [nn.Conv2d(s, s, 3, padding=1), nn.PReLU(s)]
        layers += [nn.Conv2d(s, d, 1), nn.PReLU(d), nn.Conv2d(d, in_channels * scale * scale, 3, padding=1)]
        self.body = nn.Sequential(*layers)
        self.shuffle = nn.PixelShuffle(scale)
        nn.init.normal_(layers[-1].weight, std=1e-3)
        nn.init.zeros_(layers[-1].bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.shuffle(self.body(x) + x.repeat_interleave(self.scale * self.scale, dim=1))
