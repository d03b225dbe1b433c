"""Classical resamplers: MATLAB-exact bicubic (the SR baseline) and Lanczos-3.

Both are :func:`vivid.ops.resize.imresize` behind the :class:`~vivid.models.base.Restorer` interface.
They resample to any size, work on any number of channels (the engine also sends gray and alpha
planes) and keep full float precision: the SR benchmark quantises where its protocol says so.
"""

from __future__ import annotations

import numpy as np

from vivid.errors import ConfigError
from vivid.models.base import ModelDescriptor, Restorer
from vivid.models.classical.per_image import check_batch
from vivid.models.registry import get_entry
from vivid.ops.resize import imresize

#: kernel width in input pixels (imresize's support when enlarging); tiles need this much overlap
_KERNEL_WIDTH = {"cubic": 4, "lanczos3": 6}


class Resampler(Restorer):
    """Resize a batch ``(N, C, H, W)`` (any C) to ``size`` or by the integer ``descriptor.scale``."""

    def __init__(self, descriptor: ModelDescriptor, *, kernel: str) -> None:
        self.descriptor = descriptor
        self.kernel = kernel

    def __call__(self, batch: np.ndarray, *, size: tuple[int, int] | None = None) -> np.ndarray:
        """``(N, C, H, W)`` -> ``(N, C, *size)`` when ``size`` is given, else ``(N, C, H*s, W*s)``."""
        a = check_batch(batch)
        if size is not None:
            return imresize(a, size=size, kernel=self.kernel)
        return imresize(a, self.descriptor.scale, kernel=self.kernel)

    def __repr__(self) -> str:
        return f"Resampler({self.descriptor.name!r}, x{self.descriptor.scale})"


def _build(name: str, kernel: str, scale: int) -> Resampler:
    if isinstance(scale, bool) or not isinstance(scale, int | np.integer) or scale < 1:
        raise ConfigError(f"{name}: scale must be a positive integer, got {scale!r}")
    descriptor = get_entry(name).descriptor(
        int(scale), color_space="rgb", tileable=True, tile_overlap=_KERNEL_WIDTH[kernel], runtime="numpy",
        provenance="classical",
    )
    return Resampler(descriptor, kernel=kernel)


def build_bicubic(scale: int) -> Resampler:
    """MATLAB ``imresize`` bicubic (a = -0.5, antialiased when shrinking) at ``scale``."""
    return _build("bicubic", "cubic", scale)


def build_lanczos(scale: int) -> Resampler:
    """Lanczos-3 resampling (MATLAB ``imresize(..., 'lanczos3')``) at ``scale``."""
    return _build("lanczos", "lanczos3", scale)
