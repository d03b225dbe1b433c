"""vivid.engine.stream.enhance_file: the streamed file equals the in-memory result; fallbacks; errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from tests.images import textured
from vivid.engine.api import enhance
from vivid.engine.stream import enhance_file
from vivid.errors import ConfigError, OutputError, VividError
from vivid.io.image import Image, ImageMeta
from vivid.io.read import read_image, read_text_metadata
from vivid.io.write import write_image


def save(path: Path, pixels: np.ndarray, *, bit_depth: int = 8) -> Path:
    write_image(Image(pixels, ImageMeta(bit_depth=bit_depth, dpi=(300.0, 300.0))), path)
    return path


def in_memory(src: Path, **options) -> np.ndarray:  # noqa: ANN003
    result = enhance(read_image(src), **options)
    return result.image.pixels


CASES = [
    # (model, channels, bit depth, options): colour, gray 16-bit, RGBA with the model on alpha, a blend
    ("vivid-sr-fast", 3, 8, {}),
    ("vivid-sr", 1, 16, {}),
    ("vivid-sr", 4, 8, {"alpha": "model"}),
    ("bicubic", 2, 8, {"strength": 0.5}),
]


@pytest.mark.parametrize("model,channels,depth,options", CASES)
def test_streamed_file_equals_in_memory_enhance(tmp_path: Path, model, channels, depth, options) -> None:
    src = save(tmp_path / "in.png", textured(150, 130, channels), bit_depth=depth)
    out = tmp_path / "out.png"
    # a small tile, so the streamed path really runs many tiles and strips
    res = enhance_file(src, out, task="sr", model=model, scale=2, tile=48, stream=True, **options)
    assert res.streamed
    got = read_image(out)
    want = in_memory(src, task="sr", model=model, scale=2, tile=48, **options)
    assert got.pixels.shape == want.shape == (channels, 300, 260)
    assert got.meta.bit_depth == depth and np.allclose(got.meta.dpi, 300.0, atol=0.01)
    assert np.abs(got.pixels - want).max() <= 1 / 255 + 1e-6


def test_streamed_file_carries_provenance_after_the_pixels(tmp_path: Path) -> None:
    src = save(tmp_path / "in.png", textured(40, 50))
    out = tmp_path / "out.png"
    res = enhance_file(src, out, task="sr", model="vivid-sr-fast", stream=True)
    prov = json.loads(read_text_metadata(out)["vivid"])
    assert prov == json.loads(json.dumps(res.provenance()))
    step = prov["steps"][0]
    assert (step["model"], step["scale"], len(step["sha256"])) == ("vivid-sr-fast", 2, 64)
    with PILImage.open(out) as im:
        assert im.size == (100, 80)


def test_auto_streams_only_large_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import vivid.engine.stream as stream

    src = save(tmp_path / "in.png", textured(40, 50))
    assert not enhance_file(src, tmp_path / "a.png", task="sr", model="bicubic", scale=2).streamed
    monkeypatch.setattr(stream, "STREAM_OVER_PIXELS", 100)
    assert enhance_file(src, tmp_path / "b.png", task="sr", model="bicubic", scale=2).streamed
    # what cannot stream falls back to the in-memory path, with the same output file
    res = enhance_file(src, tmp_path / "c.jpg", task="sr", model="bicubic", scale=2)
    assert not res.streamed and (tmp_path / "c.jpg").exists()


@pytest.mark.parametrize("options,why", [
    ({"task": "auto"}, "task 'auto' analyses the whole image"),
    ({"task": "denoise", "model": "vivid-denoise"}, "image-wide parameters"),
    ({"task": "sr", "model": "vivid-sr-fast", "size": (90, 90)}, "not x2 of the input"),
    ({"task": "sr", "model": "bicubic", "color_guard": True}, "colour guard"),
])
def test_forced_stream_says_why_not_in_one_line(tmp_path: Path, options, why) -> None:
    src = save(tmp_path / "in.png", textured(40, 50))
    with pytest.raises(ConfigError, match=why) as e:
        enhance_file(src, tmp_path / "out.png", stream=True, **options)
    assert "\n" not in str(e.value)
    assert not (tmp_path / "out.png").exists()


def test_forced_stream_to_jpeg_is_refused(tmp_path: Path) -> None:
    src = save(tmp_path / "in.png", textured(40, 50))
    with pytest.raises(ConfigError, match="only PNG output is streamed"):
        enhance_file(src, tmp_path / "out.jpg", task="sr", model="bicubic", stream=True)


def test_never_overwrites_the_input_or_leaves_partial_files(tmp_path: Path) -> None:
    src = save(tmp_path / "in.png", textured(40, 50))
    before = src.read_bytes()
    with pytest.raises(OutputError, match="overwrite the input image"):
        enhance_file(src, src, task="sr", model="vivid-sr-fast", stream=True)
    assert src.read_bytes() == before
    out = tmp_path / "out.png"
    out.write_bytes(b"keep")
    with pytest.raises(OutputError, match="the file exists"):
        enhance_file(src, out, task="sr", model="vivid-sr-fast", stream=True)
    assert out.read_bytes() == b"keep"

    def broken(done, total, message=""):  # noqa: ANN001, ANN202 - fails after the first strip was written
        raise VividError("stop")

    with pytest.raises(VividError, match="stop"):
        enhance_file(src, tmp_path / "new.png", task="sr", model="vivid-sr-fast", stream=True, progress=broken)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.png", "out.png"]
