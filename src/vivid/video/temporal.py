"""Temporal consistency for per-frame models that make global decisions (low-light, colour/tone, colorize).

Such a model decides per frame (a gamma from the mean brightness, white-balance gains from the channel
means, a colour palette): when something bright passes through the picture, the decision jumps and the
whole frame pumps. The smoother is model-agnostic. For every frame it fits, at low resolution, the
global per-channel transform the model applied, ``after_c ≈ gain_c * before_c + offset_c`` (least squares,
ridge-shrunk towards gain 1 on flat frames), keeps an exponential moving average of gain and offset over
time (time constant in seconds, from the frames' timestamps: variable-frame-rate safe, restarted at scene
cuts, where most of the picture changes at once), and swaps the frame's own global transform for the
smoothed one::

    out = after + (gain_ema - gain) * before + (offset_ema - offset)

Everything the model does locally (the residual of the fit) is kept; only the global part is smoothed.
Since a least-squares fit with an offset passes through the means, the output's mean colour becomes
``gain_ema * mean(before) + offset_ema``: it follows the input's own changes, not the model's decisions.
"""

from __future__ import annotations

import base64
import math
from typing import Any

import numpy as np

from vivid.ops.resize import resize_planes

THUMB = 32  # side of the low-resolution images the transform is fitted on
RIDGE = 1e-5  # shrinks the gain towards 1 when a channel is flat (std below ~1 level of 255)
CUT_LEVEL = 0.08  # a thumbnail pixel "changed" when a channel moved by more than this (0..1) ...
CUT_SHARE = 0.5  # ... and a frame starts a new scene when more than this share of pixels changed


def _thumb(x: np.ndarray) -> np.ndarray:
    return resize_planes(x, (THUMB, THUMB), method="area")


def _match_channels(x: np.ndarray, channels: int) -> np.ndarray:
    if x.shape[0] == channels:
        return x
    if x.shape[0] == 1:
        return np.repeat(x, channels, axis=0)
    luma = 0.299 * x[0:1] + 0.587 * x[1:2] + 0.114 * x[2:3]
    return luma if channels == 1 else np.repeat(luma, channels, axis=0)


def fit_global(before: np.ndarray, after: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel ``(gain, offset)`` with ``after ≈ gain * before + offset`` on low-resolution copies.

    ``before`` is ``(C, H, W)``, ``after`` ``(C', H', W')``; gray/colour channel counts are matched.
    """
    xb = _match_channels(_thumb(before), after.shape[0]).astype(np.float64)
    ya = _thumb(after).astype(np.float64)
    xm = xb.mean(axis=(1, 2))
    ym = ya.mean(axis=(1, 2))
    dx = xb - xm[:, None, None]
    cov = (dx * (ya - ym[:, None, None])).mean(axis=(1, 2))
    var = (dx * dx).mean(axis=(1, 2))
    gain = (cov + RIDGE) / (var + RIDGE)
    return gain, ym - gain * xm


class TemporalSmoother:
    """Smooths one step's global transform over time; see the module docstring.

    Args:
        seconds: time constant of the moving average (0 disables smoothing).
    """

    def __init__(self, *, seconds: float = 0.5) -> None:
        self.seconds = seconds
        self.gain: np.ndarray | None = None
        self.offset: np.ndarray | None = None
        self.last_time: float | None = None
        self.last_thumb: np.ndarray | None = None

    def __call__(self, before: np.ndarray, after: np.ndarray, time: float) -> np.ndarray:
        """The smoothed version of ``after`` (the model's output for input ``before`` shown at ``time`` s)."""
        if self.seconds <= 0:
            return after
        gain, offset = fit_global(before, after)
        thumb = _thumb(before)
        cut = (self.last_thumb is None or self.last_thumb.shape != thumb.shape
               or float((np.abs(thumb - self.last_thumb).max(axis=0) > CUT_LEVEL).mean()) > CUT_SHARE)
        if cut or self.gain is None or self.offset is None or self.last_time is None:
            self.gain, self.offset = gain, offset
        else:
            k = 1.0 - math.exp(-max(time - self.last_time, 1e-6) / self.seconds)
            self.gain = self.gain + k * (gain - self.gain)
            self.offset = self.offset + k * (offset - self.offset)
        self.last_time, self.last_thumb = time, thumb
        d_gain = (self.gain - gain).astype(np.float32)[:, None, None]
        d_offset = (self.offset - offset).astype(np.float32)[:, None, None]
        if np.abs(d_gain).max() < 1e-7 and np.abs(d_offset).max() < 1e-7:
            return after
        x = before
        if x.shape[1:] != after.shape[1:]:
            x = resize_planes(x, after.shape[1:], method="linear")
        x = _match_channels(x, after.shape[0])
        return np.clip(after + d_gain * x + d_offset, 0.0, 1.0).astype(np.float32)

    def state_dict(self) -> dict[str, Any]:
        """The smoother's state as JSON-able data (exact: float arrays as base64)."""

        def enc(a: np.ndarray | None) -> dict[str, Any] | None:
            if a is None:
                return None
            return {"shape": list(a.shape), "dtype": str(a.dtype), "data": base64.b64encode(a.tobytes()).decode()}

        return {"gain": enc(self.gain), "offset": enc(self.offset), "last_time": self.last_time,
                "last_thumb": enc(self.last_thumb)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        def dec(d: dict[str, Any] | None) -> np.ndarray | None:
            if d is None:
                return None
            return np.frombuffer(base64.b64decode(d["data"]), dtype=d["dtype"]).reshape(d["shape"]).copy()

        self.gain, self.offset = dec(state["gain"]), dec(state["offset"])
        self.last_time = state["last_time"]
        self.last_thumb = dec(state["last_thumb"])
