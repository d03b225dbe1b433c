"""vivid.io.read: formats, modes, bit depths, orientation, metadata and every way a file can be bad.

Test files are written here by Pillow and OpenCV (not by vivid's writer), so reading is checked
against independent encoders.
"""

from __future__ import annotations

import io
import itertools
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image as PILImage
from PIL import ImageCms, ImageFile

from vivid.errors import ImageTooLargeError, InputError
from vivid.io.read import (
    DEFAULT_MAX_PIXELS,
    read_image,
    read_image_bytes,
    read_text_metadata,
)
from vivid.io.textmeta import XMP_NAMESPACE


def ramp(h: int = 24, w: int = 32, c: int = 3, dtype=np.uint8) -> np.ndarray:
    """A smooth (H, W, C) test picture with distinct channels (exact in every lossless format)."""
    peak = np.iinfo(dtype).max
    y, x = np.mgrid[0:h, 0:w]
    planes = [x / (w - 1), y / (h - 1), (x + y) / (h + w - 2), 1 - x / (w - 1)][:c]
    return np.rint(np.stack(planes, axis=-1) * peak).astype(dtype)


def chw(array: np.ndarray) -> np.ndarray:
    """The float32 (C, H, W) form vivid should produce from a uint (H, W[, C]) array."""
    a = array if array.ndim == 3 else array[..., None]
    return np.moveaxis(a, -1, 0).astype(np.float32) / np.float32(np.iinfo(array.dtype).max)


def save(im: PILImage.Image, path: Path, **options) -> Path:
    im.save(path, **options)
    return path


# --- formats, modes, bit depths -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("suffix", "channels"),
    [(s, c) for s in (".png", ".tif") for c in (1, 2, 3, 4)] + [(".webp", 3), (".webp", 4)],
)
def test_8bit_modes_read_exactly(tmp_path, suffix, channels):
    array = ramp(c=channels)
    src = PILImage.fromarray(array[..., 0] if channels == 1 else array)
    options = {"lossless": True, "exact": True} if suffix == ".webp" else {}
    image = read_image(save(src, tmp_path / f"a{suffix}", **options))
    assert image.pixels.dtype == np.float32
    assert image.meta.bit_depth == 8
    np.testing.assert_array_equal(image.pixels, chw(array))


def test_bmp_reads_exactly(tmp_path):
    array = ramp()
    image = read_image(save(PILImage.fromarray(array), tmp_path / "a.bmp"))
    assert image.meta.source_format == "BMP"
    np.testing.assert_array_equal(image.pixels, chw(array))


def test_jpeg_reads_close_to_the_original(tmp_path):
    array = ramp(48, 64)
    image = read_image(save(PILImage.fromarray(array), tmp_path / "a.jpg", quality=95, subsampling=0))
    assert image.channels == 3 and image.meta.source_format == "JPEG"
    # tolerance: JPEG q95 4:4:4 on a smooth ramp, within 3 levels of 255
    assert np.abs(image.pixels - chw(array)).max() <= 3 / 255


def test_16bit_gray_png_keeps_all_16_bits(tmp_path):
    array = ramp(c=1, dtype=np.uint16)[..., 0] | 1  # odd values: not representable at 8 bits
    image = read_image(save(PILImage.fromarray(array), tmp_path / "g16.png"))
    assert image.meta.bit_depth == 16
    assert image.channels == 1
    np.testing.assert_array_equal(image.pixels, chw(array))


@pytest.mark.parametrize("channels", [3, 4])
@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_16bit_color_png_and_tiff_keep_all_16_bits(tmp_path, channels, suffix):
    array = ramp(c=channels, dtype=np.uint16) | 1
    path = tmp_path / f"c16{suffix}"
    assert cv2.imwrite(str(path), array[..., [2, 1, 0, 3][:channels]])  # OpenCV stores BGR(A)
    image = read_image(path)
    assert image.meta.bit_depth == 16
    np.testing.assert_array_equal(image.pixels, chw(array))


def test_heic_reads_through_pillow_heif(tmp_path):
    pillow_heif = pytest.importorskip("pillow_heif")
    array = ramp(32, 48)
    path = tmp_path / "a.heic"
    pillow_heif.from_bytes("RGB", (48, 32), array.tobytes()).save(path, quality=95)
    image = read_image(path)
    assert image.meta.source_format == "HEIF"
    assert image.pixels.shape == (3, 32, 48)
    # tolerance: HEVC q95 with 4:2:0 chroma on a smooth ramp, mean within 3 levels of 255
    assert np.abs(image.pixels - chw(array)).mean() <= 3 / 255


def test_avif_reads(tmp_path):
    from PIL import features

    if not features.check("avif"):
        pytest.skip("Pillow without AVIF")
    array = ramp(32, 48)
    image = read_image(save(PILImage.fromarray(array), tmp_path / "a.avif", quality=95))
    assert image.meta.source_format == "AVIF"
    assert np.abs(image.pixels - chw(array)).mean() <= 3 / 255


def test_palette_without_transparency_becomes_rgb(tmp_path):
    palette = [255, 0, 0, 0, 128, 255] + [0] * (254 * 3)
    src = PILImage.fromarray(np.array([[0, 1], [1, 0]], np.uint8), "P")
    src.putpalette(palette)
    image = read_image(save(src, tmp_path / "p.png"))
    assert image.channels == 3
    np.testing.assert_array_equal(image.pixels[:, 0, 0], np.float32([1, 0, 0]))
    np.testing.assert_array_equal(image.pixels[:, 0, 1], np.float32([0, 128 / 255, 1]))


def test_palette_with_transparency_becomes_rgba(tmp_path):
    src = PILImage.fromarray(np.array([[0, 1], [1, 0]], np.uint8), "P")
    src.putpalette([10, 20, 30, 200, 100, 0] + [0] * (254 * 3))
    image = read_image(save(src, tmp_path / "p.png", transparency=1))
    assert image.channels == 4
    np.testing.assert_array_equal(image.alpha[0], np.float32([[1, 0], [0, 1]]))
    np.testing.assert_array_equal(image.pixels[:3, 0, 0] * 255, np.float32([10, 20, 30]))


def test_gray_png_with_color_key_gains_alpha(tmp_path):
    array = np.array([[0, 7], [255, 7]], np.uint8)
    image = read_image(save(PILImage.fromarray(array), tmp_path / "k.png", transparency=7))
    assert image.channels == 2
    np.testing.assert_array_equal(image.alpha[0], np.float32([[1, 0], [1, 0]]))


def test_one_bit_image_becomes_gray(tmp_path):
    src = PILImage.fromarray(np.array([[0, 255], [255, 0]], np.uint8)).convert("1")
    image = read_image(save(src, tmp_path / "bw.png"))
    assert image.channels == 1 and image.meta.bit_depth == 8
    np.testing.assert_array_equal(image.pixels[0], np.float32([[0, 1], [1, 0]]))


def test_float_tiff_in_unit_range_reads_at_16_bits(tmp_path):
    array = np.float32([[0.0, 0.25], [0.5, 1.0]])
    image = read_image(save(PILImage.fromarray(array, "F"), tmp_path / "f.tif"))
    assert image.meta.bit_depth == 16
    np.testing.assert_allclose(image.pixels[0], array, atol=0.5 / 65535)


def test_float_tiff_out_of_range_is_refused(tmp_path):
    path = save(PILImage.fromarray(np.float32([[0.0, 3.5]]), "F"), tmp_path / "hdr.tif")
    with pytest.raises(InputError, match=r"hdr\.tif.*\[0, 3\.5\]"):
        read_image(path)


# --- CMYK ---------------------------------------------------------------------------------------------


def tiny_cmyk_profile() -> bytes:
    """A minimal ICC v2 CMYK profile with swapped inks: cyan ink prints yellow, magenta prints cyan.

    Its A2B0 is a 2-point CLUT whose 16 corners hold the Lab values (computed by LittleCMS) of
    ``rgb = ((1-m)(1-k), (1-y)(1-k), (1-c)(1-k))``, so using the profile is visibly different
    from Pillow's plain CMYK formula, where cyan ink gives cyan.
    """
    corners = list(itertools.product((0, 1), repeat=4))  # first input channel varies slowest
    rgb = np.array([[(1 - m) * (1 - k), (1 - y) * (1 - k), (1 - c) * (1 - k)] for c, m, y, k in corners])
    rgb_image = PILImage.fromarray(np.uint8(rgb[None] * 255), "RGB")
    srgb, lab_profile = ImageCms.createProfile("sRGB"), ImageCms.createProfile("LAB")
    lab = np.asarray(ImageCms.profileToProfile(rgb_image, srgb, lab_profile, outputMode="LAB"))[0]
    lab = lab.astype(np.int32)
    # Pillow's LAB mode holds a* and b* as signed bytes; lut16 stores them offset by 128, times 256
    lab[:, 1:] = lab[:, 1:].astype(np.uint8).view(np.int8).astype(np.int32) + 128
    identity_curve = struct.pack(">2H", 0, 65535)
    lut = (
        b"mft2\0\0\0\0"
        + bytes([4, 3, 2, 0])
        + struct.pack(">9i", *(65536 if i in (0, 4, 8) else 0 for i in range(9)))
        + struct.pack(">2H", 2, 2)
        + identity_curve * 4
        + (lab * 256).astype(">u2").tobytes()
        + identity_curve * 3
    )
    d50 = struct.pack(">3i", *(round(v * 65536) for v in (0.9642, 1.0, 0.8249)))
    tags = [(b"wtpt", b"XYZ \0\0\0\0" + d50), (b"A2B0", lut)]
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for sig, data in tags:
        table += sig + struct.pack(">II", offset + len(body), len(data))
        body += data + b"\0" * (-len(data) % 4)
    header = struct.pack(
        ">I4sI4s4s4s12s4s", offset + len(body), b"", 0x02100000, b"prtr", b"CMYK", b"Lab ", b"", b"acsp"
    )
    header = (header + b"\0" * 24 + d50).ljust(128, b"\0")
    return header + struct.pack(">I", len(tags)) + table + body


def cmyk_swatches() -> PILImage.Image:
    """White, cyan ink, magenta ink, black ink."""
    values = np.array([[[0, 0, 0, 0], [255, 0, 0, 0], [0, 255, 0, 0], [0, 0, 0, 255]]], np.uint8)
    return PILImage.fromarray(values, "CMYK")


@pytest.mark.parametrize("suffix", [".tif", ".jpg"])
def test_cmyk_without_profile_converts_plainly(tmp_path, suffix):
    src = cmyk_swatches()
    path = save(src, tmp_path / f"cmyk{suffix}", **({"quality": 100} if suffix == ".jpg" else {}))
    image = read_image(path)
    assert image.channels == 3 and image.meta.icc_profile is None
    expected = chw(np.asarray(PILImage.open(path).convert("RGB")))
    np.testing.assert_array_equal(image.pixels, expected)
    assert image.pixels[:, 0, 1] == pytest.approx([0, 1, 1], abs=0.02)  # cyan ink is cyan


def test_cmyk_with_profile_converts_through_it(tmp_path):
    path = save(cmyk_swatches(), tmp_path / "cmyk.tif", icc_profile=tiny_cmyk_profile())
    image = read_image(path)
    assert image.channels == 3
    # the profile makes cyan ink print yellow and magenta ink cyan (plain conversion: cyan, magenta)
    assert image.pixels[:, 0, 0] == pytest.approx([1, 1, 1], abs=0.02)
    assert image.pixels[:, 0, 1] == pytest.approx([1, 1, 0], abs=0.05)
    assert image.pixels[:, 0, 2] == pytest.approx([0, 1, 1], abs=0.05)
    assert image.pixels[:, 0, 3] == pytest.approx([0, 0, 0], abs=0.02)
    assert image.meta.icc_profile[16:20] == b"RGB "  # the pixels are now sRGB, and say so


def test_cmyk_with_unusable_profile_warns_and_converts_plainly(tmp_path):
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    path = save(cmyk_swatches(), tmp_path / "odd.tif", icc_profile=srgb)
    with pytest.warns(UserWarning, match=r"odd\.tif.*ICC profile"):
        image = read_image(path)
    assert image.pixels[:, 0, 1] == pytest.approx([0, 1, 1], abs=0.02)
    assert image.meta.icc_profile is None


# --- orientation and metadata ------------------------------------------------------------------------


def exif_with(orientation: int, **tags: object) -> PILImage.Exif:
    exif = PILImage.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "vivid-test-camera"  # Make
    return exif


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".webp", ".tif"])
def test_exif_orientation_6_is_applied_and_reset(tmp_path, suffix):
    array = ramp(8, 12)  # stored landscape, displayed portrait
    options = {"quality": 100, "subsampling": 0} if suffix == ".jpg" else {}
    if suffix == ".webp":
        options = {"lossless": True}
    path = save(PILImage.fromarray(array), tmp_path / f"o{suffix}", exif=exif_with(6), **options)
    image = read_image(path)
    assert image.pixels.shape == (3, 12, 8)
    # orientation 6: the stored image is turned 90 degrees clockwise for display
    expected = chw(np.rot90(array, -1))
    assert np.abs(image.pixels - expected).max() <= 3 / 255
    exif = PILImage.Exif()
    exif.load(image.meta.exif)
    assert exif.get(0x0112, 1) == 1
    assert exif[0x010F] == "vivid-test-camera"


def test_exif_orientation_is_applied_to_16bit_color(tmp_path):
    array = ramp(6, 10, dtype=np.uint16) | 1
    from vivid.io.png import encode_png

    path = tmp_path / "o16.png"
    path.write_bytes(encode_png(array, exif=exif_with(8).tobytes()))
    image = read_image(path)
    assert image.meta.bit_depth == 16
    np.testing.assert_array_equal(image.pixels, chw(np.rot90(array, 1)))  # 8: 90 degrees counter-clockwise


def test_tiff_orientation_is_applied_to_16bit_color(tmp_path):
    from vivid.io.tiff import encode_tiff

    array = ramp(6, 10, dtype=np.uint16) | 1
    data = bytearray(encode_tiff(array, exif=exif_with(1).tobytes()))
    # set the orientation entry of the first directory to 6 (TIFF writers rarely do this for 16-bit)
    (ifd,) = struct.unpack_from("<I", data, 4)
    (count,) = struct.unpack_from("<H", data, ifd)
    entry = next(e for e in range(ifd + 2, ifd + 2 + 12 * count, 12) if data[e : e + 2] == b"\x12\x01")
    struct.pack_into("<H", data, entry + 8, 6)
    (tmp_path / "o16.tif").write_bytes(bytes(data))
    image = read_image(tmp_path / "o16.tif")
    assert image.meta.bit_depth == 16
    np.testing.assert_array_equal(image.pixels, chw(np.rot90(array, -1)))


def test_metadata_is_kept(tmp_path):
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    path = save(
        PILImage.fromarray(ramp()), tmp_path / "m.jpg", icc_profile=icc, dpi=(300, 300), exif=exif_with(1)
    )
    image = read_image(path)
    assert image.meta.icc_profile == icc
    assert image.meta.dpi == (300.0, 300.0)
    assert b"vivid-test-camera" in image.meta.exif
    assert image.meta.exif.startswith(b"Exif\0\0")
    assert image.meta.source_format == "JPEG"
    assert image.meta.source_path == path.resolve()


def test_jpeg_without_stated_resolution_has_no_dpi(tmp_path):
    path = save(PILImage.fromarray(ramp()), tmp_path / "nodpi.jpg", exif=exif_with(1))
    assert PILImage.open(path).info.get("dpi") == (72, 72)  # Pillow's made-up default ...
    assert read_image(path).meta.dpi is None  # ... is not carried


def test_exif_orientation_tag_is_patched_in_place(tmp_path):
    path = save(PILImage.fromarray(ramp()), tmp_path / "o.jpg", exif=exif_with(3))
    original = PILImage.open(path).info["exif"]
    kept = read_image(path).meta.exif
    assert len(kept) == len(original)
    assert sum(a != b for a, b in zip(kept, original, strict=True)) == 1  # only the orientation value


def test_text_metadata_from_png_chunks(tmp_path):
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_itxt("vivid", '{"model": "é"}')
    info.add_text("Comment", "scanned 1962")
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta xmlns:x='adobe:ns:meta/'/>")  # not user text
    path = save(PILImage.fromarray(ramp()), tmp_path / "t.png", pnginfo=info)
    expected = {"vivid": '{"model": "é"}', "Comment": "scanned 1962"}
    assert read_text_metadata(path) == expected
    assert read_image(path).meta.text == expected


def test_text_metadata_from_xmp_elements_and_attributes(tmp_path):
    xmp = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description xmlns:vivid="{XMP_NAMESPACE}" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' vivid:note="as attribute"><vivid:vivid>{"a": 1}</vivid:vivid>'
        "<vivid:Creation_x0020_Time>today</vivid:Creation_x0020_Time><dc:title>other</dc:title>"
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    ).encode()
    path = save(PILImage.fromarray(ramp()), tmp_path / "t.jpg", xmp=xmp)
    assert read_text_metadata(path) == {"note": "as attribute", "vivid": '{"a": 1}', "Creation Time": "today"}


def test_malformed_xmp_warns_but_the_image_reads(tmp_path):
    path = save(PILImage.fromarray(ramp()), tmp_path / "x.jpg", xmp=b"<x:xmpmeta><unclosed>")
    with pytest.warns(UserWarning, match=r"x\.jpg.*XMP"):
        image = read_image(path)
    assert image.meta.text == {}


# --- decompression-bomb guard ------------------------------------------------------------------------


def png_header_claiming(width: int, height: int) -> bytes:
    """A structurally valid 8-bit gray PNG whose header claims ``width`` x ``height`` (data: one row)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\0" * (width + 1))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_too_many_pixels_is_refused_before_decoding(tmp_path, monkeypatch):
    path = save(PILImage.fromarray(ramp(20, 30)), tmp_path / "big.png")

    def no_decoding(self):
        raise AssertionError("decoded an image that is over the limit")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    with pytest.raises(ImageTooLargeError) as caught:
        read_image(path, max_pixels=599)
    message = str(caught.value)
    assert "big.png" in message and "30x20" in message and "raise the pixel limit" in message
    assert "600 pixels, over the limit of 599 pixels" in message  # stated readably, not "0.0 megapixels"
    assert "PIL" not in message and "max_pixels" not in message  # no advice for programmers
    assert isinstance(caught.value, InputError)


def test_header_claiming_huge_size_is_refused_without_allocating():
    data = png_header_claiming(9000, 9000)  # 81 MP claimed in 100 bytes
    with pytest.raises(ImageTooLargeError, match=r"bomb\.png.*9000x9000 is 81 megapixels, over the limit of 50 megapixels"):
        read_image_bytes(data, name="bomb.png", max_pixels=50_000_000)


def test_pillows_own_bomb_error_becomes_image_too_large():
    data = png_header_claiming(100_000, 100_000)  # over Pillow's hard limit, refused inside open()
    with pytest.raises(ImageTooLargeError, match=r"bomb\.png: it has 10000 megapixels, more than the limit.*decompression bomb") as caught:
        read_image_bytes(data, name="bomb.png", max_pixels=None)
    assert "PIL.Image" not in str(caught.value) and "application" not in str(caught.value)


def test_bad_max_pixels_is_a_config_error():
    from vivid.errors import ConfigError

    with pytest.raises(ConfigError, match="max_pixels must be a positive integer or None, got 0"):
        read_image_bytes(encoded("PNG"), max_pixels=0)


def test_max_pixels_none_disables_the_check(tmp_path):
    path = save(PILImage.fromarray(ramp()), tmp_path / "a.png")
    assert read_image(path, max_pixels=None).pixels.shape == (3, 24, 32)
    assert DEFAULT_MAX_PIXELS >= 100_000_000


# --- bad files ----------------------------------------------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match=r"cannot read .*nope\.jpg: no such file"):
        read_image(tmp_path / "nope.jpg")


def test_folder_is_not_an_image(tmp_path):
    folder = tmp_path / "photos.png"
    folder.mkdir()
    with pytest.raises(InputError, match=r"photos\.png: it is a folder"):
        read_image(folder)


def test_empty_file(tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(InputError, match=r"empty\.png: file is empty"):
        read_image(tmp_path / "empty.png")
    with pytest.raises(InputError, match=r"upload: file is empty"):
        read_image_bytes(b"")


def test_non_image_file(tmp_path):
    (tmp_path / "notes.jpg").write_text("not a picture")
    with pytest.raises(InputError, match=r"notes\.jpg: not a PNG, JPEG, WebP, TIFF, BMP, HEIC or AVIF image"):
        read_image(tmp_path / "notes.jpg")


def encoded(fmt: str, array: np.ndarray | None = None, **options) -> bytes:
    buffer = io.BytesIO()
    PILImage.fromarray(ramp(64, 96) if array is None else array).save(buffer, format=fmt, **options)
    return buffer.getvalue()


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")  # Pillow's, about the cut TIFF directory
@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "BMP", "TIFF", "WEBP"])
@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_truncated_file_fails(tmp_path, fmt, keep):
    data = encoded(fmt, **({"compression": "tiff_deflate"} if fmt == "TIFF" else {}))
    path = tmp_path / f"cut.{fmt.lower()}"
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(InputError, match=r"cannot read .*cut\.\w+: (file is (truncated|corrupt)|not a)"):
        read_image(path)


def test_png_missing_only_its_end_is_truncated():
    data = encoded("PNG")
    assert data.endswith(b"IEND\xaeB`\x82")
    with pytest.raises(InputError, match=r"tail\.png: file is truncated"):
        read_image_bytes(data[:-12], name="tail.png")


def test_jpeg_truncated_in_the_scan_is_reported_as_truncated():
    data = encoded("JPEG", ramp(256, 256))
    with pytest.raises(InputError, match=r"cut\.jpg: file is truncated"):
        read_image_bytes(data[: len(data) // 2], name="cut.jpg")


def test_png_with_damaged_pixel_data_is_corrupt():
    data = bytearray(encoded("PNG"))
    start = data.index(b"IDAT") + 4
    data[start + 10] ^= 0xFF
    with pytest.raises(InputError, match=r"bad\.png: file is corrupt \(checksum mismatch in the IDAT chunk"):
        read_image_bytes(bytes(data), name="bad.png")


def test_truncated_16bit_png_fails():
    from vivid.io.png import encode_png

    data = encode_png(ramp(64, 96, dtype=np.uint16))
    with pytest.raises(InputError, match=r"c16\.png: file is truncated"):
        read_image_bytes(data[: len(data) // 2], name="c16.png")


def test_load_truncated_images_switch_is_not_honoured(monkeypatch):
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(InputError, match="LOAD_TRUNCATED_IMAGES"):
        read_image_bytes(encoded("JPEG"), name="a.jpg")


def test_read_image_bytes_matches_read_image(tmp_path):
    data = encoded("PNG")
    (tmp_path / "a.png").write_bytes(data)
    from_file, from_memory = read_image(tmp_path / "a.png"), read_image_bytes(data, name="a.png")
    np.testing.assert_array_equal(from_file.pixels, from_memory.pixels)
    assert from_memory.meta.source_path is None and from_memory.meta.source_format == "PNG"


def test_read_image_bytes_rejects_non_bytes():
    with pytest.raises(InputError, match="upload: expected the encoded file as bytes, got str"):
        read_image_bytes("a.png")
