"""Bring your own model: turn a model file into a :class:`~vivid.models.base.Restorer`.

:func:`load_model_file` dispatches on the file suffix:

* ``.pth .pt .ckpt .bin .safetensors`` — PyTorch weights, architecture recognised by spandrel
  (:mod:`vivid.zoo.spandrel_files`) or one of the published low-light methods (:mod:`vivid.zoo.peers`).
  Loading is safe by default: only tensors are unpickled.
* ``.pb`` — OpenCV ``dnn_superres`` graphs: FSRCNN, FSRCNN-small, ESPCN, LapSRN, EDSR
  (:mod:`vivid.zoo.opencv_files`).
* ``.onnx`` — any ONNX image-to-image model, run by ONNX Runtime (:mod:`vivid.zoo.onnx_files`).

The helpers those modules share are in :mod:`vivid.zoo.file_support`.
"""

from __future__ import annotations

from pathlib import Path

from vivid.errors import ConfigError, InputError, ModelError
from vivid.models.base import TASKS, Restorer
from vivid.zoo import builtin
from vivid.zoo.file_support import (  # noqa: F401 - the loaders' shared helpers, importable from here too
    PROBE_SIZES,
    USER_LICENSE,
    brief,
    check_scale,
    color_space_for,
    not_a_model,
    probe_scale,
    resolve_task,
    size_rule,
    speed_class_for,
    user_descriptor,
    user_provenance,
)
from vivid.zoo.onnx_files import load_onnx_file
from vivid.zoo.opencv_files import load_opencv_file
from vivid.zoo.spandrel_files import load_torch_file

TORCH_SUFFIXES = (".pth", ".pt", ".ckpt", ".bin", ".safetensors")
OPENCV_SUFFIXES = (".pb",)
ONNX_SUFFIXES = (".onnx",)
#: every model file suffix vivid loads
MODEL_SUFFIXES = TORCH_SUFFIXES + OPENCV_SUFFIXES + ONNX_SUFFIXES


def is_model_file_ref(name: str) -> bool:
    """True for ``file:PATH`` or a path ending in a model-file suffix."""
    return name.startswith("file:") or Path(name).suffix.lower() in MODEL_SUFFIXES


def load_model_file(
    path: str | Path,
    *,
    task: str | None = None,
    scale: int | None = None,
    family: str | None = None,
    allow_pickle: bool = False,
) -> Restorer:
    """Load a user's model file, ready to run.

    Args:
        path: the model file.
        task: what the model does (one of :data:`vivid.models.base.TASKS`); inferred where the file
            says it (spandrel's purpose, scale > 1 means ``"sr"``), required for ONNX models of scale 1.
        scale: the scale you expect; a model of another scale raises :class:`ModelError`. Required
            with ``family`` for ``.pb`` files whose name does not say them (``FSRCNN_x2.pb`` does).
        family: OpenCV ``dnn_superres`` family for ``.pb`` files (fsrcnn, espcn, lapsrn, edsr).
        allow_pickle: let PyTorch files that store pickled Python objects (whole modules,
            TorchScript) load. Unpickling runs code from the file: only for files you trust.

    Returns:
        A :class:`Restorer` whose descriptor is named ``file:<filename>``, with the file's sha256, the
        licence ``"unknown (user file)"`` and where it came from in ``provenance``.

    Raises:
        InputError: the file does not exist.
        ConfigError: ``task`` is not a vivid task, or ``family`` is given for a file that is not ``.pb``.
        ModelError: the file is not a model, its format or architecture is not supported, or it
            does not fit ``task`` / ``scale``.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"model file {str(p)!r} does not exist or is not a file: check the path")
    if task is not None and task not in TASKS:
        raise ConfigError(f"unknown task {task!r}: use one of {', '.join(TASKS)}")
    suffix = p.suffix.lower()
    if family is not None and suffix not in OPENCV_SUFFIXES:
        raise ConfigError(f"family={family!r} applies to OpenCV .pb files only, not to {p.name!r}: drop it")
    if suffix in TORCH_SUFFIXES:
        if not builtin.torch_installed():
            raise ModelError(
                f"model file {p.name!r} is a PyTorch file, which needs PyTorch and spandrel: "
                f"pip install 'vivid-restore[torch]' (or export it to ONNX and load the .onnx file)"
            )

        return load_torch_file(p, task=task, scale=scale, allow_pickle=allow_pickle)
    if suffix in OPENCV_SUFFIXES:
        return load_opencv_file(p, task=task, scale=scale, family=family)
    if suffix in ONNX_SUFFIXES:
        return load_onnx_file(p, task=task, scale=scale)
    formats = ", ".join(MODEL_SUFFIXES)
    raise ModelError(f"model file {p.name!r} has an unsupported suffix {p.suffix!r}: supported are {formats}")


