"""``vivid bench speed``: time models on frames of standard sizes, as EVAL.md asks.

Sizes name the OUTPUT frame: for an SR model at x2, ``720p`` is a 1280x720 output made from a 640x360
input; other models get the frame itself. Each model is measured in its own fresh worker process
(:mod:`vivid.bench.speed_worker`): one warm-up run per size, then ``runs`` timed runs of
:func:`vivid.engine.api.run_model`, median reported. A process of its own gives each model an honest
peak resident memory: a peak only ever grows within a process, so in one shared process every model
after the largest would inherit its peak, and tracemalloc would miss torch's and OpenCV's native
allocations. The worker reads the peak of its own address space (Linux ``VmHWM``) rather than
``getrusage`` ``ru_maxrss``, which Linux carries over ``exec`` from the parent (here a process that has
already loaded torch and every model to validate them). Models load as ``vivid enhance`` loads them
(:func:`vivid.zoo.onnx_runtime.load_on_runtime`): ``runtime="auto"`` times what users run, and each row
names the runtime that ran. Sizes run from small to large, so the peak after
a size is the peak of that size. Ratios to a ``reference`` model come from the same run, since absolute
times on a shared 2-core machine move from run to run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from vivid.bench.machine import Machine, describe_machine
from vivid.bench.models import load_bench_model, precision_label
from vivid.engine.cache import ModelCache
from vivid.errors import ConfigError, ModelError

#: named output sizes (width, height)
SIZES: dict[str, tuple[int, int]] = {
    "360p": (640, 360),
    "480p": (854, 480),
    "720p": (1280, 720),
    "1080p": (1920, 1080),
    "1440p": (2560, 1440),
    "2160p": (3840, 2160),
    "4k": (3840, 2160),
}
MIN_RUNS = 5

ProgressFn = Callable[[int, int, str], None]


@dataclass(frozen=True)
class FrameSize:
    label: str
    width: int
    height: int


def parse_size(text: str) -> FrameSize:
    """``720p`` (see :data:`SIZES`) or ``WxH`` -> :class:`FrameSize` (the output frame)."""
    key = text.strip().lower()
    if key in SIZES:
        w, h = SIZES[key]
        return FrameSize(key, w, h)
    try:
        w, h = (int(v) for v in key.split("x"))
    except ValueError:
        raise ConfigError(
            f"unknown frame size {text!r}: use {', '.join(SIZES)} or WxH (e.g. 1280x720)"
        ) from None
    if not (16 <= w <= 16384 and 16 <= h <= 16384):
        raise ConfigError(f"frame size {text!r} must be between 16x16 and 16384x16384")
    return FrameSize(f"{w}x{h}", w, h)


@dataclass(frozen=True)
class SpeedConfig:
    """What ``vivid bench speed`` was asked to do. ``scale`` applies to SR models; ``threads`` sets
    ``VIVID_THREADS`` in the workers (None: all cores the process may use); ``runtime`` is
    ``vivid enhance --runtime`` (``auto``: what enhance runs, see :mod:`vivid.zoo.onnx_runtime`)."""

    models: tuple[str, ...]
    sizes: tuple[str, ...] = ("480p", "720p", "1080p")
    scale: int = 2
    runs: int = MIN_RUNS
    warmup: int = 1
    reference: str | None = None
    threads: int | None = None
    allow_pickle: bool = False
    tile: int | None = None
    timeout_s: float = 1800.0
    runtime: str = "auto"
    #: each model is timed at each of these (``auto``: as 'vivid enhance' runs it; ``int8``: vivid's networks from
    #: their int8 graphs; a model that ran in int8 is labelled so)
    precisions: tuple[str, ...] = ("auto",)


@dataclass(frozen=True)
class SpeedModel:
    """A checked model to time: ``name`` to load in the worker, ``scale`` it runs at (1 for non-SR)."""

    spec: str
    name: str
    label: str
    task: str
    scale: int
    runtime: str
    is_reference: bool
    precision: str = "auto"


@dataclass(frozen=True)
class SpeedPlan:
    config: SpeedConfig
    sizes: tuple[FrameSize, ...]
    models: tuple[SpeedModel, ...]


@dataclass(frozen=True)
class SpeedRow:
    """One model at one output size. ``ratio``: reference ms / this model's ms (> 1 = faster than it)."""

    model: str
    size: str
    in_width: int
    in_height: int
    out_width: int
    out_height: int
    runs_ms: tuple[float, ...]
    ms: float
    mpix_per_s: float
    fps: float
    peak_rss_mib: float
    runtime: str
    threads: int
    ratio: float | None = None


@dataclass(frozen=True)
class SpeedResult:
    config: SpeedConfig
    rows: tuple[SpeedRow, ...]
    reference: str | None
    machine: Machine
    created: str
    base_rss_mib: dict[str, float] = field(default_factory=dict)


def plan_speed(config: SpeedConfig) -> SpeedPlan:
    """Check sizes and options and load every model once (so that a bad one fails before any timing)."""
    if config.runs < MIN_RUNS:
        raise ConfigError(
            f"--runs must be at least {MIN_RUNS} (the median of at least 5 runs is reported), got {config.runs}"
        )
    if config.warmup < 1:
        raise ConfigError(f"--warmup must be at least 1, got {config.warmup}")
    if config.scale < 1:
        raise ConfigError(f"--scale must be a whole number >= 1, got {config.scale}")
    if config.threads is not None and config.threads < 1:
        raise ConfigError(f"--threads must be at least 1, got {config.threads}")
    if not config.sizes:
        raise ConfigError("no --sizes given: pass e.g. 480p,720p,1080p")
    sizes = sorted({parse_size(s) for s in config.sizes}, key=lambda f: (f.width * f.height, f.label))
    specs = list(config.models)
    if not specs:
        raise ConfigError("no --models given: pass at least one")
    if len(set(specs)) != len(specs):
        raise ConfigError(f"a model is listed twice in {', '.join(specs)}: list each once")
    if config.reference is not None and config.reference not in specs:
        specs.insert(0, config.reference)
    if not config.precisions or len(set(config.precisions)) != len(config.precisions):
        raise ConfigError(f"--precision takes auto, float32 and/or int8, each once, got {','.join(config.precisions)}")
    models = []
    seen: set[tuple[str, str]] = set()  # (spec, precision that ran): auto,float32 times a float-only model once
    for precision in config.precisions:
        cache = ModelCache(allow_pickle=config.allow_pickle, runtime=config.runtime, precision=precision)
        for spec in specs:
            if spec == config.reference and precision != config.precisions[0]:
                continue  # the reference is timed once
            m = load_bench_model(cache, spec, task=None, scale=config.scale)
            assert m is not None
            if m.before:
                raise ConfigError(f"model chain {spec!r}: the speed benchmark times one model at a time; "
                                  "time each model of the chain")
            ran = getattr(m.restorer, "precision", "float32")
            if (spec, ran) in seen:
                continue
            seen.add((spec, ran))
            d = m.restorer.descriptor
            s = d.scale if d.task == "sr" else 1
            for f in sizes:
                if d.task == "sr" and (f.width < s or f.height < s):
                    raise ConfigError(f"frame size {f.label} is smaller than the scale x{s}")
            label = precision_label(m.label, m.restorer)
            models.append(SpeedModel(spec, m.name, label, d.task, s, d.runtime, spec == config.reference, precision))
        cache.clear()
    return SpeedPlan(config, tuple(sizes), tuple(models))


def input_size(size: FrameSize, scale: int) -> tuple[int, int]:
    """The input (width, height) whose output at ``scale`` is (about) ``size``: ``round(size / scale)``."""
    return max(1, round(size.width / scale)), max(1, round(size.height / scale))


def _worker(model: SpeedModel, plan: SpeedPlan) -> dict:
    cfg = plan.config
    request = {
        "model": model.name,
        "scale": model.scale if model.task == "sr" else None,
        "sizes": [[f.label, *input_size(f, model.scale)] for f in plan.sizes],
        "runs": cfg.runs,
        "warmup": cfg.warmup,
        "allow_pickle": cfg.allow_pickle,
        "tile": cfg.tile,
        "runtime": cfg.runtime,
        "precision": model.precision,
    }
    env = dict(os.environ)
    if cfg.threads is not None:
        env["VIVID_THREADS"] = str(cfg.threads)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "vivid.bench.speed_worker"],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            env=env,
            timeout=cfg.timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ModelError(
            f"timing {model.label} took over {cfg.timeout_s:.0f} s: use smaller --sizes or fewer --runs"
        ) from None
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
        why = lines[-1] if lines else f"exit code {proc.returncode}"
        raise ModelError(f"timing {model.label} failed in its worker process: {why}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_speed(plan: SpeedPlan, *, progress: ProgressFn | None = None) -> SpeedResult:
    """Time every model (reference first) in its own worker; rows in model order, then size order."""
    reports: dict[str, dict] = {}
    order = sorted(plan.models, key=lambda m: not m.is_reference)
    for i, m in enumerate(order):
        if progress is not None:
            progress(i, len(order), m.label)
        reports[m.label] = _worker(m, plan)
    if progress is not None:
        progress(len(order), len(order), "done")
    ref = next((m for m in plan.models if m.is_reference), None)
    ref_ms: dict[str, float] = {}
    if ref is not None:
        ref_ms = {r["label"]: float(np.median(r["runs_ms"])) for r in reports[ref.label]["results"]}
    rows = []
    for m in plan.models:
        rep = reports[m.label]
        for r in rep["results"]:
            ms = float(np.median(r["runs_ms"]))
            ow, oh = r["out"]
            rows.append(
                SpeedRow(
                    model=m.label,
                    size=r["label"],
                    in_width=r["in"][0],
                    in_height=r["in"][1],
                    out_width=ow,
                    out_height=oh,
                    runs_ms=tuple(r["runs_ms"]),
                    ms=ms,
                    mpix_per_s=ow * oh / 1e6 / (ms / 1000.0),
                    fps=1000.0 / ms,
                    peak_rss_mib=r["peak_rss_mib"],
                    runtime=rep["runtime"],
                    threads=rep["threads"],
                    ratio=(ref_ms[r["label"]] / ms) if r["label"] in ref_ms else None,
                )
            )
    return SpeedResult(
        plan.config,
        tuple(rows),
        ref.label if ref else None,
        describe_machine(),
        datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        {m.label: reports[m.label]["rss_start_mib"] for m in plan.models},
    )
