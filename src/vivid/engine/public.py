"""The Python API as users call it: :func:`vivid.enhance` and :func:`vivid.analyze`.

Both take an image in any everyday form (a file path, a numpy array ``(H, W, C)`` of uint8, uint16 or
float in [0, 1], a PIL image, or a :class:`vivid.Image`) and sizes the way people type them everywhere
in vivid (``--size 1920x1080``, the REST ``size=1920x1080``): width first, as ``(width, height)`` or
``"1920x1080"``. A target size keeps the aspect ratio unless ``fit`` says otherwise.

The engine underneath, :func:`vivid.engine.api.enhance` (called by the CLI, the service and the video
pipeline), keeps numpy's order: its ``size`` is ``(height, width)``, and its ``fit`` defaults to
``stretch`` because its callers pass the exact output size.
"""

from __future__ import annotations

from typing import Any

from vivid.engine import api
from vivid.engine.plan import Plan
from vivid.engine.progress import Progress, null_progress
from vivid.errors import ConfigError


def engine_size(size: tuple[int, int] | str | None) -> tuple[int, int] | None:
    """A user's ``(width, height)`` or ``"WxH"`` as the engine's ``(height, width)``."""
    if size is None:
        return None
    if isinstance(size, str):
        return api.parse_size(size)
    try:
        w, h = size
        if not all(isinstance(v, int) or (hasattr(v, "is_integer") and v.is_integer()) for v in (w, h)):
            raise TypeError
    except (TypeError, ValueError):
        raise ConfigError(f"size must be (width, height) in whole pixels or 'WxH', got {size!r}") from None
    hw = (int(h), int(w))
    api.check_size(hw)
    return hw


def enhance(
    image: Any,
    plan: Plan | None = None,
    *,
    task: str = "auto",
    model: str | None = None,
    scale: float | None = None,
    size: tuple[int, int] | str | None = None,
    fit: str = "contain",
    strength: float = 1.0,
    tile: int | None = None,
    alpha: str = "resample",
    color_guard: bool = False,
    allow_pickle: bool = False,
    dtype: str = "float32",
    runtime: str = "auto",
    models: Any = None,
    recolor: bool = False,
    progress: Progress = null_progress,
) -> api.EnhanceResult:
    """Enhance ``image``; ``result.image`` is a :class:`vivid.Image` (``vivid.write_image`` saves it).

    Args:
        image: a file path, a numpy array ``(H, W)`` or ``(H, W, C)`` (uint8, uint16, or float in
            [0, 1]; C = 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA), a PIL image or a :class:`vivid.Image`.
        plan: run this plan (e.g. ``vivid.analyze(image)``, perhaps with a step's model changed)
            instead of making one; ``task`` and ``model`` are then not used.
        task: ``sr``, ``denoise``, ``dejpeg``, ``lowlight``, ``color``, ``colorize`` or ``auto``.
        model: a registered model name (``vivid.list_models()``), the name of a model you added
            (``vivid models add``) or ``file:PATH``, for ``task``.
        scale: SR factor above 0, at most 16 (``1.5`` runs x2 and resamples).
        size: SR target as ``(width, height)`` or ``"WxH"``; not together with ``scale``.
        fit: how ``size`` is met: ``contain`` (inside it, aspect kept), ``cover`` (fills it, aspect kept,
            the input cropped at the centre first) or ``stretch`` (exactly ``size``).
        strength, tile, alpha, color_guard, allow_pickle, dtype, runtime, models, recolor, progress: as
            :func:`vivid.engine.api.enhance` describes them.
    """
    from vivid.zoo.user_models import resolve_model_name

    if plan is not None and model is not None:
        raise ConfigError("give either a plan or a model, not both")
    hw = engine_size(size)
    if model is not None:  # checked by its name (your model's record says its task), then found
        api.check_request(task=task, model=model, scale=scale, size=hw)
        model = resolve_model_name(model)  # a model you added ('vivid models add'): file:PATH
    return api.enhance(
        image, plan, task=task, model=model, scale=scale, size=hw, fit=fit, strength=strength,
        tile=tile, alpha=alpha, color_guard=color_guard, allow_pickle=allow_pickle, dtype=dtype, runtime=runtime,
        models=models, recolor=recolor, progress=progress,
    )


def analyze(image: Any, *, scale: float | None = None, size: tuple[int, int] | str | None = None) -> Plan:
    """Measure ``image`` (any form :func:`enhance` takes) and return the recommended plan: each step with
    its model, the reason and alternatives. ``vivid.enhance(image, plan)`` runs it.

    ``scale`` / ``size`` (``(width, height)`` or ``"WxH"``) ask for super-resolution as in :func:`enhance`.
    """
    from vivid.engine.routing import analyze as run_analyze

    hw = engine_size(size)
    api.check_request(task="auto", model=None, scale=scale, size=hw)
    return run_analyze(api.as_image(image), scale=scale, size=hw)
