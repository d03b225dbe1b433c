"""vivid's flagship efficient SR network: re-parameterisable convolutions in low-resolution space.

Training uses multi-branch blocks (3x3 + 1x1 + identity, as in RepVGG/ECBSR); :meth:`RepSR.fuse`
folds every block into a single 3x3 convolution, so inference is a plain stack of 3x3 convolutions
and PReLUs on the LR image followed by a pixel shuffle — cheap on CPUs, exact after fusion.
The network predicts a residual over the nearest-neighbour upsampled input.

Input/output: ``(N, C, H, W)`` -> ``(N, C, H*s, W*s)``, C = ``in_channels`` (1 for Y, 3 for RGB).
"""

from __future__ import annotations

import copy

import torch
from torch import nn


class RepConv(nn.Module):
    """3x3 conv + 1x1 conv (+ identity when shapes allow) during training; one 3x3 conv after :meth:`fuse`."""

    def __init__(self, in_ch: int, out_ch: int, *, identity: bool = True) -> None:
        super().__init__()
        self.in_ch, self.out_ch = in_ch, out_ch
        self.conv3 = nn.Conv2d(in_ch, out_ch, 3, padding=1)
        self.conv1 = nn.Conv2d(in_ch, out_ch, 1)
        self.identity = identity and in_ch == out_ch
        self.fused: nn.Conv2d | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.fused is not None:
            return self.fused(x)
        y = self.conv3(x) + self.conv1(x)
        return y + x if self.identity else y

    @torch.no_grad()
    def fuse(self) -> None:
        if self.fused is not None:
            return
        w = self.conv3.weight.clone()
        b = self.conv3.bias.clone() + self.conv1.bias
        w[:, :, 1:2, 1:2] += self.conv1.weight
        if self.identity:
            idx = torch.arange(self.out_ch)
            w[idx, idx, 1, 1] += 1.0
        fused = nn.Conv2d(self.in_ch, self.out_ch, 3, padding=1)
        fused.weight.copy_(w)
        fused.bias.copy_(b)
        self.fused = fused
        del self.conv3, self.conv1


class RepSR(nn.Module):
    """Efficient LR-space SR network.

    Args:
        scale: upscaling factor (2, 3 or 4).
        in_channels: 1 (Y channel) or 3 (RGB).
        channels: feature width.
        blocks: number of RepConv + PReLU blocks in the body.
    """

    def __init__(self, *, scale: int, in_channels: int = 1, channels: int = 32, blocks: int = 6) -> None:
        super().__init__()
        self.scale, self.in_channels = scale, in_channels
        self.head = RepConv(in_channels, channels, identity=False)
        self.body = nn.ModuleList(RepConv(channels, channels) for _ in range(blocks))
        self.acts = nn.ModuleList(nn.PReLU(channels) for _ in range(blocks))
        self.tail = RepConv(channels, in_channels * scale * scale, identity=False)
        self.shuffle = nn.PixelShuffle(scale)
        # Start as the nearest-neighbour upsampler: the residual branch begins near zero.
        for conv in (self.tail.conv3, self.tail.conv1):
            nn.init.normal_(conv.weight, std=1e-3)
            nn.init.zeros_(conv.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.head(x)
        f = h
        for conv, act in zip(self.body, self.acts, strict=True):
            f = act(conv(f))
        out = self.tail(f + h)
        base = x.repeat_interleave(self.scale * self.scale, dim=1)
        return self.shuffle(out + base)

    def expand_fused_state(self, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """``state`` with every fused 3x3 conv (what vivid ships) written as this training network's branches:
        the 3x3 branch holds the fused kernel minus the identity, the 1x1 branch starts at zero. The network
        then computes exactly what the fused one does, so a shipped model can be trained further."""
        out = {k: v for k, v in state.items() if ".fused." not in k}
        for name, m in self.named_modules():
            key = f"{name}.fused.weight"
            if not isinstance(m, RepConv) or key not in state or m.fused is not None:
                continue
            w = state[key].clone().float()
            if m.identity:
                idx = torch.arange(m.out_ch)
                w[idx, idx, 1, 1] -= 1.0
            out[f"{name}.conv3.weight"] = w
            out[f"{name}.conv3.bias"] = state[f"{name}.fused.bias"].clone().float()
            out[f"{name}.conv1.weight"] = torch.zeros_like(m.conv1.weight)
            out[f"{name}.conv1.bias"] = torch.zeros_like(m.conv1.bias)
        return out

    def fuse(self) -> RepSR:
        """Fold all multi-branch blocks into single 3x3 convolutions (in place); returns self."""
        for m in self.modules():
            if isinstance(m, RepConv):
                m.fuse()
        return self


def fused_state_dict(model: RepSR) -> dict[str, torch.Tensor]:
    """The state dict of a fused copy of ``model`` (what vivid ships)."""
    m = copy.deepcopy(model).eval().fuse()
    return {k: v.detach().contiguous() for k, v in m.state_dict().items()}


def build_fused(*, scale: int, in_channels: int, channels: int, blocks: int) -> RepSR:
    """An empty fused network whose state dict matches :func:`fused_state_dict`."""
    m = RepSR(scale=scale, in_channels=in_channels, channels=channels, blocks=blocks)
    return m.fuse()


__all__ = ["RepConv", "RepSR", "build_fused", "fused_state_dict"]
