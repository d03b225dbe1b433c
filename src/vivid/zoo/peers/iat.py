"""IAT, the Illumination-Adaptive Transformer (Cui et al., BMVC 2022): supervised, 90k parameters.

Two branches on the input ``x``:

* local: a 3x3 convolution (16 channels, LeakyReLU 0.2), then two stacks of three convolutional
  "transformer" blocks with a shortcut around each stack — one ends in a 3x3 convolution + ReLU giving a
  per-pixel multiplier ``m``, the other in a 3x3 convolution + tanh giving an offset ``a``. A block adds a
  depthwise 3x3 position term, then (each after a learnable per-pixel colour mix + scale/shift
  normalisation, and scaled by a learned per-channel factor) a 1x1 / depthwise 5x5 / 1x1 mixing and a
  1x1-GELU-1x1 MLP, both residual;
* global: two stride-2 3x3 convolutions (batch-norm, GELU between) to 64 channels, a depthwise position
  term, then 10 learned queries attend (4 heads) to all positions, followed by a residual MLP; query 0
  gives a gamma (plus a learned base), queries 1-9 a 3x3 colour matrix (plus a learned base).

Output ``clamp(C (m x + a), 1e-8, 1) ** gamma`` with the colour matrix ``C`` applied per pixel.

The input is the image in [0, 1], as the official LOL-v1 and exposure files expect. The official LOL-v2
file (``best_Epoch_lol.pth``, same tensor names) was trained on input scaled to [-1, 1] instead, which the
file does not record: vivid runs it on [0, 1] too, and it then brightens too little (about 11 dB on LOL
image 146 against 18 dB with its own scaling).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from vivid.zoo.peers.base import PeerArch, indexed_count, sized_from_state

_BLOCK = re.compile(r"local_net\.mul_blocks\.(\d+)\.")


class _ColorAffine(nn.Module):
    """Per-position colour mix of the channels, then a per-channel scale and shift (on ``(N, L, C)``)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.alpha = nn.Parameter(torch.ones(1, 1, dim))
        self.beta = nn.Parameter(torch.zeros(1, 1, dim))
        self.color = nn.Parameter(torch.eye(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x @ self.color.T) * self.alpha + self.beta


def _normed(norm: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``norm`` applied over the channels of an ``(N, C, H, W)`` map."""
    n, c, h, w = x.shape
    return norm(x.flatten(2).transpose(1, 2)).transpose(1, 2).reshape(n, c, h, w)


class _ConvMlp(nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Conv2d(dim, hidden, 1)
        self.fc2 = nn.Conv2d(hidden, dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.gelu(self.fc1(x)))


class _LocalBlock(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.pos_embed = nn.Conv2d(dim, dim, 3, padding=1, groups=dim)
        self.norm1 = _ColorAffine(dim)
        self.conv1 = nn.Conv2d(dim, dim, 1)
        self.attn = nn.Conv2d(dim, dim, 5, padding=2, groups=dim)
        self.conv2 = nn.Conv2d(dim, dim, 1)
        self.norm2 = _ColorAffine(dim)
        self.mlp = _ConvMlp(dim, 4 * dim)
        self.gamma_1 = nn.Parameter(torch.full((1, dim, 1, 1), 1e-4))
        self.gamma_2 = nn.Parameter(torch.full((1, dim, 1, 1), 1e-4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.pos_embed(x)
        x = x + self.gamma_1 * self.conv2(self.attn(self.conv1(_normed(self.norm1, x))))
        return x + self.gamma_2 * self.mlp(_normed(self.norm2, x))


class _Local(nn.Module):
    def __init__(self, dim: int, blocks: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, dim, 3, padding=1)
        self.mul_blocks = nn.Sequential(*(_LocalBlock(dim) for _ in range(blocks)))
        self.add_blocks = nn.Sequential(*(_LocalBlock(dim) for _ in range(blocks)))
        self.mul_end = nn.Sequential(nn.Conv2d(dim, 3, 3, padding=1), nn.ReLU())
        self.add_end = nn.Sequential(nn.Conv2d(dim, 3, 3, padding=1), nn.Tanh())

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        f = F.leaky_relu(self.conv1(x), 0.2)
        return self.mul_end(self.mul_blocks(f) + f), self.add_end(self.add_blocks(f) + f)


class _Embedding(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.proj = nn.Sequential(
            nn.Conv2d(3, dim // 2, 3, stride=2, padding=1), nn.BatchNorm2d(dim // 2), nn.GELU(),
            nn.Conv2d(dim // 2, dim, 3, stride=2, padding=1), nn.BatchNorm2d(dim),
        )


class _QueryAttention(nn.Module):
    def __init__(self, dim: int, heads: int, queries: int) -> None:
        super().__init__()
        self.heads = heads
        self.q = nn.Parameter(torch.ones(1, queries, dim))
        self.k = nn.Linear(dim, dim, bias=False)
        self.v = nn.Linear(dim, dim, bias=False)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, length, c = x.shape

        def split(t: torch.Tensor) -> torch.Tensor:  # (N, L, C) -> (N, heads, L, C / heads)
            return t.reshape(t.shape[0], t.shape[1], self.heads, c // self.heads).transpose(1, 2)

        q = split(self.q.expand(n, -1, -1))
        out = F.scaled_dot_product_attention(q, split(self.k(x)), split(self.v(x)))
        return self.proj(out.transpose(1, 2).reshape(n, -1, c))


class _Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.gelu(self.fc1(x)))


class _Generator(nn.Module):
    def __init__(self, dim: int, heads: int, queries: int) -> None:
        super().__init__()
        self.pos_embed = nn.Conv2d(dim, dim, 3, padding=1, groups=dim)
        self.norm1 = nn.LayerNorm(dim)
        self.attn = _QueryAttention(dim, heads, queries)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = _Mlp(dim, 4 * dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.pos_embed(x)
        x = self.attn(self.norm1(x.flatten(2).transpose(1, 2)))  # the queries replace the positions
        return x + self.mlp(self.norm2(x))


class _Global(nn.Module):
    def __init__(self, dim: int = 64, heads: int = 4) -> None:
        super().__init__()
        self.gamma_base = nn.Parameter(torch.ones(1))
        self.color_base = nn.Parameter(torch.eye(3))
        self.conv_large = _Embedding(dim)
        self.generator = _Generator(dim, heads, queries=10)
        self.gamma_linear = nn.Linear(dim, 1)
        self.color_linear = nn.Linear(dim, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        tokens = self.generator(self.conv_large.proj(x))
        gamma = self.gamma_linear(tokens[:, 0]) + self.gamma_base  # (N, 1)
        color = self.color_linear(tokens[:, 1:]).reshape(-1, 3, 3) + self.color_base
        return gamma, color


class IATNet(nn.Module):
    """IAT at test time. Input ``(N, 3, H, W)`` in [0, 1]; same shape out.

    Args:
        dim: channels of the local branch (16 in the official weights).
        blocks: blocks per local stack (3 in the official weights).
    """

    def __init__(self, *, dim: int = 16, blocks: int = 3) -> None:
        super().__init__()
        self.local_net = _Local(dim, blocks)
        self.global_net = _Global()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mul, add = self.local_net(x)
        gamma, color = self.global_net(x)
        y = torch.einsum("nchw,ndc->ndhw", x * mul + add, color)
        return torch.clamp(y, 1e-8, 1.0) ** gamma[:, :, None, None]


def _shape(state: Mapping[str, Any]) -> tuple[int, int] | None:
    """``(dim, blocks)`` read off the tensors, or None if the names are not IAT's."""
    weight, blocks = state.get("local_net.conv1.weight"), indexed_count(state, _BLOCK)
    return (int(weight.shape[0]), blocks) if weight is not None and weight.ndim == 4 and blocks else None


def _make(state: Mapping[str, Any]) -> nn.Module | None:
    shape = _shape(state)
    return None if shape is None else IATNet(dim=shape[0], blocks=shape[1])


_matches, _build = sized_from_state(_make)


# the gamma and colour matrix come from attention over the whole image
IAT = PeerArch("IAT", "Cui et al., BMVC 2022; weights github.com/cuiziteng/Illumination-Adaptive-Transformer",
               "Apache-2.0", _matches, _build, tileable=False)
