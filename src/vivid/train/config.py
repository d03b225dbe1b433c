"""Typed training configuration, read from TOML and validated once at the edge.

Every section is a frozen pydantic dataclass in strict mode: an unknown key, or a value of the wrong type
(``patch = "48"``, ``val_every = "often"``, ``iterations = 1.5``) is a :class:`ConfigError` naming the
section and the key. ``dataclasses.replace`` on a config validates again.
"""

from __future__ import annotations

import tomllib
from dataclasses import field
from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, ValidationError
from pydantic.dataclasses import dataclass

from vivid.errors import ConfigError

_STRICT = ConfigDict(extra="forbid", strict=True)


@dataclass(frozen=True, config=_STRICT)
class DataConfig:
    train_dirs: tuple[str, ...]
    val_dir: str
    task: str = "sr"  # "sr" or a same-size restoration task ("denoise", "lowlight", "tone", "zero_ref", ...)
    patch: int = 48  # LR patch side
    batch: int = 16
    scale_aug: tuple[float, ...] = (1.0,)  # HR images are also used downscaled by these factors
    workers_seed: int = 0
    holdout: int = 0  # the last N images of val_dir validate and are left out of training
    # lowlight: re-expose each target (in linear light) so that its mean gray level lies in this range —
    # the enhancer learns to produce a well-exposed picture instead of guessing the photographer's exposure
    target_mean: tuple[float, ...] = ()
    # tone: also a green-magenta white-balance tint, a green gain of 2^u with u in [-tint, tint] (0: none)
    tint: float = 0.0
    # lowlight / zero_ref: the linear-light exposure range of the synthetic darkening (log-uniform)
    exposure: tuple[float, ...] = (0.03, 0.4)
    # lowlight / zero_ref: camera-processed noise (spatially and channel-correlated, some JPEG) on the inputs
    camera_noise: bool = False
    # dejpeg: the share of patches left uncompressed or saved at quality 90-100 (half each), so that the model
    # learns to leave clean and high-quality images alone (0: stage 1's mix, unchanged)
    dejpeg_mild: float = 0.0
    # dejpeg: the share of the other patches saved once at quality 10-25, the strongest artefacts, so that a
    # stage can weigh the low qualities where users see blocks most (0: the first stage's mix, unchanged)
    dejpeg_low: float = 0.0
    # sr: "bicubic" (the classical protocol) or "real" (vivid.train.real_sr's second-order chain, on the fly)
    degradation: Literal["bicubic", "real"] = "bicubic"


@dataclass(frozen=True, config=_STRICT)
class ModelConfig:
    """``arch`` plus the architecture's own named hyper-parameters (checked against its constructor)."""

    arch: str
    scale: int = 1  # SR factor; 1 for same-size tasks (not passed to their constructors)
    in_channels: int = 1
    params: dict[str, Any] = field(default_factory=dict)

    def arch_kwargs(self) -> dict[str, Any]:
        scale = {"scale": self.scale} if self.scale != 1 else {}
        return {**scale, "in_channels": self.in_channels, **self.params}


@dataclass(frozen=True, config=_STRICT)
class OptimConfig:
    lr: float = 1e-3
    min_lr: float = 1e-5
    iterations: int = 20000
    warmup: int = 200
    weight_decay: float = 0.0
    ema: float = 0.999
    loss: Literal["l1", "l2"] = "l1"  # l2: mean squared error
    grad_clip: float = 1.0


@dataclass(frozen=True, config=_STRICT)
class RunConfig:
    name: str
    out_dir: str = "checkpoints"
    seed: int = 0
    threads: int = 1
    val_every: int = 500
    checkpoint_every: int = 250
    log_every: int = 50
    init_from: str | None = None  # checkpoint/safetensors whose matching tensors initialise the model


@dataclass(frozen=True, config=_STRICT)
class TrainConfig:
    run: RunConfig
    data: DataConfig
    model: ModelConfig
    optim: OptimConfig = field(default_factory=OptimConfig)


_SECTIONS: dict[str, type] = {"run": RunConfig, "data": DataConfig, "optim": OptimConfig}


def _explain(err: ValidationError, section: str) -> str:
    """pydantic's first complaint as one line that names the key: ``[data] patch: ...``."""
    first = err.errors()[0]
    key = ".".join(str(p) for p in first["loc"]) or "?"
    if first["type"] == "unexpected_keyword_argument":
        return f"unknown key {key!r} in [{section}]"
    if first["type"] == "missing_argument":
        return f"[{section}] needs {key}"
    return f"[{section}] {key}: {first['msg'].lower()}, got {first.get('input')!r}"


def _section(cls: type, raw: dict[str, Any], section: str) -> Any:
    # TOML has arrays only; the configs hold tuples (frozen, hashable)
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}
    try:
        return cls(**kwargs)
    except ValidationError as e:
        message = _explain(e, section)
        if message.startswith("unknown key"):
            message += f": allowed are {', '.join(cls.__dataclass_fields__)}"
        raise ConfigError(message) from None


def _model_config(raw: dict[str, Any]) -> ModelConfig:
    base = {k: raw[k] for k in ("arch", "scale", "in_channels") if k in raw}
    params = {k: v for k, v in raw.items() if k not in base}
    cfg = _section(ModelConfig, {**base, "params": params}, "model")
    from vivid.models.archs.factory import build_arch  # imports torch

    build_arch(cfg.arch, **cfg.arch_kwargs())  # validates the hyper-parameters' names and types
    return cfg


def check(cfg: TrainConfig) -> TrainConfig:
    """The rules that tie keys together (each message names the key and the allowed values)."""
    d, o = cfg.data, cfg.optim
    positive = {"[data] patch": d.patch, "[data] batch": d.batch, "[optim] iterations": o.iterations,
                "[run] threads": cfg.run.threads, "[run] val_every": cfg.run.val_every,
                "[run] checkpoint_every": cfg.run.checkpoint_every, "[run] log_every": cfg.run.log_every}
    for key, value in positive.items():
        if value < 1:
            raise ConfigError(f"{key} must be at least 1, got {value}")
    if not 0 <= o.warmup < o.iterations:
        raise ConfigError(f"[optim] warmup must be in [0, iterations), got {o.warmup}")
    if not 0.0 <= o.ema < 1.0:
        raise ConfigError(f"[optim] ema must be in [0, 1), got {o.ema}")
    if not 0.0 < o.min_lr <= o.lr:
        raise ConfigError(f"[optim] needs 0 < min_lr <= lr, got min_lr {o.min_lr} and lr {o.lr}")
    if d.task == "sr" and cfg.model.scale not in (2, 3, 4):
        raise ConfigError(f"[model] scale must be 2, 3 or 4 for SR, got {cfg.model.scale}")
    if d.task != "sr":
        from vivid.train.restore_data import TASKS

        if d.task not in TASKS:
            raise ConfigError(f"[data] task {d.task!r} is unknown: use sr or one of {TASKS}")
    if d.holdout < 0:
        raise ConfigError(f"[data] holdout must be >= 0, got {d.holdout}")
    tm = d.target_mean
    if tm and (len(tm) != 2 or not 0.05 <= tm[0] <= tm[1] <= 0.95 or d.task != "lowlight"):
        raise ConfigError(
            f"[data] target_mean must be [lo, hi] with 0.05 <= lo <= hi <= 0.95, for task lowlight only; got {list(tm)}"
        )
    ex = d.exposure
    if len(ex) != 2 or not 0.001 <= ex[0] <= ex[1] <= 1.0:
        raise ConfigError(f"[data] exposure must be [lo, hi] with 0.001 <= lo <= hi <= 1; got {list(ex)}")
    if d.tint and (not 0.0 < d.tint <= 1.0 or d.task != "tone"):
        raise ConfigError(f"[data] tint must be in (0, 1] stops, for task tone only; got {d.tint}")
    if d.camera_noise and d.task not in ("lowlight", "zero_ref"):
        raise ConfigError(f"[data] camera_noise is for tasks lowlight and zero_ref only, not {d.task!r}")
    if d.dejpeg_mild and (not 0.0 < d.dejpeg_mild < 1.0 or d.task != "dejpeg"):
        raise ConfigError(f"[data] dejpeg_mild must be in (0, 1), for task dejpeg only; got {d.dejpeg_mild}")
    if d.dejpeg_low and (not 0.0 < d.dejpeg_low <= 1.0 or d.task != "dejpeg"):
        raise ConfigError(f"[data] dejpeg_low must be in (0, 1], for task dejpeg only; got {d.dejpeg_low}")
    if d.degradation != "bicubic" and d.task != "sr":
        raise ConfigError(f"[data] degradation is for task sr only, not {d.task!r}")
    # the global branch sees the patch through a thumbnail: tiny crops would teach it nothing global
    if cfg.model.arch == "global_local" and d.patch < 128:
        raise ConfigError(f"[data] patch must be >= 128 for global_local (192-256 recommended), got {d.patch}")
    return cfg


def load_config(path: str | Path) -> TrainConfig:
    """Read a TOML training config with sections [run], [data], [model], [optim]."""
    p = Path(path)
    try:
        raw = tomllib.loads(p.read_text())
    except FileNotFoundError:
        raise ConfigError(f"training config {p} does not exist") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"training config {p} is not valid TOML: {e}") from None
    for section in ("run", "data", "model"):
        if section not in raw:
            raise ConfigError(f"training config {p} lacks the [{section}] section")
    extra = set(raw) - {*_SECTIONS, "model"}
    if extra:
        raise ConfigError(f"training config {p} has unknown section(s) {sorted(extra)}")
    for section in raw:
        if not isinstance(raw[section], dict):
            raise ConfigError(f"training config {p}: [{section}] must be a table of keys")
    built = {name: _section(cls, raw.get(name, {}), name) for name, cls in _SECTIONS.items()}
    return check(TrainConfig(model=_model_config(raw["model"]), **built))
