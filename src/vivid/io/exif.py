"""EXIF helpers: orientation on read, and which EXIF travels between formats.

vivid keeps EXIF as bytes in the JPEG APP1 form (``Exif\\0\\0`` + a TIFF structure). Pixels inside
vivid are always upright, so the orientation tag is reset to 1 whenever EXIF is read or written.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

import numpy as np
from PIL import Image as PILImage

EXIF_PREFIX = b"Exif\x00\x00"
ORIENTATION = 0x0112
_EXIF_IFD, _GPS_IFD, _INTEROP_IFD = 0x8769, 0x8825, 0xA005

#: IFD0 tags that describe the photograph rather than the file's layout; a TIFF's other tags
#: (strips, compression, resolution, ...) belong to that file and are not carried as EXIF
DESCRIPTIVE_IFD0_TAGS = frozenset(
    {
        0x010E,  # ImageDescription
        0x010F,  # Make
        0x0110,  # Model
        ORIENTATION,
        0x0131,  # Software
        0x0132,  # DateTime
        0x013B,  # Artist
        0x8298,  # Copyright
        0x9C9B,
        0x9C9C,
        0x9C9D,
        0x9C9E,
        0x9C9F,  # Windows XPTitle .. XPSubject
    }
)

# orientation value -> transform of an (H, W, ...) array, as PIL.ImageOps.exif_transpose does it
_UPRIGHT: dict[int, Callable[[np.ndarray], np.ndarray]] = {
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1],
    5: lambda a: a.swapaxes(0, 1),
    6: lambda a: np.rot90(a, -1),
    7: lambda a: a[::-1, ::-1].swapaxes(0, 1),
    8: lambda a: np.rot90(a, 1),
}


def upright(array: np.ndarray, orientation: int | None) -> np.ndarray:
    """Turn an ``(H, W, ...)`` array stored with EXIF ``orientation`` (1..8) upright."""
    transform = _UPRIGHT.get(orientation or 1)
    return np.ascontiguousarray(transform(array)) if transform else array


def normalize(exif: bytes | None) -> bytes | None:
    """EXIF in the ``Exif\\0\\0`` + TIFF form, or None when there is none or it is not TIFF-structured."""
    if not exif:
        return None
    body = exif[len(EXIF_PREFIX) :] if exif.startswith(EXIF_PREFIX) else exif
    if body[:4] not in (b"II*\x00", b"MM\x00*"):
        return None
    return EXIF_PREFIX + body


def reset_orientation(exif: bytes) -> bytes:
    """EXIF with its orientation tag set to 1 (upright); other bytes are left exactly as they were.

    The tag is patched in place so that maker notes and other offset-sensitive blocks survive; only a
    malformed orientation entry makes us re-serialise through Pillow.
    """
    body = exif[len(EXIF_PREFIX) :]
    order = "<" if body[:2] == b"II" else ">"
    try:
        (ifd0,) = struct.unpack_from(order + "I", body, 4)
        (count,) = struct.unpack_from(order + "H", body, ifd0)
        for entry in range(ifd0 + 2, ifd0 + 2 + 12 * count, 12):
            tag, kind, n = struct.unpack_from(order + "HHI", body, entry)
            if tag != ORIENTATION:
                continue
            if kind == 3 and n == 1:  # SHORT, one value, stored inline
                patched = bytearray(body)
                struct.pack_into(order + "H", patched, entry + 8, 1)
                return EXIF_PREFIX + bytes(patched)
            break
        else:
            return exif  # no orientation tag
    except struct.error:
        return exif  # unreadable structure: nothing we can safely patch
    parsed = PILImage.Exif()
    parsed.load(exif)
    parsed[ORIENTATION] = 1
    return parsed.tobytes()


def from_tiff_directory(exif: PILImage.Exif) -> bytes | None:
    """EXIF bytes holding the descriptive tags and EXIF/GPS sub-directories of a TIFF's first IFD.

    ``exif`` is ``im.getexif()`` of an open TIFF (its sub-directories are read from the file).
    """
    out = PILImage.Exif()
    for tag, value in exif.items():
        if tag in DESCRIPTIVE_IFD0_TAGS:
            out[tag] = 1 if tag == ORIENTATION else value
    for pointer in (_EXIF_IFD, _GPS_IFD):
        if pointer in exif:
            sub = _without_pointers(exif.get_ifd(pointer))
            if sub:
                out[pointer] = sub
    return out.tobytes() if len(out) else None


def exif_tags_for_tiff(exif: bytes) -> dict[int, object]:
    """The tags of EXIF bytes that belong in a TIFF's first IFD (sub-directories as dicts)."""
    parsed = PILImage.Exif()
    parsed.load(exif)
    tags: dict[int, object] = {
        tag: (1 if tag == ORIENTATION else value)
        for tag, value in parsed.items()
        if tag in DESCRIPTIVE_IFD0_TAGS
    }
    for pointer in (_EXIF_IFD, _GPS_IFD):
        if pointer in parsed:
            sub = _without_pointers(parsed.get_ifd(pointer))
            if sub:
                tags[pointer] = sub
    return tags


def _without_pointers(ifd: dict[int, object]) -> dict[int, object]:
    # the interoperability pointer is an offset into the old file; it would point at garbage
    return {tag: value for tag, value in ifd.items() if tag != _INTEROP_IFD}
