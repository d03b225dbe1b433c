"""PairLIE (Fu et al., CVPR 2023): Retinex decomposition learned from pairs of low-light images.

Three plain five-layer networks (3x3 convolutions with reflection padding, 64 channels, ReLU, a sigmoid
at the end): ``P`` removes what does not fit the Retinex model from the input, ``L`` estimates the
illumination (1 channel) and ``R`` the reflectance (3 channels) of ``P(x)``. The enhanced image is the
reflectance under a brightened illumination, ``L ** 0.2 * R`` — the exponent of the official test
(its code notes 0.14 for LOL; vivid keeps the default rather than a value picked per test set).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from vivid.zoo.peers.base import UNSTATED, PeerArch, load_strict

#: exponent applied to the illumination at test time
EXPONENT = 0.2
_BRANCHES = {"N_net": 3, "L_net": 1, "R_net": 3}  # the official names and output channels
_CONVS = (1, 4, 7, 10, 13)  # positions of the convolutions in each official Sequential


def _branch(width: int, out: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (cin, cout) in enumerate([(3, width), (width, width), (width, width), (width, width), (width, out)]):
        layers += [nn.ReflectionPad2d(1), nn.Conv2d(cin, cout, 3)]
        if i < 4:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class PairLIENet(nn.Module):
    """PairLIE at test time. Input ``(N, 3, H, W)`` in [0, 1]; same shape out.

    Args:
        width: channels of the hidden layers (64 in the official weights).
        exponent: brightening exponent applied to the illumination.
    """

    def __init__(self, *, width: int = 64, exponent: float = EXPONENT) -> None:
        super().__init__()
        self.projection = _branch(width, 3)
        self.illumination = _branch(width, 1)
        self.reflectance = _branch(width, 3)
        self.exponent = exponent

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p = torch.sigmoid(self.projection(x))
        light = torch.sigmoid(self.illumination(p))
        return light**self.exponent * torch.sigmoid(self.reflectance(p))


_OURS = {"N_net": "projection", "L_net": "illumination", "R_net": "reflectance"}


def _official_keys() -> set[str]:
    return {f"{b}.{b}.{i}.{p}" for b in _BRANCHES for i in _CONVS for p in ("weight", "bias")}


def _matches(state: Mapping[str, Any]) -> bool:
    return set(state) == _official_keys() and all(
        state[f"{b}.{b}.13.weight"].shape[0] == out for b, out in _BRANCHES.items()
    )


def _build(state: Mapping[str, Any]) -> nn.Module:
    mapped = {}
    for key, tensor in state.items():
        branch, _, index, param = key.split(".")
        mapped[f"{_OURS[branch]}.{index}.{param}"] = tensor
    return load_strict(PairLIENet(width=state["N_net.N_net.1.weight"].shape[0]), mapped)


# ten 3x3 convolutions on the way to the output
PAIRLIE = PeerArch("PairLIE", "Fu et al., CVPR 2023; weights github.com/zhenqifu/PairLIE",
                   UNSTATED, _matches, _build, tile_overlap=16)
