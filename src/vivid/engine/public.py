"""The Python API as users call it: :func:`vivid.enhance` and :func:`vivid.analyze`.

Both take an image in any everyday form (a file path, a numpy array ``(H, W, C)`` of uint8, uint16 or
float in [0, 1], a PIL image, or a :class:`vivid.Image`) and sizes the way people type them everywhere
in vivid (``--size 1920x1080``, the REST ``size=1920x1080``): width first, as ``(width, height)`` or
``"1920x1080"``. A target size keeps the aspect ratio unless ``fit`` says otherwise.

The engine underneath, :func:`vivid.engine.api.enhance` (called by the CLI, the service and the video
pipeline), takes the same :class:`~vivid.engine.options.EnhanceOptions` (one set of defaults: ``fit`` is
``contain`` there too) but keeps numpy's order for a size given as a tuple: ``(height, width)``.
"""

from __future__ import annotations

from typing import Any

from vivid.engine import api
from vivid.engine.options import EnhanceOptions, Size, check_request, check_size
from vivid.engine.plan import Plan
from vivid.engine.progress import Progress, null_progress
from vivid.engine.routing import analyze as run_analyze
from vivid.errors import ConfigError


def engine_size(size: tuple[int, int] | str | None) -> Size | None:
    """A user's ``(width, height)`` or ``"WxH"`` as the engine's :class:`Size` (``(height, width)``)."""
    if size is None:
        return None
    if isinstance(size, str):
        return Size.parse(size)
    try:
        w, h = size
        if not all(isinstance(v, int) or (hasattr(v, "is_integer") and v.is_integer()) for v in (w, h)):
            raise TypeError
    except (TypeError, ValueError):
        raise ConfigError(f"size must be (width, height) in whole pixels or 'WxH', got {size!r}") from None
    hw = Size(int(h), int(w))
    check_size(hw)
    return hw


def enhance(
    image: Any,
    plan: Plan | None = None,
    *,
    size: tuple[int, int] | str | None = None,
    options: EnhanceOptions | None = None,
    models: Any = None,
    progress: Progress = null_progress,
    **changes: Any,
) -> api.EnhanceResult:
    """Enhance ``image``; ``result.image`` is a :class:`vivid.Image` (``vivid.write_image`` saves it).

    Args:
        image: a file path, a numpy array ``(H, W)`` or ``(H, W, C)`` (uint8, uint16, or float in
            [0, 1]; C = 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA), a PIL image or a :class:`vivid.Image`.
        plan: run this plan (e.g. ``vivid.analyze(image)``, perhaps with a step's model changed)
            instead of making one; ``task`` and ``model`` are then not used.
        size: SR target as ``(width, height)`` or ``"WxH"``; not together with ``scale``. It is met as
            ``fit`` says: ``contain`` (default: inside it, aspect kept), ``cover`` (fills it, aspect kept,
            the input cropped at the centre first) or ``stretch`` (exactly ``size``).
        options: an :class:`~vivid.engine.options.EnhanceOptions`; its options can also be given as
            keywords, for example ``task`` (``sr``, ``denoise``, ``dejpeg``, ``lowlight``, ``color``,
            ``colorize`` or ``auto``), ``model`` (a registered name, see ``vivid.list_models()``, the name
            of a model you added with ``vivid models add``, or ``file:PATH``), ``scale`` (above 0, at most
            16; ``1.5`` runs x2 and resamples), ``fit``, ``strength``, ``tile``, ``alpha``, ``color_guard``,
            ``recolor``, ``allow_pickle``, ``dtype`` and ``runtime``.
        models, progress: as :func:`vivid.engine.api.enhance` describes them.
    """
    if size is not None:
        changes["size"] = engine_size(size)
    opts = EnhanceOptions.merge(options, changes)
    if plan is not None and opts.model is not None:
        raise ConfigError("give either a plan or a model, not both")
    return api.enhance(image, plan, options=opts, models=models, progress=progress)


def analyze(image: Any, *, scale: float | None = None, size: tuple[int, int] | str | None = None) -> Plan:
    """Measure ``image`` (any form :func:`enhance` takes) and return the recommended plan: each step with
    its model, the reason and alternatives. ``vivid.enhance(image, plan)`` runs it.

    ``scale`` / ``size`` (``(width, height)`` or ``"WxH"``) ask for super-resolution as in :func:`enhance`.
    """
    hw = engine_size(size)
    check_request(task="auto", model=None, scale=scale, size=hw)
    return run_analyze(api.as_image(image), scale=scale, size=hw)
