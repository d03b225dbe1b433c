"""EnhanceOptions: one typed option set with one set of defaults and one validation, shared by the engine,
the file path, the Python API, the CLI, the REST API and video."""

from __future__ import annotations

import inspect

import pytest

from vivid.engine.options import EnhanceOptions, Size
from vivid.errors import ConfigError, ModelError


def test_sizes_are_typed_wxh_and_held_as_height_width() -> None:
    size = Size.parse(" 1920 x 1080 ")
    assert size == (1080, 1920) and (size.width, size.height) == (1920, 1080) and str(size) == "1920x1080"
    assert EnhanceOptions(task="sr", size="64x48").size == Size(48, 64)
    assert EnhanceOptions(task="sr", size=(48, 64)).size == Size(48, 64)


@pytest.mark.parametrize(("options", "words"), [
    ({"strength": 1.5}, "strength must be between 0 and 1, got 1.5"),
    ({"strength": "lots"}, "strength: Input should be a valid number"),
    ({"fit": "wide"}, "fit must be one of contain, cover, stretch, got 'wide'"),
    ({"alpha": "keep"}, "alpha must be one of resample, model"),
    ({"dtype": "float16"}, "unknown dtype 'float16'"),
    ({"runtime": "gpu"}, "unknown runtime 'gpu'"),
    ({"tile": 4}, "tile must be between 8 and 65536 pixels, got 4"),
    ({"task": "paint"}, "unknown task 'paint'"),
    ({"task": "sr", "size": "big"}, "size must look like 1920x1080"),
    ({"task": "sr", "scale": 2, "size": "64x48"}, "either a scale or a size"),
    ({"task": "denoise", "scale": 2}, "a scale or size applies to super-resolution"),
    ({"model": "bicubic"}, "a model needs an explicit task"),
    ({"task": "denoise", "model": "bicubic"}, "made for task sr, not denoise"),
    ({"colour": True}, "unknown option 'colour'"),
])
def test_every_bad_value_is_one_config_error_naming_the_option(options: dict, words: str) -> None:
    with pytest.raises(ConfigError) as e:
        EnhanceOptions(**options)
    assert words in str(e.value) and "\n" not in str(e.value)


def test_an_unknown_model_is_a_model_error() -> None:
    with pytest.raises(ModelError, match="unknown model 'esrgan9000'"):
        EnhanceOptions(task="sr", model="esrgan9000")


def test_frozen_and_replace_checks_again() -> None:
    opts = EnhanceOptions(task="sr", scale=2)
    with pytest.raises(Exception):  # noqa: B017, PT011 - pydantic's frozen-instance error
        opts.scale = 3  # type: ignore[misc]
    assert opts.replace(scale=3).scale == 3 and opts.scale == 2
    with pytest.raises(ConfigError, match="either a scale or a size"):
        opts.replace(size="64x48")
    assert EnhanceOptions.merge(opts, {}) is opts and EnhanceOptions.merge(None, {"task": "sr"}).task == "sr"


def _defaults(fn) -> dict:  # noqa: ANN001
    return {name: p.default.default if hasattr(p.default, "default") else p.default
            for name, p in inspect.signature(fn).parameters.items()}


def test_the_cli_has_the_libraries_defaults() -> None:
    """One set of defaults: every option `vivid enhance` and `vivid video` share with the library defaults
    to the library's value (task auto, fit contain, dtype float32, ...)."""
    from vivid.cli.main import enhance
    from vivid.cli.video import video
    from vivid.video import VideoOptions

    library = {name: f.default for name, f in EnhanceOptions.model_fields.items()}
    cli = _defaults(enhance)
    shared = set(library) & set(cli)
    assert {"task", "scale", "size", "fit", "strength", "tile", "alpha", "color_guard", "recolor", "dtype",
            "runtime", "allow_pickle", "model"} <= shared
    assert {k: cli[k] for k in shared} == {k: library[k] for k in shared}
    video_library = {name: f.default for name, f in VideoOptions.model_fields.items()}
    video_cli = _defaults(video)
    shared = set(video_library) & set(video_cli)
    assert {"task", "scale", "model", "codec", "crf", "batch", "dtype", "runtime", "recolor"} <= shared
    assert {k: video_cli[k] for k in shared} == {k: video_library[k] for k in shared}


def test_video_options_extend_the_image_options() -> None:
    from vivid.video import VideoOptions

    opts = VideoOptions(task="sr", scale=2, dtype="bfloat16", runtime="onnx")
    assert isinstance(opts, EnhanceOptions) and opts.codec == "h264"
    for frame_option in ({"size": "64x48"}, {"strength": 0.5}, {"tile": 64}, {"color_guard": True}):
        with pytest.raises(ConfigError, match="not available for video"):
            VideoOptions(task="sr", **frame_option)
