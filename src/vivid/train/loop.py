"""The training loop: Adam + warm-up/cosine schedule, EMA of weights, periodic validation with
best-checkpoint keeping, resumable checkpoints and CSV (+ TensorBoard when installed) logs."""

from __future__ import annotations

import copy
import csv
import json
import math
import os
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from vivid.errors import ConfigError
from vivid.metrics import psnr_y
from vivid.models.archs.factory import build_arch
from vivid.train.config import TrainConfig
from vivid.train.sr_data import PatchSampler, build_pairs, list_images, load_rgb, make_pair


def _lr_at(it: int, cfg: TrainConfig) -> float:
    o = cfg.optim
    if it < o.warmup:
        return o.lr * (it + 1) / o.warmup
    t = (it - o.warmup) / max(1, o.iterations - o.warmup)
    return o.min_lr + 0.5 * (o.lr - o.min_lr) * (1 + math.cos(math.pi * min(1.0, t)))


@torch.no_grad()
def validate(model: torch.nn.Module, val: list, scale: int) -> float:
    model.eval()
    scores = []
    for pair in val:
        out = model(torch.from_numpy(pair.lr[None])).numpy()[0]
        # the EVAL.md protocol: output rounded to 8 bits, Y channel (1-channel data is Y), shave = scale
        scores.append(psnr_y(np.clip(np.rint(out * 255), 0, 255) / 255, pair.hr, shave=scale))
    return float(np.mean(scores))


@torch.no_grad()
def validate_restore(model: torch.nn.Module, pairs: list) -> float:
    """Mean RGB PSNR (0..255 peak, output clipped and rounded) over (input, clean) pairs."""
    model.eval()
    scores = []
    for inp, clean in pairs:
        out = model(torch.from_numpy(inp[None])).numpy()[0]
        a = np.clip(np.rint(out * 255), 0, 255).astype(np.float64)
        scores.append(10 * np.log10(255.0**2 / np.mean((a - clean.astype(np.float64) * 255) ** 2)))
    return float(np.mean(scores))


def load_matching(model: torch.nn.Module, path: str | Path) -> tuple[int, int]:
    """Copy into ``model`` the tensors of ``path`` (a .safetensors file, or a training checkpoint's EMA
    weights) whose names and shapes match; returns (tensors copied, tensors in the model). Fused weights of
    a re-parameterised network are first expanded into its training branches (``expand_fused_state``)."""
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
    return len(matched), len(own)


def _atomic_torch_save(obj: dict, path: Path) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def train(cfg: TrainConfig, *, resume: bool = True) -> Path:
    """Train per ``cfg``; returns the run folder (holding last.pt, best.safetensors, log.csv)."""
    torch.set_num_threads(cfg.run.threads)
    torch.manual_seed(cfg.run.seed)
    out = Path(cfg.run.out_dir) / cfg.run.name
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(asdict(cfg), indent=2))
    m = cfg.model
    model = build_arch(m.arch, **m.arch_kwargs())
    if cfg.run.init_from and not (out / "last.pt").exists():
        matched, total = load_matching(model, cfg.run.init_from)
        print(f"initialised {matched}/{total} tensors from {cfg.run.init_from}", flush=True)
    ema = copy.deepcopy(model).eval()
    for p in ema.parameters():
        p.requires_grad_(False)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.optim.lr, weight_decay=cfg.optim.weight_decay)
    it, best = 0, -1.0
    ckpt = out / "last.pt"
    sampler_seed = cfg.run.seed
    if resume and ckpt.exists():
        state = torch.load(ckpt, weights_only=False)
        model.load_state_dict(state["model"])
        ema.load_state_dict(state["ema"])
        opt.load_state_dict(state["opt"])
        it, best = int(state["iteration"]), float(state["best"])
        sampler_seed = cfg.run.seed + it
        print(f"resumed {out} at iteration {it} (best {best:.3f} dB)", flush=True)

    t0 = time.time()
    if cfg.data.task == "sr":
        if cfg.data.holdout:  # the last N images of val_dir validate and stay out of training
            from vivid.train.restore_data import holdout_split

            _, val_files = holdout_split(cfg.data.train_dirs, cfg.data.val_dir, cfg.data.holdout)
        else:
            val_files = [Path(f) for f in list_images(cfg.data.val_dir)]
        held = frozenset(f.resolve() for f in val_files) if cfg.data.holdout else frozenset()
        pairs = build_pairs(
            cfg.data.train_dirs, m.scale, m.in_channels, cfg.data.scale_aug, cfg.data.patch, exclude=held
        )
        val = [make_pair(load_rgb(f), m.scale, m.in_channels) for f in val_files]
        sampler = PatchSampler(pairs, patch=cfg.data.patch, scale=m.scale, seed=sampler_seed)

        def run_validation(net: torch.nn.Module) -> float:
            return validate(net, val, m.scale)
    else:
        from vivid.train import restore_data as rd

        if cfg.data.task == "denoise" and cfg.data.holdout == 0:
            images = rd.load_clean(cfg.data.train_dirs, cfg.data.patch)
            rval = rd.validation_set(cfg.data.val_dir)
        else:
            train_files, val_files = rd.holdout_split(cfg.data.train_dirs, cfg.data.val_dir, cfg.data.holdout)
            images = rd.load_files(train_files, cfg.data.patch)
            if cfg.data.task == "colorize":
                images = [im for im in images if rd.is_colourful(im)]
                val_files = [f for f in val_files if rd.is_colourful(rd.load_rgb(Path(f)))]
            rval = rd.synthetic_validation_set(
                val_files, task=cfg.data.task, target_mean=cfg.data.target_mean, tint=cfg.data.tint,
                exposure=cfg.data.exposure, camera=cfg.data.camera_noise,
            )
        sampler = rd.RestoreSampler(
            images, task=cfg.data.task, patch=cfg.data.patch, seed=sampler_seed, target_mean=cfg.data.target_mean,
            tint=cfg.data.tint, exposure=cfg.data.exposure, camera=cfg.data.camera_noise,
        )

        def run_validation(net: torch.nn.Module) -> float:
            return validate_restore(net, rval)
        pairs = images
    print(f"{len(pairs)} training images ({time.time() - t0:.1f} s)", flush=True)

    log_path = out / "log.csv"
    new_log = not log_path.exists()
    log_f = log_path.open("a", newline="")
    log = csv.writer(log_f)
    if new_log:
        log.writerow(["iteration", "loss", "lr", "val_psnr", "elapsed_s"])
    try:
        from torch.utils.tensorboard import SummaryWriter

        tb = SummaryWriter(str(out / "tb"))
    except Exception:  # tensorboard is an optional extra
        tb = None

    loss_fn = torch.nn.L1Loss() if cfg.optim.loss == "l1" else torch.nn.MSELoss()  # "l2", checked by the config
    zero_ref = cfg.data.task == "zero_ref"
    if zero_ref:
        from vivid.train.zero_ref_losses import zero_reference_loss

        if not all(callable(getattr(model, f, None)) for f in ("curve_maps", "apply_curves")):
            raise ConfigError(f"task zero_ref needs a curve-map model (e.g. zero_dce), got arch {m.arch!r}")
    run_loss, n_loss, t_start = 0.0, 0, time.time()
    model.train()
    while it < cfg.optim.iterations:
        lr_np, hr_np = sampler.batch(cfg.data.batch)
        for g in opt.param_groups:
            g["lr"] = _lr_at(it, cfg)
        if zero_ref:  # no target: the zero-reference losses judge the output and the curve maps
            x = torch.from_numpy(lr_np)
            maps = model.curve_maps(x)
            loss = zero_reference_loss(model.apply_curves(x, maps), x, maps)
        elif callable(getattr(model, "training_loss", None)):  # the model defines its own objective
            loss = model.training_loss(torch.from_numpy(lr_np), torch.from_numpy(hr_np))
        else:
            pred = model(torch.from_numpy(lr_np))
            loss = loss_fn(pred, torch.from_numpy(hr_np))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.optim.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.optim.grad_clip)
        opt.step()
        with torch.no_grad():
            d = min(cfg.optim.ema, (1 + it) / (10 + it))
            for pe, pm in zip(ema.parameters(), model.parameters(), strict=True):
                pe.mul_(d).add_(pm.detach(), alpha=1 - d)
        it += 1
        run_loss += loss.item()
        n_loss += 1
        val_psnr = ""
        if it % cfg.run.val_every == 0 or it == cfg.optim.iterations:
            v = run_validation(ema)
            val_psnr = f"{v:.4f}"
            if v > best:
                best = v
                save_file({k: t.contiguous() for k, t in ema.state_dict().items()}, str(out / "best.safetensors"))
            if tb:
                tb.add_scalar("val/psnr_y", v, it)
        if it % cfg.run.log_every == 0 or val_psnr:
            el = time.time() - t_start
            lr_now = opt.param_groups[0]["lr"]
            log.writerow([it, f"{run_loss / max(1, n_loss):.5f}", f"{lr_now:.2e}", val_psnr, f"{el:.0f}"])
            log_f.flush()
            print(f"it {it} loss {run_loss / max(1, n_loss):.5f} lr {lr_now:.2e} val {val_psnr} best {best:.3f} "
                  f"{el:.0f}s", flush=True)
            if tb:
                tb.add_scalar("train/loss", run_loss / max(1, n_loss), it)
            run_loss, n_loss = 0.0, 0
        if it % cfg.run.checkpoint_every == 0 or it == cfg.optim.iterations:
            _atomic_torch_save(
                {"model": model.state_dict(), "ema": ema.state_dict(), "opt": opt.state_dict(),
                 "iteration": it, "best": best},
                ckpt,
            )
            model.train()
    log_f.close()
    return out
