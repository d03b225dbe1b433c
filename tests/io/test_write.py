"""vivid.io.write: round trips, metadata, alpha, bit depth, options and safe (atomic) writing."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image as PILImage
from PIL import ImageCms, features

from vivid.errors import ConfigError, InputError, OutputError
from vivid.io import write as write_module
from vivid.io.image import Image, ImageMeta, from_array
from vivid.io.read import read_image, read_image_bytes, read_text_metadata
from vivid.io.write import SUPPORTED_WRITE_FORMATS, encode_image, write_image

SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
PROVENANCE = '{"model": "rep-sr-x4", "note": "é <&> \\"quoted\\""}'


def ramp(h: int = 24, w: int = 32, c: int = 3, dtype=np.uint8) -> np.ndarray:
    """A smooth (H, W, C) test picture with distinct channels; odd 16-bit values need all 16 bits."""
    peak = np.iinfo(dtype).max
    y, x = np.mgrid[0:h, 0:w]
    planes = [x / (w - 1), y / (h - 1), (x + y) / (h + w - 2), 1 - x / (w - 1)][:c]
    array = np.rint(np.stack(planes, axis=-1) * peak).astype(dtype)
    return array | 1 if dtype == np.uint16 else array


def image_of(array: np.ndarray, **meta: object) -> Image:
    depth = 16 if array.dtype == np.uint16 else 8
    return from_array(array, meta=ImageMeta(bit_depth=depth, **meta))


def camera_exif(orientation: int = 1) -> bytes:
    exif = PILImage.Exif()
    exif[0x010F] = "vivid-test-camera"  # Make
    exif[0x0112] = orientation
    exif[0x8769] = {0x9003: "1962:07:14 10:00:00"}  # EXIF sub-directory: DateTimeOriginal
    return exif.tobytes()


def exif_of(data: bytes) -> PILImage.Exif:
    exif = PILImage.Exif()
    exif.load(data)
    return exif


# --- round trips ------------------------------------------------------------------------------------


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("fmt", ["png", "tiff"])
def test_lossless_round_trip_is_bit_exact(tmp_path, fmt, dtype, channels):
    image = image_of(ramp(c=channels, dtype=dtype))
    back = read_image(write_image(image, tmp_path / f"out.{fmt}"))
    assert back.meta.bit_depth == image.meta.bit_depth
    if fmt == "tiff" and dtype == np.uint16 and channels == 2:
        # documented: 16-bit gray + alpha TIFF is stored as RGBA
        np.testing.assert_array_equal(back.pixels, image.pixels[[0, 0, 0, 1]])
    else:
        np.testing.assert_array_equal(back.pixels, image.pixels)


@pytest.mark.parametrize("channels", [1, 3])
def test_bmp_round_trip_is_bit_exact(tmp_path, channels):
    image = image_of(ramp(c=channels))
    np.testing.assert_array_equal(read_image(write_image(image, tmp_path / "out.bmp")).pixels, image.pixels)


def test_16bit_outputs_are_readable_by_other_decoders(tmp_path):
    array = ramp(c=4, dtype=np.uint16)
    for fmt in ("png", "tiff"):
        path = write_image(image_of(array), tmp_path / f"out.{fmt}")
        decoded = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        np.testing.assert_array_equal(decoded[..., [2, 1, 0, 3]], array)


def lossy_formats() -> list[str]:
    found = ["jpeg", "webp"]
    if features.check("avif"):
        found.append("avif")
    try:
        import pillow_heif  # noqa: F401

        found.append("heic")
    except ImportError:
        pass
    return found


@pytest.mark.parametrize("fmt", lossy_formats())
def test_lossy_round_trip_is_close(tmp_path, fmt):
    image = image_of(ramp(48, 64))
    back = read_image(write_image(image, tmp_path / f"out.{fmt}"))
    assert back.pixels.shape == image.pixels.shape
    # tolerance at the default quality on a smooth ramp: mean error under 1.5 levels of 255
    assert np.abs(back.pixels - image.pixels).mean() <= 1.5 / 255


def test_jpeg_default_quality_is_high_and_quality_is_honoured(tmp_path):
    image = image_of(ramp(64, 96))
    default = encode_image(image, format="jpeg")
    low = encode_image(image, format="jpeg", quality=30)
    assert len(low) < len(default)
    back = read_image_bytes(default)
    assert np.abs(back.pixels - image.pixels).max() <= 3 / 255  # q95, 4:4:4


def test_16bit_image_is_written_at_16_bits_where_possible(tmp_path):
    image = image_of(ramp(dtype=np.uint16))
    assert read_image(write_image(image, tmp_path / "a.png")).meta.bit_depth == 16
    assert read_image(write_image(image, tmp_path / "a.jpg")).meta.bit_depth == 8
    eight = read_image(write_image(image, tmp_path / "b.png", bit_depth=8))
    assert eight.meta.bit_depth == 8
    np.testing.assert_array_equal(eight.pixels, np.rint(image.pixels * 255) / np.float32(255))


def test_16bit_is_refused_for_8bit_formats(tmp_path):
    with pytest.raises(ConfigError, match=r"JPEG stores 8 bits.*PNG or TIFF"):
        write_image(image_of(ramp()), tmp_path / "a.jpg", bit_depth=16)
    with pytest.raises(ConfigError, match="bit_depth must be 8 or 16, got 12"):
        write_image(image_of(ramp()), tmp_path / "a.png", bit_depth=12)


def test_float_pixels_are_rounded_not_truncated():
    pixels = np.full((1, 1, 2), 0.4 / 255, np.float32)
    pixels[0, 0, 1] = 0.6 / 255
    back = read_image_bytes(encode_image(Image(pixels), format="png"))
    np.testing.assert_array_equal(back.pixels[0, 0] * 255, np.float32([0, 1]))


# --- alpha and gray -----------------------------------------------------------------------------------


def test_rgba_to_jpeg_is_composited_over_white_with_a_warning(tmp_path):
    pixels = np.zeros((4, 16, 16), np.float32)
    pixels[0] = 1.0  # red
    pixels[3, :, :8] = 0.0  # left half transparent
    pixels[3, :, 8:] = 1.0
    with pytest.warns(UserWarning, match="JPEG has no alpha channel: the image is composited over white"):
        back = read_image(write_image(Image(pixels), tmp_path / "a.jpg"))
    assert back.channels == 3
    assert back.pixels[:, 8, 2] == pytest.approx([1, 1, 1], abs=4 / 255)  # transparent -> white
    assert back.pixels[:, 8, 13] == pytest.approx([1, 0, 0], abs=4 / 255)  # opaque -> red


def test_half_transparent_gray_composites_proportionally():
    pixels = np.stack([np.zeros((8, 8)), np.full((8, 8), 0.5)]).astype(np.float32)
    with pytest.warns(UserWarning, match="BMP has no alpha"):
        back = read_image_bytes(encode_image(Image(pixels), format="bmp"))
    np.testing.assert_array_equal(back.pixels, np.full((1, 8, 8), 128 / 255, np.float32))


def test_webp_keeps_alpha_and_stores_gray_as_rgb():
    gray_alpha = image_of(ramp(c=2))
    back = read_image_bytes(encode_image(gray_alpha, format="webp", quality=100))
    assert back.channels == 4
    np.testing.assert_array_equal(back.pixels[3], gray_alpha.pixels[1])  # WebP alpha is lossless


# --- metadata -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["png", "tiff", "jpeg"])
def test_exif_icc_dpi_and_text_are_carried(tmp_path, fmt):
    image = image_of(ramp(), exif=camera_exif(), icc_profile=SRGB, dpi=(300.0, 300.0))
    path = write_image(image, tmp_path / f"out.{fmt}", text={"vivid": PROVENANCE})
    back = read_image(path)
    assert back.meta.icc_profile == SRGB
    assert back.meta.dpi == pytest.approx((300.0, 300.0), abs=0.01)
    exif = exif_of(back.meta.exif)
    assert exif[0x010F] == "vivid-test-camera"
    assert exif.get_ifd(0x8769)[0x9003] == "1962:07:14 10:00:00"
    assert read_text_metadata(path) == {"vivid": PROVENANCE}


@pytest.mark.parametrize("fmt", lossy_formats()[1:])  # webp, avif, heic: no DPI field
def test_exif_icc_and_text_are_carried_without_dpi(tmp_path, fmt):
    image = image_of(ramp(), exif=camera_exif(), icc_profile=SRGB, dpi=(300.0, 300.0))
    path = write_image(image, tmp_path / f"out.{fmt}", text={"vivid": PROVENANCE})
    back = read_image(path)
    assert back.meta.icc_profile == SRGB
    assert exif_of(back.meta.exif)[0x010F] == "vivid-test-camera"
    assert read_text_metadata(path) == {"vivid": PROVENANCE}


def test_webp_exif_is_stored_without_the_jpeg_prefix():
    data = encode_image(image_of(ramp(), exif=camera_exif()), format="webp")
    chunk = data.index(b"EXIF")
    assert data[chunk + 8 : chunk + 12] in (b"II*\0", b"MM\0*")


@pytest.mark.parametrize("fmt", ["png", "tiff", "jpeg", "webp"])
def test_strip_metadata_drops_it_but_keeps_explicit_text(tmp_path, fmt):
    image = image_of(
        ramp(), exif=camera_exif(), icc_profile=SRGB, dpi=(300.0, 300.0), text={"Comment": "from the scan"}
    )
    path = write_image(image, tmp_path / f"out.{fmt}", strip_metadata=True, text={"vivid": PROVENANCE})
    back = read_image(path)
    assert back.meta.exif is None and back.meta.icc_profile is None
    assert back.meta.dpi is None
    assert read_text_metadata(path) == {"vivid": PROVENANCE}


def test_written_exif_is_upright(tmp_path):
    # pixels inside vivid are upright; a stale orientation in the metadata must not turn them again
    image = image_of(ramp(8, 12), exif=camera_exif(orientation=6))
    back = read_image(write_image(image, tmp_path / "a.png"))
    np.testing.assert_array_equal(back.pixels, image.pixels)
    assert exif_of(back.meta.exif)[0x0112] == 1


def test_image_text_and_explicit_text_merge(tmp_path):
    image = image_of(ramp(), text={"Comment": "scan", "vivid": "old"})
    path = write_image(image, tmp_path / "a.jpg", text={"vivid": PROVENANCE})
    assert read_text_metadata(path) == {"Comment": "scan", "vivid": PROVENANCE}


@pytest.mark.parametrize("fmt", ["png", "jpeg", "tiff"])
def test_any_png_keyword_round_trips(tmp_path, fmt):
    text = {"Creation Time": "2024-01-01", "my_key.v2": "x", "Ünïcode-ish": "ok"}
    assert read_text_metadata(write_image(image_of(ramp()), tmp_path / f"a.{fmt}", text=text)) == text


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ({"": "x"}, "key '' is not allowed"),
        ({" lead": "x"}, "key ' lead' is not allowed"),
        ({"k" * 80: "x"}, "is not allowed"),
        ({"emoji 🙂": "x"}, "is not allowed"),
        ({"XML:com.adobe.xmp": "x"}, "is reserved"),
        ({"vivid": 3}, "must be a str, got int"),
        ({"vivid": "bell\x07"}, "control or unencodable character"),
    ],
)
def test_bad_text_is_a_config_error(tmp_path, text, problem):
    with pytest.raises(ConfigError, match=problem):
        write_image(image_of(ramp()), tmp_path / "a.png", text=text)
    assert list(tmp_path.iterdir()) == []


def test_text_for_bmp_warns():
    with pytest.warns(UserWarning, match="BMP cannot store text metadata; not written: vivid"):
        encode_image(image_of(ramp()), format="bmp", text={"vivid": "{}"})


def test_icc_profile_of_other_colour_space_is_not_written():
    gray_profile = bytearray(SRGB)
    gray_profile[16:20] = b"GRAY"
    rgb_image = image_of(ramp(), icc_profile=bytes(gray_profile))
    assert read_image_bytes(encode_image(rgb_image, format="png")).meta.icc_profile is None
    gray_image = image_of(ramp(c=1), icc_profile=SRGB)
    assert read_image_bytes(encode_image(gray_image, format="png")).meta.icc_profile is None


# --- options ------------------------------------------------------------------------------------------


def test_unknown_format_lists_the_supported_ones(tmp_path):
    with pytest.raises(ConfigError, match=r"unsupported output format 'gif': use one of png, tiff, jpeg"):
        write_image(image_of(ramp()), tmp_path / "a.gif", format="gif")
    with pytest.raises(
        ConfigError, match=r"cannot tell the output format of .*a\.gif from its suffix '\.gif'"
    ):
        write_image(image_of(ramp()), tmp_path / "a.gif")
    with pytest.raises(ConfigError, match="no suffix"):
        write_image(image_of(ramp()), tmp_path / "noext")
    assert set(SUPPORTED_WRITE_FORMATS) == {"png", "tiff", "jpeg", "webp", "avif", "heic", "bmp"}


def test_format_argument_wins_over_suffix(tmp_path):
    path = write_image(image_of(ramp()), tmp_path / "really.dat", format="JPG")
    assert read_image(path).meta.source_format == "JPEG"


@pytest.mark.parametrize(
    ("fmt", "quality", "problem"),
    [
        ("png", 90, "does not apply to PNG, which is lossless"),
        ("jpeg", 0, "from 1 to 100, got 0"),
        ("jpeg", 101, "from 1 to 100, got 101"),
        ("webp", 9.5, "from 1 to 100, got 9.5"),
    ],
)
def test_bad_quality_is_a_config_error(fmt, quality, problem):
    with pytest.raises(ConfigError, match=problem):
        encode_image(image_of(ramp()), format=fmt, quality=quality)


def test_non_finite_pixels_are_refused():
    pixels = np.zeros((3, 4, 4), np.float32)
    pixels[1, 2, 2] = np.nan
    with pytest.raises(InputError, match="NaN or infinite"):
        encode_image(Image(pixels))


def test_encode_image_gives_the_bytes_write_image_writes(tmp_path):
    image = image_of(ramp(), exif=camera_exif(), icc_profile=SRGB)
    path = write_image(image, tmp_path / "a.png", text={"vivid": PROVENANCE})
    assert path.read_bytes() == encode_image(image, format="png", text={"vivid": PROVENANCE})


# --- files: overwrite, input protection, atomicity, folders ----------------------------------------


def test_existing_file_is_not_overwritten_without_permission(tmp_path):
    target = tmp_path / "a.png"
    target.write_bytes(b"precious")
    with pytest.raises(OutputError, match=r"a\.png: the file exists; pass overwrite=True"):
        write_image(image_of(ramp()), target)
    assert target.read_bytes() == b"precious"
    write_image(image_of(ramp()), target, overwrite=True)
    assert read_image(target).pixels.shape == (3, 24, 32)


def test_writing_onto_the_input_is_refused(tmp_path):
    source = write_image(image_of(ramp()), tmp_path / "photo.png")
    before = source.read_bytes()
    image = read_image(source)
    brightened = image.with_pixels(np.clip(image.pixels + 0.1, 0, 1))
    # the same file under another spelling of its path
    with pytest.raises(OutputError, match=r"would overwrite the input image .*photo\.png"):
        write_image(brightened, tmp_path / "." / "photo.png")
    assert source.read_bytes() == before
    write_image(brightened, source, overwrite=True)  # explicit permission
    assert source.read_bytes() != before


def test_failed_encoding_leaves_nothing_behind(tmp_path, monkeypatch):
    def broken_encoder(*args, **kwargs):
        raise RuntimeError("encoder exploded")

    monkeypatch.setitem(write_module._ENCODERS, "png", broken_encoder)
    with pytest.raises(OutputError, match="cannot encode the image as PNG: encoder exploded"):
        write_image(image_of(ramp()), tmp_path / "a.png")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("overwrite", [False, True])
def test_failure_while_moving_into_place_removes_the_temporary_file(tmp_path, monkeypatch, overwrite):
    target = tmp_path / "a.png"
    if overwrite:
        target.write_bytes(b"old")

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    monkeypatch.setattr(os, "link", full_disk)
    with pytest.raises(OutputError, match=r"a\.png: No space left on device"):
        write_image(image_of(ramp()), target, overwrite=overwrite)
    assert [p.name for p in tmp_path.iterdir()] == (["a.png"] if overwrite else [])
    if overwrite:
        assert target.read_bytes() == b"old"


def test_interrupted_write_removes_the_temporary_file(tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_image(image_of(ramp()), tmp_path / "a.png")
    assert list(tmp_path.iterdir()) == []


def test_missing_folders_are_created(tmp_path):
    path = write_image(image_of(ramp()), tmp_path / "new" / "deeper" / "a.png")
    assert path.is_file()
    assert [p.name for p in path.parent.iterdir()] == ["a.png"]  # no temporary file left


def test_unwritable_folder_is_an_output_error(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(OutputError, match=r"cannot create the output folder .*not-a-folder"):
        write_image(image_of(ramp()), blocker / "a.png")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores permissions")
def test_read_only_folder_is_an_output_error(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(OutputError, match=r"not writable"):
            write_image(image_of(ramp()), folder / "a.png")
    finally:
        folder.chmod(0o700)


def test_a_folder_is_not_an_output_file(tmp_path):
    with pytest.raises(OutputError, match="it is a folder"):
        write_image(image_of(ramp()), tmp_path, format="png")


def test_output_gets_ordinary_permissions(tmp_path):
    path = write_image(image_of(ramp()), tmp_path / "a.png")
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_returns_the_path(tmp_path):
    assert write_image(image_of(ramp()), str(tmp_path / "a.png")) == Path(tmp_path / "a.png")


# --- png_row_writer: the streaming form ------------------------------------------------------------------


def test_png_row_writer_matches_write_image(tmp_path: Path) -> None:
    from vivid.io.write import png_row_writer

    image = image_of(ramp(30, 20, 4, np.uint16), icc_profile=SRGB, dpi=(150.0, 150.0), exif=camera_exif())
    write_image(image, tmp_path / "whole.png", text={"vivid": PROVENANCE})
    with png_row_writer(tmp_path / "rows.png", width=20, height=30, channels=4, meta=image.meta) as rows:
        for start in (0, 7, 19):
            rows.write(image.pixels[:, start : start + {0: 7, 7: 12, 19: 11}[start]])
        rows.trailing_text = {"vivid": PROVENANCE}
    whole, streamed = read_image(tmp_path / "whole.png"), read_image(tmp_path / "rows.png")
    np.testing.assert_array_equal(streamed.pixels, whole.pixels)
    assert streamed.meta.bit_depth == 16 and streamed.meta.icc_profile == SRGB
    assert streamed.meta.exif == whole.meta.exif and streamed.meta.dpi == whole.meta.dpi
    assert read_text_metadata(tmp_path / "rows.png") == {"vivid": PROVENANCE}


def test_png_row_writer_is_atomic_and_never_replaces_the_input(tmp_path: Path) -> None:
    from vivid.io.write import png_row_writer

    src = tmp_path / "in.png"
    write_image(image_of(ramp()), src)
    original = src.read_bytes()
    meta = read_image(src).meta
    with pytest.raises(OutputError, match="overwrite the input image"):
        with png_row_writer(src, width=32, height=24, channels=3, meta=meta):
            pass
    with pytest.raises(OutputError, match="got 10 of its 24 rows"):
        with png_row_writer(tmp_path / "short.png", width=32, height=24, channels=3) as rows:
            rows.write(np.zeros((3, 10, 32), np.float32))
    with pytest.raises(RuntimeError):
        with png_row_writer(tmp_path / "failed.png", width=32, height=24, channels=3) as rows:
            rows.write(np.zeros((3, 10, 32), np.float32))
            raise RuntimeError("processing failed")
    with pytest.raises(ConfigError, match="PNG only"):
        with png_row_writer(tmp_path / "out.jpg", width=32, height=24, channels=3):
            pass
    assert src.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.png"]
