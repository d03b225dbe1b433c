"""Zero-DCE (Guo et al., CVPR 2020) and Zero-DCE++ (Li, Guo & Loy, TPAMI 2021): zero-reference curves.

Both estimate light-enhancement curves with a seven-layer network (32 channels, ReLU, the symmetric skip
concatenations 3+4, 2+5, 1+6, tanh at the end) and apply the quadratic curve eight times. The official
weights are trained with the curve written ``x + a (x^2 - x)`` (negative ``a`` brightens), so that is the
form used here.

* Zero-DCE: plain 3x3 convolutions on the full image; the last layer gives 24 maps, a separate RGB map
  for each of the 8 iterations.
* Zero-DCE++: depthwise-separable convolutions on a copy shrunk 12 times (bilinear), one RGB map used in
  all 8 iterations, upsampled bilinearly (corners aligned) to the full image. vivid's own
  :class:`~vivid.models.archs.zero_dce.ZeroDCE` has this layout, so it is reused: the official tensor names
  are mapped onto it and the last layer is negated (``tanh`` is odd), which turns ``x + a (x^2 - x)`` into
  vivid's ``x + a x (1 - x)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from vivid.models.archs.zero_dce import ZeroDCE
from vivid.zoo.peers.base import PeerArch, has_keys, load_strict

_LAYERS = range(1, 8)
ITERATIONS = 8
#: Zero-DCE++ estimates its curve on the image shrunk by this factor (the official test setting)
PP_FACTOR = 12


class DCENet(nn.Module):
    """Zero-DCE's curve estimator and curves. Input ``(N, 3, H, W)`` in [0, 1], any size; same shape out.

    Args:
        width: channels of the hidden layers (32 in the official weights).
    """

    def __init__(self, *, width: int = 32) -> None:
        super().__init__()
        w = width
        self.e_conv1 = nn.Conv2d(3, w, 3, padding=1)
        self.e_conv2 = nn.Conv2d(w, w, 3, padding=1)
        self.e_conv3 = nn.Conv2d(w, w, 3, padding=1)
        self.e_conv4 = nn.Conv2d(w, w, 3, padding=1)
        self.e_conv5 = nn.Conv2d(2 * w, w, 3, padding=1)
        self.e_conv6 = nn.Conv2d(2 * w, w, 3, padding=1)
        self.e_conv7 = nn.Conv2d(2 * w, 3 * ITERATIONS, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1 = F.relu(self.e_conv1(x))
        x2 = F.relu(self.e_conv2(x1))
        x3 = F.relu(self.e_conv3(x2))
        x4 = F.relu(self.e_conv4(x3))
        x5 = F.relu(self.e_conv5(torch.cat([x3, x4], 1)))
        x6 = F.relu(self.e_conv6(torch.cat([x2, x5], 1)))
        maps = torch.tanh(self.e_conv7(torch.cat([x1, x6], 1)))
        y = x
        for a in maps.split(3, dim=1):
            y = y + a * (y * y - y)
        return y


class DCENetPP(ZeroDCE):
    """Zero-DCE++: vivid's separable curve network, run the way the official test runs it.

    Args:
        width: channels of the hidden layers (32 in the official weights).
    """

    def __init__(self, *, width: int = 32) -> None:
        # the maps are estimated on the 12x smaller copy made in forward(), never shrunk again
        super().__init__(channels=width, iterations=ITERATIONS, low_side=1 << 30)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        low = F.interpolate(x, scale_factor=1 / PP_FACTOR, mode="bilinear")
        maps = F.interpolate(self.curve_maps(low), size=x.shape[-2:], mode="bilinear", align_corners=True)
        return self.apply_curves(x, maps)


def _is_zero_dce(state: Mapping[str, Any]) -> bool:
    keys = {f"e_conv{i}.{p}" for i in _LAYERS for p in ("weight", "bias")}
    return has_keys(state, keys) and tuple(state["e_conv7.weight"].shape[:1]) == (3 * ITERATIONS,)


def _is_zero_dce_pp(state: Mapping[str, Any]) -> bool:
    keys = {f"e_conv{i}.{c}.{p}" for i in _LAYERS for c in ("depth_conv", "point_conv") for p in ("weight", "bias")}
    return has_keys(state, keys)


def _build_zero_dce(state: Mapping[str, Any]) -> nn.Module:
    return load_strict(DCENet(width=state["e_conv1.weight"].shape[0]), state)


def _build_zero_dce_pp(state: Mapping[str, Any]) -> nn.Module:
    names = {"depth_conv": "depthwise", "point_conv": "pointwise"}
    mapped = {}
    for key, tensor in state.items():
        layer, conv, param = key.split(".")
        mapped[f"e{layer.removeprefix('e_conv')}.{names[conv]}.{param}"] = tensor
    # x + a (x^2 - x) == x + (-a) x (1 - x), and tanh(-z) == -tanh(z)
    mapped["e7.pointwise.weight"] = -mapped["e7.pointwise.weight"]
    mapped["e7.pointwise.bias"] = -mapped["e7.pointwise.bias"]
    return load_strict(DCENetPP(width=state["e_conv1.point_conv.weight"].shape[0]), mapped)


#: the licence of the official Zero-DCE and Zero-DCE++ weights
NON_COMMERCIAL = "CC BY-NC 4.0, non-commercial academic use only"
# seven 3x3 convolutions: a 7-pixel radius
ZERO_DCE = PeerArch("Zero-DCE", "Guo et al., CVPR 2020; weights github.com/Li-Chongyi/Zero-DCE",
                    NON_COMMERCIAL, _is_zero_dce, _build_zero_dce, tile_overlap=16)
# the curve comes from a 12x smaller copy of the whole image
ZERO_DCE_PP = PeerArch("Zero-DCE++", "Li, Guo & Loy, TPAMI 2021; weights github.com/Li-Chongyi/Zero-DCE_extension",
                       NON_COMMERCIAL, _is_zero_dce_pp, _build_zero_dce_pp, tileable=False, min_size=PP_FACTOR)
