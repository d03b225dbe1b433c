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


def test_noise_in_a_dark_image_is_judged_as_it_will_be_once_brightened() -> None:
    """sigma 1.5 of 255 is nothing in a normal photo but about 10 after brightening a mean of 0.06 to 0.5:
    denoise first, then low-light; the same dark scene without noise only gets brightened."""
    dark = (photo_like() ** 2.2 * 0.15).astype(np.float32)
    assert 0.03 < float(dark.mean()) < 0.09
    assert tasks(analyze(Image(dark))) == ["lowlight"]
    noisy = np.clip(dark + np.random.default_rng(1).normal(0, 1.5 / 255, dark.shape), 0, 1).astype(np.float32)
    plan = analyze(Image(noisy))
    assert tasks(plan) == ["denoise", "lowlight"], plan.explain()
    assert "once brightened" in plan.steps[0].reason
    bright_noisy = np.clip(photo_like() + np.random.default_rng(1).normal(0, 1.5 / 255, dark.shape), 0, 1)
    assert tasks(analyze(Image(bright_noisy.astype(np.float32)))) == []  # the same noise in daylight: left


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


def test_jpeg_blocks_go_to_the_jpeg_artefact_remover() -> None:
    """A heavily compressed photo is routed to dejpeg (to denoise only while no dejpeg model is installed)."""
    from vivid.engine.routing import _has_model

    blocky = _jpeg(photo_like(), 10)
    plan = analyze(Image(blocky))
    want = "dejpeg" if _has_model("dejpeg") else "denoise"
    assert tasks(plan)[:1] == [want], plan.explain()
    assert "blockiness" in plan.steps[0].reason


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


def _jpeg(x: np.ndarray, quality: int) -> np.ndarray:
    import io

    buf = io.BytesIO()
    PILImage.fromarray(np.rint(np.moveaxis(x, 0, -1) * 255).astype(np.uint8)).save(buf, "JPEG", quality=quality)
    buf.seek(0)
    return np.ascontiguousarray(np.asarray(PILImage.open(buf).convert("RGB"), np.float32).transpose(2, 0, 1) / 255)


def test_gray_means_no_chroma_almost_anywhere() -> None:
    """Gray stored as RGB (also after JPEG 4:2:0) is grayscale; a colour photo of a nearly neutral scene
    (mean chroma about 1.5/255, like a road under an overcast sky, with a few coloured things in it) is not,
    and neither is a sepia print, which is a toned monochrome: kept as it is, with a note."""
    photo = photo_like()
    luma = 0.299 * photo[0] + 0.587 * photo[1] + 0.114 * photo[2]
    gray = np.stack([luma, luma, luma])
    for g in (gray, _jpeg(gray, 75), _jpeg(gray, 30)):
        plan = analyze(Image(np.ascontiguousarray(g, dtype=np.float32)))
        assert plan.analysis["grayscale"] is True and "colorize" in tasks(plan)
    road = gray + (photo - photo.mean(axis=0, keepdims=True)) * 0.03  # chroma of a few levels
    road[:, 300:340, 100:180] = [[[0.7]], [[0.15]], [[0.12]]]  # a red car
    road = np.clip(road, 0, 1).astype(np.float32)
    chroma = np.mean(np.abs(road[0] - road[1]) + np.abs(road[1] - road[2])) / 2
    assert chroma < 2 / 255  # what the mean-chroma rule called gray
    for r in (road, _jpeg(road, 75)):
        plan = analyze(Image(r))
        assert plan.analysis["grayscale"] is False and "colorize" not in tasks(plan), plan.explain()
    sepia = np.clip(np.stack([luma * 1.07, luma * 0.95, luma * 0.78]), 0, 1).astype(np.float32)
    for sp in (sepia, _jpeg(sepia, 75)):
        plan = analyze(Image(sp))
        assert plan.analysis["grayscale"] is False and plan.analysis["toned"] is True
        assert not {"colorize", "color"} & set(tasks(plan)), plan.explain()
        assert any("toned monochrome" in n for n in plan.notes)
    assert analyze(Image(photo)).analysis["toned"] is False


def test_one_coloured_subject_is_not_a_cast_but_tinted_light_is() -> None:
    """A close-up filled by one colour (a face, a red wall) tilts the gray-edge measure like a cast does, but
    its highlights stay neutral: kept, with a note. Under a real cast the light itself, highlights
    included, is tinted: colour correction. (Set5's "head" close-up used to get gray-world.)"""
    red = (photo_like() * np.array([1.0, 0.5, 0.45], dtype=np.float32)[:, None, None]).astype(np.float32)
    red[:, 100:260, 200:360] = 0.97  # a white collar, speculars: the brightest 5%, neutral
    plan = analyze(Image(red))
    assert plan.analysis["color_cast"] > 0.25 and "color" not in tasks(plan), plan.explain()
    assert any("highlights are neutral" in n for n in plan.notes)
    cast = np.clip(photo_like() * np.array([1.0, 0.75, 0.5], dtype=np.float32)[:, None, None], 0, 1)
    plan = analyze(Image(cast.astype(np.float32)))
    assert "color" in tasks(plan), plan.explain()


def _lamp_lit(warm: bool) -> np.ndarray:
    """A dark room (mean about 0.1) with two small lamps near white; warm light or neutral."""
    scene = (photo_like() ** 1.5 * 0.33).astype(np.float32)
    if warm:
        scene = scene * np.array([1.35, 1.0, 0.55], dtype=np.float32)[:, None, None]
    for y, x in ((100, 150), (120, 600)):
        scene[:, y : y + 70, x : x + 80] = 0.97
    return np.clip(scene, 0, 1).astype(np.float32)


def test_night_scene_lit_by_warm_lamps_is_brightened_and_keeps_its_light() -> None:
    """Under-exposed with a few bright lamps: low-light, not the gray-world colour correction that used to
    neutralise the lamps' light; the reason names the case. Neutral light (a low-key flash photo) is kept."""
    plan = analyze(Image(_lamp_lit(warm=True)))
    assert "lowlight" in tasks(plan) and "color" not in tasks(plan), plan.explain()
    assert "lamp-lit" in next(s.reason for s in plan.steps if s.task == "lowlight")
    neutral = analyze(Image(_lamp_lit(warm=False)))
    assert not {"lowlight", "color"} & set(tasks(neutral)), neutral.explain()
    tinted_dark = (photo_like() * 0.2 * np.array([1.0, 1.0, 1.8])[:, None, None]).clip(0, 1).astype(np.float32)
    tinted_dark[:, 200:320, 300:460] = 0.9  # a bright window: a low-key scene, not under-exposed
    plan = analyze(Image(tinted_dark))
    assert "color" not in tasks(plan), plan.explain()


@pytest.mark.shared
def test_real_warm_night_photos_are_brightened_not_neutralised() -> None:
    """DICM 03 (a room lit by warm wall lamps) and 30 (a sunset) went to gray-world colour correction."""
    folder = SHARED / "lowlight" / "DICM" / "low"
    if not folder.is_dir():
        pytest.skip("../shared/datasets/lowlight/DICM is not available")
    for name in ("03.jpg", "30.jpg"):
        steps = tasks(analyze(_rgb(folder / name)))
        assert "lowlight" in steps and "color" not in steps, (name, steps)


@pytest.mark.shared
def test_colour_video_of_a_gray_road_is_not_grayscale() -> None:
    """car-detection.mp4 (mean RGB 118/118/119) was classified gray and colorized blue; every sampled frame
    now measures as colour, and the clip's plan has no colorize step."""
    import av

    from vivid.video.clip_plan import plan_from_samples

    clip = SHARED / "video" / "car-detection.mp4"
    if not clip.is_file():
        pytest.skip("../shared/datasets/video/car-detection.mp4 is not available")
    frames = []
    with av.open(str(clip)) as c:
        for i, frame in enumerate(c.decode(video=0)):
            if i % 60 == 0:
                a = frame.to_ndarray(format="rgb24").transpose(2, 0, 1).astype(np.float32) / 255
                frames.append(Image(np.ascontiguousarray(a)))
            if len(frames) == 6:
                break
    for f in frames:
        assert analyze(f).analysis["grayscale"] is False
    assert "colorize" not in tasks(plan_from_samples(frames, scale=None))


def test_video_colorizes_only_when_every_sampled_frame_is_gray() -> None:
    from vivid.video.clip_plan import plan_from_samples

    photo = photo_like(240, 320)
    luma = 0.299 * photo[0] + 0.587 * photo[1] + 0.114 * photo[2]
    gray = Image(np.ascontiguousarray(np.stack([luma, luma, luma])))
    assert "colorize" in tasks(plan_from_samples([gray, gray, gray], scale=None))
    mixed = plan_from_samples([gray, gray, Image(photo)], scale=None)
    assert "colorize" not in tasks(mixed)
    assert any("colour" in n for n in mixed.notes)


def _rgb(f: Path) -> Image:
    a = np.asarray(PILImage.open(f).convert("RGB"), dtype=np.float32).transpose(2, 0, 1) / 255
    return Image(np.ascontiguousarray(a))


@pytest.mark.shared
def test_real_low_light_photos_go_to_low_light() -> None:
    """All 15 LOL low captures go to low-light (denoised first) and none to the colorizer; so do DICM's clearly dark
    photos (median luma < 0.05, a statistic the rules do not use). DICM also holds normally exposed
    photos; benchmarks/routing_accuracy.py reports the whole set."""
    lol, dicm = SHARED / "lowlight" / "LOL" / "eval15" / "low", SHARED / "lowlight" / "DICM" / "low"
    if not (lol.is_dir() and dicm.is_dir()):
        pytest.skip("../shared low-light datasets are not available")
    files = sorted(lol.glob("*.png"))
    assert len(files) == 15
    for f in files:  # LOL's captures are noisy once brightened: denoised first
        steps = tasks(analyze(_rgb(f)))
        assert steps == ["denoise", "lowlight"], (f.name, steps)
    dark = 0
    for f in sorted(dicm.glob("*.jpg")):
        image = _rgb(f)
        luma = 0.299 * image.color[0] + 0.587 * image.color[1] + 0.114 * image.color[2]
        if np.median(luma) < 0.05:
            dark += 1
            assert "lowlight" in tasks(analyze(image)), f.name
    assert dark >= 8
    # DICM's JPEGs carry little noise: few are denoised before brightening
    assert sum("denoise" in tasks(analyze(_rgb(f))) for f in sorted(dicm.glob("*.jpg"))) <= 5


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


def _noisy(h: int, w: int) -> np.ndarray:
    x = photo_like(h, w)
    return np.clip(x + np.random.default_rng(3).normal(0, 15 / 255, x.shape), 0, 1).astype(np.float32)


def _soft(x: np.ndarray, sigma: float = 1.5) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    return np.ascontiguousarray(gaussian_filter(x, (0, sigma, sigma)), dtype=np.float32)


def test_edge_sharpness_falls_with_blur_and_noise_never_makes_an_image_look_soft() -> None:
    from vivid.engine.routing import edge_sharpness

    y = photo_like(200, 300).mean(axis=0)
    values = [edge_sharpness(_soft(y[None], s)[0]) if s else edge_sharpness(y) for s in (0, 0.7, 1.2, 2.0)]
    assert values == sorted(values, reverse=True) and values[0] - values[-1] > 0.3, values
    for sigma in (2, 8):  # noise adds fine detail: the safe side (a noisy image never counts as soft)
        noisy = y + np.random.default_rng(0).normal(0, sigma / 255, y.shape).astype(np.float32)
        assert edge_sharpness(noisy) > values[0]
    assert edge_sharpness(np.full((64, 64), 0.5, np.float32)) == 1.0  # flat: nothing to judge


def test_upscaling_a_soft_compressed_copy_goes_to_real_world_sr() -> None:
    """A blurred, JPEG'd image (a web copy) asked to be upscaled, or small enough that auto upscales it: one
    real-world SR step, which says why; at x3 and x4 its x4 model (x3 resizes down). Heavy blocks are removed
    first (the real-world model keeps the input's chroma, blocks and all)."""
    web_copy = _jpeg(_soft(photo_like(200, 300)), 90)  # blockiness 1.42 on this picture
    for kw in ({"scale": 2}, {}):
        plan = analyze(Image(web_copy), **kw)
        assert [(s.task, s.model, s.scale) for s in plan.steps] == [("sr", "vivid-sr-real", 2)], plan.explain()
        assert "soft edges" in plan.steps[0].reason and "real-world SR" in plan.steps[0].reason
    for factor in (3, 4):
        plan = analyze(Image(web_copy), scale=factor)
        assert [(s.task, s.model, s.scale) for s in plan.steps] == [("sr", "vivid-sr-real", 4)], plan.explain()
    plan = analyze(Image(_jpeg(_soft(photo_like(200, 300)), 50)), scale=2)  # blockiness 2.6
    assert [(s.task, s.model) for s in plan.steps] == [("dejpeg", "vivid-dejpeg"), ("sr", "vivid-sr-real")]


def test_real_world_sr_only_where_it_reaches_the_factor_and_an_upscale_is_wanted() -> None:
    """x6 is beyond vivid-sr-real (x2, x4): clean up, then the clean-input SR model; no upscale: cleanup only."""
    plan = analyze(Image(_jpeg(_soft(photo_like(100, 150)), 50)), scale=6)
    assert [(s.task, s.model) for s in plan.steps] == [("dejpeg", "vivid-dejpeg"), ("sr", "vivid-sr")]
    assert tasks(analyze(Image(_jpeg(_soft(photo_like(600, 800)), 50)))) == ["dejpeg"]


def test_sharp_noisy_or_compressed_upscales_are_cleaned_up_first() -> None:
    """Noise or JPEG on a sharp image: the cleanup step, then the clean-input model (vivid-sr-real smooths
    sharp detail away and loses there); a blurred but clean image: vivid-sr alone."""
    plan = analyze(Image(_noisy(200, 300)), scale=2)
    assert [(s.task, s.model) for s in plan.steps] == [("denoise", "vivid-denoise"), ("sr", "vivid-sr")]
    plan = analyze(Image(_jpeg(photo_like(200, 300), 10)), scale=2)
    assert [(s.task, s.model) for s in plan.steps] == [("dejpeg", "vivid-dejpeg"), ("sr", "vivid-sr")]
    plan = analyze(Image(_soft(photo_like(200, 300))), scale=2)
    assert [(s.task, s.model) for s in plan.steps] == [("sr", "vivid-sr")], plan.explain()


@pytest.mark.shared
def test_real_photos_route_to_real_world_sr_only_when_soft_and_compressed() -> None:
    """BSD100 photos shrunk x2 (sharp), JPEG'd at q70, blurred then JPEG'd (the case vivid-sr-real wins):
    auto's x2 plans use vivid-sr-real for most of the last and for none of the others."""
    from vivid.ops.degrade import jpeg
    from vivid.ops.resize import imresize, modcrop
    from vivid.train.sr_data import load_rgb

    files = sorted((SHARED / "sr" / "BSD100" / "HR").glob("*.png"))[:8]
    if not files:
        pytest.skip("../shared/datasets/sr/BSD100 is not available")
    counts = {"sharp": 0, "jpeg": 0, "soft jpeg": 0}
    for f in files:
        hr = modcrop(load_rgb(f), 2).astype(np.float32)
        lr = imresize(hr, 0.5, quantize=8)
        cases = {"sharp": lr, "jpeg": jpeg(lr, quality=70),
                 "soft jpeg": jpeg(imresize(_soft(hr, 1.6), 0.5, quantize=8), quality=70)}
        for name, img in cases.items():
            plan = analyze(Image(np.ascontiguousarray(img, dtype=np.float32)), scale=2)
            counts[name] += any(s.model == "vivid-sr-real" for s in plan.steps)
    assert counts["sharp"] == 0 and counts["jpeg"] == 0 and counts["soft jpeg"] >= 6, counts
    # heavy blocks on a soft copy: JPEG-artefact removal first, then the real-world model
    soft_q10 = jpeg(imresize(_soft(modcrop(load_rgb(files[0]), 2).astype(np.float32), 1.6), 0.5, quantize=8), quality=10)
    plan = analyze(Image(np.ascontiguousarray(soft_q10, dtype=np.float32)), scale=2)
    assert [(s.task, s.model) for s in plan.steps] == [("dejpeg", "vivid-dejpeg"), ("sr", "vivid-sr-real")]


def test_a_jpeg_file_saved_at_low_quality_goes_to_dejpeg_even_when_its_blocks_hide(tmp_path: Path) -> None:
    """Smooth content hides blocks (this picture at q70 measures below the blockiness line), but the file's
    quantization table says how hard it was compressed: at quality <= 70 auto removes the artefacts. The
    same pixels without the file (an array, a PNG) and a q90 file are left alone."""
    from vivid.engine.routing import BLOCKY, FILE_JPEG_QUALITY, _has_model
    from vivid.io.read import read_image

    if not _has_model("dejpeg"):
        pytest.skip("no JPEG-artefact remover installed")
    rgb = np.rint(np.moveaxis(photo_like(), 0, -1) * 255).astype(np.uint8)
    for quality, routed in ((FILE_JPEG_QUALITY, True), (90, False)):
        path = tmp_path / f"q{quality}.jpg"
        PILImage.fromarray(rgb).save(path, "JPEG", quality=quality)
        image = read_image(path)
        plan = analyze(image)
        assert plan.analysis["jpeg_quality"] == quality
        assert plan.analysis["blockiness"] <= BLOCKY  # the blocks alone would not route it
        assert (tasks(plan) == ["dejpeg"]) is routed, plan.explain()
        if routed:
            assert f"quality {quality}" in plan.steps[0].reason and "quantization table" in plan.steps[0].reason
            assert tasks(analyze(Image(image.pixels))) == []  # the pixels alone: no file, no quality
