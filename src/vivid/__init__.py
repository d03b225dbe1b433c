"""vivid: restore and enhance photos and video.

The public API is imported lazily so that ``import vivid`` does no work (no torch import,
no model loading, no file-system scanning).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY = {
    "Image": "vivid.io.image",
    "ImageMeta": "vivid.io.image",
    "read_image": "vivid.io.read",
    "write_image": "vivid.io.write",
    # the Python API takes images in any form and sizes as (width, height); see vivid.engine.public
    "enhance": "vivid.engine.public",
    "analyze": "vivid.engine.public",
    "list_models": "vivid.models.registry",
    "load_model": "vivid.zoo.loader",
    "VividError": "vivid.errors",
}

__all__ = ["__version__", *_LAZY]

if TYPE_CHECKING:  # pragma: no cover
    from vivid.engine.public import analyze, enhance
    from vivid.errors import VividError
    from vivid.io.image import Image, ImageMeta
    from vivid.io.read import read_image
    from vivid.io.write import write_image
    from vivid.models.registry import list_models
    from vivid.zoo.loader import load_model


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'vivid' has no attribute {name!r}")
    return getattr(import_module(module), name)
