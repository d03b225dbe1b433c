"""Seed 000's global + local enhancer, made resolution-independent and small enough for CPUs.

Global branch: the image is area-resized to a ``thumb`` x ``thumb`` thumbnail, three stride-2
convolutions make a ``thumb/8`` feature map, 4x4 patches of it become tokens for a small ViT (with a
class token); the class token gives, per R/G/B channel, ``points - 1`` positive increments (softplus)
whose running sum, normalised to end at 1, is a monotone tone curve through (0, 0) and (1, 1). The
curve's control points sit at ``x_k = (k / (points - 1))**2`` (dense in the shadows, where low-light
content lives) and are applied to the full-resolution image by piecewise-linear interpolation.

Local branch: a U-Net that refines the curve-adjusted image (a residual), fed with the input and the
curve output. Its levels use dilated ("a trous") convolutions instead of decimation, so the branch is
exactly shift-equivariant with a bounded reach (:func:`receptive_radius`): tiles give the untiled
result. It starts at zero, so an untrained network is its curves alone.

Input ``(N, 3, H, W)`` in [0, 1], any size; output ``(N, 3, H, W)``. For tiled inference compute the
curves once from the whole image (:meth:`GlobalLocal.curves`) and call :meth:`GlobalLocal.enhance`
on each tile with them.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from vivid.errors import ConfigError


def receptive_radius(levels: int) -> int:
    """Reach of the local branch in pixels (head + encoder + decoder + tail, dilation 2**level)."""
    return 3 * 2**levels - 2


def _conv(cin: int, cout: int, dilation: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, padding=dilation, dilation=dilation)


class _Stage(nn.Module):
    def __init__(self, cin: int, cout: int, dilation: int) -> None:
        super().__init__()
        self.c1 = _conv(cin, cout, dilation)
        self.c2 = _conv(cout, cout, dilation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu(self.c2(F.leaky_relu(self.c1(x), 0.2)), 0.2)


class LocalUNet(nn.Module):
    """U-Net without decimation: level ``l`` works at full resolution with dilation ``2**l``."""

    def __init__(self, *, in_channels: int, out_channels: int, channels: int, levels: int) -> None:
        super().__init__()
        widths = [channels * min(2**lv, 2) for lv in range(levels)]
        self.head = _conv(in_channels, channels)
        self.enc = nn.ModuleList(
            _Stage(channels if lv == 0 else widths[lv - 1], widths[lv], 2**lv) for lv in range(levels)
        )
        self.dec = nn.ModuleList(
            _Stage(widths[lv + 1] + widths[lv], widths[lv], 2**lv) for lv in range(levels - 1)
        )
        self.tail = _conv(channels, out_channels)
        nn.init.zeros_(self.tail.weight)
        nn.init.zeros_(self.tail.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.leaky_relu(self.head(x), 0.2)
        skips = []
        for stage in self.enc:
            h = stage(h)
            skips.append(h)
        for lv in reversed(range(len(self.dec))):
            h = self.dec[lv](torch.cat([h, skips[lv]], dim=1))
        return self.tail(h)


class GlobalLocal(nn.Module):
    """Args: in_channels (3: RGB only); points (curve control points K); thumb (thumbnail side, a
    multiple of 32); dim, depth, heads (the ViT's width, layers and attention heads); channels, levels
    (the local U-Net's top width and number of levels)."""

    def __init__(
        self,
        *,
        in_channels: int = 3,
        points: int = 32,
        thumb: int = 256,
        dim: int = 64,
        depth: int = 4,
        heads: int = 4,
        channels: int = 16,
        levels: int = 3,
    ) -> None:
        super().__init__()
        if in_channels != 3:
            raise ConfigError(f"global_local works on RGB: in_channels must be 3, got {in_channels}")
        if thumb < 32 or thumb % 32:
            raise ConfigError(f"global_local: thumb must be a multiple of 32 (>= 32), got {thumb}")
        if points < 3:
            raise ConfigError(f"global_local: points must be at least 3, got {points}")
        if levels < 1:
            raise ConfigError(f"global_local: levels must be at least 1, got {levels}")
        self.points, self.thumb, self.levels = points, thumb, levels
        self.stem = nn.Sequential(
            nn.Conv2d(3, 16, 3, stride=2, padding=1), nn.GELU(),
            nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.GELU(),
            nn.Conv2d(32, dim, 3, stride=2, padding=1), nn.GELU(),
        )
        self.patch = nn.Conv2d(dim, dim, 4, stride=4)
        n_tokens = (thumb // 32) ** 2
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos = nn.Parameter(torch.randn(1, n_tokens + 1, dim) * 0.02)
        layer = nn.TransformerEncoderLayer(
            dim, heads, dim_feedforward=2 * dim, dropout=0.0, activation="gelu", batch_first=True,
            norm_first=True,
        )
        self.encoder = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        self.to_curves = nn.Linear(dim, 3 * (points - 1))
        # start at the identity curve: increments proportional to the knot spacing (2k + 1) / (K - 1)^2
        k = torch.arange(points - 1, dtype=torch.float64)
        inc = (2 * k + 1) / (points - 1)
        nn.init.zeros_(self.to_curves.weight)
        with torch.no_grad():
            self.to_curves.bias.copy_(torch.log(torch.expm1(inc)).float().repeat(3))
        self.local = LocalUNet(in_channels=6, out_channels=3, channels=channels, levels=levels)

    @property
    def radius(self) -> int:
        return receptive_radius(self.levels)

    def knots(self) -> torch.Tensor:
        """The curves' control-point inputs ``(K,)``: ``(k / (K - 1))**2``."""
        return torch.linspace(0.0, 1.0, self.points) ** 2

    def curves(self, x: torch.Tensor) -> torch.Tensor:
        """Tone curves ``(N, 3, K)`` (monotone, from 0 to 1) from ``x`` ``(N, 3, H, W)`` of any size."""
        t = F.interpolate(x.clamp(0.0, 1.0), size=(self.thumb, self.thumb), mode="area")
        tokens = self.patch(self.stem(t)).flatten(2).transpose(1, 2)
        tokens = torch.cat([self.cls.expand(tokens.shape[0], -1, -1), tokens], dim=1) + self.pos
        feat = self.norm(self.encoder(tokens)[:, 0])
        inc = F.softplus(self.to_curves(feat).view(-1, 3, self.points - 1)) + 1e-4
        ys = torch.cumsum(inc, dim=2) / inc.sum(dim=2, keepdim=True)
        return torch.cat([torch.zeros_like(ys[:, :, :1]), ys], dim=2)

    @staticmethod
    def apply_curves(x: torch.Tensor, curves: torch.Tensor) -> torch.Tensor:
        """Map each channel of ``x`` ``(N, 3, H, W)`` through ``curves`` ``(N or 1, 3, K)``: piecewise linear
        in ``x`` between the knots ``(k / (K - 1))**2``."""
        n, c, h, w = x.shape
        k = curves.shape[-1]
        curves = curves.to(torch.float32).expand(n, c, k)
        xs = x.to(torch.float32).clamp(0.0, 1.0).reshape(n, c, h * w)
        seg = (xs.sqrt() * (k - 1)).floor().clamp(max=k - 2)  # the knot interval holding each value
        x0 = (seg / (k - 1)) ** 2
        x1 = ((seg + 1) / (k - 1)) ** 2
        frac = ((xs - x0) / (x1 - x0)).clamp(0.0, 1.0)
        idx = seg.long()
        y0 = torch.gather(curves, 2, idx)
        y1 = torch.gather(curves, 2, idx + 1)
        return (y0 + frac * (y1 - y0)).reshape(n, c, h, w)

    def enhance(self, x: torch.Tensor, curves: torch.Tensor) -> torch.Tensor:
        """Curves, then the local refinement: the tileable part of :meth:`forward`."""
        g = self.apply_curves(x, curves)
        return g + self.local(torch.cat([x, g], dim=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.enhance(x, self.curves(x))

