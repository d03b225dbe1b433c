"""Load any model by name: a registry name, or ``file:PATH`` / a path for the user's own file."""

from __future__ import annotations

from pathlib import Path

from vivid.models.base import Restorer

_MODEL_SUFFIXES = {".pth", ".pt", ".ckpt", ".safetensors", ".bin", ".pb", ".onnx"}


def is_model_file_ref(name: str) -> bool:
    """True for ``file:PATH`` or a path ending in a model-file suffix."""
    return name.startswith("file:") or Path(name).suffix.lower() in _MODEL_SUFFIXES


def load_model(
    name: str,
    *,
    scale: int | None = None,
    task: str | None = None,
    family: str | None = None,
    allow_pickle: bool = False,
) -> Restorer:
    """A ready :class:`Restorer` for a registry ``name`` or a model file (``file:PATH``).

    ``scale`` None means the model's own scale (a file's native scale, a registry entry's first).
    """
    if is_model_file_ref(name):
        from vivid.zoo.byo import load_model_file

        path = name[5:] if name.startswith("file:") else name
        return load_model_file(
            path, task=task, scale=scale, family=family, allow_pickle=allow_pickle
        )
    from vivid.models.registry import build, get_entry

    return build(name, scale=scale if scale is not None else get_entry(name).scales[0])
