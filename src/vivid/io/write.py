"""Write vivid's internal :class:`~vivid.io.image.Image` to files or bytes.

What each format keeps (see :data:`vivid.io.formats.WRITE_FORMATS`):

========  ===========  =====  ====  ====  ===  ===  ========================================
format    bit depths   alpha  gray  EXIF  ICC  DPI  text
========  ===========  =====  ====  ====  ===  ===  ========================================
png       8, 16        yes    yes   yes   yes  yes  iTXt chunks
tiff      8, 16        yes    yes   yes   yes  yes  XMP (vivid namespace)
jpeg      8            no*    yes   yes   yes  yes  XMP (vivid namespace)
webp      8            yes    RGB   yes   yes  no   XMP (vivid namespace)
avif      8            yes    RGB   yes   yes  no   XMP (vivid namespace)
heic      8            yes    RGB   yes   yes  no   XMP (vivid namespace)
bmp       8            no*    yes   no    no   yes  no
========  ===========  =====  ====  ====  ===  ===  ========================================

\\* formats without alpha get the image composited over white, with a :class:`UserWarning`.
16-bit gray + alpha is written to TIFF as 16-bit RGBA, since common readers cannot read it otherwise.
"RGB" means gray images are stored as three equal channels. An ICC profile whose colour space does
not match the written pixels (a gray profile on RGB output, an RGB profile on gray output) is not
written. Written EXIF always has orientation 1, because vivid's pixels are upright.
"""

from __future__ import annotations

import os
import secrets
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image as PILImage

from vivid.errors import ConfigError, InputError, OutputError, VividError
from vivid.io import exif as exif_tools
from vivid.io.formats import SUPPORTED_WRITE_FORMATS, WRITE_FORMATS, WriteFormat, register_heif, write_format
from vivid.io.image import Image, ImageMeta, to_uint
from vivid.io.png import PngWriter, encode_png
from vivid.io.textmeta import validate_text, xmp_packet
from vivid.io.tiff import encode_tiff

__all__ = ["SUPPORTED_WRITE_FORMATS", "encode_image", "png_row_writer", "write_image"]

_ENCODE_ERRORS = (OSError, ValueError, RuntimeError)


def write_image(
    image: Image,
    path: str | Path,
    *,
    format: str | None = None,
    quality: int | None = None,
    bit_depth: int | None = None,
    strip_metadata: bool = False,
    overwrite: bool = False,
    text: dict[str, str] | None = None,
) -> Path:
    """Write ``image`` to ``path`` atomically and return the path.

    The file appears complete or not at all: it is written to a temporary file in the same folder and
    renamed into place; on any failure the temporary file is removed. Missing folders are created.

    Args:
        image: the image to write.
        path: the output file; its suffix picks the format unless ``format`` is given.
        format: one of :data:`SUPPORTED_WRITE_FORMATS` (``jpg``, ``tif`` and ``heif`` are accepted too).
        quality: 1-100 for lossy formats (defaults: JPEG 95 with 4:4:4 chroma, WebP 95, AVIF and
            HEIC 90); an error for lossless ones.
        bit_depth: 8 or 16; default ``image.meta.bit_depth`` where the format stores it (PNG, TIFF),
            else 8.
        strip_metadata: drop EXIF, ICC profile, DPI and ``image.meta.text`` (``text`` is still written).
        overwrite: replace an existing file. Without it an existing output, and above all the image's
            own source file, is never touched.
        text: entries written after ``image.meta.text`` (e.g. ``{"vivid": provenance_json}``);
            read them back with :func:`vivid.io.read.read_text_metadata`.

    Raises:
        ConfigError: unknown format, or an option the format cannot honour.
        OutputError: the file exists, would overwrite the input, or cannot be written.
    """
    out = Path(path)
    fmt = write_format(format, out)
    _check_destination(
        out, image.meta.source_path if isinstance(image, Image) else None, overwrite=overwrite
    )
    data = _encode(image, fmt, quality=quality, bit_depth=bit_depth, strip_metadata=strip_metadata, text=text)
    _write_atomically(out, data, overwrite=overwrite)
    return out


def encode_image(
    image: Image,
    *,
    format: str = "png",
    quality: int | None = None,
    bit_depth: int | None = None,
    strip_metadata: bool = False,
    text: dict[str, str] | None = None,
) -> bytes:
    """The bytes :func:`write_image` would write, for responses that are not files."""
    return _encode(
        image,
        write_format(format),
        quality=quality,
        bit_depth=bit_depth,
        strip_metadata=strip_metadata,
        text=text,
    )


def _encode(
    image: Image,
    fmt: WriteFormat,
    *,
    quality: int | None,
    bit_depth: int | None,
    strip_metadata: bool,
    text: dict[str, str] | None,
) -> bytes:
    if not isinstance(image, Image):
        raise InputError(f"expected a vivid.io.image.Image, got {type(image).__name__}")
    depth = _bit_depth(fmt, image.meta.bit_depth, bit_depth)
    quality = _quality(fmt, quality)
    meta = image.meta if not strip_metadata else image.meta.stripped()
    entries = validate_text({**meta.text, **(text or {})})
    if text and not fmt.text:
        warnings.warn(
            f"{fmt.name.upper()} cannot store text metadata; not written: {', '.join(text)}", stacklevel=3
        )
    array = _output_pixels(image, fmt, depth)
    if fmt.name == "tiff" and depth == 16 and array.shape[2] == 2:
        # common readers (Pillow, OpenCV) cannot read 16-bit gray + alpha TIFF; RGBA they can
        array = array[..., [0, 0, 0, 1]]
    exif = exif_tools.normalize(meta.exif) if fmt.exif else None
    icc = meta.icc_profile if fmt.icc and _icc_fits(meta.icc_profile, array.shape[2]) else None
    try:
        return _ENCODERS[fmt.name](
            array,
            quality=quality,
            exif=exif_tools.reset_orientation(exif) if exif else None,
            icc=icc,
            dpi=meta.dpi if fmt.dpi else None,
            text=entries if fmt.text else {},
        )
    except VividError:
        raise
    except _ENCODE_ERRORS as e:
        raise OutputError(f"cannot encode the image as {fmt.name.upper()}: {e}") from e


class PngRowWriter:
    """Rows handed to :func:`png_row_writer`: call ``write(rows)`` with float ``(C, n, W)`` in [0, 1]."""

    def __init__(self, writer: PngWriter, bit_depth: int) -> None:
        self._writer = writer
        self._depth = bit_depth
        #: entries written after the pixel data (set before the ``with`` block ends), e.g. provenance
        self.trailing_text: dict[str, str] = {}

    @property
    def rows_written(self) -> int:
        return self._writer.rows_written

    def write(self, rows: np.ndarray) -> None:
        """Quantise float rows ``(C, n, W)`` (clipped to [0, 1]) and append them to the file."""
        if rows.ndim != 3 or not np.isfinite(rows).all():
            raise InputError(
                f"cannot write rows of shape {rows.shape} with NaN or infinite values: check the processing"
            )
        try:
            self._writer.write_rows(np.moveaxis(to_uint(rows, self._depth), 0, -1))
        except ValueError as e:
            raise OutputError(f"cannot write the PNG: {e}") from None


@contextmanager
def png_row_writer(
    path: str | Path,
    *,
    width: int,
    height: int,
    channels: int,
    meta: ImageMeta | None = None,
    bit_depth: int | None = None,
    strip_metadata: bool = False,
    overwrite: bool = False,
    text: dict[str, str] | None = None,
    trailing_keys: tuple[str, ...] = (),
) -> Iterator[PngRowWriter]:
    """Write a PNG of ``height`` x ``width`` x ``channels`` row block by row block, atomically.

    The streaming form of ``write_image(..., format="png")`` for images too large to hold as floats:
    the pixels go through the same quantisation and encoder, and the metadata (``meta``: EXIF, ICC,
    DPI, text; ``text`` on top) is written the same way. Entries put in the yielded writer's
    ``trailing_text`` go after the pixel data (facts known only at the end, such as timings; keys named
    in ``trailing_keys`` are left out of the header so that they appear once). The file appears only when
    the block ends without an error and every row was written; otherwise nothing is left behind. An
    existing file, and above all ``meta.source_path`` (the input), is never replaced unless ``overwrite``.
    """
    out = Path(path)
    if write_format(None, out).name != "png":
        raise ConfigError(f"cannot stream {out}: rows are streamed to PNG only; give the output a .png suffix")
    meta = meta or ImageMeta()
    depth = _bit_depth(WRITE_FORMATS["png"], meta.bit_depth, bit_depth)
    _check_destination(out, meta.source_path, overwrite=overwrite)
    kept = meta if not strip_metadata else meta.stripped()
    entries = validate_text({k: v for k, v in {**kept.text, **(text or {})}.items() if k not in trailing_keys})
    exif = exif_tools.normalize(kept.exif)
    icc = kept.icc_profile if _icc_fits(kept.icc_profile, channels) else None
    with _atomic_file(out, overwrite=overwrite) as f:
        try:
            writer = PngWriter(
                f, width=width, height=height, channels=channels, bit_depth=depth, icc_profile=icc,
                dpi=kept.dpi, exif=exif_tools.reset_orientation(exif) if exif else None, text=entries,
            )
        except ValueError as e:
            raise OutputError(f"cannot write {out}: {e}") from None
        rows = PngRowWriter(writer, depth)
        yield rows
        if writer.rows_written != height:
            raise OutputError(f"cannot write {out}: got {writer.rows_written} of its {height} rows")
        writer.close(text=validate_text(rows.trailing_text) if rows.trailing_text else None)


def _bit_depth(fmt: WriteFormat, source_depth: int, bit_depth: int | None) -> int:
    if bit_depth is None:
        return source_depth if source_depth in fmt.bit_depths else 8
    if bit_depth not in (8, 16):
        raise ConfigError(f"bit_depth must be 8 or 16, got {bit_depth!r}")
    if bit_depth not in fmt.bit_depths:
        raise ConfigError(
            f"{fmt.name.upper()} stores 8 bits per channel, got bit_depth={bit_depth}: "
            "write PNG or TIFF for 16-bit output"
        )
    return bit_depth


def _quality(fmt: WriteFormat, quality: int | None) -> int | None:
    if quality is None:
        return fmt.default_quality
    if not fmt.lossy:
        raise ConfigError(
            f"quality={quality!r} does not apply to {fmt.name.upper()}, which is lossless: leave it unset "
            "or write jpeg, webp, avif or heic"
        )
    if isinstance(quality, bool) or not isinstance(quality, int) or not 1 <= quality <= 100:
        raise ConfigError(f"quality must be an integer from 1 to 100, got {quality!r}")
    return quality


def _output_pixels(image: Image, fmt: WriteFormat, depth: int) -> np.ndarray:
    """uint8/uint16 ``(H, W, C)`` pixels in the channel layout the format stores."""
    pixels = image.pixels
    if pixels.shape[1] == 0 or pixels.shape[2] == 0:
        raise InputError(f"cannot write an empty image (shape {pixels.shape})")
    if not np.isfinite(pixels).all():
        raise InputError(
            "cannot write an image with NaN or infinite pixels: check the processing that made it"
        )
    if image.has_alpha and not fmt.alpha:
        warnings.warn(
            f"{fmt.name.upper()} has no alpha channel: the image is composited over white", stacklevel=4
        )
        alpha = np.clip(image.alpha, 0.0, 1.0)
        pixels = image.color * alpha + (1.0 - alpha)
    if pixels.shape[0] in (1, 2) and not fmt.gray:
        pixels = np.concatenate([np.repeat(pixels[:1], 3, axis=0), pixels[1:]])
    return np.moveaxis(to_uint(pixels, depth), 0, -1)


def _icc_fits(icc: bytes | None, channels: int) -> bool:
    if not icc or len(icc) < 20:
        return False
    space = icc[16:20]
    return space == (b"GRAY" if channels <= 2 else b"RGB ")


# --- encoders: (H, W, C) uint pixels + metadata -> bytes ---------------------------------------------


def _png(array, *, quality, exif, icc, dpi, text) -> bytes:
    return encode_png(array, icc_profile=icc, dpi=dpi, exif=exif, text=text)


def _tiff(array, *, quality, exif, icc, dpi, text) -> bytes:
    return encode_tiff(array, icc_profile=icc, dpi=dpi, exif=exif, xmp=xmp_packet(text) if text else None)


def _with_pillow(pil_format: str, array: np.ndarray, **options: object) -> bytes:
    import io

    im = PILImage.fromarray(array[..., 0] if array.shape[2] == 1 else array)
    buffer = io.BytesIO()
    im.save(buffer, format=pil_format, **{k: v for k, v in options.items() if v is not None})
    return buffer.getvalue()


def _jpeg(array, *, quality, exif, icc, dpi, text) -> bytes:
    return _with_pillow(
        "JPEG",
        array,
        quality=quality,
        # 4:4:4 chroma at high quality: restored colour detail is the point of the output
        subsampling=0 if quality >= 90 else 2,
        optimize=True,
        exif=exif,
        icc_profile=icc,
        dpi=dpi,
        xmp=xmp_packet(text) if text else None,
    )


def _webp(array, *, quality, exif, icc, dpi, text) -> bytes:
    return _with_pillow(
        "WEBP",
        array,
        quality=quality,
        lossless=False,
        # the WebP container stores EXIF without the JPEG APP1 prefix
        exif=exif[len(exif_tools.EXIF_PREFIX) :] if exif else None,
        icc_profile=icc,
        xmp=xmp_packet(text) if text else None,
    )


def _avif(array, *, quality, exif, icc, dpi, text) -> bytes:
    from PIL import features

    if not features.check("avif"):
        raise ConfigError("AVIF output needs Pillow built with libavif: write webp or jpeg instead")
    return _with_pillow(
        "AVIF", array, quality=quality, exif=exif, icc_profile=icc, xmp=xmp_packet(text) if text else None
    )


def _heic(array, *, quality, exif, icc, dpi, text) -> bytes:
    if not register_heif():
        raise ConfigError(
            "HEIC output needs pillow-heif, a dependency of vivid-restore: "
            "reinstall vivid-restore or pip install pillow-heif"
        )
    return _with_pillow(
        "HEIF", array, quality=quality, exif=exif, icc_profile=icc, xmp=xmp_packet(text) if text else None
    )


def _bmp(array, *, quality, exif, icc, dpi, text) -> bytes:
    return _with_pillow("BMP", array, dpi=dpi)


_ENCODERS = {
    "png": _png,
    "tiff": _tiff,
    "jpeg": _jpeg,
    "webp": _webp,
    "avif": _avif,
    "heic": _heic,
    "bmp": _bmp,
}


# --- files ----------------------------------------------------------------------------------------------


def _check_destination(out: Path, source: Path | None, *, overwrite: bool) -> None:
    if out.is_dir():
        raise OutputError(f"cannot write {out}: it is a folder; give a file name such as {out / 'image.png'}")
    if overwrite or not (out.exists() or out.is_symlink()):
        return
    if source is not None and _same_file(out, Path(source)):
        raise OutputError(
            f"cannot write {out}: it would overwrite the input image {source}; choose another output "
            "path, or pass overwrite=True if replacing the original is intended"
        )
    raise OutputError(f"cannot write {out}: the file exists; pass overwrite=True to replace it")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


def _write_atomically(out: Path, data: bytes, *, overwrite: bool) -> None:
    with _atomic_file(out, overwrite=overwrite) as f:
        f.write(data)


@contextmanager
def _atomic_file(out: Path, *, overwrite: bool) -> Iterator[BinaryIO]:
    """A new temporary file next to ``out``, moved into place when the block ends without an error
    (and removed when it does not)."""
    folder = out.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"cannot create the output folder {folder}: {e.strerror or e}") from None
    temp = folder / f".{out.name}.{secrets.token_hex(4)}.part"
    try:
        # O_EXCL: never write through a planted file or link; mode 0o666 lets the umask decide
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    except OSError as e:
        raise OutputError(
            f"cannot write {out}: the folder {folder} is not writable ({e.strerror or e})"
        ) from None
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        _move_into_place(temp, out, overwrite=overwrite)
    except BaseException as e:
        temp.unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise OutputError(f"cannot write {out}: {e.strerror or e}") from e
        raise


def _move_into_place(temp: Path, out: Path, *, overwrite: bool) -> None:
    if overwrite:
        os.replace(temp, out)
        return
    try:
        os.link(temp, out)  # fails if ``out`` appeared meanwhile, unlike a rename
    except FileExistsError:
        raise OutputError(f"cannot write {out}: the file exists; pass overwrite=True to replace it") from None
    except OSError:
        # file systems without hard links: the check before encoding has to do
        if out.exists():
            raise OutputError(
                f"cannot write {out}: the file exists; pass overwrite=True to replace it"
            ) from None
        os.replace(temp, out)
    else:
        temp.unlink()
