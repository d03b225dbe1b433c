"""``vivid`` command line. Every command is a thin layer over library calls.

Exit codes: 0 success; 1 some files of a batch failed (the rest were written); 2 bad input or
options; 3 output problem; 4 model problem; 130 interrupted.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(
    name="vivid",
    help="Restore and enhance photos and video: super-resolution, denoising, low-light, colour, colorization.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)
# tables and JSON go to stdout; when it is not a terminal (a pipe, a file) do not squeeze them into 80 columns
out_console = Console(width=None if sys.stdout.isatty() else 200)


def _fail(message: str, code: int) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _parse_size(size: str | None) -> tuple[int, int] | None:
    """``WxH`` → (height, width)."""
    if size is None:
        return None
    from vivid.errors import ConfigError

    try:
        w, h = (int(v) for v in size.lower().split("x"))
    except ValueError:
        raise ConfigError(f"--size must look like 1920x1080 (width x height), got {size!r}") from None
    if w < 1 or h < 1 or w > 100_000 or h > 100_000:
        raise ConfigError(f"--size must be between 1x1 and 100000x100000, got {size!r}")
    return h, w


def guarded(fn):  # noqa: ANN001, ANN201
    """Turn vivid errors into one clear line and an exit code; never a traceback (unless VIVID_DEBUG)."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        from vivid.errors import VividError

        try:
            return fn(*args, **kwargs)
        except typer.Exit:
            raise
        except VividError as e:
            raise _fail(str(e), e.exit_code) from None
        except KeyboardInterrupt:
            raise _fail("interrupted; finished outputs are complete, nothing is half-written", 130) from None
        except Exception as e:  # an unexpected bug: still one line, with a way to see more
            if os.environ.get("VIVID_DEBUG"):
                raise
            raise _fail(f"internal error: {type(e).__name__}: {e} (set VIVID_DEBUG=1 for the traceback)", 70) from None

    return wrapper


@app.command()
@guarded
def enhance(
    inputs: Annotated[list[Path], typer.Argument(help="Image files or folders.", show_default=False)],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output file (one input) or folder.")],
    task: Annotated[str, typer.Option(help="sr, denoise, lowlight, color, colorize or auto.")] = "auto",
    scale: Annotated[float | None, typer.Option(help="Super-resolution factor (e.g. 2, 3, 4, 1.5).")] = None,
    size: Annotated[str | None, typer.Option(help="Super-resolution target size WxH.")] = None,
    model: Annotated[str | None, typer.Option(help="Model name (see 'vivid models').")] = None,
    model_file: Annotated[Path | None, typer.Option(help="Your own model: .pth/.safetensors, OpenCV .pb, .onnx.")] = None,
    model_family: Annotated[str | None, typer.Option(help="Family of an OpenCV .pb (fsrcnn, espcn, lapsrn).")] = None,
    allow_pickle: Annotated[bool, typer.Option(help="Allow model files that run pickled code (trusted files only).")] = False,
    strength: Annotated[float, typer.Option(min=0.0, max=1.0, help="Blend with the baseline (0..1).")] = 1.0,
    format: Annotated[str | None, typer.Option("--format", help="Output format: png, jpeg, webp, tiff, bmp, avif.")] = None,
    quality: Annotated[int | None, typer.Option(min=1, max=100, help="JPEG/WebP/AVIF quality.")] = None,
    strip_metadata: Annotated[bool, typer.Option(help="Do not carry EXIF/ICC/DPI to the output.")] = False,
    recursive: Annotated[bool, typer.Option(help="Descend into sub-folders.")] = True,
    skip_existing: Annotated[bool, typer.Option(help="Skip inputs whose output exists (resume a batch).")] = False,
    overwrite: Annotated[bool, typer.Option(help="Replace existing outputs.")] = False,
    tile: Annotated[int | None, typer.Option(min=8, help="Tile side in pixels (default: from free memory).")] = None,
    alpha: Annotated[str, typer.Option(help="Alpha channel: resample or model.")] = "resample",
    color_guard: Annotated[bool, typer.Option(help="Keep the input's low-frequency colour (SR/denoise).")] = False,
    dtype: Annotated[str, typer.Option(help="float32, or bfloat16 for vivid's torch models (faster on AVX512-BF16 CPUs).")] = "float32",
    runtime: Annotated[str, typer.Option(help="auto (ONNX Runtime where measured faster), torch or onnx.")] = "auto",
    max_pixels: Annotated[int | None, typer.Option(help="Refuse inputs with more pixels (decompression-bomb guard).")] = None,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="No progress bar.")] = False,
) -> None:
    """Enhance images (files or whole folders, mirrored into the output folder)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from vivid.cli.batch import plan_jobs
    from vivid.engine.cache import ModelCache
    from vivid.engine.stream import enhance_file
    from vivid.errors import ConfigError, OutputError, VividError

    target = _parse_size(size)
    if model and model_file:
        raise ConfigError("give either --model or --model-file, not both")
    if skip_existing and overwrite:
        raise ConfigError("--skip-existing and --overwrite contradict each other: pick one")
    model_name = f"file:{model_file}" if model_file else model
    if model_file is not None and not model_file.exists():
        from vivid.errors import InputError

        raise InputError(f"model file {model_file} does not exist")
    if model_name and task == "auto":
        raise ConfigError("--model/--model-file need an explicit --task (for example --task sr)")
    jobs = plan_jobs(list(inputs), output, fmt=format, recursive=recursive)
    cache = ModelCache(allow_pickle=allow_pickle, task_hint=None if task == "auto" else task, runtime=runtime)
    if model_name:  # load (and validate) the model before any work starts
        step_scale = int(scale) if task == "sr" and scale and float(scale).is_integer() else None
        cache.get(model_name, step_scale, family=model_family)
    read_kw = {} if max_pixels is None else {"max_pixels": max_pixels}
    failures: list[tuple[Path, str]] = []
    skipped = written = 0
    t0 = time.perf_counter()
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=console, disable=quiet or len(jobs) == 1, transient=True,
    ) as bar:
        task_id = bar.add_task("enhancing", total=len(jobs))
        for job in jobs:
            bar.update(task_id, description=job.src.name[:40])
            if job.dst.exists() and not overwrite:
                if skip_existing:
                    skipped += 1
                    bar.advance(task_id)
                    continue
                failures.append((job.src, f"output {job.dst} exists (use --overwrite or --skip-existing)"))
                bar.advance(task_id)
                continue
            try:
                # big images with one tileable model step into PNG stream with bounded memory
                result = enhance_file(
                    job.src, job.dst, task=task, model=model_name, scale=scale, size=target, strength=strength,
                    tile=tile, alpha=alpha, color_guard=color_guard, allow_pickle=allow_pickle, models=cache,
                    dtype=dtype, quality=quality, strip_metadata=strip_metadata, overwrite=overwrite, **read_kw,
                )
                written += 1
                if len(jobs) == 1 and not quiet:
                    for line in result.plan.explain():
                        console.print(f"  {line}", highlight=False)
            except (ConfigError, OutputError) as e:
                if len(jobs) == 1:
                    raise
                failures.append((job.src, str(e)))
            except VividError as e:
                if len(jobs) == 1:
                    raise
                failures.append((job.src, str(e)))
            bar.advance(task_id)
    dt = time.perf_counter() - t0
    msg = f"{written} written, {skipped} skipped, {len(failures)} failed in {dt:.1f} s → {output}"
    console.print(msg, highlight=False)
    for src, why in failures:
        console.print(f"[red]failed:[/] {src}: {why}", highlight=False, soft_wrap=True)
    if failures:
        raise typer.Exit(1)


@app.command()
@guarded
def analyze(
    image: Annotated[Path, typer.Argument(help="An image file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
) -> None:
    """Analyse an image and print the recommended plan, why, and the alternatives."""
    from vivid.engine.routing import analyze as run_analyze
    from vivid.io.read import read_image

    plan = run_analyze(read_image(image))
    if as_json:
        out_console.print_json(json.dumps(plan.to_dict()))
        return
    a = plan.analysis
    out_console.print(
        f"{image.name}: {a['width']}x{a['height']}, mean brightness {a['mean_luma'] * 255:.0f}/255, "
        f"{a['dark_share']:.0%} darker than 128, noise sigma ~{a['noise_sigma']:.1f}, "
        f"{'grayscale' if a['grayscale'] else 'colour'}, blockiness {a['blockiness']:.2f}", highlight=False)
    for line in plan.explain():
        out_console.print(f"  {line}", highlight=False)
    for s in plan.steps:
        if s.alternatives:
            out_console.print(f"  alternatives for {s.task}: {', '.join(s.alternatives)}", highlight=False)
    for n in plan.notes:
        out_console.print(f"  note: {n}", highlight=False)


@app.command()
@guarded
def models(
    task: Annotated[str | None, typer.Option(help="Only models for this task.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """List every model: task, scales, kind, speed class and licence."""
    from dataclasses import asdict

    from rich.table import Table

    from vivid.models.base import TASKS
    from vivid.models.registry import list_models

    if task is not None and task not in TASKS:
        from vivid.errors import ConfigError

        raise ConfigError(f"unknown task {task!r}: use one of {', '.join(TASKS)}")
    entries = list_models(task)
    if as_json:
        out_console.print_json(json.dumps([asdict(e) for e in entries]))
        return
    table = Table("name", "task", "scales", "kind", "speed", "licence", "what it is")
    for e in entries:
        scales = "any" if e.any_scale else ",".join(f"x{s}" for s in e.scales) if e.task == "sr" else "-"
        table.add_row(e.name, e.task, scales, e.kind, e.speed_class, e.license, e.summary)
    out_console.print(table)


@app.command()
@guarded
def train(config: Annotated[Path, typer.Argument(help="A TOML training config (see configs/).")],
          fresh: Annotated[bool, typer.Option(help="Ignore an existing checkpoint.")] = False,
          out_dir: Annotated[Path | None, typer.Option(
              help="Folder for the run folder instead of the config's [run] out_dir (e.g. ~/vivid-runs).")] = None,
          ) -> None:
    """Train a model from a config; resumes from the run's last checkpoint."""
    from dataclasses import replace

    from vivid.train.config import load_config
    from vivid.train.loop import train as run_train

    cfg = load_config(config)
    if out_dir is not None:
        cfg = replace(cfg, run=replace(cfg.run, out_dir=str(out_dir.expanduser())))
    out = run_train(cfg, resume=not fresh)
    console.print(f"done: {out}")


@app.command()
def version() -> None:
    """Print vivid's version."""
    from vivid import __version__

    out_console.print(f"vivid {__version__}")


# --- sub-command groups living in their own modules (one line each) ------------------------------
# e.g.: from vivid.cli.bench import bench_app; app.add_typer(bench_app, name="bench")
from vivid.cli.video import video; app.command(name="video")(video)  # noqa: E402, E702
from vivid.cli.serve import serve; app.command()(serve)  # noqa: E402, E702
from vivid.cli.bench import bench_app; app.add_typer(bench_app, name="bench")  # noqa: E402, E702
from vivid.cli.data import data_app; app.add_typer(data_app, name="data")  # noqa: E402, E702


def run() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover
        console.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    run()
