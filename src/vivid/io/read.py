"""Read image files into vivid's internal :class:`~vivid.io.image.Image`.

Every reader checks the pixel count in the header before decoding (decompression-bomb guard), decodes
fully (a truncated file is an error, never a partly grey picture), turns the pixels upright from the
EXIF orientation and keeps EXIF (orientation reset to 1), ICC profile, DPI and text metadata.

Colour modes: 1-bit and 8/16-bit gray become ``C=1``; gray + alpha ``C=2``; palette images become RGB,
or RGBA when they have transparency; CMYK becomes RGB through its embedded ICC profile (into sRGB,
relative colorimetric with black-point compensation) or, without one, by Pillow's plain formula.
16-bit PNG and TIFF keep all 16 bits (``meta.bit_depth == 16``); HEIC and AVIF are decoded at 8 bits,
16-bit CMYK at 8 bits (with a warning). Of animated or multi-page files the first image is read.
"""

from __future__ import annotations

import io
import re
import struct
import warnings
import zlib
from pathlib import Path

import numpy as np
from PIL import Image as PILImage
from PIL import ImageFile, UnidentifiedImageError

from vivid.errors import ConfigError, ImageTooLargeError, InputError
from vivid.io import exif as exif_tools
from vivid.io.formats import SUPPORTED_READ_SUFFIXES, is_image_path, register_heif
from vivid.io.image import Image, ImageMeta
from vivid.io.jpeg_quality import saved_quality
from vivid.io.png import chunk_problem
from vivid.io.textmeta import png_text, text_from_xmp

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "SUPPORTED_READ_SUFFIXES",
    "is_image_path",
    "read_image",
    "read_image_bytes",
    "read_image_uint",
    "read_text_metadata",
]

#: default decompression-bomb limit: 160 megapixels (a 150 MP medium-format frame fits). It is kept
#: below Pillow's own hard refusal (2 x ``PIL.Image.MAX_IMAGE_PIXELS``, about 179 MP by default) so
#: that vivid's message, which says how to raise the limit, is the one users see.
DEFAULT_MAX_PIXELS = 160_000_000

_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error, IndexError)
_SUPPORTED = "PNG, JPEG, WebP, TIFF, BMP, HEIC or AVIF"
_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"mif2")


def read_image(path: str | Path, *, max_pixels: int | None = DEFAULT_MAX_PIXELS) -> Image:
    """Read an image file as float32 ``(C, H, W)`` in [0, 1] with its metadata.

    Args:
        path: a PNG, JPEG, WebP, TIFF, BMP, HEIC (needs pillow-heif) or AVIF file.
        max_pixels: refuse images with more pixels than this (checked from the header, before
            decoding); None disables vivid's check (Pillow's own limit still applies).

    Raises:
        ImageTooLargeError: the image has more than ``max_pixels`` pixels.
        InputError: the file is missing, a folder, empty, truncated, corrupt or not an image.
    """
    p = Path(path)
    return _decode(_read_file(p), name=str(path), source_path=p.resolve(), max_pixels=max_pixels)


def read_image_bytes(
    data: bytes, *, name: str = "upload", max_pixels: int | None = DEFAULT_MAX_PIXELS
) -> Image:
    """:func:`read_image` for an encoded image in memory; ``name`` is used in error messages."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise InputError(f"cannot read {name}: expected the encoded file as bytes, got {type(data).__name__}")
    if not len(data):
        raise InputError(f"cannot read {name}: file is empty")
    return _decode(bytes(data), name=name, source_path=None, max_pixels=max_pixels)


def read_text_metadata(path: str | Path, *, max_pixels: int | None = DEFAULT_MAX_PIXELS) -> dict[str, str]:
    """The text entries written by ``write_image(text=...)`` (PNG text chunks; XMP in other formats).

    Formats without text metadata (BMP) give an empty dict.
    """
    name = str(path)
    with _open(_read_file(Path(path)), name=name, max_pixels=max_pixels) as im:
        if im.format == "PNG":
            _load(im, name)  # text chunks after the pixel data are read with them
        return _text(im, name)


def _read_file(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"cannot read {path}: no such file (check the path)") from None
    except IsADirectoryError:
        raise InputError(f"cannot read {path}: it is a folder, not an image file") from None
    except PermissionError:
        raise InputError(f"cannot read {path}: permission denied") from None
    except OSError as e:
        if path.is_dir():
            raise InputError(f"cannot read {path}: it is a folder, not an image file") from None
        raise InputError(f"cannot read {path}: {e.strerror or e}") from None
    if not data:
        raise InputError(f"cannot read {path}: file is empty")
    return data


def read_image_uint(
    path: str | Path, *, max_pixels: int | None = DEFAULT_MAX_PIXELS
) -> tuple[np.ndarray, ImageMeta]:
    """:func:`read_image` without the float conversion: uint8/uint16 ``(H, W, C)`` pixels and metadata.

    A quarter (8-bit) or half (16-bit) of the float image's memory, for code that streams large images
    (:mod:`vivid.engine.stream`); ``meta.bit_depth`` says which dtype came back.
    """
    p = Path(path)
    return _decode_uint(_read_file(p), name=str(path), source_path=p.resolve(), max_pixels=max_pixels)


def _decode(data: bytes, *, name: str, source_path: Path | None, max_pixels: int | None) -> Image:
    array, meta = _decode_uint(data, name=name, source_path=source_path, max_pixels=max_pixels)
    peak = 65535.0 if meta.bit_depth == 16 else 255.0
    pixels = np.ascontiguousarray(np.moveaxis(array, -1, 0), dtype=np.float32) / np.float32(peak)
    return Image(pixels, meta)


def _decode_uint(
    data: bytes, *, name: str, source_path: Path | None, max_pixels: int | None
) -> tuple[np.ndarray, ImageMeta]:
    with _open(data, name=name, max_pixels=max_pixels) as im:
        rawmode = _rawmode(im)
        size = im.size
        _load(im, name)  # first: Pillow's getexif() of a PNG decodes it, and would hide errors
        # TIFFs come out of Pillow and OpenCV upright with the tag removed; other formats need turning
        orientation = _orientation(im)
        exif = _exif(im, name)
        dpi = _dpi(im)
        channels16 = _channels_of_16bit_color(im, rawmode)
        if channels16:
            # Pillow decodes 16-bit colour to 8 bits; OpenCV keeps all 16 (Pillow's decode above
            # still checked the file for truncation and corruption)
            array, icc = _decode_16bit_color(data, channels16, size, name), im.info.get("icc_profile")
        else:
            if rawmode and ";16" in rawmode and not im.mode.startswith("I"):
                warnings.warn(
                    f"{name}: 16-bit {im.mode} ({rawmode}) is read at 8 bits per channel", stacklevel=3
                )
            array, icc = _pixels(im, name, rawmode)
        text = _text(im, name)
        source_format = im.format
        quality = saved_quality(im)
    array = exif_tools.upright(array, orientation)
    bit_depth = 16 if array.dtype == np.uint16 else 8
    meta = ImageMeta(
        bit_depth=bit_depth,
        exif=exif,
        icc_profile=icc or None,
        dpi=dpi,
        source_format=source_format,
        source_path=source_path,
        text=text,
        jpeg_quality=quality,
    )
    return array, meta


def _open(data: bytes, *, name: str, max_pixels: int | None) -> PILImage.Image:
    """Open (parse the header of) an image, refusing it if it has more than ``max_pixels`` pixels."""
    if max_pixels is not None and (
        isinstance(max_pixels, bool) or not isinstance(max_pixels, int) or max_pixels < 1
    ):
        raise ConfigError(f"max_pixels must be a positive integer or None, got {max_pixels!r}")
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        _register_heif(name)
    try:
        im = PILImage.open(io.BytesIO(data))
    except PILImage.DecompressionBombError as e:
        # Pillow's own guard (2 x PIL.Image.MAX_IMAGE_PIXELS) runs inside open(), before ours can
        found = re.search(r"\((\d+) pixels\)", str(e))
        count = f"{_amount(int(found.group(1)))}, " if found else ""
        limit = min(max_pixels or 2 * (PILImage.MAX_IMAGE_PIXELS or 0), 2 * (PILImage.MAX_IMAGE_PIXELS or 0))
        raise ImageTooLargeError(
            f"cannot read {name}: it has {count}more than the limit of {_amount(limit)} "
            "(a guard against decompression bombs, files that unpack to huge images); if you trust the file, "
            "raise the pixel limit"
        ) from None
    except UnidentifiedImageError:
        raise InputError(f"cannot read {name}: not a {_SUPPORTED} image, or its header is corrupt") from None
    except _DECODE_ERRORS as e:
        raise InputError(f"cannot read {name}: {_problem(e)} ({e})") from None
    width, height = im.size
    if max_pixels is not None and width * height > max_pixels:
        im.close()
        raise ImageTooLargeError(
            f"cannot read {name}: {width}x{height} is {_amount(width * height)}, over the limit of "
            f"{_amount(max_pixels)}; if you trust the file, raise the pixel limit"
        )
    if im.format == "PNG":
        problem = chunk_problem(data)
        if problem:
            im.close()
            raise InputError(f"cannot read {name}: {problem}")
    return im


def _amount(pixels: int) -> str:
    """``160 megapixels``, ``1.5 megapixels``, ``4,380 pixels``: a pixel count as people say it."""
    if pixels < 100_000:
        return f"{pixels:,} pixels"
    mp = pixels / 1e6
    return f"{mp:.0f} megapixels" if mp >= 100 or mp == int(mp) else f"{mp:.1f} megapixels"


def _register_heif(name: str) -> None:
    if not register_heif():
        raise InputError(
            f"cannot read {name}: HEIC/HEIF needs pillow-heif, a dependency of vivid-restore: "
            f"reinstall vivid-restore or pip install pillow-heif"
        )


def _load(im: PILImage.Image, name: str) -> None:
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        # someone switched Pillow to padding truncated files with grey; vivid never accepts that
        raise InputError(
            f"cannot read {name} safely: PIL.ImageFile.LOAD_TRUNCATED_IMAGES is set in this process; unset it"
        )
    try:
        im.load()
    except PILImage.DecompressionBombError as e:
        raise ImageTooLargeError(f"cannot read {name}: {e}") from None
    except _DECODE_ERRORS as e:
        raise InputError(f"cannot read {name}: {_problem(e)} ({e})") from None


def _problem(error: Exception) -> str:
    if "truncat" in str(error).lower() or isinstance(error, EOFError):
        return "file is truncated"
    return "file is corrupt or truncated"


def _rawmode(im: PILImage.Image) -> str | None:
    """How the file stores its pixels (e.g. ``RGB;16B``); only known before decoding."""
    if not im.tile:
        return None
    args = im.tile[0].args
    if isinstance(args, tuple) and args:
        args = args[0]
    return args if isinstance(args, str) else None


def _channels_of_16bit_color(im: PILImage.Image, rawmode: str | None) -> int:
    """Channel count of a 16-bit gray+alpha/RGB/RGBA PNG or TIFF, else 0."""
    if im.format not in ("PNG", "TIFF") or not rawmode or ";16" not in rawmode:
        return 0
    return {"LA": 2, "RGB": 3, "RGBX": 3, "RGBA": 4}.get(rawmode.split(";")[0], 0)


def _decode_16bit_color(data: bytes, channels: int, size: tuple[int, int], name: str) -> np.ndarray:
    import cv2

    array = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if array is None or array.dtype != np.uint16 or array.ndim != 3 or array.shape[1::-1] != size:
        got = "nothing" if array is None else f"{array.dtype} {array.shape}"
        raise InputError(f"cannot read {name}: file is corrupt (16-bit decoder returned {got})")
    if channels == 2:  # OpenCV expands gray + alpha to BGRA
        return array[..., [0, 3]] if array.shape[2] == 4 else array
    order = [2, 1, 0, 3] if channels == 4 else [2, 1, 0]
    return array[..., order]


def _pixels(im: PILImage.Image, name: str, rawmode: str | None) -> tuple[np.ndarray, bytes | None]:
    """uint8/uint16 ``(H, W, C)`` pixels of a decoded Pillow image, and the ICC profile that fits them."""
    icc = im.info.get("icc_profile")
    mode = im.mode
    if mode in ("P", "PA"):
        im = im.convert("RGBA" if mode == "PA" or im.has_transparency_data else "RGB")
    elif mode == "1":
        im = im.convert("L")
    elif mode == "CMYK":
        im, icc = _cmyk_to_rgb(im, icc, name)
    elif mode in ("RGBX", "YCbCr", "HSV"):
        im = im.convert("RGB")
    elif mode in ("La", "RGBa"):  # premultiplied alpha
        im = im.convert(mode.upper())
    mode = im.mode
    if mode in ("L", "LA", "RGB", "RGBA"):
        array = np.asarray(im)
    elif _unsigned_16bit(mode, rawmode):
        array = np.asarray(im).astype(np.uint16)
    elif mode == "F":
        array = _float_pixels(np.asarray(im), name)
    else:
        raise InputError(
            f"cannot read {name}: unsupported pixel mode {mode}"
            f"{f' ({rawmode})' if rawmode else ''}; convert it to 8- or 16-bit RGB or gray first"
        )
    if array.ndim == 2:
        array = array[..., None]
    transparency = im.info.get("transparency")
    if mode in ("L", "RGB") or mode.startswith("I"):
        array = _with_color_key_alpha(array, transparency)
    return array, icc


def _unsigned_16bit(mode: str, rawmode: str | None) -> bool:
    if mode.startswith("I;16"):
        return not mode.endswith("S")
    return mode == "I" and bool(rawmode) and "16" in rawmode and not rawmode.endswith("S")


def _float_pixels(array: np.ndarray, name: str) -> np.ndarray:
    finite = np.isfinite(array).all()
    lo, hi = (float(array.min()), float(array.max())) if array.size else (0.0, 0.0)
    if not finite or lo < 0.0 or hi > 1.0:
        raise InputError(
            f"cannot read {name}: 32-bit float pixels must be finite and in [0, 1], got range "
            f"[{lo:.4g}, {hi:.4g}]; scale it to [0, 1] or save it as 16-bit"
        )
    return np.rint(array * 65535.0).astype(np.uint16)


def _with_color_key_alpha(array: np.ndarray, transparency: object) -> np.ndarray:
    """Gray/RGB with a PNG colour key (tRNS: one value that means transparent) gains an alpha channel."""
    if isinstance(transparency, int):
        key = np.array([transparency])
    elif isinstance(transparency, tuple) and len(transparency) == array.shape[2]:
        key = np.array(transparency)
    else:
        return array
    peak = np.iinfo(array.dtype).max
    opaque = np.any(array != key.astype(array.dtype), axis=2, keepdims=True)
    return np.concatenate([array, (opaque * peak).astype(array.dtype)], axis=2)


def _cmyk_to_rgb(im: PILImage.Image, icc: bytes | None, name: str) -> tuple[PILImage.Image, bytes | None]:
    if icc:
        from PIL import ImageCms

        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            if source.profile.xcolor_space.strip() != "CMYK":
                raise ValueError(f"it describes {source.profile.xcolor_space.strip()}, not CMYK")
            srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
            rgb = ImageCms.profileToProfile(
                im,
                source,
                srgb,
                renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
                outputMode="RGB",
                flags=ImageCms.Flags.BLACKPOINTCOMPENSATION,
            )
            return rgb, srgb.tobytes()
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError) as e:
            warnings.warn(
                f"{name}: its embedded ICC profile cannot convert CMYK ({e}); converting without it",
                stacklevel=4,
            )
    return im.convert("RGB"), None


def _orientation(im: PILImage.Image) -> int:
    try:
        value = im.getexif().get(exif_tools.ORIENTATION, 1)
    except _DECODE_ERRORS:
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _exif(im: PILImage.Image, name: str) -> bytes | None:
    """The image's EXIF with orientation reset to 1 (its pixels are turned upright on read)."""
    try:
        if im.format == "TIFF":
            return exif_tools.from_tiff_directory(im.getexif())
        exif = exif_tools.normalize(im.info.get("exif"))
        return exif_tools.reset_orientation(exif) if exif else None
    except (*_DECODE_ERRORS, KeyError, TypeError):
        # broken EXIF does not make the picture unreadable; it is just not carried
        warnings.warn(f"{name}: ignoring its unreadable EXIF data", stacklevel=4)
        return None


def _dpi(im: PILImage.Image) -> tuple[float, float] | None:
    dpi = im.info.get("dpi")
    # Pillow makes up 72 dpi for JPEGs and 1 dpi for TIFFs that state no resolution
    if im.format == "JPEG" and im.info.get("jfif_unit") not in (1, 2) and 0x011A not in im.getexif():
        return None
    if im.format == "TIFF" and 0x011A not in im.tag_v2:
        return None
    if not isinstance(dpi, tuple) or len(dpi) != 2:
        return None
    x, y = float(dpi[0]), float(dpi[1])
    return (x, y) if x > 0 and y > 0 else None


def _text(im: PILImage.Image, name: str) -> dict[str, str]:
    xmp = im.info.get("xmp")
    if xmp is None and im.format == "TIFF":
        xmp = getattr(im, "tag_v2", {}).get(700)
    text = text_from_xmp(xmp, name=name)
    if im.format == "PNG":
        text.update(png_text(getattr(im, "text", None) or {}))
    return text


def from_pil(im: PILImage.Image) -> Image:
    """A Pillow image already in memory as an :class:`Image` (the pixels as they are: no EXIF turning;
    ICC profile and DPI kept). Palette, 1-bit, CMYK and premultiplied modes convert as when reading."""
    array, icc = _pixels(im, "the PIL image", None)
    meta = ImageMeta(bit_depth=16 if array.dtype == np.uint16 else 8, icc_profile=icc or None, dpi=_dpi(im),
                     source_format=im.format, jpeg_quality=saved_quality(im))
    peak = 65535.0 if array.dtype == np.uint16 else 255.0
    pixels = array if array.dtype == np.float32 else array.astype(np.float32) / np.float32(peak)
    return Image(np.ascontiguousarray(np.moveaxis(pixels, -1, 0), dtype=np.float32), meta)
