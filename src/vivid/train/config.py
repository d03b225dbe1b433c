"""Typed training configuration, read from TOML and validated once at the edge."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from vivid.errors import ConfigError


@dataclass(frozen=True)
class DataConfig:
    train_dirs: tuple[str, ...]
    val_dir: str
    task: str = "sr"  # "sr" or a same-size restoration task ("denoise", "lowlight", "tone", "zero_ref")
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


@dataclass(frozen=True)
class ModelConfig:
    """``arch`` plus the architecture's own named hyper-parameters (checked against its constructor)."""

    arch: str
    scale: int = 1  # SR factor; 1 for same-size tasks (not passed to their constructors)
    in_channels: int = 1
    params: dict[str, Any] = field(default_factory=dict)

    def arch_kwargs(self) -> dict[str, Any]:
        scale = {"scale": self.scale} if self.scale != 1 else {}
        return {**scale, "in_channels": self.in_channels, **self.params}


@dataclass(frozen=True)
class OptimConfig:
    lr: float = 1e-3
    min_lr: float = 1e-5
    iterations: int = 20000
    warmup: int = 200
    weight_decay: float = 0.0
    ema: float = 0.999
    loss: str = "l1"
    grad_clip: float = 1.0


@dataclass(frozen=True)
class RunConfig:
    name: str
    out_dir: str = "checkpoints"
    seed: int = 0
    threads: int = 1
    val_every: int = 500
    checkpoint_every: int = 250
    log_every: int = 50
    init_from: str | None = None  # checkpoint/safetensors whose matching tensors initialise the model


@dataclass(frozen=True)
class TrainConfig:
    run: RunConfig
    data: DataConfig
    model: ModelConfig
    optim: OptimConfig = field(default_factory=OptimConfig)


def _build(cls: type, raw: dict[str, Any], where: str) -> Any:
    known = {f.name: f for f in fields(cls)}
    unknown = set(raw) - set(known)
    if unknown:
        raise ConfigError(f"unknown key(s) {sorted(unknown)} in [{where}]: allowed are {sorted(known)}")
    kwargs = {}
    for k, v in raw.items():
        kwargs[k] = tuple(v) if isinstance(v, list) else v
    try:
        return cls(**kwargs)
    except TypeError as e:
        raise ConfigError(f"[{where}]: {e}") from None


def _model_config(raw: dict[str, Any]) -> ModelConfig:
    if "arch" not in raw:
        raise ConfigError("[model] needs arch")
    base = {k: raw[k] for k in ("arch", "scale", "in_channels") if k in raw}
    params = {k: v for k, v in raw.items() if k not in base}
    from vivid.models.archs.factory import build_arch

    cfg = ModelConfig(**base, params=params)
    build_arch(cfg.arch, **cfg.arch_kwargs())  # validates the hyper-parameters
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
    extra = set(raw) - {"run", "data", "model", "optim"}
    if extra:
        raise ConfigError(f"training config {p} has unknown section(s) {sorted(extra)}")
    cfg = TrainConfig(
        run=_build(RunConfig, raw["run"], "run"),
        data=_build(DataConfig, raw["data"], "data"),
        model=_model_config(raw["model"]),
        optim=_build(OptimConfig, raw.get("optim", {}), "optim"),
    )
    if cfg.data.task == "sr" and cfg.model.scale not in (2, 3, 4):
        raise ConfigError(f"[model] scale must be 2, 3 or 4 for SR, got {cfg.model.scale}")
    if cfg.data.task != "sr":
        from vivid.train.restore_data import TASKS

        if cfg.data.task not in TASKS:
            raise ConfigError(f"[data] task {cfg.data.task!r} is unknown: use sr or one of {TASKS}")
    if cfg.optim.loss not in ("l1", "l2"):
        raise ConfigError(f"[optim] loss must be 'l1' or 'l2' (mean squared error), got {cfg.optim.loss!r}")
    if cfg.data.holdout < 0:
        raise ConfigError(f"[data] holdout must be >= 0, got {cfg.data.holdout}")
    tm = cfg.data.target_mean
    if tm and (len(tm) != 2 or not 0.05 <= tm[0] <= tm[1] <= 0.95 or cfg.data.task != "lowlight"):
        raise ConfigError(
            f"[data] target_mean must be [lo, hi] with 0.05 <= lo <= hi <= 0.95, for task lowlight only; got {list(tm)}"
        )
    ex = cfg.data.exposure
    if len(ex) != 2 or not 0.001 <= ex[0] <= ex[1] <= 1.0:
        raise ConfigError(f"[data] exposure must be [lo, hi] with 0.001 <= lo <= hi <= 1; got {list(ex)}")
    if cfg.data.tint and (not 0.0 < cfg.data.tint <= 1.0 or cfg.data.task != "tone"):
        raise ConfigError(f"[data] tint must be in (0, 1] stops, for task tone only; got {cfg.data.tint}")
    if cfg.data.camera_noise and cfg.data.task not in ("lowlight", "zero_ref"):
        raise ConfigError(f"[data] camera_noise is for tasks lowlight and zero_ref only, not {cfg.data.task!r}")
    # the global branch sees the patch through a thumbnail: tiny crops would teach it nothing global
    if cfg.model.arch == "global_local" and cfg.data.patch < 128:
        raise ConfigError(
            f"[data] patch must be >= 128 for global_local (192-256 recommended), got {cfg.data.patch}"
        )
    return cfg
