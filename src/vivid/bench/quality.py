"""``vivid bench quality``: score models on datasets under the EVAL.md protocols.

Two phases. :func:`plan_quality` resolves every dataset (files, pairs, sizes) and loads and checks
every model at every setting, so that a bad name, an empty folder, a mismatched pair or a model that
lacks a scale fails with one clear error before any image is processed. :func:`run_quality` then runs
each image through :func:`vivid.engine.api.run_model` (the engine path users get: colour handling,
padding, tiling), scores it, and collects means, gains over the baseline, and published numbers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vivid.bench.datasets import Dataset, resolve_dataset
from vivid.bench.machine import Machine, describe_machine
from vivid.bench.models import BenchModel, load_bench_model, model_label, precision_label
from vivid.bench.protocols import Case, Metric, Protocol, make_protocol, setting_values
from vivid.bench.published import PublishedNumber, match_model, published_for
from vivid.engine.cache import ModelCache
from vivid.errors import ConfigError
from vivid.io.image import to_uint
from vivid.models.base import TASKS

if TYPE_CHECKING:
    from vivid.engine.cache import ModelCache

#: ``progress(done, total, message)``
ProgressFn = Callable[[int, int, str], None]
#: side of the square crops shown in the report, in output pixels
CROP_SIZE = 128


@dataclass(frozen=True)
class QualityConfig:
    """What ``vivid bench quality`` was asked to do (validated by :func:`plan_quality`).

    ``models`` are registry names or ``file:PATH``; ``{scale}`` in a path is replaced by each SR scale
    (``file:weights/X{scale}.pt``); ``a+b`` is a chain (:mod:`vivid.bench.models`). ``degradation`` is
    ``"real"`` for the real-world SR protocol, or the ops.degrade spec used to degrade clean images
    for ``lowlight``/``color`` (default :data:`vivid.bench.protocols.DEFAULT_SYNTHETIC`).
    """

    task: str
    datasets: tuple[str, ...]
    models: tuple[str, ...]
    scales: tuple[int, ...] = (2,)
    sigmas: tuple[float, ...] = (25.0,)
    qualities: tuple[int, ...] = (10, 20, 30, 40)
    limit: int | None = None
    crops: int = 2
    degradation: str | None = None
    quantize_noisy: bool = False
    skip_unsupported: bool = False
    allow_pickle: bool = False
    data_root: Path | None = None
    tile: int | None = None
    #: each model is scored at each of these (``auto``: as 'vivid enhance' runs it; ``int8``: vivid's networks from
    #: their int8 graphs; a model that ran in int8 is labelled so)
    precisions: tuple[str, ...] = ("auto",)


@dataclass(frozen=True)
class Job:
    """One dataset under one protocol, with its baseline model (SR) and the models to score."""

    protocol: Protocol
    dataset: Dataset
    baseline: BenchModel | None
    models: tuple[BenchModel, ...]
    crops: int = 0


@dataclass(frozen=True)
class QualityPlan:
    config: QualityConfig
    jobs: tuple[Job, ...]
    skipped: tuple[str, ...] = field(default_factory=tuple)

    @property
    def total_images(self) -> int:
        return sum(len(j.dataset.items) for j in self.jobs)


@dataclass(frozen=True)
class ImageScore:
    """One model's scores on one image (``seconds``: the run_model call; None for the input baseline)."""

    task: str
    setting: str
    dataset: str
    model: str
    image: str
    metrics: dict[str, float]
    seconds: float | None


@dataclass(frozen=True)
class QualityRow:
    """Means over a dataset's images for one model (or the baseline)."""

    task: str
    setting: str
    dataset: str
    model: str
    is_baseline: bool
    images: int
    metrics: dict[str, float]
    gain: float | None
    seconds_per_image: float | None
    published: PublishedNumber | None


@dataclass(frozen=True)
class Group:
    """One table: a task at one setting, over all datasets."""

    task: str
    setting: str
    label: str
    title: str
    metrics: tuple[Metric, ...]
    gain_metric: Metric | None
    baseline_label: str
    rows: tuple[QualityRow, ...]
    references: tuple[PublishedNumber, ...]


@dataclass(frozen=True)
class CropPanel:
    label: str
    pixels: np.ndarray  # uint8 (h, w, 3)


@dataclass(frozen=True)
class CropSet:
    """Side-by-side crops of one image: ground truth, input, baseline, each model."""

    task: str
    setting: str
    dataset: str
    image: str
    box: tuple[int, int, int, int]  # top, left, height, width in output pixels
    panels: tuple[CropPanel, ...]


@dataclass(frozen=True)
class QualityResult:
    config: QualityConfig
    groups: tuple[Group, ...]
    images: tuple[ImageScore, ...]
    crops: tuple[CropSet, ...]
    skipped: tuple[str, ...]
    machine: Machine
    created: str


# ---------------------------------------------------------------------------------------------- planning


def _unique(values: tuple[str, ...], what: str) -> tuple[str, ...]:
    if not values:
        raise ConfigError(f"no {what} given: pass at least one")
    seen: set[str] = set()
    for v in values:
        if v in seen:
            raise ConfigError(f"{what} {v!r} is listed twice: list it once")
        seen.add(v)
    return values


def plan_quality(config: QualityConfig, *, cache: ModelCache | None = None) -> QualityPlan:
    """Check everything and load every model; no image is processed here.

    Raises:
        ConfigError, InputError, ModelError: the first problem found, before any work.
    """
    task = config.task
    if task not in TASKS:
        raise ConfigError(f"unknown task {task!r}: use one of {', '.join(TASKS)}")
    datasets = _unique(tuple(config.datasets), "dataset")
    models = _unique(tuple(config.models), "model")
    if config.degradation is not None and task not in ("lowlight", "color", "sr"):
        raise ConfigError(f"--degrade applies to --task sr (real), lowlight and color only (this is --task {task})")
    if config.crops < 0:
        raise ConfigError(f"--crops must be 0 or more, got {config.crops}")
    values = setting_values(task, scales=tuple(config.scales), sigmas=tuple(config.sigmas),
                            qualities=tuple(config.qualities))
    if len(set(values)) != len(values):
        raise ConfigError(f"a setting is listed twice in {', '.join(str(v) for v in values)}: list each once")
    resolved = [resolve_dataset(d, task=task, root=config.data_root, limit=config.limit) for d in datasets]
    names = [d.name for d in resolved]
    if len(set(names)) != len(names):
        raise ConfigError(f"two datasets resolve to the same name ({', '.join(names)}): rename a folder")
    if not config.precisions or len(set(config.precisions)) != len(config.precisions):
        raise ConfigError(f"--precision takes auto, float32 and/or int8, each once, got {','.join(config.precisions)}")
    cache = cache if cache is not None else ModelCache(allow_pickle=config.allow_pickle, task_hint=task)
    jobs: list[Job] = []
    skipped: list[str] = []
    for i, value in enumerate(values):
        scale = int(value) if task == "sr" else None  # type: ignore[arg-type]
        loaded: list[BenchModel] = []
        seen: set[tuple[str, str]] = set()  # (spec, precision that ran): auto,float32 lists a float-only model once
        for precision in config.precisions:
            in_precision = cache if precision == cache.precision else ModelCache(
                allow_pickle=config.allow_pickle, task_hint=task, precision=precision)
            for spec in models:
                m = load_bench_model(
                    in_precision, spec, task=task, scale=scale, skip_unsupported=config.skip_unsupported
                )
                if m is None:
                    if precision == config.precisions[0]:
                        skipped.append(f"{model_label(spec)} at x{scale} (the model does not offer it)")
                    continue
                ran = getattr(m.restorer, "precision", "float32")
                if (precision == "int8" and ran != "int8") or (spec, ran) in seen:
                    continue  # classical models under int8 run as they are; no row twice
                seen.add((spec, ran))
                loaded.append(replace(m, label=precision_label(m.label, m.restorer)))
        labels = [m.label for m in loaded]
        if len(set(labels)) != len(labels):
            raise ConfigError(
                f"two models would share a table label ({', '.join(labels)}): "
                "give model files distinct folder/file names"
            )
        for ds in resolved:
            protocol = make_protocol(
                task,
                value,
                mode=ds.mode,
                degradation=config.degradation,
                quantize_noisy=config.quantize_noisy,
            )
            protocol.check(ds)
            baseline = None
            if protocol.baseline_model is not None:
                baseline = load_bench_model(cache, protocol.baseline_model, task=task, scale=scale)
            # a listed model that is the baseline is its row already, not a second identical one
            scored = tuple(m for m in loaded if baseline is None or m.name != baseline.name)
            jobs.append(Job(protocol, ds, baseline, scored, crops=config.crops if i == 0 else 0))
    return QualityPlan(config, tuple(jobs), tuple(skipped))


# ---------------------------------------------------------------------------------------------- running


def _crop_box(reference: np.ndarray, size: int) -> tuple[int, int, int, int]:
    """The ``size`` x ``size`` window with the most gradient energy (deterministic; ties: top-left)."""
    c, h, w = reference.shape
    ch, cw = min(size, h), min(size, w)
    y = reference.mean(axis=0).astype(np.float64)
    e = np.zeros((h, w))
    e[:, 1:] += np.diff(y, axis=1) ** 2
    e[1:, :] += np.diff(y, axis=0) ** 2
    integral = np.pad(e.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    sums = integral[ch:, cw:] - integral[:-ch, cw:] - integral[ch:, :-cw] + integral[:-ch, :-cw]
    top, left = np.unravel_index(int(np.argmax(sums)), sums.shape)
    return int(top), int(left), ch, cw


def _panel(label: str, pixels: np.ndarray, box: tuple[int, int, int, int]) -> CropPanel:
    top, left, h, w = box
    crop = np.clip(pixels[:, top : top + h, left : left + w], 0, 1)
    if crop.shape[0] == 1:
        crop = np.repeat(crop, 3, axis=0)
    return CropPanel(label, np.ascontiguousarray(to_uint(crop[:3]).transpose(1, 2, 0)))


def _run(model: BenchModel, case: Case, tile: int | None) -> tuple[np.ndarray, float]:
    # looked up at call time so that the engine function is the one measured (and tests can replace it)
    from vivid.engine import api

    t0 = time.perf_counter()
    image = case.model_input
    for first in model.before:  # a chain: "vivid-denoise+vivid-sr" runs the denoiser, then the SR model
        image = api.run_model(first, image, tile=tile)
    out = api.run_model(model.restorer, image, tile=tile)
    return out.color, time.perf_counter() - t0


def run_quality(plan: QualityPlan, *, progress: ProgressFn | None = None) -> QualityResult:
    """Run every job of ``plan`` image by image; return tables, per-image scores and crops."""
    total = plan.total_images
    done = 0
    scores: list[ImageScore] = []
    crops: list[CropSet] = []
    tile = plan.config.tile
    for job in plan.jobs:
        p = job.protocol
        ds = job.dataset
        for index, item in enumerate(ds.items):
            case = p.prepare(item, index)
            outputs: list[tuple[str, np.ndarray]] = []
            if job.baseline is not None:
                raw, seconds = _run(job.baseline, case, tile)
                base_out: np.ndarray = p.finish(raw)
                base_seconds: float | None = seconds
            else:
                assert case.baseline is not None
                base_out, base_seconds = case.baseline, None  # the input as the models get it
            scores.append(
                ImageScore(
                    p.task,
                    p.setting,
                    ds.name,
                    p.baseline_label,
                    item.name,
                    p.score(base_out, case),
                    base_seconds,
                )
            )
            for m in job.models:
                raw, seconds = _run(m, case, tile)
                out = p.finish(raw)
                scores.append(
                    ImageScore(p.task, p.setting, ds.name, m.label, item.name, p.score(out, case), seconds)
                )
                if index < job.crops:
                    outputs.append((m.label, out))
            if index < job.crops:
                ref = case.target if case.target is not None else case.shown_input
                box = _crop_box(ref, CROP_SIZE)
                panels = []
                if case.target is not None:
                    panels.append(_panel("ground truth", case.target, box))
                panels.append(_panel("degraded input", case.shown_input, box))
                if job.baseline is not None:  # otherwise the baseline is the degraded input itself
                    panels.append(_panel(f"baseline: {job.baseline.label}", base_out, box))
                panels.extend(_panel(label, out, box) for label, out in outputs)
                crops.append(CropSet(p.task, p.setting, ds.name, item.name, box, tuple(panels)))
            done += 1
            if progress is not None:
                progress(done, total, f"{p.label} {ds.name} {item.name}")
    groups = _group(plan, scores)
    return QualityResult(
        plan.config,
        groups,
        tuple(scores),
        tuple(crops),
        plan.skipped,
        describe_machine(),
        datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


def _mean(values: list[float]) -> float:
    return float(np.mean(np.asarray(values, dtype=np.float64)))


def _group(plan: QualityPlan, scores: list[ImageScore]) -> tuple[Group, ...]:
    by_key: dict[tuple[str, str, str], list[ImageScore]] = {}
    for s in scores:
        by_key.setdefault((s.setting, s.dataset, s.model), []).append(s)
    groups: dict[tuple[str, str], dict] = {}
    for job in plan.jobs:
        p = job.protocol
        g = groups.setdefault((p.task, p.setting), {"protocol": p, "rows": [], "refs": []})
        base_scores = by_key.get((p.setting, job.dataset.name, p.baseline_label), [])
        if not base_scores:
            continue
        gm = p.gain_metric
        base_mean = {k.key: _mean([s.metrics[k.key] for s in base_scores]) for k in p.metrics}
        base_secs = [s.seconds for s in base_scores if s.seconds is not None]
        base_pub = (
            match_model(p.task, job.dataset.name, p.setting, job.baseline.name) if job.baseline else None
        )
        g["rows"].append(
            QualityRow(
                p.task,
                p.setting,
                job.dataset.name,
                p.baseline_label,
                True,
                len(base_scores),
                base_mean,
                None,
                _mean(base_secs) if base_secs else None,
                base_pub,
            )
        )
        matched = {id(base_pub)} if base_pub else set()
        for m in job.models:
            ms = by_key.get((p.setting, job.dataset.name, m.label), [])
            mean = {k.key: _mean([s.metrics[k.key] for s in ms]) for k in p.metrics}
            gain = mean[gm.key] - base_mean[gm.key] if gm is not None else None
            secs = [s.seconds for s in ms if s.seconds is not None]
            pub = match_model(p.task, job.dataset.name, p.setting, m.name)
            if pub is not None:
                matched.add(id(pub))
            g["rows"].append(
                QualityRow(
                    p.task,
                    p.setting,
                    job.dataset.name,
                    m.label,
                    False,
                    len(ms),
                    mean,
                    gain,
                    _mean(secs) if secs else None,
                    pub,
                )
            )
        g["refs"].extend(
            r for r in published_for(p.task, job.dataset.name, p.setting) if id(r) not in matched
        )
    out = []
    for (task, setting), g in groups.items():
        p = g["protocol"]
        out.append(
            Group(
                task,
                setting,
                p.label,
                p.title,
                p.metrics,
                p.gain_metric,
                p.baseline_label,
                tuple(g["rows"]),
                tuple(g["refs"]),
            )
        )
    return tuple(out)
