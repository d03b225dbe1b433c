"""Load any model by name: a registry name, or ``file:PATH`` / a path for the user's own file."""

from __future__ import annotations

from pathlib import Path

from vivid.models.base import Restorer
from vivid.models.registry import build, get_entry
from vivid.zoo.byo import MODEL_SUFFIXES, load_model_file


def is_model_file_ref(name: str) -> bool:
    """True for ``file:PATH`` or a path ending in a model-file suffix."""
    return name.startswith("file:") or Path(name).suffix.lower() in MODEL_SUFFIXES


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
        path = name[5:] if name.startswith("file:") else name
        return load_model_file(
            path, task=task, scale=scale, family=family, allow_pickle=allow_pickle
        )
    return build(name, scale=scale if scale is not None else get_entry(name).scales[0])
