"""Resolve CLI inputs (files, folders) and ``-o`` to (input, output) pairs, before any work starts.

Rules (the README's "Use it" section states them for users):

- ``-o NAME.EXT`` with an extension vivid writes (``.png``, ``.jpg``, ...) is one output file. It takes
  exactly one input file; a folder or several inputs are an error, never a folder silently named
  ``NAME.EXT``. With ``--format``, the extension must name the same format (``-o x.png --format
  jpeg`` is refused: the written name is always the name given).
- ``-o NAME.EXT`` with any other extension (``.gif``, a typo such as ``.jgp``) is an error, unless
  ``NAME.EXT`` is an existing folder.
- Otherwise ``-o`` is a folder (created when missing). One folder input is mirrored by its
  *contents*: ``photos/a.png`` and ``photos/sub/b.png`` go to ``OUT/a.png`` and ``OUT/sub/b.png``.
  With several inputs, each file goes to ``OUT/<name>`` and each folder to ``OUT/<folder name>/...``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from vivid.errors import ConfigError, InputError, OutputError
from vivid.io.formats import WRITE_FORMATS, is_image_path, write_format

#: every output extension vivid writes, lower case
WRITE_SUFFIXES: frozenset[str] = frozenset(s for f in WRITE_FORMATS.values() for s in f.suffixes)


@dataclass(frozen=True)
class Job:
    src: Path
    dst: Path


def same_file(a: Path, b: Path) -> bool:
    """``a`` and ``b`` are the same file (also through links or ``./``), judged before writing."""
    if a.resolve() == b.resolve():
        return True
    return a.exists() and b.exists() and os.path.samefile(a, b)


def check_not_input(src: Path, dst: Path) -> None:
    """Refuse an output that is its own input (exit code 2 in every command)."""
    if same_file(src, dst):
        raise ConfigError(f"output {dst} is the input itself: choose another output name or folder")


def out_suffix(src: Path, fmt: str | None) -> str:
    """The output file's suffix: the ``--format``'s, else the input's when vivid writes it, else PNG's."""
    if fmt is not None:
        return write_format(fmt).suffixes[0]
    suffix = src.suffix.lower()
    return suffix if suffix in WRITE_SUFFIXES else ".png"


def _check_file_output(output: Path, inputs: list[Path], fmt: str | None) -> None:
    suffix = output.suffix.lower()
    if suffix not in WRITE_SUFFIXES:
        # a typo swaps letters (.jgp, .pgn): suggest only the suffix with the same letters
        close = [s for s in sorted(WRITE_SUFFIXES) if sorted(s) == sorted(suffix)]
        hint = f"did you mean {output.with_suffix(close[0]).name}? " if close else ""
        raise ConfigError(
            f"output {output}: vivid does not write {output.suffix} files; {hint}use .png, .jpg, .webp, .tif, "
            f".avif or .bmp, or a folder name without an extension"
        )
    if len(inputs) > 1 or inputs[0].is_dir():
        what = f"the folder {inputs[0]}" if len(inputs) == 1 else f"{len(inputs)} inputs"
        raise ConfigError(f"-o {output} names one file, but {what} can give several images: "
                          f"give -o a folder (a name without an extension)")
    if fmt is not None and write_format(fmt).name != write_format(None, output).name:
        raise ConfigError(
            f"-o {output} is a {write_format(None, output).name.upper()} name but --format asks for "
            f"{write_format(fmt).name.upper()}: name the output {output.with_suffix(out_suffix(output, fmt)).name}"
            f" or leave out --format"
        )


def plan_jobs(inputs: list[Path], output: Path, *, fmt: str | None, recursive: bool = True) -> list[Job]:
    """Map inputs to outputs by the rules in this module's docstring; every problem is raised here,
    before anything is read or written."""
    if not inputs:
        raise ConfigError("no input given: pass image files or folders")
    for p in inputs:
        if not p.exists():
            raise InputError(f"input {p} does not exist")
    if fmt is not None:
        write_format(fmt)  # an unknown --format is an error even when every output would be skipped
    for parent in output.parents:  # the first existing folder above the output must be a folder
        if parent.exists():
            if not parent.is_dir():
                raise OutputError(f"cannot write into {parent}: it is a file, not a folder")
            break
    if output.suffix and not output.is_dir():
        _check_file_output(output, inputs, fmt)
        jobs = [Job(inputs[0], output)]
    else:
        if output.exists() and not output.is_dir():
            raise OutputError(f"output folder {output} is a file: give a folder, or a file name for one input")
        jobs = _folder_jobs(inputs, output, fmt=fmt, recursive=recursive)
    seen: dict[Path, Path] = {}
    for j in jobs:
        check_not_input(j.src, j.dst)
        key = j.dst.resolve()
        if key in seen:
            fix = "rename one" if fmt else "rename one or pick one output format with --format"
            raise ConfigError(f"{j.src} and {seen[key]} would both be written to {j.dst}: {fix}")
        seen[key] = j.src
    return jobs


def image_files(folder: Path, *, recursive: bool) -> list[Path]:
    """The images in ``folder`` (by suffix; hidden files left out), sorted."""
    pattern = folder.rglob("*") if recursive else folder.glob("*")
    return sorted(f for f in pattern if f.is_file() and is_image_path(f))


def _folder_jobs(inputs: list[Path], output: Path, *, fmt: str | None, recursive: bool) -> list[Job]:
    jobs: list[Job] = []
    for p in inputs:
        if p.is_file():
            jobs.append(Job(p, output / (p.stem + out_suffix(p, fmt))))
            continue
        # one folder: its contents; several inputs: each folder under its own name (no collisions)
        base = output if len(inputs) == 1 else output / p.resolve().name
        for f in image_files(p, recursive=recursive):
            rel = f.relative_to(p)
            jobs.append(Job(f, base / rel.parent / (f.stem + out_suffix(f, fmt))))
    if not jobs:
        raise InputError(f"no images found in {', '.join(str(p) for p in inputs)}")
    return jobs
