"""Benchmark datasets: names to folders, image listing, and pairing, all checked before any work.

A dataset is named (``Set5``, ``LOL``, ...: :data:`KNOWN`, resolved under :func:`data_root`) or is any
folder of images ("my own images": degraded synthetically by the task's protocol). A folder holding
``low/`` + ``high/`` or ``input/`` + ``expertC/`` (or ``target/``, ``gt/``) is a paired set.

Resolution reads file headers only (size, channels); pixels are read later, image by image.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from vivid.errors import ConfigError, InputError
from vivid.io.formats import is_image_path

#: environment variable naming the folder that holds the named datasets
DATA_ROOT_ENV = "VIVID_DATA_ROOT"

#: how a dataset's images are used: ``clean`` ground truth to degrade synthetically, ``paired`` real
#: degraded inputs with ground truth, ``noref`` real degraded inputs without ground truth
Mode = Literal["clean", "paired", "noref"]


@dataclass(frozen=True)
class DatasetSpec:
    """A named dataset: where it lives under the data root and how it is used.

    ``path`` is the folder of clean images, or for a paired set the folder holding ``source_dir``
    (degraded) and ``target_dir`` (ground truth). ``native_task`` is the task a paired or no-reference
    set is made for; any other task uses the set's clean images (the targets) and degrades them.
    """

    name: str
    path: str
    native_task: str | None = None
    source_dir: str | None = None
    target_dir: str | None = None
    noref: bool = False
    gray: bool = False


KNOWN: dict[str, DatasetSpec] = {
    s.name.lower(): s
    for s in (
        DatasetSpec("Set5", "sr/Set5/HR"),
        DatasetSpec("Set14", "sr/Set14/HR"),
        DatasetSpec("BSD100", "sr/BSD100/HR"),
        DatasetSpec("CBSD68", "denoise/CBSD68/GT"),
        DatasetSpec("BSD68", "denoise/BSD68/GT", gray=True),
        DatasetSpec("Set12", "denoise/Set12/GT", gray=True),
        DatasetSpec("McMaster", "denoise/McMaster/GT"),
        DatasetSpec(
            "LOL", "lowlight/LOL/eval15", native_task="lowlight", source_dir="low", target_dir="high"
        ),
        DatasetSpec("FiveK", "color/FiveK", native_task="color", source_dir="input", target_dir="expertC"),
        DatasetSpec(
            "FiveK_DPE",
            "color/FiveK_DPE_DeepLPF",
            native_task="color",
            source_dir="input",
            target_dir="expertC",
        ),
        DatasetSpec("DICM", "lowlight/DICM/low", native_task="lowlight", noref=True),
    )
}
ALIASES = {"b100": "bsd100", "bsds100": "bsd100", "set18": "mcmaster", "lol-v1": "lol", "lolv1": "lol"}

#: sub-folder pairs recognised in a user's folder: (degraded, ground truth); tasks that use them paired
PAIR_LAYOUTS = (("low", "high"), ("input", "expertC"), ("input", "target"), ("input", "gt"), ("input", "GT"))
PAIRED_TASKS = ("lowlight", "color")


@dataclass(frozen=True)
class DatasetItem:
    """One image (or pair) of a dataset. ``target`` is the ground truth (None for no-reference sets);
    ``source`` the real degraded input (None when the protocol synthesises it)."""

    name: str
    target: Path | None
    source: Path | None
    height: int
    width: int
    channels: int


@dataclass(frozen=True)
class Dataset:
    """A resolved, checked dataset: its items in file-name order."""

    name: str
    root: Path
    mode: Mode
    items: tuple[DatasetItem, ...]

    @property
    def gray(self) -> bool:
        return all(i.channels in (1, 2) for i in self.items)


def repo_root() -> Path:
    """The checkout holding ``src/vivid`` (for the default data root next to it)."""
    return Path(__file__).resolve().parents[3]


def data_root(explicit: Path | None = None) -> Path | None:
    """Where named datasets live: ``explicit``, else ``$VIVID_DATA_ROOT``, else ``<repo>/../shared/datasets``
    when that exists; None when none is set or found."""
    if explicit is not None:
        return explicit
    env = os.environ.get(DATA_ROOT_ENV)
    if env:
        return Path(env)
    default = repo_root().parent / "shared" / "datasets"
    return default if default.is_dir() else None


def _header(path: Path) -> tuple[int, int, int]:
    """``(height, width, channels)`` from the file header (no pixel decoding)."""
    from PIL import Image as PILImage
    from PIL import UnidentifiedImageError

    try:
        with PILImage.open(path) as im:
            w, h = im.size
            mode = im.mode
            if mode == "P":
                channels = 4 if "transparency" in im.info else 3
            else:
                channels = len(im.getbands())
    except (OSError, UnidentifiedImageError) as e:
        raise InputError(
            f"{path} is not a readable image ({type(e).__name__}: {e}): remove or replace it"
        ) from None
    return h, w, min(channels, 4)


def list_images(folder: Path) -> list[Path]:
    """Image files directly in ``folder`` (what :mod:`vivid.io` reads), sorted by name; an error when there
    are none or when two share a name."""
    if not folder.is_dir():
        raise InputError(f"dataset folder {folder} does not exist or is not a folder: check the path")
    files = sorted(p for p in folder.iterdir() if p.is_file() and is_image_path(p))
    if not files:
        raise InputError(
            f"dataset folder {folder} holds no images: point --data at a folder of images "
            "(png, jpeg, webp, tiff, bmp, ...)"
        )
    stems: dict[str, Path] = {}
    for p in files:
        if p.stem in stems:
            raise InputError(
                f"dataset folder {folder} has two images named {p.stem!r} ({stems[p.stem].name}, {p.name}): "
                "keep one"
            )
        stems[p.stem] = p
    return files


def _pair(name: str, sources: list[Path], targets: list[Path]) -> list[tuple[str, Path, Path]]:
    src = {p.stem: p for p in sources}
    tgt = {p.stem: p for p in targets}
    only_src = sorted(set(src) - set(tgt))
    only_tgt = sorted(set(tgt) - set(src))
    if only_src or only_tgt:
        parts = []
        if only_src:
            parts.append(
                f"inputs without ground truth: {', '.join(only_src[:5])}{' ...' if len(only_src) > 5 else ''}"
            )
        if only_tgt:
            parts.append(
                f"ground truth without input: {', '.join(only_tgt[:5])}{' ...' if len(only_tgt) > 5 else ''}"
            )
        raise InputError(
            f"dataset {name!r} has unmatched pairs ({'; '.join(parts)}): "
            "paired images must have the same file name (any image suffix) on both sides"
        )
    return [(stem, src[stem], tgt[stem]) for stem in sorted(src)]


def _paired_items(name: str, source_dir: Path, target_dir: Path) -> tuple[DatasetItem, ...]:
    items = []
    for stem, s, t in _pair(name, list_images(source_dir), list_images(target_dir)):
        hs, ws, cs = _header(s)
        ht, wt, ct = _header(t)
        if (hs, ws) != (ht, wt):
            raise InputError(
                f"dataset {name!r}: pair {stem!r} differs in size: input {s.name} is {ws}x{hs}, "
                f"ground truth {t.name} is {wt}x{ht}; paired images must be aligned and the same size"
            )
        items.append(DatasetItem(stem, t, s, ht, wt, ct))
    return tuple(items)


def _clean_items(folder: Path, *, as_source: bool = False) -> tuple[DatasetItem, ...]:
    items = []
    for p in list_images(folder):
        h, w, c = _header(p)
        items.append(DatasetItem(p.stem, None if as_source else p, p if as_source else None, h, w, c))
    return tuple(items)


def _user_layout(folder: Path) -> tuple[str, str] | None:
    for src, tgt in PAIR_LAYOUTS:
        if (folder / src).is_dir() and (folder / tgt).is_dir():
            return src, tgt
    return None


def resolve_dataset(spec: str, *, task: str, root: Path | None = None, limit: int | None = None) -> Dataset:
    """Resolve ``spec`` (a known name or a folder) for ``task``; check every file and pair.

    Args:
        spec: ``Set5``, ``LOL``, ... (case-insensitive, see :data:`KNOWN`) or a folder path.
        task: the benchmark task; paired and no-reference sets are used as such only for their own task.
        root: the data root for named sets (default :func:`data_root`).
        limit: keep the first ``limit`` items (in file-name order) after checking all of them.

    Raises:
        InputError: missing or empty folder, unreadable image, unmatched or differently sized pairs.
        ConfigError: an unknown name that is not a folder either, or no data root for a named set.
    """
    if limit is not None and limit < 1:
        raise ConfigError(f"--limit must be at least 1, got {limit}")
    key = ALIASES.get(spec.lower(), spec.lower())
    known = KNOWN.get(key)
    if known is None:
        folder = Path(spec).expanduser()
        if not folder.exists():
            import difflib

            close = difflib.get_close_matches(spec, [s.name for s in KNOWN.values()], n=3, cutoff=0.5)
            hint = f"did you mean {', '.join(close)}? " if close else ""
            raise ConfigError(
                f"unknown dataset {spec!r}: {hint}use one of {', '.join(s.name for s in KNOWN.values())} "
                "or a folder of images"
            )
        layout = _user_layout(folder) if folder.is_dir() else None
        name = folder.resolve().name or str(folder)
        if layout is not None:
            src, tgt = layout
            if task in PAIRED_TASKS:
                ds = Dataset(name, folder, "paired", _paired_items(name, folder / src, folder / tgt))
            else:
                ds = Dataset(name, folder, "clean", _clean_items(folder / tgt))
        else:
            ds = Dataset(name, folder, "clean", _clean_items(folder))
    else:
        base = data_root(root)
        if base is None:
            raise ConfigError(
                f"dataset {known.name!r} needs the data root: set {DATA_ROOT_ENV} to the folder holding "
                f"{known.path} (or pass --data-root), or pass a folder path instead of the name"
            )
        folder = base / known.path
        if not folder.is_dir():
            raise InputError(f"dataset {known.name!r} is not at {folder}: check {DATA_ROOT_ENV} (now {base})")
        native = known.native_task == task
        if known.source_dir and known.target_dir:
            if native:
                ds = Dataset(
                    known.name,
                    folder,
                    "paired",
                    _paired_items(known.name, folder / known.source_dir, folder / known.target_dir),
                )
            else:
                ds = Dataset(known.name, folder, "clean", _clean_items(folder / known.target_dir))
        elif known.noref and native:
            ds = Dataset(known.name, folder, "noref", _clean_items(folder, as_source=True))
        else:
            ds = Dataset(known.name, folder, "clean", _clean_items(folder))
    if limit is not None:
        ds = Dataset(ds.name, ds.root, ds.mode, ds.items[:limit])
    return ds
