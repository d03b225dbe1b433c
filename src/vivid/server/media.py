"""What an upload is (sniffed from its bytes, never from its name), decoding, encoding and thumbnails."""

from __future__ import annotations

import logging
import re
import unicodedata

import numpy as np

from vivid.errors import InputError, VividError
from vivid.io.image import Image, from_array
from vivid.ops.resize import resize_planes
from vivid.server.errors import UnsupportedMediaError

log = logging.getLogger("vivid.server")

#: output formats the API offers → (media type, file extension)
OUTPUT_FORMATS: dict[str, tuple[str, str]] = {
    "png": ("image/png", "png"),
    "jpeg": ("image/jpeg", "jpg"),
    "webp": ("image/webp", "webp"),
    "tiff": ("image/tiff", "tif"),
}

_FTYP_IMAGE = {**{b: "heic" for b in (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1",
                                       b"mif2")}, b"avif": "avif", b"avis": "avif"}
_FTYP_VIDEO = {b"qt  ": "mov"}


def sniff(data: bytes) -> tuple[str, str]:
    """``(media, format)`` of an upload from its first bytes: ``("image", "png")``, ``("video", "mp4")``...

    Raises :class:`UnsupportedMediaError` (415) for anything else.
    """
    head = data[:32]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image", "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image", "jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image", "webp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image", "tiff"
    if head[:2] == b"BM" and len(data) > 26:
        return "image", "bmp"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _FTYP_IMAGE:
            return "image", _FTYP_IMAGE[brand]
        return "video", _FTYP_VIDEO.get(brand, "mp4")
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "video", "webm" if b"webm" in data[:64] else "mkv"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "video", "avi"
    raise UnsupportedMediaError(
        "the file is not an image or video vivid reads: send PNG, JPEG, WebP, TIFF, BMP, HEIC or AVIF "
        "(or MP4/MOV/WebM/MKV/AVI video to POST /v1/jobs)")


def decode_image(data: bytes, *, name: str, max_pixels: int) -> Image:
    """Decode uploaded bytes; undecodable content is a 422 naming the file, never a 500."""
    from vivid.io.read import read_image_bytes

    try:
        return read_image_bytes(data, name=name, max_pixels=max_pixels)
    except VividError:
        raise
    except Exception as e:  # noqa: BLE001 - a codec's own exception for a corrupt file is still bad input
        log.info("cannot decode upload %r: %s: %s", name, type(e).__name__, e)
        raise InputError(f"cannot decode {name!r}: the file is corrupt or truncated ({type(e).__name__})") from None


def encode(image: Image, *, format: str, quality: int | None, text: dict[str, str] | None = None) -> bytes:
    """Encode a result (metadata carried over from the input, provenance as text)."""
    from vivid.io.write import encode_image

    return encode_image(image, format=format, quality=quality, strip_metadata=False, text=text)


def thumbnail(image: Image, *, side: int = 256) -> bytes:
    """A small JPEG preview (alpha composited over mid-gray)."""
    from vivid.io.write import encode_image

    rgb = image.rgb()
    if image.has_alpha:
        a = image.alpha
        rgb = rgb * a + 0.5 * (1.0 - a)
    _, h, w = rgb.shape
    f = min(1.0, side / max(h, w))
    if f < 1.0:
        rgb = resize_planes(np.asarray(rgb, dtype=np.float32), (max(1, round(h * f)), max(1, round(w * f))),
                            method="area")
    small = from_array(np.clip(np.moveaxis(rgb, 0, -1), 0.0, 1.0).astype(np.float32))
    return encode_image(small, format="jpeg", quality=82, strip_metadata=True, text=None)


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def display_name(name: str | None, *, fallback: str = "upload") -> str:
    """A client's file name made safe to store and show: no folders, no control characters, ≤ 200 chars.

    Used for display and download names only; stored files always get generated names.
    """
    if not name:
        return fallback
    base = re.split(r"[\\/]", name)[-1]
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C")
    base = base.strip().strip(".")
    return base[:200] or fallback


def download_name(original: str, *, suffix: str, ext: str) -> str:
    """An ASCII download name like ``holiday_vivid.png`` derived from the (display) name."""
    stem = original.rsplit(".", 1)[0] if "." in original else original
    stem = _UNSAFE.sub("_", unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()).strip("._-")
    return f"{(stem or 'image')[:80]}{suffix}.{ext}"
