"""Load one of vivid's shipped models the way this installation can run it: in torch when it is installed
(:mod:`vivid.zoo.builtin`), else from the ONNX graphs shipped beside the weights (:mod:`vivid.zoo.shipped_onnx`).
Every learned registry entry is loaded through :func:`load_shipped`."""

from __future__ import annotations

from vivid.models.base import Restorer
from vivid.zoo import builtin
from vivid.zoo.shipped_onnx import load_shipped_onnx


def load_shipped(name: str, scale: int) -> Restorer:
    """Shipped model ``name`` at ``scale``, hash-checked: torch when installed, else ONNX Runtime."""
    if builtin.torch_installed():
        return builtin.load_builtin(name, scale)
    return load_shipped_onnx(name, scale)
