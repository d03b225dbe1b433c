"""Colour-space conversions on float images, numpy or torch.

Every function takes an array ``(..., 3, H, W)`` (colour on the third axis from the end, as in the
internal ``(C, H, W)`` form and in torch's ``(N, C, H, W)``) and returns the same type, device and float
dtype it was given. numpy arrays and torch tensors give the same numbers (to float rounding), so the
same functions serve metrics and training losses. Inputs are not clipped.

Conventions:
    * RGB is gamma-encoded sRGB in [0, 1].
    * YCbCr is ITU-R BT.601 "studio swing" exactly as MATLAB's ``rgb2ycbcr`` computes it on double
      images: Y in [16/255, 235/255], Cb and Cr in [16/255, 240/255].
    * Lab is CIE L*a*b* (L in [0, 100]) for sRGB primaries under D65, with the white point taken as the
      image of RGB white so that grays have a = b = 0 exactly.
    * HSV is in [0, 1] for all three channels (hue as a fraction of a turn), as ``colorsys`` and
      matplotlib use it.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from vivid.errors import InputError

# MATLAB rgb2ycbcr.m: origT and origOffset, on the [0, 255] scale. Row sums of the Y row give 219.
_YCBCR_T = np.array(
    [
        [65.481, 128.553, 24.966],
        [-37.797, -74.203, 112.0],
        [112.0, -93.786, -18.214],
    ]
)
_YCBCR_OFFSET = np.array([16.0, 128.0, 128.0])
# For double images MATLAB uses T/255 and offset/255 (so that rgb in [0, 1] maps to ycbcr in [0, 1]).
_RGB_TO_YCBCR = _YCBCR_T / 255.0
_YCBCR_TO_RGB = np.linalg.inv(_RGB_TO_YCBCR)
_OFFSET01 = _YCBCR_OFFSET / 255.0

# MATLAB rgb2gray weights (Pillow's 'L' uses 0.299 / 0.587 / 0.114 in integer arithmetic).
_GRAY_WEIGHTS = (0.2989, 0.5870, 0.1140)

# IEC 61966-2-1 (sRGB) linear RGB -> XYZ, D65.
_RGB_TO_XYZ = np.array(
    [
        [0.4124, 0.3576, 0.1805],
        [0.2126, 0.7152, 0.0722],
        [0.0193, 0.1192, 0.9505],
    ]
)
_XYZ_TO_RGB = np.linalg.inv(_RGB_TO_XYZ)
# The white point is the image of RGB (1, 1, 1): (0.9505, 1.0, 1.0890), D65 to four decimals.
_WHITE = _RGB_TO_XYZ.sum(axis=1)
_LAB_EPS = (6.0 / 29.0) ** 3
_LAB_KAPPA = (29.0 / 6.0) ** 2 / 3.0


def _is_torch(x: Any) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def _check(x: Any, name: str, channels: int = 3) -> Any:
    """Validate ``(..., channels, H, W)`` floats; return the array (numpy arrays made ndarray)."""
    if _is_torch(x):
        if not x.is_floating_point():
            raise InputError(f"{name} needs a float tensor, got dtype {x.dtype}: convert with .float() first")
    else:
        x = np.asarray(x)
        if not np.issubdtype(x.dtype, np.floating):
            raise InputError(
                f"{name} needs a float array in [0, 1], got dtype {x.dtype}: convert with vivid.io first"
            )
    if x.ndim < 3 or x.shape[-3] != channels:
        raise InputError(f"{name} needs an array (..., {channels}, H, W), got shape {tuple(x.shape)}")
    return x


def _stack(parts: list[Any], like: Any) -> Any:
    if _is_torch(like):
        import torch

        return torch.stack(parts, dim=-3)
    return np.stack(parts, axis=-3)


def _where(cond: Any, a: Any, b: Any, like: Any) -> Any:
    if _is_torch(like):
        import torch

        return torch.where(cond, a, b)
    return np.where(cond, a, b)


def _clip(x: Any, lo: float | None, hi: float | None) -> Any:
    if _is_torch(x):
        return x.clamp(lo, hi)
    return np.clip(x, lo, hi)


def _cast(x: Any, like: Any) -> Any:
    """Give numpy results the float dtype of the input (numpy promotes float32 with float64 scalars)."""
    if _is_torch(like):
        return x
    return np.asarray(x, dtype=like.dtype)


def _matmul3(x: Any, m: np.ndarray, offset: np.ndarray | None = None) -> Any:
    """Apply a 3x3 matrix on the channel axis ``-3``: ``out_i = sum_j m[i, j] * x_j + offset_i``."""
    c = [x[..., j, :, :] for j in range(3)]
    out = []
    for i in range(3):
        o = float(m[i, 0]) * c[0] + float(m[i, 1]) * c[1] + float(m[i, 2]) * c[2]
        if offset is not None:
            o = o + float(offset[i])
        out.append(o)
    return _stack(out, x)


def rgb_to_ycbcr(rgb: Any) -> Any:
    """sRGB ``(..., 3, H, W)`` in [0, 1] -> BT.601 YCbCr ``(..., 3, H, W)``, as MATLAB ``rgb2ycbcr`` (double).

    ``Y = 16/255 + (65.481 R + 128.553 G + 24.966 B) / 255``; white maps to ``[235, 128, 128] / 255``.
    Works on numpy arrays and torch tensors.
    """
    x = _check(rgb, "rgb_to_ycbcr")
    return _cast(_matmul3(x, _RGB_TO_YCBCR, _OFFSET01), x)


def ycbcr_to_rgb(ycbcr: Any) -> Any:
    """BT.601 YCbCr ``(..., 3, H, W)`` -> sRGB ``(..., 3, H, W)``, as MATLAB ``ycbcr2rgb`` (double).

    The exact inverse of :func:`rgb_to_ycbcr`; the result is not clipped. numpy or torch.
    """
    x = _check(ycbcr, "ycbcr_to_rgb")
    c = [x[..., j, :, :] - float(_OFFSET01[j]) for j in range(3)]
    return _cast(_matmul3(_stack(c, x), _YCBCR_TO_RGB), x)


def rgb_to_y(rgb: Any) -> Any:
    """The BT.601 luma ``Y`` of :func:`rgb_to_ycbcr`, shape ``(..., 1, H, W)`` (the channel axis is kept).

    On the [0, 1] scale: ``Y = 16/255 + (65.481 R + 128.553 G + 24.966 B) / 255`` (multiply by 255 for
    the [0, 255] formula of the SR protocol). numpy or torch.
    """
    x = _check(rgb, "rgb_to_y")
    m = _RGB_TO_YCBCR[0]
    y = float(m[0]) * x[..., 0:1, :, :] + float(m[1]) * x[..., 1:2, :, :] + float(m[2]) * x[..., 2:3, :, :]
    return _cast(y + float(_OFFSET01[0]), x)


def rgb_to_gray(rgb: Any) -> Any:
    """BT.601 luma with MATLAB ``rgb2gray`` weights (0.2989, 0.5870, 0.1140), shape ``(..., 1, H, W)``.

    Full range (no 16..235 offset): white stays 1 (to 1e-4). numpy or torch.
    """
    x = _check(rgb, "rgb_to_gray")
    r, g, b = _GRAY_WEIGHTS
    return _cast(r * x[..., 0:1, :, :] + g * x[..., 1:2, :, :] + b * x[..., 2:3, :, :], x)


def srgb_to_linear(x: Any) -> Any:
    """Undo the sRGB transfer curve (IEC 61966-2-1), any shape; values below 0 are treated as 0."""
    if not _is_torch(x):
        x = np.asarray(x)
    lin = x / 12.92
    # clamp before the power so that the unselected branch has no NaN (and no NaN gradients)
    curved = ((_clip(x, 0.04045, None) + 0.055) / 1.055) ** 2.4
    return _cast(_where(x <= 0.04045, _clip(lin, 0.0, None), curved, x), x)


def linear_to_srgb(x: Any) -> Any:
    """Apply the sRGB transfer curve (IEC 61966-2-1), any shape; values below 0 are treated as 0."""
    if not _is_torch(x):
        x = np.asarray(x)
    lin = 12.92 * _clip(x, 0.0, None)
    curved = 1.055 * _clip(x, 0.0031308, None) ** (1.0 / 2.4) - 0.055
    return _cast(_where(x <= 0.0031308, lin, curved, x), x)


def rgb_to_lab(rgb: Any) -> Any:
    """sRGB ``(..., 3, H, W)`` in [0, 1] -> CIE L*a*b* ``(..., 3, H, W)`` (D65; L in [0, 100]).

    Red ``(1, 0, 0)`` gives about ``(53.24, 80.09, 67.20)``. numpy or torch.
    """
    x = _check(rgb, "rgb_to_lab")
    xyz = _matmul3(srgb_to_linear(x), _RGB_TO_XYZ)
    f = []
    for i in range(3):
        t = xyz[..., i, :, :] / float(_WHITE[i])
        cube = _clip(t, _LAB_EPS, None) ** (1.0 / 3.0)
        f.append(_where(t > _LAB_EPS, cube, t * _LAB_KAPPA + 4.0 / 29.0, x))
    lab = [116.0 * f[1] - 16.0, 500.0 * (f[0] - f[1]), 200.0 * (f[1] - f[2])]
    return _cast(_stack(lab, x), x)


def lab_to_rgb(lab: Any) -> Any:
    """CIE L*a*b* ``(..., 3, H, W)`` (D65) -> sRGB ``(..., 3, H, W)``; out-of-gamut values are not clipped.

    The inverse of :func:`rgb_to_lab` for colours inside the sRGB gamut. numpy or torch.
    """
    x = _check(lab, "lab_to_rgb")
    fy = (x[..., 0, :, :] + 16.0) / 116.0
    fs = [fy + x[..., 1, :, :] / 500.0, fy, fy - x[..., 2, :, :] / 200.0]
    delta = 6.0 / 29.0
    xyz = []
    for i in range(3):
        t = _where(fs[i] > delta, fs[i] ** 3, (fs[i] - 4.0 / 29.0) / _LAB_KAPPA, x)
        xyz.append(t * float(_WHITE[i]))
    lin = _matmul3(_stack(xyz, x), _XYZ_TO_RGB)
    # linear_to_srgb clamps negatives to 0; mirror the curve so that out-of-gamut colours stay visible
    encoded = linear_to_srgb(abs(lin))
    return _cast(_where(lin < 0, -encoded, encoded, x), x)


def rgb_to_hsv(rgb: Any) -> Any:
    """sRGB ``(..., 3, H, W)`` in [0, 1] -> HSV ``(..., 3, H, W)``, all channels in [0, 1] (as ``colorsys``).

    Hue is 0 where the saturation is 0. numpy or torch.
    """
    x = _check(rgb, "rgb_to_hsv")
    r, g, b = x[..., 0, :, :], x[..., 1, :, :], x[..., 2, :, :]
    if _is_torch(x):
        v = x.amax(dim=-3)
        mn = x.amin(dim=-3)
    else:
        v = x.max(axis=-3)
        mn = x.min(axis=-3)
    delta = v - mn
    safe_delta = _where(delta > 0, delta, 1.0 + 0.0 * delta, x)
    safe_v = _where(v > 0, v, 1.0 + 0.0 * v, x)
    s = _where(v > 0, delta / safe_v, 0.0 * v, x)
    rc, gc, bc = (v - r) / safe_delta, (v - g) / safe_delta, (v - b) / safe_delta
    h = _where(r == v, bc - gc, _where(g == v, 2.0 + rc - bc, 4.0 + gc - rc, x), x)
    h = (h / 6.0) % 1.0
    h = _where(delta > 0, h, 0.0 * h, x)
    return _cast(_stack([h, s, v], x), x)


def hsv_to_rgb(hsv: Any) -> Any:
    """HSV ``(..., 3, H, W)`` in [0, 1] -> sRGB ``(..., 3, H, W)``, the inverse of :func:`rgb_to_hsv`."""
    x = _check(hsv, "hsv_to_rgb")
    h, s, v = x[..., 0, :, :], x[..., 1, :, :], x[..., 2, :, :]
    h6 = (h % 1.0) * 6.0
    i = h6.floor() if _is_torch(x) else np.floor(h6)
    f = h6 - i
    p = v * (1.0 - s)
    q = v * (1.0 - s * f)
    t = v * (1.0 - s * (1.0 - f))
    # sector i in 0..5 picks (r, g, b) from (v, t, p, q)
    table = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    out = []
    for ch in range(3):
        acc = table[5][ch]
        for k in range(4, -1, -1):
            acc = _where(i == k, table[k][ch], acc, x)
        out.append(acc)
    return _cast(_stack(out, x), x)


def keep_light_chroma(before: np.ndarray, after: np.ndarray, *, lo: float = 0.35, hi: float = 0.7) -> np.ndarray:
    """``after`` (sRGB ``(..., 3, H, W)``, a brightened ``before`` of the same shape) with the saturation of
    the parts that were already well lit in ``before`` given back, clipped to [0, 1] float32.

    Where ``before``'s BT.601 luma is between ``lo`` and ``hi`` and above (smoothly weighted), ``after``'s
    chroma moves towards ``before``'s chroma scaled by the change of luma: a low-light model brightens the
    dark parts and must not whiten the lamps, windows or sunset. Dark parts, whose input chroma is mostly
    noise, keep ``after``'s colour.
    """
    src, out = rgb_to_ycbcr(before), rgb_to_ycbcr(after)
    t = np.clip((src[..., 0, :, :] - lo) / (hi - lo), 0.0, 1.0)
    w = (t * t * (3.0 - 2.0 * t))[..., None, :, :]  # smoothstep
    gain = (out[..., 0, :, :] - 16 / 255) / np.maximum(src[..., 0, :, :] - 16 / 255, 1e-3)
    target = 0.5 + (src[..., 1:, :, :] - 0.5) * np.clip(gain, 0.0, 4.0)[..., None, :, :]
    out[..., 1:, :, :] += w * (target - out[..., 1:, :, :])
    return np.clip(ycbcr_to_rgb(out), 0.0, 1.0).astype(np.float32)
