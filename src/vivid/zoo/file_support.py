"""What every loader of users' model files shares: the descriptor a user model gets (the name
``file:<filename>``, the licence ``"unknown (user file)"``, the file's sha256), scale and task checks, probing a
network's scale and size rule, and the one-line error texts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from vivid.errors import ModelError
from vivid.models.base import TASKS, ModelDescriptor

USER_LICENSE = "unknown (user file)"


def user_provenance(path: Path, sha256: str, detail: str) -> str:
    """``"user file <name> sha256:<first 12>; <detail>"``."""
    return f"user file {path.name} sha256:{sha256[:12]}; {detail}"


def user_descriptor(
    path: Path, sha: str, detail: str, *, task: str | None, default_task: str | None, scale: int, channels: int,
    out_channels: int, speed_class: str, color_space: str | None = None, **fields: Any,
) -> ModelDescriptor:
    """The descriptor of a user's model file: named ``file:<filename>``, the licence ``"unknown (user
    file)"``, the file's sha256 and where it came from (``detail``); the task checked against the scale
    (:func:`resolve_task`) and the colour space from the input ``channels`` unless ``color_space`` says (``"y"``
    for a model of BT.601 luma); other ``fields`` as given."""
    return ModelDescriptor(
        name=f"file:{path.name}", task=resolve_task(path, scale, task, default_task),  # type: ignore[arg-type]
        scale=scale, color_space=color_space or color_space_for(path, channels),  # type: ignore[arg-type]
        out_channels=out_channels if out_channels != channels else None, license=USER_LICENSE,
        provenance=user_provenance(path, sha, detail), sha256=sha, speed_class=speed_class,  # type: ignore[arg-type]
        **fields,
    )


def brief(err: BaseException) -> str:
    """``"Type: first line of the message"``, short enough for a one-line error."""
    text = next((line.strip() for line in str(err).splitlines() if line.strip()), "")
    return f"{type(err).__name__}: {text[:120]}" if text else type(err).__name__


def not_a_model(path: Path, reader: str, detail: str) -> ModelError:
    """The error for a file that ``reader`` cannot read as a model."""
    return ModelError(
        f"{path.name!r} is not a model file ({reader} could not read it: {detail}); check the file"
    )


def check_scale(path: Path, model_scale: int, wanted: int | None) -> None:
    """Raise if the caller asked for a scale the model does not have."""
    if wanted is not None and wanted != model_scale:
        raise ModelError(
            f"model file {path.name!r} is x{model_scale}, you asked for x{wanted}: "
            f"use scale={model_scale} or a x{wanted} model"
        )


def resolve_task(path: Path, model_scale: int, task: str | None, default: str | None) -> str:
    """The task: the caller's, else ``default``; SR models (scale > 1) only do ``"sr"``."""
    if task is None:
        task = "sr" if model_scale > 1 else default
    if task is None:
        raise ModelError(
            f"model file {path.name!r} keeps the image size (x1), so its task cannot be inferred: "
            f"pass task= one of {', '.join(t for t in TASKS if t != 'sr')}"
        )
    if (task == "sr") != (model_scale > 1):
        raise ModelError(
            f"model file {path.name!r} is x{model_scale}, which does not fit task {task!r}: "
            f"'sr' models enlarge the image, other tasks keep its size"
        )
    return task


def color_space_for(path: Path, channels: int) -> str:
    """``"rgb"`` for 3 input channels, ``"gray"`` for 1; anything else is not an image model vivid runs."""
    if channels == 3:
        return "rgb"
    if channels == 1:
        return "gray"
    raise ModelError(
        f"model file {path.name!r} takes {channels} input channels: vivid runs models of 3 (RGB) or 1 (gray)"
    )


def speed_class_for(n_params: int) -> str:
    """A rough speed class from the parameter count (a user's model has no measured speed)."""
    if n_params < 30_000:
        return "realtime"
    if n_params < 300_000:
        return "fast"
    if n_params < 3_000_000:
        return "medium"
    return "slow"


#: probe sizes (H, W): odd first (if 17 runs, any size does); then multiples a U-Net or a window may need
PROBE_SIZES = ((17, 17), (16, 16), (32, 32), (64, 64))


def probe_scale(
    path: Path,
    run: Callable[[np.ndarray], np.ndarray],
    channels: int,
    sizes: tuple[tuple[int, int], ...] = PROBE_SIZES,
) -> tuple[int, int, tuple[int, int]]:
    """Run ``run`` on small random inputs to learn ``(scale, out_channels, (H, W) that ran)``.

    The first size that runs and gives the same integer scale on both axes decides.
    """
    errors = []
    for h, w in sizes:
        x = np.random.default_rng(0).random((1, channels, h, w), dtype=np.float32)
        try:
            y = run(x)
        except Exception as e:  # noqa: BLE001 - any runtime failure only means "not this size"
            errors.append(f"{h}x{w}: {type(e).__name__}")
            continue
        s = y.shape[2] // h if y.ndim == 4 else 0
        if s >= 1 and y.shape[0] == 1 and y.shape[2:] == (s * h, s * w):
            return s, int(y.shape[1]), (h, w)
        errors.append(f"{h}x{w}: output shape {tuple(y.shape)}")
    raise ModelError(
        f"model file {path.name!r} did not map a (1, {channels}, H, W) image to an integer-scaled image "
        f"({'; '.join(errors)}): vivid runs image-to-image models only"
    )


def size_rule(probed: tuple[int, int]) -> tuple[int, int]:
    """``(size_multiple, min_size)`` from the probe size that ran: an odd size means any size works
    (from 16, the smallest tried); an even size ``k`` means "pad to multiples of ``k``"."""
    k = probed[0]
    return (1, 16) if k % 2 else (k, k)
