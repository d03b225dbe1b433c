"""What runs when the user names no model: the default model per task, and the scale an SR model runs at."""

from __future__ import annotations

import math

from vivid.errors import ConfigError, ModelError
from vivid.models.base import TASKS
from vivid.models.registry import ENTRIES, get_entry
from vivid.zoo.loader import runs_a_file

#: default model per task (the first of each list that can be built wins)
DEFAULT_MODELS: dict[str, tuple[str, ...]] = {
    "sr": ("vivid-sr", "bicubic"),
    "denoise": ("vivid-denoise", "nlm"),
    "dejpeg": ("vivid-dejpeg",),
    "lowlight": ("vivid-lowlight", "lime"),
    # vivid-tone is offered as the alternative until it beats gray-world on all FiveK pairs (see its card)
    "color": ("grayworld", "vivid-tone"),
    "colorize": ("vivid-colorize",),
}

#: the SR models for soft, JPEG-compressed inputs (web copies of photos), best first: auto routes an upscale of
#: such an image (engine.routing's SOFT_EDGES / SOFT_BLOCKY) to the first one installed that offers the scale, in
#: place of a cleanup step followed by clean-input SR. vivid-sr-real wins there (BSD100, x2, blurred 1.6 px then
#: JPEG q70: 26.76 dB against 26.04 for dejpeg → vivid-sr) and loses on what stays routed to the cleanup step,
#: JPEG or noise on a sharp image (q70 27.82 vs 28.85 dB): benchmarks/real_sr_routing.py
REAL_WORLD_SR: tuple[str, ...] = ("vivid-sr-real",)


def real_world_sr(needed: float) -> str | None:
    """The installed real-world SR model that reaches the factor ``needed`` itself, or None."""
    names = {e.name for e in ENTRIES}
    for name in REAL_WORLD_SR:
        if name in names and max(get_entry(name).scales) >= needed:
            return name
    return None


def default_model(task: str) -> str:
    """The recommended registry model for ``task`` (learned when shipped, else the classical one)."""
    if task not in DEFAULT_MODELS:
        if task in TASKS:  # a task vivid knows, without a default model yet: name one
            raise ModelError(f"vivid has no default model for task {task!r} yet: name a model for it")
        raise ConfigError(f"unknown task {task!r}: use one of {', '.join(TASKS)} or auto")
    names = {e.name for e in ENTRIES}
    for name in DEFAULT_MODELS[task]:
        if name in names:
            return name
    raise ModelError(f"no model for task {task!r} is installed yet")


def pick_scale(model: str, needed: float) -> int:
    """The model scale to run for an SR factor ``needed``: the smallest offered scale that reaches it,
    else the largest (the engine resamples the rest). Requests above the largest offered scale with
    an explicit integer factor are left to the model to refuse."""
    want = max(2, math.ceil(needed - 1e-9))
    if runs_a_file(model):
        return want
    entry = get_entry(model)
    if entry.any_scale or want in entry.scales:
        return want
    if abs(needed - round(needed)) < 1e-9 and round(needed) not in entry.scales and needed > max(entry.scales):
        return want  # an explicit unsupported integer factor: the model says so clearly
    higher = [s for s in entry.scales if s >= needed]
    return min(higher) if higher else max(entry.scales)
