"""``vivid bench``: quality and speed benchmarks (a thin layer over :mod:`vivid.bench`).

Registered in :mod:`vivid.cli.main` with one line. Markdown tables go to stdout, progress to stderr;
``-o/--output DIR`` also writes results.md, results.csv, results.json and a self-contained report.html.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer

from vivid.cli.deferred import guarded as _guarded

bench_app = typer.Typer(
    help="Benchmarks: quality on standard test sets (beside published numbers) and speed.",
    no_args_is_help=True,
    add_completion=False,
)




def _numbers(text: str, option: str, kind: type) -> tuple:
    from vivid.errors import ConfigError

    try:
        values = tuple(kind(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise ConfigError(
            f"{option} takes comma-separated {'whole ' if kind is int else ''}numbers "
            f"(e.g. {'2,3,4' if kind is int else '15,25,50'}), got {text!r}"
        ) from None
    return values


def _progress(quiet: bool):  # noqa: ANN202 - a context manager and a callback
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=quiet,
        transient=True,
    )
    state: dict[str, int] = {}

    def update(done: int, total: int, message: str) -> None:
        if "id" not in state:
            state["id"] = bar.add_task("", total=total)
        bar.update(state["id"], completed=done, total=total, description=message[:48])

    return bar, update


def _yours_by_name(names):  # noqa: ANN001, ANN202 - the model list of split_list
    """Models you added ('vivid models add') by their names, as the file references bench loads."""
    from vivid.zoo.user_models import resolve_model_name

    return type(names)(resolve_model_name(n) for n in names)


def _quote(values: tuple[str, ...] | list[str]) -> str:
    return shlex.quote(",".join(values))


@bench_app.command()
@_guarded
def quality(
    data: Annotated[
        list[str],
        typer.Option(
            help="Datasets: Set5, Set14, BSD100, CBSD68, BSD68, Set12, McMaster, LOL, "
            "FiveK, FiveK_DPE, DICM, or folders (comma-separated or repeated)."
        ),
    ],
    models: Annotated[
        list[str],
        typer.Option(
            help="Models: registry names or file:PATH ({scale} in a path is "
            "filled in per scale); comma-separated or repeated; 'a+b' runs a, then b (e.g. vivid-denoise+vivid-sr)."
        ),
    ],
    task: Annotated[str, typer.Option(help="sr, denoise, dejpeg, lowlight, color or colorize.")] = "sr",
    scale: Annotated[str | None, typer.Option(help="SR scales, comma-separated [default: 2,3,4].")] = None,
    sigma: Annotated[
        str | None,
        typer.Option(help="Denoising noise levels (0..255 scale), comma-separated [default: 15,25,50]."),
    ] = None,
    quality: Annotated[
        str | None,
        typer.Option("--quality", help="JPEG qualities for --task dejpeg, comma-separated [default: 10,20,30,40]."),
    ] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Use the first N images of each dataset.")] = None,
    out: Annotated[
        Path | None, typer.Option("-o", "--output", "--out", help="Also write results.md/.csv/.json and report.html in this folder.")
    ] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace the report in the -o folder.")] = False,
    crops: Annotated[
        int, typer.Option(min=0, help="Images per dataset shown as side-by-side crops in the report.")
    ] = 2,
    degrade: Annotated[
        str | None,
        typer.Option(
            help="Degradation of clean images for lowlight/color, e.g. "
            "'lowlight:0.05/1.2' or 'cast:3000' (ops.degrade spec); for sr, 'real' (the fixed real-world "
            "chain: blur, resize, noise, JPEG, twice)."
        ),
    ] = None,
    quantize_noisy: Annotated[
        bool, typer.Option(help="Denoising: round the noisy input to uint8 (default: float).")
    ] = False,
    skip_unsupported: Annotated[
        bool, typer.Option(help="Leave out model/scale pairs a model lacks instead of failing.")
    ] = False,
    allow_pickle: Annotated[
        bool, typer.Option(help="Allow model files that run pickled code (trusted files only).")
    ] = False,
    data_root: Annotated[
        Path | None,
        typer.Option(
            help="Folder holding the named datasets (Set5, BSD100, CBSD68, LOL, ...; default: $VIVID_DATA_ROOT). Or name folders of images directly with --data."
        ),
    ] = None,
    tile: Annotated[
        int | None, typer.Option(min=8, help="Tile side for the engine (default: from free memory).")
    ] = None,
    precision: Annotated[
        str, typer.Option(help="auto (as 'vivid enhance' runs each model: int8 where vivid ships a tested int8 model), float32 and/or int8 (vivid's networks; others after 'vivid models quantize'), comma-separated: each model is scored at each.")
    ] = "auto",
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="No progress bar.")] = False,
) -> None:
    """Score models on datasets: PSNR/SSIM (ΔE, ...) per dataset, gain over baseline, published numbers.

    How each task degrades and scores images is in the README ("How vivid bench measures") and heads every table.
    """
    from vivid.bench.models import split_list
    from vivid.bench.quality import QualityConfig, plan_quality, run_quality
    from vivid.bench.report import (
        markdown,
        prepare_out_dir,
        quality_preamble,
        quality_tables,
    )
    from vivid.bench.report_html import write_quality_report
    from vivid.errors import ConfigError

    if scale is not None and task != "sr":
        raise ConfigError(f"--scale applies to --task sr only (this is --task {task})")
    if sigma is not None and task != "denoise":
        raise ConfigError(f"--sigma applies to --task denoise only (this is --task {task})")
    if quality is not None and task != "dejpeg":
        raise ConfigError(f"--quality applies to --task dejpeg only (this is --task {task})")
    config = QualityConfig(
        task=task,
        datasets=split_list(data),
        models=_yours_by_name(split_list(models)),
        scales=_numbers(scale or "2,3,4", "--scale", int) if task == "sr" else (),
        sigmas=_numbers(sigma or "15,25,50", "--sigma", float) if task == "denoise" else (),
        qualities=_numbers(quality or "10,20,30,40", "--quality", int) if task == "dejpeg" else (),
        limit=limit,
        crops=crops,
        degradation=degrade,
        quantize_noisy=quantize_noisy,
        skip_unsupported=skip_unsupported,
        allow_pickle=allow_pickle,
        data_root=data_root,
        tile=tile,
        precisions=split_list([precision]),
    )
    if out is not None:
        prepare_out_dir(out, overwrite=overwrite)
    plan = plan_quality(config)  # everything is checked and loaded before any image is processed
    command = _quality_command(config, out)
    bar, update = _progress(quiet)
    with bar:
        result = run_quality(plan, progress=update)
    typer.echo(
        markdown(f"vivid bench quality — {task}", quality_preamble(result, command), quality_tables(result))
    )
    if out is not None:
        paths = write_quality_report(result, out, command)
        typer.echo(f"report: {', '.join(str(p) for p in paths)}", err=True)


def _quality_command(c, out: Path | None) -> str:  # noqa: ANN001 - QualityConfig
    parts = ["vivid bench quality", f"--task {c.task}"]
    if c.task == "sr":
        parts.append(f"--scale {','.join(str(s) for s in c.scales)}")
    if c.task == "denoise":
        parts.append(f"--sigma {','.join(f'{s:g}' for s in c.sigmas)}")
    if c.task == "dejpeg":
        parts.append(f"--quality {','.join(str(q) for q in c.qualities)}")
    parts += [f"--data {_quote(c.datasets)}", f"--models {_quote(c.models)}"]
    if c.limit is not None:
        parts.append(f"--limit {c.limit}")
    for flag, on in (
        ("--quantize-noisy", c.quantize_noisy),
        ("--skip-unsupported", c.skip_unsupported),
        ("--allow-pickle", c.allow_pickle),
    ):
        if on:
            parts.append(flag)
    if c.degradation:
        parts.append(f"--degrade {shlex.quote(c.degradation)}")
    if c.data_root is not None:
        parts.append(f"--data-root {shlex.quote(str(c.data_root))}")
    if c.precisions != ("auto",):
        parts.append(f"--precision {_quote(c.precisions)}")
    if out is not None:
        parts.append(f"-o {shlex.quote(str(out))}")
    return " ".join(parts)


@bench_app.command()
@_guarded
def speed(
    models: Annotated[
        list[str], typer.Option(help="Models: registry names or file:PATH; comma-separated or repeated.")
    ],
    sizes: Annotated[
        str, typer.Option(help="OUTPUT frame sizes: 360p, 480p, 720p, 1080p, 1440p, 2160p or WxH.")
    ] = "480p,720p,1080p",
    scale: Annotated[int, typer.Option(min=1, help="Scale for SR models (input = output size / scale).")] = 2,
    runs: Annotated[int, typer.Option(min=1, help="Timed runs per size (median reported; at least 5).")] = 5,
    warmup: Annotated[int, typer.Option(min=1, help="Untimed warm-up runs per size.")] = 1,
    reference: Annotated[
        str | None,
        typer.Option(
            help="Model to give ratios against, timed in the same run "
            "(e.g. file:ESPCN_x2.pb, OpenCV's ESPCN)."
        ),
    ] = None,
    threads: Annotated[
        int | None, typer.Option(min=1, help="Threads per model (VIVID_THREADS; default: all usable cores).")
    ] = None,
    allow_pickle: Annotated[
        bool, typer.Option(help="Allow model files that run pickled code (trusted files only).")
    ] = False,
    tile: Annotated[
        int | None, typer.Option(min=8, help="Tile side for the engine (default: from free memory).")
    ] = None,
    runtime: Annotated[
        str, typer.Option(help="auto (what 'vivid enhance' runs: ONNX Runtime where measured faster), torch, onnx, openvino (the [openvino] extra), or int8 (short for --precision int8).")
    ] = "auto",
    precision: Annotated[
        str, typer.Option(help="auto (as 'vivid enhance' runs each model: int8 where vivid ships a tested int8 model), float32 and/or int8 (vivid's networks; others after 'vivid models quantize'), comma-separated: each model is timed at each.")
    ] = "auto",
    out: Annotated[
        Path | None, typer.Option("-o", "--output", "--out", help="Also write results.md/.csv/.json and report.html in this folder.")
    ] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace the report in the -o folder.")] = False,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="No progress bar.")] = False,
) -> None:
    """Time models as 'vivid enhance' runs them: ms per frame, output MP/s, fps, peak RSS, the runtime that
    ran, threads, ratios to a reference."""
    from vivid.bench.models import split_list
    from vivid.bench.report import markdown, prepare_out_dir, speed_preamble, speed_tables
    from vivid.bench.report_html import write_speed_report
    from vivid.bench.speed import SpeedConfig, plan_speed, run_speed

    if runtime == "int8":  # the spelling: ONNX Runtime at int8
        runtime, precision = "auto", "int8"
    config = SpeedConfig(
        models=_yours_by_name(split_list(models)),
        sizes=split_list([sizes]),
        scale=scale,
        runs=runs,
        warmup=warmup,
        reference=reference,
        threads=threads,
        allow_pickle=allow_pickle,
        tile=tile,
        runtime=runtime,
        precisions=split_list([precision]),
    )
    if out is not None:
        prepare_out_dir(out, overwrite=overwrite)
    plan = plan_speed(config)
    parts = [
        "vivid bench speed",
        f"--models {_quote(config.models)}",
        f"--sizes {_quote(config.sizes)}",
        f"--scale {scale}",
        f"--runs {runs}",
    ]
    if reference:
        parts.append(f"--reference {shlex.quote(reference)}")
    if threads:
        parts.append(f"--threads {threads}")
    if runtime != "auto":
        parts.append(f"--runtime {shlex.quote(runtime)}")
    if config.precisions != ("auto",):
        parts.append(f"--precision {_quote(config.precisions)}")
    if out is not None:
        parts.append(f"-o {shlex.quote(str(out))}")
    command = " ".join(parts)
    bar, update = _progress(quiet)
    with bar:
        result = run_speed(plan, progress=update)
    typer.echo(markdown("vivid bench speed", speed_preamble(result, command), speed_tables(result)))
    if out is not None:
        paths = write_speed_report(result, out, command)
        typer.echo(f"report: {', '.join(str(p) for p in paths)}", err=True)


@bench_app.command()
@_guarded
def ablation(
    scale: Annotated[str, typer.Option(help="SR scales, comma-separated.")] = "2,3,4",
    depths: Annotated[str, typer.Option(help="VDSR depths to compare, comma-separated.")] = "12,18,24,30",
    iterations: Annotated[int, typer.Option(min=1, help="Training iterations per variant and scale (the budget).")] = 300,
    train_dir: Annotated[list[Path] | None, typer.Option(help="Training image folders (default: T91 in the data root).")] = None,
    val: Annotated[str, typer.Option(help="Validation dataset name or folder.")] = "Set5",
    out: Annotated[Path, typer.Option(help="Folder for the runs' checkpoints and logs.")] = Path("checkpoints/ablation"),
    channels: Annotated[int, typer.Option(min=4, help="Feature width (VDSR: 64; smaller keeps CPU budgets short).")] = 32,
) -> None:
    """VDSR ablation: depth x BatchNorm x residual blocks on short budgets, with a bicubic-vs-model table."""
    from vivid.bench.datasets import resolve_dataset
    from vivid.errors import ConfigError
    from vivid.train.ablation import run_ablation, table

    scales = _numbers(scale, "--scale", int)
    if any(s not in (2, 3, 4) for s in scales):
        raise ConfigError(f"--scale takes 2, 3 and/or 4, got {scale!r}")
    val_dir = resolve_dataset(val, task="sr").root
    if train_dir:
        dirs = tuple(str(d) for d in train_dir)
    else:
        t91 = val_dir.parents[2] / "train" / "T91" / "HR"
        if not t91.is_dir():
            raise ConfigError(f"no --train-dir given and {t91} does not exist: pass --train-dir FOLDER")
        dirs = (str(t91),)
    rows = run_ablation(train_dirs=dirs, val_dir=str(val_dir), out_dir=out, scales=scales,
                        depths=_numbers(depths, "--depths", int), iterations=iterations, channels=channels)
    typer.echo(table(rows))
