"""Resolve CLI inputs (files, folders) to (input, output) pairs with mirrored folder structure."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vivid.errors import ConfigError, InputError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp", ".heic", ".heif", ".avif"}
FORMAT_SUFFIX = {"png": ".png", "jpeg": ".jpg", "jpg": ".jpg", "webp": ".webp", "tiff": ".tif", "tif": ".tif",
                 "bmp": ".bmp", "avif": ".avif", "heic": ".heic"}


@dataclass(frozen=True)
class Job:
    src: Path
    dst: Path


def _out_suffix(src: Path, fmt: str | None) -> str:
    if fmt is None:
        return src.suffix.lower() if src.suffix.lower() in IMAGE_SUFFIXES else ".png"
    try:
        return FORMAT_SUFFIX[fmt.lower()]
    except KeyError:
        raise ConfigError(f"unknown output format {fmt!r}: use one of {', '.join(sorted(FORMAT_SUFFIX))}") from None


def plan_jobs(inputs: list[Path], output: Path, *, fmt: str | None, recursive: bool = True) -> list[Job]:
    """Map inputs to outputs.

    One input file and an output with an image suffix → that file. Otherwise ``output`` is a folder:
    files go to ``output/<name>``, a folder's images to ``output/<folder name>/<relative path>``.
    """
    if not inputs:
        raise ConfigError("no input given: pass image files or folders")
    for p in inputs:
        if not p.exists():
            raise InputError(f"input {p} does not exist")
    single_file = len(inputs) == 1 and inputs[0].is_file()
    if single_file and output.suffix.lower() in IMAGE_SUFFIXES and not output.is_dir():
        dst = output if fmt is None else output.with_suffix(_out_suffix(output, fmt))
        jobs = [Job(inputs[0], dst)]
    else:
        jobs = _folder_jobs(inputs, output, fmt=fmt, recursive=recursive)
    seen: dict[Path, Path] = {}
    for j in jobs:
        key = j.dst.resolve()
        if key == j.src.resolve():
            raise ConfigError(f"output {j.dst} is the input itself: choose another output name or folder")
        if key in seen:
            raise ConfigError(f"{j.src} and {seen[key]} would both be written to {j.dst}: rename one or use --format")
        seen[key] = j.src
    return jobs


def _folder_jobs(inputs: list[Path], output: Path, *, fmt: str | None, recursive: bool) -> list[Job]:
    jobs: list[Job] = []
    for p in inputs:
        if p.is_file():
            jobs.append(Job(p, output / (p.stem + _out_suffix(p, fmt))))
            continue
        pattern = p.rglob("*") if recursive else p.glob("*")
        files = sorted(f for f in pattern if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES)
        for f in files:
            rel = f.relative_to(p)
            jobs.append(Job(f, output / p.resolve().name / rel.parent / (f.stem + _out_suffix(f, fmt))))
    if not jobs:
        raise InputError(f"no images found in {', '.join(str(p) for p in inputs)}")
    return jobs
