"""The engine's enhance/run_model: every learned model tiles seam-free; options behave."""

from __future__ import annotations

import numpy as np
import pytest

from tests.images import textured as shared_textured
from vivid.engine.api import enhance, run_model
from vivid.errors import ConfigError, ModelError
from vivid.io.image import Image, ImageMeta
from vivid.models.registry import list_models
from vivid.zoo.loader import load_model

LEARNED = [(e.name, s) for e in list_models() if e.kind == "learned" for s in e.scales]


def textured(h: int = 72, w: int = 88, c: int = 3, seed: int = 0) -> np.ndarray:
    return shared_textured(h, w, c, seed)


@pytest.mark.parametrize("name,scale", LEARNED)
def test_learned_model_tiled_equals_untiled(name: str, scale: int) -> None:
    model = load_model(name, scale=scale)
    img = Image(textured(280, 304))
    whole = run_model(model, img, tile=4096).pixels
    # windows (tile + 2 x overlap) must be smaller than the image, or nothing is really tiled
    tile = 40
    assert tile + 2 * model.descriptor.tile_overlap < 280
    tiled = run_model(model, img, tile=tile).pixels
    assert whole.shape == (3, 280 * model.descriptor.scale, 304 * model.descriptor.scale)
    assert np.abs(whole - tiled).max() <= 1 / 255


@pytest.mark.parametrize("name,scale", LEARNED)
def test_learned_model_handles_gray_and_alpha(name: str, scale: int) -> None:
    model = load_model(name, scale=scale)
    s = model.descriptor.scale
    gray = run_model(model, Image(textured(c=1)))
    colorizer = model.descriptor.task == "colorize"
    assert gray.pixels.shape == (3 if colorizer else 1, 72 * s, 88 * s)
    rgba = np.concatenate([textured(), np.linspace(0, 1, 72 * 88, dtype=np.float32).reshape(1, 72, 88)])
    out = run_model(model, Image(rgba))
    assert out.pixels.shape == (4, 72 * s, 88 * s)
    # alpha is resampled, not lost: its mean is kept
    assert abs(out.pixels[3].mean() - rgba[3].mean()) < 0.01


@pytest.mark.parametrize("name", [e.name for e in list_models() if e.task == "colorize"])
def test_colorizers_keep_the_gray_image_as_lightness(name: str) -> None:
    gray = textured(c=1)
    out = enhance(Image(gray), task="colorize", model=name).image.pixels
    assert out.shape == (3, 72, 88)
    luma = 0.299 * out[0] + 0.587 * out[1] + 0.114 * out[2]
    assert np.abs(luma - gray[0]).mean() < 4 / 255  # colour is added, the picture is kept
    # auto sends gray images to the recommended colorizer
    plan = enhance(Image(np.repeat(gray, 3, axis=0)), task="auto").plan
    assert "colorize" in [st.task for st in plan.steps]


def test_strength_zero_returns_the_baseline() -> None:
    img = Image(textured())
    out = enhance(img, task="denoise", model="nlm", strength=0.0)
    assert np.abs(out.image.pixels - img.pixels).max() < 1e-6


def test_sr_to_any_size_and_metadata_kept() -> None:
    meta = ImageMeta(bit_depth=16, icc_profile=b"icc", dpi=(300.0, 300.0))
    img = Image(textured(), meta)
    res = enhance(img, task="sr", size=(100, 150), fit="stretch")  # exactly that size (aspect changed)
    assert res.image.pixels.shape == (3, 100, 150)
    assert res.image.meta.bit_depth == 16 and res.image.meta.icc_profile == b"icc"
    prov = res.provenance()
    assert prov["steps"][0]["task"] == "sr" and prov["steps"][0]["model"]


def test_color_guard_reports_and_reduces_shift() -> None:
    img = Image(textured())
    res = enhance(img, task="sr", model="bicubic", scale=2, color_guard=True)
    assert res.records[0].delta_e is not None and res.records[0].delta_e < 1.0


def test_bad_options_are_clear() -> None:
    img = Image(textured())
    with pytest.raises(ConfigError, match="strength"):
        enhance(img, task="sr", model="bicubic", scale=2, strength=1.5)
    with pytest.raises(ConfigError, match="unknown task"):
        enhance(img, task="sharpen")
    with pytest.raises(ModelError, match="did you mean"):
        enhance(img, task="sr", model="bicubc", scale=2)
    with pytest.raises(ModelError, match="does not support scale"):
        enhance(img, task="sr", model="vivid-sr", scale=7)


# --- request checks shared by the library, the CLI and the REST API -----------------------------------


@pytest.mark.parametrize(
    "options,words",
    [
        ({"task": "sr", "scale": 0}, "scale must be a number above 0"),
        ({"task": "sr", "scale": -2}, "scale must be a number above 0"),
        ({"task": "sr", "scale": float("nan")}, "scale must be a number above 0"),
        ({"task": "sr", "scale": 17}, "at most 16"),
        ({"task": "sr", "scale": 2, "size": (60, 80)}, "either a scale or a size"),
        ({"task": "denoise", "scale": 2}, "not to task denoise"),
        ({"task": "denoise", "model": "vivid-sr"}, "'vivid-sr' is made for task sr, not denoise"),
        ({"task": "auto", "model": "bicubic"}, "needs an explicit task"),
        ({"task": "sr", "size": (0, 80)}, "size must be between 1x1"),
    ],
)
def test_requests_that_cannot_mean_what_they_say_are_refused(options: dict, words: str) -> None:
    from vivid.engine.api import check_request

    full = {"task": "sr", "model": None, "scale": None, "size": None, **options}
    with pytest.raises(ConfigError, match=words):
        check_request(**full)
    with pytest.raises(ConfigError, match=words):  # enhance makes the same check before any work
        enhance(Image(textured(24, 32)), **{k: v for k, v in options.items()})


def test_a_scale_of_zero_is_not_taken_as_no_scale() -> None:
    with pytest.raises(ConfigError, match="above 0"):
        enhance(Image(textured(24, 32)), task="sr", model="bicubic", scale=0.0)


def test_parse_size_is_width_by_height() -> None:
    from vivid.engine.api import parse_size

    assert parse_size("1920x1080") == (1080, 1920)  # the engine's (height, width)
    assert parse_size(" 64 X 48 ") == (48, 64)
    for bad in ("big", "10x", "x10", "1x2x3", "0x10", "70000x10"):
        with pytest.raises(ConfigError, match="size"):
            parse_size(bad)


@pytest.mark.parametrize(
    "fit,box,target,crop",
    [
        ("contain", (100, 100), (75, 100), None),  # 60x80 (h x w) into 100x100: width limits
        ("contain", (30, 200), (30, 40), None),  # height limits
        ("stretch", (30, 200), (30, 200), None),
        ("cover", (30, 200), (30, 200), (slice(24, 36), slice(0, 80))),  # x2.5: the middle 12 rows
        ("cover", (120, 160), (120, 160), None),  # same aspect: nothing to crop
    ],
)
def test_fit_size(fit: str, box: tuple, target: tuple, crop: tuple | None) -> None:
    from vivid.engine.api import fit_size

    assert fit_size(60, 80, box, fit=fit) == (target, crop)


def test_fit_cover_crops_the_centre_then_scales() -> None:
    img = Image(textured(60, 80))
    out = enhance(img, task="sr", model="bicubic", size=(30, 200), fit="cover").image
    assert out.pixels.shape == (3, 30, 200)
    direct = enhance(Image(img.pixels[:, 24:36, :]), task="sr", model="bicubic", size=(30, 200), fit="stretch")
    assert np.abs(out.pixels - direct.image.pixels).max() == 0


# --- vivid.enhance / vivid.analyze: the Python API as users call it ------------------------------------


def _rgb8(h: int = 24, w: int = 32) -> np.ndarray:
    return (textured(h, w) * 255).round().astype(np.uint8).transpose(1, 2, 0).copy()


def test_python_api_takes_a_path_an_array_or_a_pil_image(tmp_path) -> None:
    from PIL import Image as PILImage

    import vivid

    rgb = _rgb8()
    PILImage.fromarray(rgb).save(tmp_path / "in.png")
    want = vivid.enhance(Image(rgb.transpose(2, 0, 1).astype(np.float32) / 255), task="sr", model="bicubic",
                         scale=2).image.pixels
    forms = {
        "path": str(tmp_path / "in.png"),
        "pathlib": tmp_path / "in.png",
        "uint8 HWC": rgb,
        "uint16 HWC": rgb.astype(np.uint16) * 257,
        "float HWC": rgb.astype(np.float32) / 255,
        "PIL": PILImage.open(tmp_path / "in.png"),
    }
    for name, form in forms.items():
        got = vivid.enhance(form, task="sr", model="bicubic", scale=2).image.pixels
        assert got.shape == (3, 48, 64), name
        assert np.abs(got - want).max() <= 1.5 / 255, name  # one 8-bit level (uint16 rounding aside)
    gray_alpha = PILImage.fromarray(rgb).convert("LA")
    assert vivid.enhance(gray_alpha, task="sr", model="bicubic", scale=2).image.pixels.shape == (2, 48, 64)
    with pytest.raises(ConfigError, match="cannot enhance a list"):
        vivid.enhance([[1, 2]], task="sr")


def test_python_api_runs_the_plan_of_analyze() -> None:
    import vivid

    dark = (_rgb8() // 12).astype(np.uint8)  # a dark image: the plan has a lowlight step
    plan = vivid.analyze(dark)
    assert plan.steps and plan.steps[0].task == "lowlight"
    result = vivid.enhance(dark, plan)
    assert result.plan is plan
    assert [r.task for r in result.records] == [s.task for s in plan.steps]
    assert result.image.pixels.mean() > dark.mean() / 255 + 0.1


def test_python_api_sizes_are_width_by_height_and_keep_the_aspect_ratio() -> None:
    import vivid

    rgb = _rgb8(24, 32)
    assert vivid.enhance(rgb, task="sr", model="bicubic", size=(100, 50)).image.pixels.shape == (3, 50, 67)
    assert vivid.enhance(rgb, task="sr", model="bicubic", size="100x50", fit="stretch").image.pixels.shape == (3, 50, 100)
    assert vivid.enhance(rgb, task="sr", model="bicubic", size=(64, 48), fit="cover").image.pixels.shape == (3, 48, 64)
    with pytest.raises(ConfigError, match=r"\(width, height\)"):
        vivid.enhance(rgb, task="sr", size=(10.5, 20))
    plan = vivid.analyze(rgb, size=(64, 48))
    assert plan.steps[-1].task == "sr" and "64x48" in plan.steps[-1].reason


def test_low_light_keeps_the_colour_of_the_lights() -> None:
    """Where the input was already well lit (a lamp), the low-light step may brighten but must not whiten:
    the chroma there is restored in proportion to the brightening; dark parts keep the model's colour."""
    from vivid.engine.api import keep_light_colour
    from vivid.io.image import Image

    before = np.full((3, 32, 32), 0.05, dtype=np.float32)
    before[:, :8, :8] = np.array([0.95, 0.7, 0.35], dtype=np.float32)[:, None, None]  # a warm lamp
    after = np.full((3, 32, 32), 0.3, dtype=np.float32)  # brightened, the lamp whitened by the model
    after[:, :8, :8] = 0.97
    out = keep_light_colour(Image(before), Image(after)).color
    lamp = out[:, 2, 2]
    assert lamp[0] - lamp[2] > 0.4  # warm again (input: 0.6 between red and blue)
    assert np.allclose(out[:, 20, 20], after[:, 20, 20], atol=1 / 255)  # dark part: the model's colour
    gray = Image(np.full((1, 8, 8), 0.5, dtype=np.float32))
    assert keep_light_colour(gray, gray) is gray
