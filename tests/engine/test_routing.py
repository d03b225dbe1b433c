"""Recommended-model routing on labelled examples: each kind of image gets the step it needs, with a reason."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from vivid.engine.plan import Plan
from vivid.engine.routing import analyze, blockiness
from vivid.io.image import Image

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"


def photo_like(h: int = 600, w: int = 800, seed: int = 0) -> np.ndarray:
    """A well-exposed, clean, colourful synthetic scene (smooth regions, edges, texture)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r = 0.55 + 0.25 * np.sin(xx / 50) * np.cos(yy / 70)
    g = 0.5 + 0.2 * np.cos(xx / 90 + yy / 60)
    b = 0.45 + 0.25 * np.sin((xx + yy) / 80)
    img = np.stack([r, g, b])
    # blocks of 50 px: edges off the 8-pixel JPEG grid, like most real edges
    img[:, ((yy.astype(int) + 3) // 50 + (xx.astype(int) + 5) // 50) % 2 == 0] *= 0.85
    smooth = np.clip(img + rng.normal(0, 0.002, img.shape), 0, 1)
    return smooth.astype(np.float32)


def tasks(plan: Plan) -> list[str]:
    return [s.task for s in plan.steps]


def test_good_photo_needs_little_or_nothing() -> None:
    plan = analyze(Image(photo_like()))
    assert tasks(plan) == []
    assert plan.notes and "nothing to do" in plan.notes[0]


def test_dark_image_goes_to_low_light_with_a_reason() -> None:
    dark = (photo_like() ** 2.2 * 0.12).astype(np.float32)
    plan = analyze(Image(dark))
    assert "lowlight" in tasks(plan)
    step = next(s for s in plan.steps if s.task == "lowlight")
    assert "darker than 128" in step.reason
    assert step.alternatives  # seed 000's "Another Model", generalised


def test_low_key_photo_is_left_alone_with_a_note() -> None:
    """Dark on average but with bright highlights (a portrait on black): a choice, not an under-exposure."""
    img = (photo_like() * 0.3).astype(np.float32)  # mean about 0.15
    img[:, 200:320, 300:460] = photo_like(120, 160, 3) * 0.3 + 0.65  # a well-lit subject
    plan = analyze(Image(img))
    assert "lowlight" not in tasks(plan), plan.explain()
    assert any("low-key" in n for n in plan.notes)
    very_dark = img * 0.35  # the same scene under-exposed: the highlights are gone
    assert "lowlight" in tasks(analyze(Image(very_dark.astype(np.float32))))


def test_noisy_image_goes_to_denoise_first() -> None:
    noisy = np.clip(photo_like() + np.random.default_rng(1).normal(0, 25 / 255, (3, 600, 800)), 0, 1)
    plan = analyze(Image(noisy.astype(np.float32)))
    assert tasks(plan)[0] == "denoise"
    assert "noise" in plan.steps[0].reason


def test_gray_image_is_recognised() -> None:
    gray = photo_like()[:1]
    plan = analyze(Image(gray))
    assert plan.analysis["grayscale"] is True
    assert "colorize" in tasks(plan) or any("colorize" in n for n in plan.notes)


def test_small_image_goes_to_super_resolution() -> None:
    plan = analyze(Image(photo_like(200, 300)))
    assert tasks(plan) == ["sr"]
    assert plan.steps[0].scale == 2 and "small" in plan.steps[0].reason


def test_requested_size_sets_the_sr_scale() -> None:
    plan = analyze(Image(photo_like(600, 800)), size=(1800, 2400))
    from vivid.models.registry import get_entry

    step = plan.steps[-1]
    # x3 is needed: the model runs at the smallest scale it offers that reaches x3 (the engine resamples the rest)
    assert step.task == "sr" and step.scale == min(s for s in get_entry(step.model).scales if s >= 3)


def test_plan_round_trips_as_data() -> None:
    plan = analyze(Image((photo_like(200, 300) ** 2.2 * 0.1).astype(np.float32)))
    again = Plan.from_dict(plan.to_dict())
    assert again == plan
    assert len(plan.explain()) == len(plan.steps)


def test_blockiness_detects_jpeg_blocks() -> None:
    import io

    img = (photo_like(256, 256)[0] * 255).astype(np.uint8)
    buf = io.BytesIO()
    PILImage.fromarray(img).save(buf, format="JPEG", quality=8)
    blocky = np.asarray(PILImage.open(io.BytesIO(buf.getvalue())), dtype=np.float32) / 255
    assert blockiness(blocky) > 1.3 > blockiness(img.astype(np.float32) / 255)


def test_dark_colour_photo_is_not_taken_for_grayscale() -> None:
    """A dim colour photo has little absolute chroma (LOL's low captures: 1.4/255 and up) but plenty
    relative to its brightness; it must go to low-light, not to the colorizer."""
    dim = (photo_like() * 0.035).astype(np.float32)
    chroma = np.mean(np.abs(dim[0] - dim[1]) + np.abs(dim[1] - dim[2])) / 2
    assert chroma < 2 / 255  # what the absolute test alone called gray
    plan = analyze(Image(dim))
    assert plan.analysis["grayscale"] is False
    assert "lowlight" in tasks(plan) and "colorize" not in tasks(plan), plan.explain()
    gray_dim = np.repeat(dim.mean(0, keepdims=True), 3, 0)  # the same, truly gray, as three channels
    assert analyze(Image(np.ascontiguousarray(gray_dim))).analysis["grayscale"] is True


def _rgb(f: Path) -> Image:
    a = np.asarray(PILImage.open(f).convert("RGB"), dtype=np.float32).transpose(2, 0, 1) / 255
    return Image(np.ascontiguousarray(a))


@pytest.mark.shared
def test_real_low_light_photos_go_to_low_light() -> None:
    """All 15 LOL low captures go to low-light and none to the colorizer; so do DICM's clearly dark
    photos (median luma < 0.05, a statistic the rules do not use). DICM also holds normally exposed
    photos; benchmarks/routing_accuracy.py reports the whole set."""
    lol, dicm = SHARED / "lowlight" / "LOL" / "eval15" / "low", SHARED / "lowlight" / "DICM" / "low"
    if not (lol.is_dir() and dicm.is_dir()):
        pytest.skip("../shared low-light datasets are not available")
    files = sorted(lol.glob("*.png"))
    assert len(files) == 15
    for f in files:
        steps = tasks(analyze(_rgb(f)))
        assert "lowlight" in steps and "colorize" not in steps, (f.name, steps)
    dark = 0
    for f in sorted(dicm.glob("*.jpg")):
        image = _rgb(f)
        luma = 0.299 * image.color[0] + 0.587 * image.color[1] + 0.114 * image.color[2]
        if np.median(luma) < 0.05:
            dark += 1
            assert "lowlight" in tasks(analyze(image)), f.name
    assert dark >= 8


@pytest.mark.shared
def test_gray_and_noisy_real_photos_are_routed() -> None:
    """BSD68 (stored gray) and CBSD68 turned into gray RGB go to the colorizer; CBSD68 with Gaussian noise
    (sigma 15, seeded) goes to the denoiser first. First 10 images of each."""
    gray_dir, color_dir = SHARED / "denoise" / "BSD68" / "GT", SHARED / "denoise" / "CBSD68" / "GT"
    if not (gray_dir.is_dir() and color_dir.is_dir()):
        pytest.skip("../shared/datasets/denoise is not available")
    for f in sorted(gray_dir.glob("*.png"))[:10]:
        a = np.asarray(PILImage.open(f).convert("L"), dtype=np.float32)[None] / 255
        assert "colorize" in tasks(analyze(Image(np.ascontiguousarray(a)))), f.name
    for i, f in enumerate(sorted(color_dir.glob("*.png"))[:10]):
        x = _rgb(f).color
        g = 0.299 * x[0] + 0.587 * x[1] + 0.114 * x[2]
        steps = tasks(analyze(Image(np.ascontiguousarray(np.stack([g, g, g])))))
        assert "colorize" in steps, f.name
        noisy = x + np.random.default_rng(i).standard_normal(x.shape).astype(np.float32) * (15 / 255)
        steps = tasks(analyze(Image(np.clip(noisy, 0, 1).astype(np.float32))))
        assert steps[:1] == ["denoise"] and "colorize" not in steps, (f.name, steps)


@pytest.mark.shared
def test_good_real_photos_keep_their_size_and_light() -> None:
    folder = SHARED / "sr" / "BSD100" / "HR"
    if not folder.is_dir():
        pytest.skip("../shared/datasets/sr/BSD100 is not available")
    for f in sorted(folder.glob("*.png"))[:8]:
        a = np.asarray(PILImage.open(f).convert("RGB"), dtype=np.float32).transpose(2, 0, 1) / 255
        plan = analyze(Image(np.ascontiguousarray(a)))
        assert "lowlight" not in tasks(plan) and "denoise" not in tasks(plan), (f.name, plan.explain())


@pytest.mark.shared
def test_auto_does_no_harm_to_good_photos() -> None:
    """Issue #5's target on BSD100 HR: ``--task auto`` keeps good photos (PSNR >= 30 dB against the input,
    the SR step's output brought back to the input size). All 100 are routed; the images that get any
    step besides SR (and the first three) are enhanced and scored. benchmarks/do_no_harm.py runs all 100."""
    from vivid.engine.api import enhance
    from vivid.metrics import psnr
    from vivid.ops.resize import imresize

    folder = SHARED / "sr" / "BSD100" / "HR"
    if not folder.is_dir():
        pytest.skip("../shared/datasets/sr/BSD100 is not available")
    files = sorted(folder.glob("*.png"))
    assert len(files) == 100
    for i, f in enumerate(files):
        a = np.asarray(PILImage.open(f).convert("RGB"), dtype=np.float32).transpose(2, 0, 1) / 255
        image = Image(np.ascontiguousarray(a))
        plan = analyze(image)
        if i >= 3 and set(tasks(plan)) <= {"sr"}:
            continue
        assert "lowlight" not in tasks(plan) and "color" not in tasks(plan), (f.name, plan.explain())
        out = enhance(image, plan=plan).image.color
        if out.shape != a.shape:
            out = np.clip(imresize(out, size=a.shape[1:]), 0, 1)
        assert psnr(out, a) >= 30.0, (f.name, plan.explain())
