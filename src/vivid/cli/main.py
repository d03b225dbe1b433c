"""``vivid`` command line. Every command is a thin layer over library calls.

Exit codes, the same in every command (README "Use it" lists what falls under each): 0 success; 1 some
files of a batch failed (the rest were written); 2 bad input or options (an output that is the input
itself included); 3 output problem (an existing output without --overwrite included); 4 model problem;
130 interrupted; 70 an internal error (a bug).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from vivid import __version__
from vivid.cli.common import (  # noqa: F401 - importable from here too
    console,
    enhance_options,
    fail,
    guarded,
    model_option,
    out_console,
)
from vivid.cli.options import (
    AllowPickle,
    Dtype,
    Engine,
    Model,
    ModelFile,
    Precision,
    RayAddress,
    RayWorkers,
    Runtime,
)


class _Group(typer.core.TyperGroup):
    """The ``vivid`` command group: usage errors as one ``error:`` line (no boxes), Python warnings as
    one ``note:`` line (no source paths), in the terminal and under ``CliRunner`` alike."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):  # noqa: ANN001, ANN003, ANN201, D102
        import warnings

        errors = _click_errors()

        def note(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001, ARG001
            console.print(f"note: {message}", highlight=False, soft_wrap=True)

        shown = warnings.showwarning
        warnings.showwarning = note
        typed = list(args) if args is not None else sys.argv[1:]
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except errors.ClickException as e:
            if not standalone_mode:
                raise
            if type(e).__name__ == "NoArgsIsHelpError":
                print(e.ctx.get_help())
                sys.exit(0)
            from rich.markup import escape

            console.print(f"[bold red]error:[/] {escape(usage_message(e, typed))}", highlight=False, soft_wrap=True)
            sys.exit(e.exit_code)
        except typer.Abort:
            if not standalone_mode:
                raise
            console.print("interrupted")
            sys.exit(130)
        finally:
            warnings.showwarning = shown
        if standalone_mode:
            sys.exit(rv if isinstance(rv, int) else 0)
        return rv


def _click_errors():  # noqa: ANN202
    """The exceptions module of the click typer runs on (its own copy in recent typer releases)."""
    import importlib

    return importlib.import_module(typer.BadParameter.__module__)


def usage_message(e: Exception, typed: list[str]) -> str:
    """A click usage error in one line, in the user's terms (``--scale: 'abc' is not a number``);
    ``typed``: the command line's arguments (click does not keep the rejected value)."""
    errors = _click_errors()
    if isinstance(e, errors.BadParameter) and e.param is not None:
        opts = [o for o in getattr(e.param, "opts", ()) if o.startswith("--")] or [e.param.name or "value"]
        name = opts[0] if getattr(e.param, "param_type_name", "") == "option" else (e.param.name or "argument")
        if isinstance(e, errors.MissingParameter):
            if not name.startswith("--"):
                return f"missing {name}: give at least one (see '{_command_path(e)} --help')"
            return f"{name} is required (see '{_command_path(e)} --help')"
        text = " ".join(e.message.split())
        value = _bad_value(typed, getattr(e.param, "opts", ()))
        if "valid number" in text or "valid integer" in text:
            kind = "a whole number" if "integer" in text else "a number"
            text = f"{value!r} is not {kind}" if value is not None else f"needs {kind}"
        elif value is not None and value not in text:
            text = f"{text[:1].lower() + text[1:].rstrip('.')}, got {value!r}"
        return f"{name}: {text[:1].lower() + text[1:]}"
    msg = e.format_message() if isinstance(e, errors.ClickException) else str(e)
    return f"{' '.join(msg.split())} (see '{_command_path(e)} --help')"


def _command_path(e: Exception) -> str:
    ctx = getattr(e, "ctx", None)
    return ctx.command_path if ctx is not None else "vivid"


def _bad_value(args: list[str], opts: tuple[str, ...]) -> str | None:
    """The value typed for one of ``opts`` in ``args``."""
    for i, a in enumerate(args):
        for opt in opts:
            if a == opt and i + 1 < len(args):
                return args[i + 1]
            if a.startswith(opt + "="):
                return a[len(opt) + 1:]
    return None


app = typer.Typer(
    name="vivid",
    cls=_Group,
    help="Restore and enhance photos and video: super-resolution, denoising, low-light, colour, colorization.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # plain help wraps at any width (the boxed help cut option names at 80 columns)
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
def _print_version(value: bool) -> None:
    if value:
        print(f"vivid {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                          help="Print vivid's version and exit.")] = False,
) -> None:
    """Restore and enhance photos and video: super-resolution, denoising, low-light, colour, colorization."""


TASK_HELP = "sr, denoise, dejpeg, lowlight, color, colorize, or auto (analyse each image and plan)."
SIZE_HELP = "Super-resolution target size WxH (width x height), met as --fit says; not with --scale."
FIT_HELP = "How --size is met: contain (inside WxH, aspect kept), cover (fills WxH, aspect kept, centre crop) or stretch."


def pixel_limit(max_pixels: int | None) -> dict:
    """``--max-pixels``: vivid's limit, and Pillow's own (which it otherwise applies first) raised to match."""
    if max_pixels is None:
        return {}
    if max_pixels < 1:
        from vivid.errors import ConfigError

        raise ConfigError(f"--max-pixels must be at least 1, got {max_pixels}")
    from PIL import Image as PILImage

    PILImage.MAX_IMAGE_PIXELS = max(PILImage.MAX_IMAGE_PIXELS or 0, max_pixels)
    return {"max_pixels": max_pixels}


@app.command(short_help="Enhance images: files or whole folders.")
@guarded
def enhance(
    inputs: Annotated[list[Path], typer.Argument(help="Image files or folders.", show_default=False)],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output file (NAME.png, .jpg, ...: one input file) or folder (a name without an extension; a folder input's contents are mirrored into it).")],
    task: Annotated[str, typer.Option(help=TASK_HELP)] = "auto",
    scale: Annotated[float | None, typer.Option(help="Super-resolution factor above 0, at most 16 (e.g. 2, 3, 4, 1.5).")] = None,
    size: Annotated[str | None, typer.Option(help=SIZE_HELP)] = None,
    fit: Annotated[str, typer.Option(help=FIT_HELP)] = "contain",
    model: Model = None,
    model_file: ModelFile = None,
    model_family: Annotated[str | None, typer.Option(help="Family of an OpenCV .pb (fsrcnn, espcn, lapsrn).")] = None,
    allow_pickle: AllowPickle = False,
    strength: Annotated[float, typer.Option(min=0.0, max=1.0, help="Blend with the baseline (0..1).")] = 1.0,
    format: Annotated[str | None, typer.Option("--format", help="Output format for folder outputs: png, jpeg, webp, tiff, bmp, avif (a file output's extension must agree).")] = None,
    quality: Annotated[int | None, typer.Option(min=1, max=100, help="JPEG/WebP/AVIF quality.")] = None,
    strip_metadata: Annotated[bool, typer.Option(help="Do not carry EXIF/ICC/DPI to the output.")] = False,
    recursive: Annotated[bool, typer.Option(help="Descend into sub-folders.")] = True,
    skip_existing: Annotated[bool, typer.Option(help="Skip inputs whose output exists (resume a batch).")] = False,
    overwrite: Annotated[bool, typer.Option(help="Replace existing outputs.")] = False,
    tile: Annotated[int | None, typer.Option(min=8, help="Tile side in pixels (default: from free memory).")] = None,
    alpha: Annotated[str, typer.Option(help="Alpha channel: resample or model.")] = "resample",
    color_guard: Annotated[bool, typer.Option(help="Keep the input's low-frequency colour (SR/denoise).")] = False,
    recolor: Annotated[bool, typer.Option(help="Let --task colorize recolour a colour image (its colours are replaced by guessed ones).")] = False,
    dtype: Dtype = "float32",
    runtime: Runtime = "auto",
    precision: Precision = "auto",
    max_pixels: Annotated[int | None, typer.Option(help="Refuse inputs with more pixels (default 160 million; a guard against decompression bombs).")] = None,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="No progress bar, plan or table; only the summary line and failures.")] = False,
    engine: Engine = "local",
    ray_address: RayAddress = None,
    ray_workers: RayWorkers = None,
) -> None:
    """Enhance images: files, or folders mirrored into the output folder (with a report of each file).
    Inputs and -o may also be URLs (s3://, gs://, file://, ...) with the filesystem package installed."""
    from vivid.cli.batch import plan_jobs
    from vivid.engine.cache import ModelCache
    from vivid.errors import ConfigError, OutputError

    opts = enhance_options(task=task, model=model_option(model, model_file), scale=scale, size=size, fit=fit,
                           strength=strength, tile=tile, alpha=alpha, color_guard=color_guard, recolor=recolor,
                           allow_pickle=allow_pickle, dtype=dtype, runtime=runtime, precision=precision)
    if skip_existing and overwrite:
        raise ConfigError("--skip-existing and --overwrite contradict each other: pick one")
    read_kw = pixel_limit(max_pixels)
    # flat, as enhance_file takes them (the cluster's workers make the same call; its manifest hashes them)
    options = {**dict(opts), "quality": quality, "strip_metadata": strip_metadata, **read_kw}
    cache_options = {"allow_pickle": allow_pickle, "task_hint": None if task == "auto" else task, "runtime": runtime,
                     "precision": precision}
    preload = (opts.model, int(scale) if task == "sr" and scale and float(scale).is_integer() else None,
               model_family) if opts.model else None
    from vivid.cli.cluster import wants_cluster

    if wants_cluster(engine, ray_address, ray_workers, inputs, output):
        from vivid.cli.cluster import enhance_on_cluster

        enhance_on_cluster(inputs, output, engine=engine, address=ray_address, workers=ray_workers, fmt=format,
                           recursive=recursive, overwrite=overwrite, skip_existing=skip_existing, quiet=quiet,
                           options=options, cache=cache_options, preload=preload)
        return
    jobs = plan_jobs(list(inputs), output, fmt=format, recursive=recursive)
    existing = [j.dst for j in jobs if j.dst.exists()]
    if existing and not (overwrite or skip_existing):
        which = f"output {existing[0]} exists" if len(jobs) == 1 else (
            f"{len(existing)} of {len(jobs)} outputs exist (the first: {existing[0]})")
        raise OutputError(f"{which}: add --overwrite to replace, or --skip-existing to keep")
    cache = ModelCache(**cache_options)
    if preload:  # load (and validate) the model before any work starts
        cache.get(preload[0], preload[1], family=preload[2])
    options = {**options, "models": cache, "overwrite": overwrite}
    if len(jobs) == 1 and not inputs[0].is_dir():
        _enhance_one(jobs[0], options, quiet=quiet)
    else:
        _enhance_batch(jobs, options, output=output, skip_existing=skip_existing, quiet=quiet)


def _enhance_one(job, options: dict, *, quiet: bool) -> None:  # noqa: ANN001
    """One input file: errors end the command with their own exit code."""
    from vivid.engine.stream import enhance_file
    from vivid.errors import ImageTooLargeError

    t0 = time.perf_counter()
    try:
        result = enhance_file(job.src, job.dst, **options)
    except ImageTooLargeError as e:
        raise type(e)(f"{e} with --max-pixels") from None
    if not quiet:
        from vivid.cli.report import int8_note

        note = int8_note(result.records) if options.get("precision") == "auto" else None
        for line in [*result.plan.explain(), *([note] if note else [])]:
            console.print(f"  {line}", highlight=False, soft_wrap=True)
    console.print(f"wrote {result.path} in {time.perf_counter() - t0:.1f} s", highlight=False, soft_wrap=True)


def _enhance_batch(jobs: list, options: dict, *, output: Path, skip_existing: bool, quiet: bool) -> None:
    """Several files: a failed file is reported and the others go on (exit 1 if any failed); a report
    of every file is written next to the outputs and a table printed."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from vivid.cli.report import FileRecord, finish_batch, int8_note, step_names, write_report
    from vivid.engine.stream import enhance_file
    from vivid.errors import ImageTooLargeError, VividError

    records: list[FileRecord] = []
    steps: list = []  # what ran, for the note on int8
    t_all = time.perf_counter()
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=console, disable=quiet, transient=True,
    ) as bar:
        task_id = bar.add_task("enhancing", total=len(jobs))
        for job in jobs:
            bar.update(task_id, description=job.src.name[:40])
            record = FileRecord(str(job.src), str(job.dst), "written")
            if skip_existing and job.dst.exists():
                record.status = "skipped"
            else:
                t0 = time.perf_counter()
                try:
                    result = enhance_file(job.src, job.dst, **options)
                    record.plan, record.models = step_names(result.plan)
                    steps.extend(result.records)
                except VividError as e:
                    hint = " with --max-pixels" if isinstance(e, ImageTooLargeError) else ""
                    record.status, record.error = "failed", f"{e}{hint}"
                record.seconds = round(time.perf_counter() - t0, 3)
            records.append(record)
            bar.advance(task_id)
    report = write_report(records, output)
    note = int8_note(steps) if options.get("precision") == "auto" and not quiet else None
    finish_batch(records, seconds=time.perf_counter() - t_all, output=output, report=report, quiet=quiet,
                 notes=(note,) if note else ())


@app.command(short_help="Show what auto would do to images, and why.")
@guarded
def analyze(
    inputs: Annotated[list[Path], typer.Argument(help="Image files or folders.", show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON (one object per line for several images).")] = False,
    recursive: Annotated[bool, typer.Option(help="Descend into sub-folders.")] = True,
    max_pixels: Annotated[int | None, typer.Option(help="Refuse inputs with more pixels (default 160 million; a guard against decompression bombs).")] = None,
) -> None:
    """Analyse images and print the recommended plan, why, and the alternatives."""
    from vivid.cli.batch import image_files
    from vivid.errors import ImageTooLargeError, InputError, VividError

    read_kw = pixel_limit(max_pixels)
    files: list[Path] = []
    for p in inputs:
        if not p.exists():
            raise InputError(f"input {p} does not exist")
        files.extend(image_files(p, recursive=recursive) if p.is_dir() else [p])
    if not files:
        raise InputError(f"no images found in {', '.join(str(p) for p in inputs)}")
    single = len(files) == 1 and not inputs[0].is_dir()
    failed = 0
    for f in files:
        try:
            plan = _analyze_one(f, read_kw)
        except VividError as e:
            hint = " with --max-pixels" if isinstance(e, ImageTooLargeError) else ""
            if single:
                raise type(e)(f"{e}{hint}") from None
            failed += 1
            if as_json:
                out_console.print(json.dumps({"input": str(f), "error": f"{e}{hint}"}, ensure_ascii=False),
                                  highlight=False, soft_wrap=True)
            else:
                console.print(f"[red]failed:[/] {e}{hint}", highlight=False, soft_wrap=True)
            continue
        if as_json and single:
            out_console.print_json(json.dumps(plan.to_dict()))
        elif as_json:
            out_console.print(json.dumps({"input": str(f), **plan.to_dict()}, ensure_ascii=False),
                              highlight=False, soft_wrap=True)
        else:
            _print_plan(f if not single else Path(f.name), plan)
    if failed:
        console.print(f"{len(files) - failed} analysed, {failed} failed", highlight=False)
        raise typer.Exit(1)


def _analyze_one(path: Path, read_kw: dict):  # noqa: ANN202 - a vivid Plan
    from vivid.engine.routing import analyze as run_analyze
    from vivid.io.read import read_image

    return run_analyze(read_image(path, **read_kw))


def _print_plan(name: Path, plan) -> None:  # noqa: ANN001
    a = plan.analysis
    out_console.print(
        f"{name}: {a['width']}x{a['height']}, mean brightness {a['mean_luma'] * 255:.0f}/255, "
        f"{a['dark_share']:.0%} darker than 128, noise sigma ~{a['noise_sigma']:.1f}, "
        f"{'grayscale' if a['grayscale'] else 'colour'}, blockiness {a['blockiness']:.2f}"
        + (f", edge sharpness {a['edge_sharpness']:.2f}" if "edge_sharpness" in a else "")
        + (f", JPEG quality {a['jpeg_quality']}" if a.get("jpeg_quality") is not None else ""), highlight=False)
    for line in plan.explain():
        out_console.print(f"  {line}", highlight=False)
    for s in plan.steps:
        if s.alternatives:
            out_console.print(f"  alternatives for {s.task}: {', '.join(s.alternatives)}", highlight=False)
    if plan.steps:  # without steps, explain() already said the notes ("nothing to do: ...")
        for n in plan.notes:
            out_console.print(f"  note: {n}", highlight=False)


@app.command(short_help="Train a model from a config (resumes).")
@guarded
def train(config: Annotated[Path, typer.Argument(help="A TOML training config (see configs/).")],
          fresh: Annotated[bool, typer.Option(help="Ignore an existing checkpoint.")] = False,
          out_dir: Annotated[Path | None, typer.Option(
              help="Folder for the run folder instead of the config's [run] out_dir (e.g. ~/vivid-runs).")] = None,
          ) -> None:
    """Train a model from a config; resumes from the run's last checkpoint."""
    from dataclasses import replace

    from vivid.errors import ConfigError
    from vivid.zoo.builtin import torch_installed

    if not torch_installed():  # the base install runs models in ONNX Runtime only
        raise ConfigError("vivid train needs PyTorch and tensorboard: pip install 'vivid-restore[train]'")
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
    out_console.print(f"vivid {__version__}")


# --- sub-command groups living in their own modules (one line each) ------------------------------
# e.g.: from vivid.cli.bench import bench_app; app.add_typer(bench_app, name="bench")
from vivid.cli.video import video; app.command(name="video", short_help="Enhance a video; audio and subtitles kept.")(video)  # noqa: E402, E702
from vivid.cli.serve import serve; app.command(short_help="Start the web app and REST API.")(serve)  # noqa: E402, E702
from vivid.cli.bench import bench_app; app.add_typer(bench_app, name="bench", short_help="Measure models' quality and speed.")  # noqa: E402, E702
from vivid.cli.data import data_app; app.add_typer(data_app, name="data")  # noqa: E402, E702
from vivid.cli.models import models_app; app.add_typer(models_app, name="models", short_help="List models; add, pull or remove yours.")  # noqa: E402, E702


def run() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover
        console.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    run()
