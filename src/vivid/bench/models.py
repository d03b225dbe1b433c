"""Models in a benchmark: load through the engine's :class:`~vivid.engine.cache.ModelCache` and check that
each one fits the task and scale asked for, before any work starts.

A chain ``"vivid-denoise+vivid-sr"`` is one row: its same-size models run first, in order, on the engine path,
then the last one, which must fit the benchmark's task (the row a user would get by running them one after
the other, e.g. a denoiser before SR on noisy inputs)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from vivid.errors import ConfigError, ModelError
from vivid.models.registry import get_entry
from vivid.zoo.loader import is_model_file_ref

if TYPE_CHECKING:
    from vivid.engine.cache import ModelCache
    from vivid.models.base import Restorer

SKIP_HINT = " (or pass --skip-unsupported to leave such pairs out)"
#: joins the models of a chain in a --models entry
CHAIN = "+"


@dataclass(frozen=True)
class BenchModel:
    """A loaded model: ``spec`` as given, ``name`` with ``{scale}`` filled in, ``label`` for tables;
    ``before``: the same-size models a chain runs first, in order."""

    spec: str
    name: str
    label: str
    restorer: Restorer
    before: tuple[Restorer, ...] = field(default=())


def model_label(name: str) -> str:
    """A short table label: registry names as they are, files as ``file:<folder>/<name>``."""
    if not name.startswith("file:"):
        return name
    p = Path(name[5:])
    return "file:" + (f"{p.parent.name}/{p.name}" if p.parent.name else p.name)


def precision_label(label: str, restorer: object) -> str:
    """A table label that says when a model runs in int8 (``--precision int8``)."""
    return f"{label} (int8)" if getattr(restorer, "precision", "float32") == "int8" else label


def split_list(values: list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """Comma-separated (and repeated) option values as one tuple: ``["a,b", "c"]`` -> ``("a", "b", "c")``."""
    out: list[str] = []
    for v in values or ():
        out.extend(part.strip() for part in v.split(",") if part.strip())
    return tuple(out)


def _compatible(model_task: str, bench_task: str) -> bool:
    """A model of another task that is a fair row in this benchmark: denoisers on JPEG artefacts (what
    vivid used for them before it had a JPEG-artefact remover)."""
    return bench_task == "dejpeg" and model_task == "denoise"


def load_bench_model(
    cache: ModelCache,
    spec: str,
    *,
    task: str | None,
    scale: int | None,
    skip_unsupported: bool = False,
) -> BenchModel | None:
    """Load ``spec`` (registry name or ``file:PATH``; ``{scale}`` in it becomes ``scale``) and check it.

    Args:
        cache: where models are loaded (once per name and scale).
        task: the benchmark's task; the model must do it (None: any task, as in speed runs).
        scale: the SR scale asked for; SR models must offer it (ignored for other tasks).
        skip_unsupported: return None instead of raising when the model lacks ``scale``.

    Raises:
        ModelError: unknown model, unloadable file, wrong task, or (unless skipping) a missing scale.
        ConfigError: ``{scale}`` in a spec when there is no scale to fill in.
    """
    parts = spec.split(CHAIN)
    if len(parts) > 1 and not (is_model_file_ref(spec) and Path(spec.removeprefix("file:")).exists()):
        return _load_chain(cache, [p.strip() for p in parts], task=task, scale=scale,
                           skip_unsupported=skip_unsupported, spec=spec)
    name = spec.replace("{scale}", str(scale)) if scale is not None else spec
    if "{scale}" in name:
        raise ConfigError(f"model {spec!r} uses {{scale}}, which only SR benchmarks (--scale) fill in")
    if is_model_file_ref(name):
        restorer = cache.get(name, None)  # the file's own scale: compared below
        d = restorer.descriptor
        if d.task == "sr" and scale is not None and not d.any_scale and d.scale != scale:
            try:  # a file of several scales (VDSR's one network for x2/x3/x4) loads at the asked one
                restorer = cache.get(name, scale)
            except ModelError:
                pass  # one scale only: reported below
    else:
        entry = get_entry(name)  # an unknown name fails here, with close matches
        if task is not None and entry.task != task and not _compatible(entry.task, task):
            raise ModelError(
                f"model {name!r} is a {entry.task} model, but this benchmark is --task {task}: "
                f"pick {task} models ('vivid models --task {task}')"
            )
        is_sr = entry.task == "sr"
        if is_sr and scale is not None and not entry.supports_scale(scale):
            if skip_unsupported:
                return None
            offers = ", ".join(f"x{s}" for s in entry.scales)
            raise ModelError(f"model {name!r} does not support scale {scale}: it offers {offers}{SKIP_HINT}")
        restorer = cache.get(name, scale if is_sr else None)
    d = restorer.descriptor
    if task is not None and d.task != task and not _compatible(d.task, task):
        raise ModelError(
            f"model {name!r} is a {d.task} model, but this benchmark is --task {task}: "
            f"pick {task} models ('vivid models --task {task}')"
        )
    if d.task == "sr" and scale is not None and not d.any_scale and d.scale != scale:
        if skip_unsupported:
            return None
        raise ModelError(
            f"model {name!r} is x{d.scale}, but the benchmark asks for x{scale}: use a x{scale} model "
            f"(a file path may say {{scale}}, e.g. file:weights/X{{scale}}.pt){SKIP_HINT}"
        )
    return BenchModel(spec, name, model_label(name), restorer)


def _load_chain(cache: ModelCache, parts: list[str], *, task: str | None, scale: int | None,
                skip_unsupported: bool, spec: str) -> BenchModel | None:
    """``first+...+last``: same-size models, then one that fits the benchmark; labelled ``a → b``."""
    if any(not p for p in parts):
        raise ConfigError(f"model chain {spec!r} has an empty part: join model names with '{CHAIN}', "
                          "e.g. vivid-denoise+vivid-sr")
    first = [load_bench_model(cache, p, task=None, scale=None) for p in parts[:-1]]
    for p, m in zip(parts, first, strict=False):
        assert m is not None  # no scale asked, nothing skipped
        if m.restorer.descriptor.task == "sr":
            raise ModelError(f"model chain {spec!r}: {p!r} changes the size; only the last model of a chain may "
                             "be an SR model")
    last = load_bench_model(cache, parts[-1], task=task, scale=scale, skip_unsupported=skip_unsupported)
    if last is None:
        return None
    ms = [*first, last]
    return BenchModel(spec, CHAIN.join(m.name for m in ms), " → ".join(m.label for m in ms),  # type: ignore[union-attr]
                      last.restorer, tuple(m.restorer for m in first))  # type: ignore[union-attr]
