"""Load any model by name: a registry name, the name of a model you added (``vivid models add``), or
``file:PATH`` / a path for the user's own file."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from vivid.models.base import Restorer
from vivid.models.registry import ENTRIES, build, get_entry
from vivid.zoo.model_files import MODEL_SUFFIXES, is_model_file_ref, load_model_file  # noqa: F401 - re-exported
from vivid.zoo.user_models import find_user_model

if TYPE_CHECKING:  # user_models names files with this module's is_model_file_ref
    from vivid.zoo.user_models import UserModel


def added_model(name: str) -> UserModel | None:
    """The model added as ``name`` (``vivid models add``), or None when ``name`` is registered or not added."""
    if is_model_file_ref(name) or any(e.name == name for e in ENTRIES):
        return None
    return find_user_model(name)


def runs_a_file(name: str) -> bool:
    """True for a model file (``file:PATH``) or a model added by name: its scale is the file's own."""
    return is_model_file_ref(name) or added_model(name) is not None


def load_model(
    name: str,
    *,
    scale: int | None = None,
    task: str | None = None,
    family: str | None = None,
    allow_pickle: bool = False,
) -> Restorer:
    """A ready :class:`Restorer` for a registry ``name``, a model you added, or a model file (``file:PATH``).

    ``scale`` None means the model's own scale (a file's native scale, a registry entry's first).
    """
    if is_model_file_ref(name):
        path = name[5:] if name.startswith("file:") else name
        return load_model_file(
            path, task=task, scale=scale, family=family, allow_pickle=allow_pickle
        )
    yours = added_model(name)
    if yours is not None:  # named by its name; its file and hash stay in the provenance
        restorer = load_model_file(yours.path(), task=yours.task, scale=scale, allow_pickle=allow_pickle)
        d = restorer.descriptor
        restorer.descriptor = replace(d, name=yours.name, license=yours.license,
                                      provenance=f"your model {yours.name}: {d.provenance}")
        return restorer
    return build(name, scale=scale if scale is not None else get_entry(name).scales[0])
