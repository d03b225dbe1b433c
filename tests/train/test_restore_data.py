"""Same-size restoration training data (low-light, tone, zero-reference) and short runs of their configs."""

from __future__ import annotations

import csv
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from vivid.engine.api import run_model
from vivid.errors import ConfigError
from vivid.io.image import Image
from vivid.models import registry
from vivid.train.config import load_config
from vivid.train.loop import train
from vivid.train.restore_data import (
    RestoreSampler,
    degrade_dejpeg,
    degrade_lowlight,
    degrade_tone,
    holdout_split,
    is_colourful,
    synthetic_validation_set,
)
from vivid.zoo import builtin, export

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def _scene(h: int = 64, w: int = 80, seed: int = 0) -> np.ndarray:
    """A well-exposed, colourful (3, H, W) float32 image."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = 0.5 + 0.3 * np.sin(xx / 6.0) * np.cos(yy / 9.0)
    img = np.stack([base, 0.9 * base + 0.05, 1.0 - 0.8 * base])
    return np.clip(img + rng.normal(0, 0.01, img.shape), 0, 1).astype(np.float32)


def _folder(folder: Path, n: int, seed: int) -> Path:
    folder.mkdir(parents=True)
    for i in range(n):
        rgb = np.moveaxis(_scene(96, 120, seed + i), 0, -1)
        PILImage.fromarray(np.rint(rgb * 255).astype(np.uint8)).save(folder / f"{i:03d}.png")
    return folder


def test_lowlight_darkens_deterministically() -> None:
    clean = _scene()
    a = degrade_lowlight(clean, np.random.default_rng(5))
    b = degrade_lowlight(clean, np.random.default_rng(5))
    c = degrade_lowlight(clean, np.random.default_rng(6))
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert a.shape == clean.shape and a.dtype == np.float32
    assert np.array_equal(np.rint(a * 255), a * 255)  # 8-bit levels, like a real capture
    for seed in range(8):
        dark = degrade_lowlight(clean, np.random.default_rng(seed))
        # exposure <= 0.4 in linear light: the sRGB mean drops below 3/4 of the original
        assert dark.mean() < 0.75 * clean.mean() and dark.min() >= 0 and dark.max() <= 1


def test_tone_changes_deterministically_and_sometimes_not_at_all() -> None:
    clean = _scene()
    a = degrade_tone(clean, np.random.default_rng(1))
    assert np.array_equal(a, degrade_tone(clean, np.random.default_rng(1)))
    assert np.abs(a - clean).mean() > 2 / 255 and a.min() >= 0 and a.max() <= 1
    kept = degrade_tone(clean, np.random.default_rng(1), keep_share=1.0)
    assert np.abs(kept - clean).max() <= 0.5 / 255


@pytest.mark.parametrize("task", ["lowlight", "tone", "zero_ref", "dejpeg"])
def test_sampler_batches(task: str) -> None:
    images = [_scene(70, 90, s) for s in range(3)]
    x1, y1 = RestoreSampler(images, task=task, patch=32, seed=3).batch(4)
    x2, _ = RestoreSampler(images, task=task, patch=32, seed=3).batch(4)
    assert x1.shape == (4, 3, 32, 32) and x1.dtype == np.float32 and np.array_equal(x1, x2)
    if task == "zero_ref":
        assert y1 is None
    else:
        assert y1 is not None and y1.shape == x1.shape


def test_denoise_gray_patches_carry_the_same_noise_in_every_channel() -> None:
    """A gray image reaches the denoiser as three equal channels with equal noise: train it on exactly that."""
    images = [_scene(70, 90, s) for s in range(3)]
    x, y = RestoreSampler(images, task="denoise", patch=32, seed=5, gray_share=0.5).batch(16)
    assert y is not None and x.shape == (16, 4, 32, 32)  # three channels and the noise-level map
    gray = [i for i in range(16) if np.array_equal(y[i, 0], y[i, 1]) and np.array_equal(y[i, 0], y[i, 2])]
    colour = [i for i in range(16) if i not in gray]
    assert gray and colour
    for i in gray:
        assert np.array_equal(x[i, 0], x[i, 1]) and np.array_equal(x[i, 0], x[i, 2])
    noisy = [i for i in colour if x[i, 3, 0, 0] > 2 / 255]  # colour patches with visible noise
    assert noisy and all(not np.array_equal(x[i, 0], x[i, 1]) for i in noisy)


def test_dejpeg_inputs_are_real_jpeg_copies_blind_to_quality() -> None:
    """The JPEG-artefact remover learns from what a JPEG codec makes: 8x8 blocks aligned to the patch's
    corner, gray patches compressed as gray (three equal channels), a spread of qualities."""
    from vivid.engine.routing import blockiness

    rng = np.random.default_rng(0)
    clean = _scene(128, 128, 4)
    errors, blocky = [], []
    for _ in range(40):
        x = degrade_dejpeg(clean, rng)
        assert x.shape == clean.shape and x.dtype == np.float32
        errors.append(float(np.sqrt(np.mean((x - clean) ** 2))))
        blocky.append(blockiness(0.299 * x[0] + 0.587 * x[1] + 0.114 * x[2]))
    assert min(errors) > 0.5 / 255 and max(errors) > 2 * min(errors)  # always degraded, by varied amounts
    assert np.median(blocky) > blockiness(0.299 * clean[0] + 0.587 * clean[1] + 0.114 * clean[2]) + 0.1
    gray = np.repeat(clean[:1], 3, axis=0)
    g = degrade_dejpeg(gray, rng)
    assert np.array_equal(g[0], g[1]) and np.array_equal(g[0], g[2]) and not np.array_equal(g, gray)
    x, y = RestoreSampler([clean, _scene(96, 120, 5)], task="dejpeg", patch=32, seed=1).batch(4)
    assert x.shape == y.shape == (4, 3, 32, 32)


def test_dejpeg_mild_share_adds_clean_and_high_quality_patches_and_is_checked(tmp_path: Path) -> None:
    """Stage 2's ``dejpeg_mild``: that share of patches is left as it is or saved at quality 90-100; 0 leaves
    the first stage's pairs exactly as they were (no extra draws)."""
    clean = _scene(128, 128, 4)
    first = [degrade_dejpeg(clean, np.random.default_rng(s)) for s in range(6)]
    assert all(np.array_equal(a, degrade_dejpeg(clean, np.random.default_rng(s), mild=0.0)) for s, a in enumerate(first))
    rng = np.random.default_rng(0)
    errors = [float(np.sqrt(np.mean((degrade_dejpeg(clean, rng, mild=0.999) - clean) ** 2))) * 255 for _ in range(30)]
    untouched = [e for e in errors if e == 0.0]
    assert 5 <= len(untouched) <= 25  # about half left as they are
    assert all(e < 3.5 for e in errors)  # the rest at quality 90-100: a few levels off (4:2:0 chroma)
    strong = [float(np.sqrt(np.mean((a - clean) ** 2))) * 255 for a in first]
    assert min(strong) > max(errors)
    assert load_config(CONFIGS / "dejpeg" / "vivid_dejpeg.toml").data.dejpeg_mild == 0.0
    _assert_share_is_checked(tmp_path, "vivid_dejpeg_stage2.toml", "dejpeg_mild", "0.15")


def _assert_share_is_checked(tmp_path: Path, config: str, key: str, value: str) -> None:
    """``config`` (under configs/dejpeg) sets ``key = value``; a share above 1 and the key on another task's
    config are refused, naming the key."""
    text = (CONFIGS / "dejpeg" / config).read_text()
    assert getattr(load_config(CONFIGS / "dejpeg" / config).data, key) == float(value)
    bad = tmp_path / "bad.toml"
    tone = (CONFIGS / "color" / "vivid_tone_stage2.toml").read_text()
    too_much = text.replace(f"{key} = {value}", f"{key} = 1.5")
    for wrong in (too_much, tone.replace("tint = 0.25", f"tint = 0.25\n{key} = 0.1")):
        bad.write_text(wrong)
        with pytest.raises(ConfigError, match=key):
            load_config(bad)


def test_dejpeg_low_share_weighs_the_strongest_artefacts_and_is_checked(tmp_path: Path) -> None:
    """``dejpeg_low``: that share of the (non-mild) patches is saved once at quality 10-25; 0 leaves the
    earlier stages' pairs exactly as they were (no extra draws)."""
    from vivid.ops.degrade import jpeg

    clean = _scene(128, 128, 4)
    for mild in (0.0, 0.15):
        before = [degrade_dejpeg(clean, np.random.default_rng(s), mild=mild) for s in range(6)]
        same = [degrade_dejpeg(clean, np.random.default_rng(s), mild=mild, low=0.0) for s in range(6)]
        assert all(np.array_equal(a, b) for a, b in zip(before, same, strict=True))
    rng = np.random.default_rng(1)
    err = lambda x: float(np.sqrt(np.mean((x - clean) ** 2))) * 255  # noqa: E731
    low = [err(degrade_dejpeg(clean, rng, low=1.0)) for _ in range(20)]
    q10, q25 = err(jpeg(clean, quality=10)), err(jpeg(clean, quality=25))
    assert min(low) > 0.8 * q25 and max(low) < 1.2 * q10  # all between quality 25 and 10
    mixed = [err(degrade_dejpeg(clean, rng)) for _ in range(40)]
    assert np.median(low) > np.median(mixed)  # stronger artefacts than the usual mix
    _assert_share_is_checked(tmp_path, "vivid_dejpeg_low.toml", "dejpeg_low", "0.35")


def test_colorize_batches_are_gray_inputs_of_colour_targets() -> None:
    images = [_scene(70, 90, s) for s in range(3)]
    x, y = RestoreSampler(images, task="colorize", patch=32, seed=3).batch(4)
    assert x.shape == (4, 1, 32, 32) and y is not None and y.shape == (4, 3, 32, 32)
    luma = 0.299 * y[:, 0:1] + 0.587 * y[:, 1:2] + 0.114 * y[:, 2:3]
    assert np.abs(x - luma).max() <= 0.5 / 255 + 1e-6  # the 8-bit luma of the target
    assert np.allclose(x * 255, np.rint(x * 255), atol=1e-4)
    assert is_colourful(images[0]) and not is_colourful(np.repeat(images[0][:1], 3, axis=0))


def test_holdout_split_and_validation_set(tmp_path: Path) -> None:
    a, b = _folder(tmp_path / "a", 2, 0), _folder(tmp_path / "b", 5, 10)
    train_files, val_files = holdout_split((str(a), str(b)), str(b), 2)
    assert [f.name for f in val_files] == ["003.png", "004.png"]
    assert len(train_files) == 5 and not set(val_files) & set(train_files)
    _, all_val = holdout_split((str(a),), str(b), 0)
    assert len(all_val) == 5
    with pytest.raises(ConfigError, match="holdout"):
        holdout_split((str(a),), str(b), 9)
    pairs = synthetic_validation_set(val_files, task="lowlight")
    again = synthetic_validation_set(val_files, task="zero_ref")  # validates on the lowlight pairs
    assert len(pairs) == 2
    for (inp, clean), (inp2, _) in zip(pairs, again, strict=True):
        assert inp.shape == clean.shape == (3, 96, 120) and np.array_equal(inp, inp2)
        assert inp.mean() < clean.mean()


def test_all_configs_load() -> None:
    files = sorted(CONFIGS.glob("*/*.toml"))
    assert {f.stem for f in files} >= {"vivid_lowlight", "vivid_tone", "vivid_zerodce", "vivid_denoise"}
    for f in files:
        load_config(f)


def test_config_rules(tmp_path: Path) -> None:
    text = (CONFIGS / "lowlight" / "vivid_lowlight.toml").read_text()
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace("patch = 192", "patch = 64"))
    with pytest.raises(ConfigError, match="patch must be >= 128"):
        load_config(bad)
    bad.write_text(text.replace('task = "lowlight"', 'task = "dehaze"'))
    with pytest.raises(ConfigError, match="dehaze"):
        load_config(bad)
    bad.write_text(text.replace("ema = 0.998", 'ema = 0.998\nloss = "mse"'))
    with pytest.raises(ConfigError, match=r"\[optim\] loss: input should be 'l1' or 'l2', got 'mse'"):
        load_config(bad)


@pytest.mark.parametrize(
    "config,patch,task",
    [
        ("lowlight/vivid_lowlight.toml", 64, "lowlight"),
        ("color/vivid_tone.toml", 64, "color"),
        ("lowlight/vivid_zerodce.toml", 48, "lowlight"),
        ("colorize/vivid_colorize.toml", 64, "colorize"),
        ("colorize/seed003_huevae.toml", 64, "colorize"),
    ],
)
def test_config_smoke_run_export_and_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: str, patch: int, task: str
) -> None:
    """Three iterations of each shipped config (shrunk patch and batch, tiny folders), validation, then
    export into a scratch weights folder and inference through the engine."""
    monkeypatch.setenv("VIVID_THREADS", "1")
    train_dir = _folder(tmp_path / "train", 4, 0)
    cfg = load_config(CONFIGS / config)
    cfg = replace(
        cfg,
        run=replace(cfg.run, out_dir=str(tmp_path / "runs"), val_every=3, log_every=1, checkpoint_every=3),
        data=replace(
            cfg.data, train_dirs=(str(train_dir),), val_dir=str(train_dir), holdout=1, patch=patch, batch=2
        ),
        optim=replace(cfg.optim, iterations=3, warmup=1),
    )
    out = train(cfg)
    rows = list(csv.DictReader((out / "log.csv").open()))
    assert [int(r["iteration"]) for r in rows] == [1, 2, 3]
    assert all(math.isfinite(float(r["loss"])) for r in rows)
    assert math.isfinite(float(rows[-1]["val_psnr"]))
    assert (out / "best.safetensors").exists()

    weights = tmp_path / "weights"
    weights.mkdir()
    monkeypatch.setattr(builtin, "weights_dir", lambda: weights)
    entry = export.export_run(out, name="vivid-test", task=task)
    monkeypatch.setattr(registry, "ENTRIES", (entry,))  # the line export_run says to add
    restorer = builtin.load_builtin("vivid-test", 1)
    d = restorer.descriptor
    assert d.task == task and d.size_multiple == 1
    if cfg.model.arch == "global_local":
        assert d.tileable and d.tile_overlap == entry.network.tile_overlap == 48
    else:
        assert not d.tileable
    img = Image(_scene(50, 70) * 0.3)
    result = run_model(restorer, img, tile=4096).pixels
    assert result.shape == (3, 50, 70) and np.isfinite(result).all()
    from vivid.zoo.shipped_onnx import load_shipped_onnx  # exported with its ONNX graphs (no-torch installs)

    assert np.abs(run_model(load_shipped_onnx("vivid-test", 1), img, tile=4096).pixels - result).max() <= 1 / 255
    if task == "colorize":  # large models ship as float16 files: half the size, same output
        e16 = export.export_run(out, name="vivid-test16", task=task, storage="float16", weights="last.pt")
        monkeypatch.setattr(registry, "ENTRIES", (entry, e16))
        assert (weights / e16.weights_file(1)).stat().st_size < 0.6 * (weights / entry.weights_file(1)).stat().st_size
        half = run_model(builtin.load_builtin("vivid-test16", 1), img, tile=4096).pixels
        assert np.abs(half - result).max() <= 1 / 255


def test_re_expose_hits_the_mean_and_targets_follow_the_range() -> None:
    from vivid.train.restore_data import re_expose

    clean = _scene() * 0.4
    for m in (0.3, 0.5, 0.6):
        out = re_expose(clean, m)
        assert abs(float(out.mean()) - m) < 0.01 and out.min() >= 0 and out.max() <= 1
    # brighter stays ordered: re-exposing keeps the pixels' order (a monotone gain)
    flat = re_expose(clean, 0.5).reshape(-1)
    order = np.argsort(clean.reshape(-1), kind="stable")
    assert np.all(np.diff(flat[order]) >= -1e-6)
    images = [_scene(70, 90, s) * 0.3 for s in range(3)]
    _, y = RestoreSampler(images, task="lowlight", patch=32, seed=1, target_mean=(0.45, 0.55)).batch(6)
    assert y is not None and all(0.44 < float(t.mean()) < 0.56 for t in y)


def test_target_mean_is_checked(tmp_path: Path) -> None:
    text = (CONFIGS / "lowlight" / "vivid_lowlight.toml").read_text()
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace("target_mean = [0.45, 0.55]", "target_mean = [0.6, 0.4]"))
    with pytest.raises(ConfigError, match="target_mean"):
        load_config(bad)


def test_tone_tint_adds_a_green_magenta_axis_and_is_checked(tmp_path: Path) -> None:
    gray = np.full((3, 32, 32), 0.5, dtype=np.float32)  # neutral: any green shift is the tint
    plain = [degrade_tone(gray, np.random.default_rng(s), keep_share=0.0) for s in range(40)]
    tinted = [degrade_tone(gray, np.random.default_rng(s), keep_share=0.0, tint=0.5) for s in range(40)]

    def green_excess(x: np.ndarray) -> float:  # green against the mean of red and blue
        return float(x[1].mean() - 0.5 * (x[0].mean() + x[2].mean()))

    assert np.std([green_excess(x) for x in tinted]) > 2 * np.std([green_excess(x) for x in plain])
    # tint 0 draws nothing extra: the first stage's edits are unchanged
    assert np.array_equal(plain[3], degrade_tone(gray, np.random.default_rng(3), keep_share=0.0, tint=0.0))
    text = (CONFIGS / "color" / "vivid_tone_stage2.toml").read_text()
    assert load_config(CONFIGS / "color" / "vivid_tone_stage2.toml").data.tint == 0.25
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace("tint = 0.25", "tint = 3"))
    with pytest.raises(ConfigError, match="tint"):
        load_config(bad)


def test_lowlight_exposure_range_is_configurable_and_checked(tmp_path: Path) -> None:
    clean = _scene(48, 48, 1)
    default = [degrade_lowlight(clean, np.random.default_rng(s)).mean() for s in range(20)]
    darker = [degrade_lowlight(clean, np.random.default_rng(s), exposure=(0.005, 0.01)).mean() for s in range(20)]
    assert max(darker) < min(default)
    assert np.array_equal(degrade_lowlight(clean, np.random.default_rng(7)),
                          degrade_lowlight(clean, np.random.default_rng(7), exposure=(0.03, 0.4)))  # the old default
    cfg = load_config(CONFIGS / "lowlight" / "vivid_lowlight_stage4.toml")
    assert cfg.data.exposure == (0.005, 0.4)
    bad = tmp_path / "bad.toml"
    bad.write_text((CONFIGS / "lowlight" / "vivid_lowlight_stage4.toml").read_text().replace("[0.005, 0.4]", "[0.5, 0.1]"))
    with pytest.raises(ConfigError, match="exposure"):
        load_config(bad)


def test_lowlight_camera_noise_is_opt_in_and_checked(tmp_path: Path) -> None:
    clean = _scene(64, 64, 2)
    # off: the same pairs as before the option existed (its draws come after the others)
    assert np.array_equal(degrade_lowlight(clean, np.random.default_rng(4), exposure=(0.005, 0.4)),
                          degrade_lowlight(clean, np.random.default_rng(4), exposure=(0.005, 0.4), camera=False))
    a = degrade_lowlight(clean, np.random.default_rng(4), exposure=(0.005, 0.4), camera=True)
    assert a.shape == clean.shape and a.dtype == np.float32 and 0.0 <= a.min() and a.max() <= 1.0
    assert np.array_equal(a, degrade_lowlight(clean, np.random.default_rng(4), exposure=(0.005, 0.4), camera=True))
    cfg = load_config(CONFIGS / "lowlight" / "vivid_lowlight_stage5.toml")
    assert cfg.data.camera_noise is True
    assert load_config(CONFIGS / "lowlight" / "vivid_lowlight_stage4.toml").data.camera_noise is False
    bad = tmp_path / "bad.toml"
    bad.write_text((CONFIGS / "color" / "vivid_tone_stage2.toml").read_text().replace("tint = 0.25", "tint = 0.25\ncamera_noise = true"))
    with pytest.raises(ConfigError, match="camera_noise"):
        load_config(bad)
