"""vivid.io.formats: suffixes, format names and the folder-scanning predicate."""

from __future__ import annotations

from pathlib import Path

import pytest

from vivid.errors import ConfigError
from vivid.io.formats import SUPPORTED_READ_SUFFIXES, SUPPORTED_WRITE_FORMATS, is_image_path, write_format


@pytest.mark.parametrize(
    "name", ["a.png", "B.JPG", "c.jpeg", "d.WebP", "e.tif", "f.tiff", "g.bmp", "h.HEIC", "i.heif", "j.avif"]
)
def test_image_names(name):
    assert is_image_path(name)
    assert is_image_path(Path("some/folder") / name)


@pytest.mark.parametrize("name", ["notes.txt", "video.mp4", "photo", "._IMG_0001.JPG", ".hidden.png", "png"])
def test_not_image_names(name):
    assert not is_image_path(name)


def test_every_write_suffix_is_readable():
    for name in SUPPORTED_WRITE_FORMATS:
        assert set(write_format(name).suffixes) <= SUPPORTED_READ_SUFFIXES


@pytest.mark.parametrize(
    ("given", "expected"),
    [("jpg", "jpeg"), ("JPEG", "jpeg"), (".png", "png"), ("tif", "tiff"), ("heif", "heic")],
)
def test_format_aliases(given, expected):
    assert write_format(given).name == expected


@pytest.mark.parametrize(("path", "expected"), [("x.JPG", "jpeg"), ("x.tif", "tiff"), ("x.hif", "heic")])
def test_format_from_suffix(path, expected):
    assert write_format(None, Path(path)).name == expected


def test_unknown_format():
    with pytest.raises(ConfigError, match="unsupported output format 'exr'"):
        write_format("exr")
