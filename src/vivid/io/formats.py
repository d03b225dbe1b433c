"""Which file formats vivid reads and writes, and what each one can store."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from vivid.errors import ConfigError

#: file name suffixes (lower case) that :func:`vivid.io.read.read_image` opens
SUPPORTED_READ_SUFFIXES: frozenset[str] = frozenset(
    {
        ".png",
        ".jpg",
        ".jpeg",
        ".jpe",
        ".jfif",
        ".webp",
        ".tif",
        ".tiff",
        ".bmp",
        ".dib",
        ".heic",
        ".heif",
        ".hif",
        ".avif",
    }
)


@dataclass(frozen=True)
class WriteFormat:
    """An output format and what it can hold."""

    name: str
    suffixes: tuple[str, ...]
    bit_depths: tuple[int, ...] = (8,)
    lossy: bool = False
    alpha: bool = True
    #: stores one gray channel (otherwise gray is written as RGB)
    gray: bool = True
    exif: bool = True
    icc: bool = True
    dpi: bool = True
    text: bool = True
    default_quality: int | None = None


WRITE_FORMATS: dict[str, WriteFormat] = {
    f.name: f
    for f in (
        WriteFormat("png", (".png",), bit_depths=(8, 16)),
        WriteFormat("tiff", (".tif", ".tiff"), bit_depths=(8, 16)),
        WriteFormat("jpeg", (".jpg", ".jpeg", ".jpe", ".jfif"), lossy=True, alpha=False, default_quality=95),
        WriteFormat("webp", (".webp",), lossy=True, gray=False, dpi=False, default_quality=95),
        WriteFormat("avif", (".avif",), lossy=True, gray=False, dpi=False, default_quality=90),
        WriteFormat(
            "heic", (".heic", ".heif", ".hif"), lossy=True, gray=False, dpi=False, default_quality=90
        ),
        WriteFormat("bmp", (".bmp", ".dib"), alpha=False, exif=False, icc=False, text=False),
    )
}

#: names accepted by ``write_image(format=...)`` and ``encode_image(format=...)``
SUPPORTED_WRITE_FORMATS: tuple[str, ...] = tuple(WRITE_FORMATS)

_ALIASES = {"jpg": "jpeg", "tif": "tiff", "heif": "heic"}


def is_image_path(path: str | Path) -> bool:
    """True for a file name vivid can read, judged by its suffix alone (nothing is opened).

    Hidden names (starting with ``.``, e.g. the ``._IMG_0001.JPG`` files macOS leaves on shared
    drives) are not images.
    """
    p = Path(path)
    return not p.name.startswith(".") and p.suffix.lower() in SUPPORTED_READ_SUFFIXES


def write_format(format: str | None, path: Path | None = None) -> WriteFormat:
    """The output format named by ``format``, or else by the suffix of ``path``."""
    if format is not None:
        key = str(format).lower().lstrip(".")
        key = _ALIASES.get(key, key)
        if key not in WRITE_FORMATS:
            raise ConfigError(
                f"unsupported output format {format!r}: use one of {', '.join(SUPPORTED_WRITE_FORMATS)}"
            )
        return WRITE_FORMATS[key]
    suffix = path.suffix.lower() if path is not None else ""
    for f in WRITE_FORMATS.values():
        if suffix in f.suffixes:
            return f
    shown = f"suffix {suffix!r}" if suffix else "no suffix"
    raise ConfigError(
        f"cannot tell the output format of {path} from its {shown}: use a suffix such as .png, .jpg, "
        f".webp, .tif, .avif, .heic or .bmp, or pass format= (one of {', '.join(SUPPORTED_WRITE_FORMATS)})"
    )


@cache
def register_heif() -> bool:
    """Register pillow-heif's HEIC opener with Pillow (once); False when pillow-heif is not installed."""
    try:
        import pillow_heif
    except ImportError:
        return False
    pillow_heif.register_heif_opener()
    return True
