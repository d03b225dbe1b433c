"""What the classical enhancers share: the image check, BT.601 luma and the per-image Restorer.

Each enhancer is a plain function on one image ``(C, H, W)``; :class:`PerImageRestorer` maps it over
a batch ``(N, C, H, W)`` so that the engine can run it like any other model.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from vivid.errors import InputError, ModelError
from vivid.models.base import ModelDescriptor, Restorer
from vivid.models.registry import get_entry

#: BT.601 luma weights (R, G, B), applied to the gamma-encoded values
LUMA_601 = (0.299, 0.587, 0.114)


def check_image(img: np.ndarray, *, what: str = "image") -> np.ndarray:
    """``img`` as a contiguous float32 ``(C, H, W)`` array with C = 1 or 3, else :class:`InputError`."""
    a = np.asarray(img)
    if a.ndim != 3 or a.shape[0] not in (1, 3) or min(a.shape[1:]) < 1:
        raise InputError(f"{what} must be a (C, H, W) array with C = 1 or 3, got shape {a.shape}")
    if not np.issubdtype(a.dtype, np.floating):
        raise InputError(f"{what} must be float in [0, 1], got dtype {a.dtype}: convert with vivid.io")
    return np.ascontiguousarray(a, dtype=np.float32)


def check_batch(batch: np.ndarray) -> np.ndarray:
    """``batch`` as a float32 ``(N, C, H, W)`` array, else :class:`InputError`."""
    a = np.asarray(batch)
    if a.ndim != 4:
        raise InputError(f"a model batch must be (N, C, H, W), got shape {a.shape}")
    if not np.issubdtype(a.dtype, np.floating):
        raise InputError(f"a model batch must be float in [0, 1], got dtype {a.dtype}")
    return a.astype(np.float32, copy=False)


def luma(img: np.ndarray) -> np.ndarray:
    """BT.601 luma ``(H, W)`` of ``(3, H, W)`` RGB; a gray ``(1, H, W)`` image is its own luma."""
    if img.shape[0] == 1:
        return img[0]
    r, g, b = LUMA_601
    return r * img[0] + g * img[1] + b * img[2]


def check_unit_scale(name: str, scale: int) -> None:
    """Per-image enhancers keep the size: any scale but 1 is a :class:`ModelError`."""
    if scale != 1:
        raise ModelError(f"model {name!r} does not support scale {scale}: it offers x1")


class PerImageRestorer(Restorer):
    """A :class:`Restorer` that applies ``fn`` (one image ``(C, H, W)`` -> ``(C, H, W)``) to each image.

    ``size`` is ignored (these models keep the size); the result is float32 ``(N, C, H, W)``.
    """

    def __init__(self, descriptor: ModelDescriptor, fn: Callable[[np.ndarray], np.ndarray]) -> None:
        self.descriptor = descriptor
        self.fn = fn

    def __call__(self, batch: np.ndarray, *, size: tuple[int, int] | None = None) -> np.ndarray:
        a = check_batch(batch)
        if len(a) == 0:
            return a.copy()
        return np.stack([self.fn(img) for img in a]).astype(np.float32, copy=False)

    def __repr__(self) -> str:
        return f"PerImageRestorer({self.descriptor.name!r})"


def per_image_restorer(name: str, scale: int, fn: Callable[[np.ndarray], np.ndarray], *, runtime: str) -> PerImageRestorer:
    """Classical model ``name`` (one of the registry's: it gives the task, licence and speed class) applying
    ``fn`` to whole images on ``runtime``; any ``scale`` but 1 is a :class:`ModelError`."""
    check_unit_scale(name, scale)
    descriptor = get_entry(name).descriptor(1, tileable=False, tile_overlap=0, runtime=runtime, provenance="classical")
    return PerImageRestorer(descriptor, fn)
