"""The contract between models and the engine.

A :class:`Restorer` is a ready-to-run model: a typed :class:`ModelDescriptor` plus a batch call on
float32 arrays. The engine reads the descriptor (scale, colour space, size multiple, tiling support)
and never asks which architecture it holds.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Literal

import numpy as np

from vivid.errors import ModelError

Task = Literal["sr", "denoise", "dejpeg", "lowlight", "color", "colorize"]
TASKS: tuple[str, ...] = ("sr", "denoise", "dejpeg", "lowlight", "color", "colorize")
ColorSpace = Literal["rgb", "y", "gray"]
Runtime = Literal["numpy", "opencv", "torch", "onnx", "openvino"]
SpeedClass = Literal["realtime", "fast", "medium", "slow"]


@dataclass(frozen=True)
class ModelDescriptor:
    """What the engine needs to know to run a model correctly.

    Attributes:
        name: registry name (or ``file:...`` for a user's file).
        task: what the model does.
        scale: output size / input size (1 for everything but SR).
        color_space: what the model consumes and returns: ``"rgb"`` (3 channels), ``"y"`` (the Y of
            BT.601 YCbCr; the engine upsamples chroma with bicubic) or ``"gray"`` (1 channel; colour
            images are processed channel by channel).
        out_channels: channels returned (3 for colorizers fed with ``"gray"``, else as consumed).
        size_multiple: input height and width must be multiples of this (the engine pads).
        fill: how the engine fills what it adds at the bottom and right to reach ``size_multiple``:
            ``"reflect"`` (mirrored pixels) or ``"edge"`` (the last row and column repeated, as a JPEG
            encoder fills its partial blocks: the JPEG-artefact remover sees the blocks that were coded).
        min_size: smallest input side the model accepts (the engine pads).
        tileable: whether the model may run on overlapping tiles (convolutional, local). Models with
            global decisions (curves from a thumbnail, NLM) say False or provide their own path.
        tile_overlap: overlap in input pixels needed for seam-free tiling (about the receptive radius).
        edge_margin: mirrored pixels the engine adds around the whole image before running the model
            and crops off after: convolutional networks pad with zeros, which leaves a dark or tinted
            frame along the image edges; mirrored context removes it. 0 for models without the problem.
        any_scale: the model resamples to any size (classical resamplers).
        runtime: which runtime executes it.
        dtypes: compute dtypes the model runs in, the default (``"float32"``) first. vivid's torch
            models also offer ``"bfloat16"`` as an opt-in (``--dtype``): within about 2 8-bit levels of
            float32, and faster only for some models on CPUs with AVX512-BF16 (``benchmarks/bf16_speed.py``).
        license: licence of the weights/code.
        provenance: where it came from (``vivid`` trained, ``classical``, ``user file``) and file hash.
        speed_class: rough speed on a 2-core CPU.
    """

    name: str
    task: Task
    scale: int = 1
    color_space: ColorSpace = "rgb"
    out_channels: int | None = None
    size_multiple: int = 1
    fill: Literal["reflect", "edge"] = "reflect"
    min_size: int = 1
    tileable: bool = True
    tile_overlap: int = 16
    edge_margin: int = 0
    any_scale: bool = False
    runtime: Runtime = "numpy"
    dtypes: tuple[str, ...] = ("float32",)
    license: str = "Apache-2.0"
    provenance: str = "vivid"
    sha256: str | None = None
    speed_class: SpeedClass = "fast"

    @property
    def in_channels(self) -> int:
        return 3 if self.color_space == "rgb" else 1

    @property
    def output_channels(self) -> int:
        return self.out_channels if self.out_channels is not None else self.in_channels


class Restorer(abc.ABC):
    """A loaded, ready model. Call it on a batch ``(N, C, H, W)`` float32 in [0, 1].

    ``C`` is ``descriptor.in_channels``; the result is ``(N, descriptor.output_channels, H*s, W*s)``
    (or ``size`` for ``any_scale`` models) and may leave [0, 1] slightly: the engine clips.
    """

    descriptor: ModelDescriptor

    @abc.abstractmethod
    def __call__(self, batch: np.ndarray, *, size: tuple[int, int] | None = None) -> np.ndarray:
        """Process ``batch``; ``size`` is the target (H, W) for ``any_scale`` models, else ignored."""

    def bind(self, image: np.ndarray) -> Restorer:
        """Fix per-image global parameters before tiling; called once with the whole ``(C, H, W)`` image.

        Models whose output depends on image-wide statistics (a noise level, tone curves from a
        thumbnail) return a bound copy here, so that every tile uses the same parameters.
        """
        return self

    def with_dtype(self, dtype: str) -> Restorer:
        """This model computing in ``dtype`` (one of ``descriptor.dtypes``); an unsupported one is an error."""
        if dtype == "float32":
            return self
        raise ModelError(
            f"model {self.descriptor.name!r} computes in {', '.join(self.descriptor.dtypes)} only, "
            f"not {dtype}: leave the dtype at float32 for it"
        )

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources (sessions, threads)."""
