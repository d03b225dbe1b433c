"""Where vivid keeps what it makes on this machine (exported ONNX graphs, int8 graphs): the user's cache."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """Where exported models are kept: ``$XDG_CACHE_HOME/vivid/onnx`` or ``~/.cache/vivid/onnx``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "vivid" / "onnx"
