"""``vivid data prepare``: make a training folder from a folder of photos (what the seeds did by hand).

Seed 003 resized every image to 112x112 and added four crops per image; seed 004 cut patches from T91.
Generic here: optional downscaling by several factors, then either a resize to a fixed size, a centre crop,
a grid of patches or N seeded random crops, optionally with flipped copies. Inputs are never modified;
outputs are PNG, written atomically, named after the source and the crop.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vivid.errors import ConfigError, InputError
from vivid.io.formats import is_image_path
from vivid.io.image import Image
from vivid.ops.resize import imresize

MODES = ("resize", "center", "grid", "random")


@dataclass(frozen=True)
class PrepareOptions:
    size: int
    mode: str = "random"
    crops_per_image: int = 4
    scales: tuple[float, ...] = (1.0,)
    flip: bool = False
    seed: int = 0

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ConfigError(f"unknown mode {self.mode!r}: use one of {', '.join(MODES)}")
        if self.size < 8:
            raise ConfigError(f"size must be at least 8 pixels, got {self.size}")
        if self.crops_per_image < 1:
            raise ConfigError(f"crops per image must be >= 1, got {self.crops_per_image}")
        if any(not 0 < s <= 1 for s in self.scales):
            raise ConfigError(f"scales must be in (0, 1], got {self.scales}")


def _pieces(img: np.ndarray, o: PrepareOptions, rng: np.random.Generator) -> list[tuple[str, np.ndarray]]:
    _, h, w = img.shape
    s = o.size
    if o.mode == "resize":
        return [("", np.clip(imresize(img, size=(s, s)), 0, 1))]
    if h < s or w < s:
        return []
    if o.mode == "center":
        y, x = (h - s) // 2, (w - s) // 2
        return [("", img[:, y : y + s, x : x + s])]
    if o.mode == "grid":
        return [(f"_{y}_{x}", img[:, y : y + s, x : x + s]) for y in range(0, h - s + 1, s) for x in range(0, w - s + 1, s)]
    out = []
    for k in range(o.crops_per_image):
        y, x = int(rng.integers(0, h - s + 1)), int(rng.integers(0, w - s + 1))
        out.append((f"_r{k}", img[:, y : y + s, x : x + s]))
    return out


def prepare_folder(src: str | Path, dst: str | Path, options: PrepareOptions) -> int:
    """Write the prepared images of ``src`` (recursively) into ``dst``; returns how many were written."""
    from vivid.io.read import read_image
    from vivid.io.write import write_image

    src, dst = Path(src), Path(dst)
    if not src.is_dir():
        raise InputError(f"source folder {src} does not exist")
    files = sorted(f for f in src.rglob("*") if f.is_file() and is_image_path(f))
    if not files:
        raise InputError(f"source folder {src} holds no images")
    if dst.resolve() == src.resolve() or src.resolve() in dst.resolve().parents:
        raise ConfigError(f"output folder {dst} must not be inside the source folder {src}")
    rng = np.random.default_rng(options.seed)
    n = 0
    for f in files:
        img = read_image(f)
        color = img.rgb()
        for scale in options.scales:
            scaled = color if scale == 1.0 else np.clip(imresize(color, scale), 0, 1).astype(np.float32)
            for tag, piece in _pieces(scaled, options, rng):
                variants = [("", piece)] + ([("_flip", piece[:, :, ::-1])] if options.flip else [])
                for vtag, p in variants:
                    stem = f"{f.stem}{'' if scale == 1.0 else f'_s{scale:g}'}{tag}{vtag}"
                    out = dst / f.parent.relative_to(src) / f"{stem}.png"
                    write_image(Image(np.ascontiguousarray(p, dtype=np.float32)), out, overwrite=True, strip_metadata=True)
                    n += 1
    return n
