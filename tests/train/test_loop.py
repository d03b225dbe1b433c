"""The training loop: runs, validates, keeps the best, resumes where it stopped."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vivid.errors import ConfigError
from vivid.train.config import load_config
from vivid.train.loop import train


def _images(folder: Path, n: int, seed: int) -> None:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        yy, xx = np.mgrid[0:96, 0:120]
        base = 127 + 100 * np.sin(xx / (3 + i)) * np.cos(yy / (5 + i))
        rgb = np.stack([base, base * 0.8, 255 - base], -1) + rng.normal(0, 3, (96, 120, 3))
        Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)).save(folder / f"{i}.png")


@pytest.fixture()
def config_file(tmp_path: Path) -> Path:
    _images(tmp_path / "train", 3, 0)
    _images(tmp_path / "val", 1, 1)
    cfg = tmp_path / "tiny.toml"
    cfg.write_text(f"""
[run]
name = "tiny"
out_dir = "{tmp_path / 'runs'}"
val_every = 4
checkpoint_every = 3
log_every = 2
[data]
train_dirs = ["{tmp_path / 'train'}"]
val_dir = "{tmp_path / 'val'}"
patch = 16
batch = 2
[model]
arch = "rep_sr"
scale = 2
channels = 8
blocks = 2
[optim]
iterations = 8
warmup = 2
""")
    return cfg


def test_train_writes_checkpoint_log_and_best(config_file: Path) -> None:
    cfg = load_config(config_file)
    out = train(cfg)
    assert (out / "last.pt").exists() and (out / "best.safetensors").exists()
    rows = list(csv.DictReader((out / "log.csv").open()))
    assert int(rows[-1]["iteration"]) == 8
    assert any(r["val_psnr"] for r in rows)


def test_resume_continues_from_checkpoint(config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = load_config(config_file)
    train(replace(cfg, optim=replace(cfg.optim, iterations=6)))
    out = train(cfg)
    assert "resumed" in capsys.readouterr().out
    iters = [int(r["iteration"]) for r in csv.DictReader((out / "log.csv").open())]
    assert iters == sorted(iters) and iters[-1] == 8 and len(iters) == len(set(iters))


def test_bad_configs_are_clear(tmp_path: Path, config_file: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text(config_file.read_text().replace("blocks = 2", "blokcs = 2"))
    with pytest.raises(ConfigError, match="blokcs"):
        load_config(bad)
    bad.write_text(config_file.read_text().replace('arch = "rep_sr"', 'arch = "nope"'))
    with pytest.raises(ConfigError, match="unknown architecture"):
        load_config(bad)


def test_sr_holdout_validates_on_images_left_out_of_training(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With holdout, SR validation uses the last N images of val_dir and training never sees them."""
    from vivid.train import loop

    cfg = load_config(config_file)
    train_dir = Path(cfg.data.train_dirs[0])
    cfg = replace(cfg, data=replace(cfg.data, val_dir=str(train_dir), holdout=1))
    seen: list[int] = []
    real = loop.build_pairs

    def counting(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        pairs = real(*args, **kwargs)
        seen.append(len(pairs))
        assert {p.name for p in kwargs["exclude"]} == {"2.png"}
        return pairs

    monkeypatch.setattr(loop, "build_pairs", counting)
    out = train(cfg)
    assert seen == [2]  # 3 images, the last held out
    assert any(r["val_psnr"] for r in csv.DictReader((out / "log.csv").open()))
    with pytest.raises(ConfigError, match="holdout"):
        load_config_text = config_file.read_text().replace("batch = 2", "batch = 2\nholdout = -1")
        bad = config_file.with_name("bad_holdout.toml")
        bad.write_text(load_config_text)
        load_config(bad)


def test_init_from_warm_starts_matching_tensors_and_names_a_missing_file(config_file: Path) -> None:
    """A second run initialised from the first run's best weights starts from them; a missing
    init_from is a clear config error, raised before any training."""
    import torch
    from safetensors.torch import load_file

    from vivid.models.archs.factory import build_arch
    from vivid.train.loop import load_matching

    cfg = load_config(config_file)
    first = train(cfg)
    best = load_file(str(first / "best.safetensors"))
    net = build_arch(cfg.model.arch, **cfg.model.arch_kwargs())
    matched, total = load_matching(net, first / "best.safetensors")
    assert matched == total == len(net.state_dict())
    assert all(torch.equal(v, best[k]) for k, v in net.state_dict().items())

    missing = replace(cfg, run=replace(cfg.run, name="second", init_from=str(first / "nope.safetensors")))
    with pytest.raises(ConfigError, match="nope.safetensors not found"):
        train(missing)
    assert not (Path(cfg.run.out_dir) / "second" / "last.pt").exists()


def test_train_command_takes_an_out_dir(config_file: Path, tmp_path: Path) -> None:
    """``vivid train --out-dir`` puts the run folder outside the work tree (the config's out_dir is kept
    for the default)."""
    from typer.testing import CliRunner

    from vivid.cli.main import app

    runs = tmp_path / "elsewhere"
    result = CliRunner().invoke(app, ["train", str(config_file), "--out-dir", str(runs)])
    assert result.exit_code == 0, result.output
    assert (runs / "tiny" / "last.pt").exists() and not (tmp_path / "runs" / "tiny").exists()


@pytest.mark.parametrize(
    "old,new,match",
    [
        ("patch = 16", 'patch = "48"', r"\[data\] patch: input should be a valid integer, got '48'"),
        ("val_every = 4", 'val_every = "often"', r"\[run\] val_every: input should be a valid integer"),
        ("iterations = 8", "iterations = 1.5", r"\[optim\] iterations: input should be a valid integer"),
        ("warmup = 2", "warmup = 2\nwarmpu = 3", r"unknown key 'warmpu' in \[optim\]: allowed are lr, "),
        ("channels = 8", 'channels = "8"', r"hyper-parameter channels must be int, got '8'"),
        ("warmup = 2", "warmup = 8", r"\[optim\] warmup must be in \[0, iterations\)"),
        ("batch = 2", "batch = 0", r"\[data\] batch must be at least 1"),
    ],
)
def test_config_types_are_checked_with_the_key_named(config_file: Path, old: str, new: str, match: str) -> None:
    bad = config_file.with_name("typed.toml")
    text = config_file.read_text()
    assert old in text
    bad.write_text(text.replace(old, new))
    with pytest.raises(ConfigError, match=match):
        load_config(bad)


def test_resume_restores_schedule_and_weight_average(config_file: Path) -> None:
    """A checkpoint brings back the learning rate the schedule gives at that iteration and the weight
    average as saved (torch's LambdaLR and AveragedModel state)."""
    import torch

    from vivid.models.archs.factory import build_arch
    from vivid.train.loop import Trainer, lr_factor

    cfg = load_config(config_file)
    out = train(replace(cfg, optim=replace(cfg.optim, iterations=6)))
    saved = torch.load(out / "last.pt", weights_only=False)
    trainer = Trainer(cfg, build_arch(cfg.model.arch, **cfg.model.arch_kwargs()))
    trainer.restore(out / "last.pt")
    assert trainer.iteration == 6 and int(trainer.ema.n_averaged) == 6
    assert trainer.lr == pytest.approx(cfg.optim.lr * lr_factor(6, cfg))
    assert lr_factor(0, cfg) == pytest.approx(0.5) and lr_factor(cfg.optim.iterations, cfg) == pytest.approx(
        cfg.optim.min_lr / cfg.optim.lr)
    assert all(torch.equal(v, saved["ema"][k]) for k, v in trainer.ema.module.state_dict().items())
    assert not all(torch.equal(v, saved["model"][k]) for k, v in saved["ema"].items())  # an average, not a copy
    trainer.step(trainer.model(torch.rand(1, 1, 8, 8)).mean())
    assert trainer.lr == pytest.approx(cfg.optim.lr * lr_factor(7, cfg))
