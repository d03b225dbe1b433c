"""The training loop: Adam with a warm-up/cosine schedule (torch's ``LambdaLR``), an exponential moving
average of the weights (torch's ``AveragedModel``), periodic validation of the average with best-checkpoint
keeping, resumable checkpoints and CSV (+ TensorBoard when installed) logs.

One call of :func:`train` reads as its steps: the run folder, the network (optionally warm-started), the
optimiser state (resumed from ``last.pt``), the training data and its validation, then the iterations.
"""

from __future__ import annotations

import csv
import io
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from torch.optim.lr_scheduler import LambdaLR
from torch.optim.swa_utils import AveragedModel

from vivid.errors import ConfigError
from vivid.io.atomic import write_bytes_atomic
from vivid.io.image import quantize, to_levels
from vivid.metrics import psnr_y
from vivid.models.archs.factory import build_arch
from vivid.train import real_sr, restore_data
from vivid.train.config import TrainConfig
from vivid.train.sr_data import PatchSampler, build_pairs, list_images, load_rgb, make_pair
from vivid.train.zero_ref_losses import zero_reference_loss


def lr_factor(it: int, cfg: TrainConfig) -> float:
    """The learning rate at iteration ``it`` as a share of ``cfg.optim.lr``: linear warm-up, then a cosine
    decay to ``min_lr`` at the last iteration."""
    o = cfg.optim
    if it < o.warmup:
        return (it + 1) / o.warmup
    t = (it - o.warmup) / max(1, o.iterations - o.warmup)
    return (o.min_lr + 0.5 * (o.lr - o.min_lr) * (1 + math.cos(math.pi * min(1.0, t)))) / o.lr


def ema_average(decay: float) -> Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]:
    """``AveragedModel``'s update: decay ``min(decay, (1 + n) / (10 + n))`` after ``n`` updates, so the
    average follows the network closely at the start and settles at ``decay``."""

    def average(averaged: torch.Tensor, current: torch.Tensor, num_averaged: torch.Tensor) -> torch.Tensor:
        n = float(num_averaged)
        d = min(decay, (1 + n) / (10 + n))
        return averaged * d + current * (1 - d)

    return average


@torch.no_grad()
def validate(model: torch.nn.Module, val: list, scale: int) -> float:
    model.eval()
    scores = []
    for pair in val:
        out = model(torch.from_numpy(pair.lr[None])).numpy()[0]
        # the EVAL.md protocol: output rounded to 8 bits as the bench does, Y channel (1-channel data is Y),
        # shave = scale
        scores.append(psnr_y(quantize(out), pair.hr, shave=scale))
    return float(np.mean(scores))


@torch.no_grad()
def validate_restore(model: torch.nn.Module, pairs: list) -> float:
    """Mean RGB PSNR (0..255 peak, output clipped and rounded) over (input, clean) pairs."""
    model.eval()
    scores = []
    for inp, clean in pairs:
        out = model(torch.from_numpy(inp[None])).numpy()[0]
        a = to_levels(out).astype(np.float64)
        scores.append(10 * np.log10(255.0**2 / np.mean((a - clean.astype(np.float64) * 255) ** 2)))
    return float(np.mean(scores))


def load_matching(model: torch.nn.Module, path: str | Path) -> tuple[int, int]:
    """Copy into ``model`` the tensors of ``path`` (a .safetensors file, or a training checkpoint's EMA
    weights) whose names and shapes match; returns (tensors copied, tensors in the model). Fused weights of
    a re-parameterised network are first expanded into its training branches (``expand_fused_state``). A
    network with ``start_grown_parts`` is told which of its tensors the file did not fill, so that parts it
    grew (more residual blocks) can start as the identity and the warm start keeps the loaded network's output."""
    src = Path(path)
    if not src.is_file():
        raise ConfigError(f"init_from: {src} not found; train the stage it names first, or point it at a weight file")
    state = load_file(str(src)) if src.suffix == ".safetensors" else torch.load(src, weights_only=True)["ema"]
    expand = getattr(model, "expand_fused_state", None)
    if callable(expand):  # shipped re-parameterised weights are fused; the training network has branches
        state = expand(state)
    own = model.state_dict()
    matched = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
    own.update(matched)
    model.load_state_dict(own)
    grown = getattr(model, "start_grown_parts", None)
    if matched and callable(grown):  # a deeper network grown from this one: its new parts start neutral
        grown(set(own) - set(matched))
    return len(matched), len(own)


@dataclass
class TrainingData:
    """What the iterations draw from, and how the average is judged."""

    sampler: PatchSampler | restore_data.RestoreSampler | real_sr.RealSRSampler
    validate: Callable[[torch.nn.Module], float]
    images: int


def sr_data(cfg: TrainConfig, seed: int) -> TrainingData:
    """Bicubic-degraded (LR, HR) patch pairs; validation on whole images (PSNR on Y)."""
    d, m = cfg.data, cfg.model
    if d.holdout:  # the last N images of val_dir validate and stay out of training
        _, val_files = restore_data.holdout_split(d.train_dirs, d.val_dir, d.holdout)
    else:
        val_files = [Path(f) for f in list_images(d.val_dir)]
    held = frozenset(f.resolve() for f in val_files) if d.holdout else frozenset()
    if d.degradation == "real":
        return real_sr_data(cfg, seed, [Path(f) for f in val_files], held)
    pairs = build_pairs(d.train_dirs, m.scale, m.in_channels, d.scale_aug, d.patch, exclude=held)
    val = [make_pair(load_rgb(f), m.scale, m.in_channels) for f in val_files]
    sampler = PatchSampler(pairs, patch=d.patch, scale=m.scale, seed=seed)
    return TrainingData(sampler, lambda net: validate(net, val, m.scale), len(pairs))


def real_sr_data(cfg: TrainConfig, seed: int, val_files: list[Path], held: frozenset[Path]) -> TrainingData:
    """Clean HR patches degraded on the fly by :mod:`vivid.train.real_sr`'s chain; validation on
    ``val_files`` degraded by fixed chains (PSNR on Y)."""
    d, m = cfg.data, cfg.model
    files = [Path(f) for t in d.train_dirs for f in list_images(t) if Path(f).resolve() not in held]
    images = restore_data.load_files(files, d.patch * m.scale)
    val = real_sr.validation_pairs(val_files, m.scale, m.in_channels)
    sampler = real_sr.RealSRSampler(images, patch=d.patch, scale=m.scale, in_channels=m.in_channels, seed=seed)
    return TrainingData(sampler, lambda net: validate(net, val, m.scale), len(sampler.images))


def restore_task_data(cfg: TrainConfig, seed: int) -> TrainingData:
    """Clean patches degraded on the fly for a same-size task; validation on held-out images degraded
    with fixed seeds (RGB PSNR)."""
    d, rd = cfg.data, restore_data
    if d.task == "denoise" and d.holdout == 0:
        images = rd.load_clean(d.train_dirs, d.patch)
        rval = rd.validation_set(d.val_dir)
    else:
        train_files, val_files = rd.holdout_split(d.train_dirs, d.val_dir, d.holdout)
        images = rd.load_files(train_files, d.patch)
        if d.task == "colorize":
            images = [im for im in images if rd.is_colourful(im)]
            val_files = [f for f in val_files if rd.is_colourful(rd.load_rgb(Path(f)))]
        rval = rd.synthetic_validation_set(val_files, task=d.task, target_mean=d.target_mean,
                                           how=rd.Degradation.of(d))
    sampler = rd.RestoreSampler(images, task=d.task, patch=d.patch, seed=seed, target_mean=d.target_mean,
                                how=rd.Degradation.of(d))
    return TrainingData(sampler, lambda net: validate_restore(net, rval), len(images))


def loss_function(cfg: TrainConfig, model: torch.nn.Module) -> Callable[[np.ndarray, np.ndarray], torch.Tensor]:
    """The objective of one batch (input, target): zero-reference losses, the model's own, or L1/L2."""
    if cfg.data.task == "zero_ref":  # no target: the zero-reference losses judge the output and the curve maps

        if not all(callable(getattr(model, f, None)) for f in ("curve_maps", "apply_curves")):
            raise ConfigError(f"task zero_ref needs a curve-map model (e.g. zero_dce), got arch {cfg.model.arch!r}")

        def zero_ref(x: np.ndarray, _: np.ndarray) -> torch.Tensor:
            inp = torch.from_numpy(x)
            maps = model.curve_maps(inp)
            return zero_reference_loss(model.apply_curves(inp, maps), inp, maps)

        return zero_ref
    own = getattr(model, "training_loss", None)
    if callable(own):  # the model defines its own objective
        return lambda x, y: own(torch.from_numpy(x), torch.from_numpy(y))
    criterion = torch.nn.L1Loss() if cfg.optim.loss == "l1" else torch.nn.MSELoss()
    return lambda x, y: criterion(model(torch.from_numpy(x)), torch.from_numpy(y))


class Trainer:
    """The network, its moving average, the optimiser and the schedule, with checkpoints of all four."""

    def __init__(self, cfg: TrainConfig, model: torch.nn.Module) -> None:
        self.cfg = cfg
        self.model = model
        self.ema = AveragedModel(model, avg_fn=ema_average(cfg.optim.ema))
        self.ema.eval()
        self.opt = torch.optim.Adam(model.parameters(), lr=cfg.optim.lr, weight_decay=cfg.optim.weight_decay)
        self.schedule = LambdaLR(self.opt, lambda it: lr_factor(it, cfg))
        self.iteration, self.best = 0, -1.0

    def restore(self, path: Path) -> None:
        """Continue from a checkpoint written by :meth:`save` (the schedule follows this config's
        ``lr``, so a resumed run may change it)."""
        state = torch.load(path, weights_only=False)
        self.model.load_state_dict(state["model"])
        self.ema.module.load_state_dict(state["ema"])
        self.opt.load_state_dict(state["opt"])
        self.iteration, self.best = int(state["iteration"]), float(state["best"])
        self.ema.n_averaged.fill_(self.iteration)
        for group in self.opt.param_groups:
            group["initial_lr"] = self.cfg.optim.lr
            group["lr"] = self.cfg.optim.lr * lr_factor(self.iteration, self.cfg)
        self.schedule.base_lrs = [self.cfg.optim.lr] * len(self.opt.param_groups)
        self.schedule.last_epoch = self.iteration

    def save(self, path: Path) -> None:
        """``last.pt``: written whole or not at all. ``ema`` holds the plain network's tensors (what
        ``init_from`` and the export read)."""
        buf = io.BytesIO()
        torch.save({"model": self.model.state_dict(), "ema": self.ema.module.state_dict(),
                    "opt": self.opt.state_dict(), "iteration": self.iteration, "best": self.best}, buf)
        write_bytes_atomic(path, buf.getvalue())

    def step(self, loss: torch.Tensor) -> float:
        self.model.train()
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        if self.cfg.optim.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.cfg.optim.grad_clip)
        self.opt.step()
        self.schedule.step()
        self.ema.update_parameters(self.model)
        self.iteration += 1
        return loss.item()

    @property
    def lr(self) -> float:
        return self.opt.param_groups[0]["lr"]


class RunLog:
    """``log.csv`` (appended across resumes), stdout, and TensorBoard when it is installed."""

    def __init__(self, folder: Path) -> None:
        path = folder / "log.csv"
        new = not path.exists()
        self._file = path.open("a", newline="")
        self._csv = csv.writer(self._file)
        if new:
            self._csv.writerow(["iteration", "loss", "lr", "val_psnr", "elapsed_s"])
        try:
            from torch.utils.tensorboard import SummaryWriter

            self._tb = SummaryWriter(str(folder / "tb"))
        except Exception:  # tensorboard is an optional extra
            self._tb = None

    def validation(self, it: int, psnr: float) -> None:
        if self._tb:
            self._tb.add_scalar("val/psnr_y", psnr, it)

    def row(self, it: int, loss: float, lr: float, val: str, best: float, elapsed: float) -> None:
        self._csv.writerow([it, f"{loss:.5f}", f"{lr:.2e}", val, f"{elapsed:.0f}"])
        self._file.flush()
        print(f"it {it} loss {loss:.5f} lr {lr:.2e} val {val} best {best:.3f} {elapsed:.0f}s", flush=True)
        if self._tb:
            self._tb.add_scalar("train/loss", loss, it)

    def close(self) -> None:
        self._file.close()
        if self._tb:
            self._tb.close()


def initial_model(cfg: TrainConfig, folder: Path) -> torch.nn.Module:
    """A fresh network, warm-started from ``init_from`` unless the run already has a checkpoint."""
    model = build_arch(cfg.model.arch, **cfg.model.arch_kwargs())
    if cfg.run.init_from and not (folder / "last.pt").exists():
        matched, total = load_matching(model, cfg.run.init_from)
        print(f"initialised {matched}/{total} tensors from {cfg.run.init_from}", flush=True)
    return model


def train(cfg: TrainConfig, *, resume: bool = True) -> Path:
    """Train per ``cfg``; returns the run folder (holding last.pt, best.safetensors, log.csv)."""
    torch.set_num_threads(cfg.run.threads)
    torch.manual_seed(cfg.run.seed)
    out = Path(cfg.run.out_dir) / cfg.run.name
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(asdict(cfg), indent=2))
    model = initial_model(cfg, out)
    trainer = Trainer(cfg, model)
    ckpt = out / "last.pt"
    if resume and ckpt.exists():
        trainer.restore(ckpt)
        print(f"resumed {out} at iteration {trainer.iteration} (best {trainer.best:.3f} dB)", flush=True)

    t0 = time.time()
    seed = cfg.run.seed + trainer.iteration  # a resumed run draws new patches
    data = sr_data(cfg, seed) if cfg.data.task == "sr" else restore_task_data(cfg, seed)
    print(f"{data.images} training images ({time.time() - t0:.1f} s)", flush=True)
    loss_of = loss_function(cfg, model)
    log = RunLog(out)
    try:
        _iterate(cfg, trainer, data, loss_of, log, out)
    finally:
        log.close()
    return out


def _iterate(cfg: TrainConfig, trainer: Trainer, data: TrainingData,
             loss_of: Callable[[np.ndarray, np.ndarray], torch.Tensor], log: RunLog, out: Path) -> None:
    """Steps until ``iterations``: validate the average every ``val_every`` (keeping the best as
    ``best.safetensors``), log every ``log_every``, checkpoint every ``checkpoint_every`` and at the end."""
    run, last = cfg.run, cfg.optim.iterations
    losses: list[float] = []
    t_start = time.time()
    while trainer.iteration < last:
        losses.append(trainer.step(loss_of(*data.sampler.batch(cfg.data.batch))))
        it, val = trainer.iteration, ""
        if it % run.val_every == 0 or it == last:
            psnr = data.validate(trainer.ema.module)
            val = f"{psnr:.4f}"
            if psnr > trainer.best:
                trainer.best = psnr
                weights = {k: t.contiguous() for k, t in trainer.ema.module.state_dict().items()}
                save_file(weights, str(out / "best.safetensors"))
            log.validation(it, psnr)
        if it % run.log_every == 0 or val:
            log.row(it, float(np.mean(losses)), trainer.lr, val, trainer.best, time.time() - t_start)
            losses = []
        if it % run.checkpoint_every == 0 or it == last:
            trainer.save(out / "last.pt")
