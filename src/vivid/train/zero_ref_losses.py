"""Zero-reference losses of Zero-DCE (Guo et al., CVPR 2020): train a low-light enhancer without targets.

All take torch tensors ``(N, 3, H, W)`` in [0, 1] and return a scalar. The forms follow the authors'
training code (squared errors; the paper writes some as absolute values), so that their loss weights,
the defaults of :func:`zero_reference_loss`, carry over.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def spatial_consistency(enhanced: torch.Tensor, original: torch.Tensor, *, pool: int = 4) -> torch.Tensor:
    """Keep local contrast: differences between neighbouring ``pool`` x ``pool`` regions (of the channel
    mean) should stay what they were in the input. Sum over the four neighbours of the mean squared
    change."""
    a = F.avg_pool2d(original.mean(1, keepdim=True), pool)
    b = F.avg_pool2d(enhanced.mean(1, keepdim=True), pool)
    dh = (a[..., :, 1:] - a[..., :, :-1]) - (b[..., :, 1:] - b[..., :, :-1])
    dv = (a[..., 1:, :] - a[..., :-1, :]) - (b[..., 1:, :] - b[..., :-1, :])
    # left and right (up and down) neighbours give the same squared differences
    return 2 * (dh.pow(2).mean() + dv.pow(2).mean())


def exposure_control(enhanced: torch.Tensor, *, level: float = 0.6, patch: int = 16) -> torch.Tensor:
    """Mean squared distance of the average intensity of non-overlapping ``patch`` x ``patch`` regions
    from the well-exposedness ``level``."""
    m = F.avg_pool2d(enhanced.mean(1, keepdim=True), patch)
    return (m - level).pow(2).mean()


def color_constancy(enhanced: torch.Tensor) -> torch.Tensor:
    """Gray-world: the channel means should agree. ``sqrt(sum over channel pairs of (mean_p - mean_q)^4)``
    per image, averaged over the batch."""
    r, g, b = enhanced.mean(dim=(2, 3)).unbind(1)
    d = (r - g).pow(2).pow(2) + (r - b).pow(2).pow(2) + (g - b).pow(2).pow(2)
    return torch.sqrt(d + 1e-12).mean()


def illumination_smoothness(maps: torch.Tensor) -> torch.Tensor:
    """Total variation of the curve-parameter maps ``(N, C, h, w)``: mean squared horizontal plus mean
    squared vertical difference."""
    dh = maps[..., :, 1:] - maps[..., :, :-1]
    dv = maps[..., 1:, :] - maps[..., :-1, :]
    return dh.pow(2).mean() + dv.pow(2).mean()


def zero_reference_loss(
    enhanced: torch.Tensor,
    original: torch.Tensor,
    maps: torch.Tensor,
    *,
    w_spatial: float = 1.0,
    w_exposure: float = 10.0,
    w_color: float = 5.0,
    w_smooth: float = 9600.0,
) -> torch.Tensor:
    """The weighted sum Zero-DCE trains on. Weights as the authors' scripts: spatial 1, exposure 10,
    colour 5, and TV 200 on their per-channel TV sum of 24 maps (Zero-DCE; 1600 on 3 maps in Zero-DCE++),
    which is 9600 on :func:`illumination_smoothness`'s per-element means."""
    return (
        w_spatial * spatial_consistency(enhanced, original)
        + w_exposure * exposure_control(enhanced)
        + w_color * color_constancy(enhanced)
        + w_smooth * illumination_smoothness(maps)
    )
