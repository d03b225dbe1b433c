"""Zero-DCE++-style low-light enhancer (Li, Guo & Loy, TPAMI 2021): trained without reference images.

A tiny network of depthwise-separable convolutions (seven layers, symmetric skip concatenations, as
Zero-DCE++) looks at a downsampled copy of the image — the longer side at most ``low_side`` — and
predicts three curve-parameter maps ``a`` in [-1, 1] (tanh). (With the default 128, a 1200 x 900 photo
is shrunk 10x, about Zero-DCE++'s factor 12, and 256-pixel training crops 2x.) They are upsampled
bilinearly to the full image and applied ``iterations`` times as the light-enhancement curve
``x <- x + a * x * (1 - x)``, which is monotone and keeps [0, 1] for any ``a`` in [-1, 1] (positive
``a`` brightens).

Input ``(N, 3, H, W)`` in [0, 1], any size; output ``(N, 3, H, W)``. :meth:`ZeroDCE.curve_maps` and
:meth:`ZeroDCE.apply_curves` split the two halves (the zero-reference losses need the maps; a restorer
can compute them once per image).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from vivid.errors import ConfigError


class _SeparableConv(nn.Module):
    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.depthwise = nn.Conv2d(cin, cin, 3, padding=1, groups=cin)
        self.pointwise = nn.Conv2d(cin, cout, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.depthwise(x))


class ZeroDCE(nn.Module):
    """Args: in_channels (3: RGB only); channels (network width); iterations (curve applications);
    low_side (the parameter maps are estimated with the longer side shrunk to at most this)."""

    def __init__(
        self, *, in_channels: int = 3, channels: int = 32, iterations: int = 8, low_side: int = 128
    ) -> None:
        super().__init__()
        if in_channels != 3:
            raise ConfigError(f"zero_dce works on RGB: in_channels must be 3, got {in_channels}")
        if iterations < 1 or low_side < 8:
            raise ConfigError(
                f"zero_dce: iterations must be >= 1 and low_side >= 8, got {iterations} and {low_side}"
            )
        c = channels
        self.iterations, self.low_side = iterations, low_side
        self.e1 = _SeparableConv(3, c)
        self.e2 = _SeparableConv(c, c)
        self.e3 = _SeparableConv(c, c)
        self.e4 = _SeparableConv(c, c)
        self.e5 = _SeparableConv(2 * c, c)
        self.e6 = _SeparableConv(2 * c, c)
        self.e7 = _SeparableConv(2 * c, 3)

    def low_size(self, h: int, w: int) -> tuple[int, int]:
        """Size of the maps for an ``h`` x ``w`` image: shrunk by an integer factor to fit ``low_side``."""
        f = max(1, math.ceil(max(h, w) / self.low_side))
        return max(1, math.ceil(h / f)), max(1, math.ceil(w / f))

    def curve_maps(self, x: torch.Tensor) -> torch.Tensor:
        """Curve parameters ``(N, 3, h, w)`` in [-1, 1] at :meth:`low_size` of ``x`` ``(N, 3, H, W)``."""
        size = self.low_size(*x.shape[-2:])
        low = x if size == tuple(x.shape[-2:]) else F.interpolate(x, size=size, mode="area")
        x1 = F.relu(self.e1(low))
        x2 = F.relu(self.e2(x1))
        x3 = F.relu(self.e3(x2))
        x4 = F.relu(self.e4(x3))
        x5 = F.relu(self.e5(torch.cat([x3, x4], 1)))
        x6 = F.relu(self.e6(torch.cat([x2, x5], 1)))
        return torch.tanh(self.e7(torch.cat([x1, x6], 1)))

    def apply_curves(self, x: torch.Tensor, maps: torch.Tensor) -> torch.Tensor:
        """The curve ``x + a x (1 - x)`` applied ``iterations`` times with ``maps`` upsampled to ``x``."""
        a = maps if maps.shape[-2:] == x.shape[-2:] else F.interpolate(
            maps, size=x.shape[-2:], mode="bilinear", align_corners=False
        )
        y = x.clamp(0.0, 1.0)
        for _ in range(self.iterations):
            y = y + a * y * (1 - y)
        return y

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.apply_curves(x, self.curve_maps(x))
