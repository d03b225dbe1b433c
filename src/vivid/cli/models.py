"""``vivid models``: list vivid's models and yours; ``add``, ``pull`` and ``remove`` yours
(a thin layer over :mod:`vivid.zoo.user_models`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from vivid.cli.deferred import guarded as _guarded
from vivid.cli.options import AllowPickle

models_app = typer.Typer(
    help="List every model (vivid's and yours); add, download or remove your own.",
    invoke_without_command=True,
    add_completion=False,
)




@models_app.callback()
@_guarded
def models(
    ctx: typer.Context,
    task: Annotated[str | None, typer.Option(help="Only models for this task.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """List every model: task, scales, kind, speed class and licence; yours (added with 'vivid models add'
    or 'pull') are listed as kind 'yours' and used by name like vivid's own: --model NAME."""
    if ctx.invoked_subcommand is not None:
        return
    from dataclasses import asdict

    from rich.table import Table

    from vivid.cli.common import out_console
    from vivid.models.base import TASKS
    from vivid.models.registry import list_models
    from vivid.zoo.user_models import list_user_models

    if task is not None and task not in TASKS:
        from vivid.errors import ConfigError

        raise ConfigError(f"unknown task {task!r}: use one of {', '.join(TASKS)}")
    entries = list_models(task)
    yours = [m for m in list_user_models() if task is None or m.task == task]
    if as_json:
        rows = [asdict(e) for e in entries] + [{**asdict(m), "kind": "yours"} for m in yours]
        out_console.print_json(json.dumps(rows))
        return
    table = Table("name", "task", "scales", "kind", "speed", "licence", "what it is")
    for e in entries:
        scales = "any" if e.any_scale else ",".join(f"x{s}" for s in e.scales) if e.task == "sr" else "-"
        table.add_row(e.name, e.task, scales, e.kind, e.speed_class, e.license, e.summary)
    for m in yours:
        table.add_row(m.name, m.task, f"x{m.scale}" if m.task == "sr" else "-", "yours", "-", m.license,
                      f"{m.architecture} (from {m.source})")
    out_console.print(table)


def _added(record) -> None:  # noqa: ANN001 - a UserModel
    from vivid.cli.common import console

    what = f"{record.task} x{record.scale}" if record.task == "sr" else record.task
    console.print(f"added {record.name}: {what}, {record.architecture}, licence {record.license}, sha256 "
                  f"{record.sha256[:12]}…; use it with --model {record.name}", highlight=False, soft_wrap=True)


@models_app.command()
@_guarded
def add(
    file: Annotated[Path, typer.Argument(help="A model file: .pth/.pt/.safetensors, OpenCV .pb or .onnx.")],
    name: Annotated[str | None, typer.Option(help="The name to use it by (default: from the file name).")] = None,
    task: Annotated[str | None, typer.Option(help="What it does, where the file does not say (scale-1 ONNX models).")] = None,
    model_family: Annotated[str | None, typer.Option(help="Family of an OpenCV .pb whose name does not say (fsrcnn, espcn, lapsrn, edsr).")] = None,
    license: Annotated[str | None, typer.Option(help="Its licence, as its authors state it (recorded and listed).")] = None,  # noqa: A002
    allow_pickle: AllowPickle = False,
    overwrite: Annotated[bool, typer.Option(help="Replace your model of the same name.")] = False,
) -> None:
    """Add your model file under a name: loaded once to detect its task and scale, copied into your
    model folder with its sha256 checked."""
    from vivid.zoo.user_models import add_model

    _added(add_model(file, name=name, task=task, family=model_family, license=license, allow_pickle=allow_pickle,
                     overwrite=overwrite))


@models_app.command()
@_guarded
def remove(name: Annotated[str, typer.Argument(help="The name of your model.")]) -> None:
    """Remove a model you added (vivid's own stay)."""
    from vivid.cli.common import console
    from vivid.zoo.user_models import remove_model

    gone = remove_model(name)
    console.print(f"removed {gone.name} ({gone.file})", highlight=False)


@models_app.command()
@_guarded
def pull(
    ref: Annotated[str | None, typer.Argument(help="A catalog name (see --list) or an https:// URL of a model file.")] = None,
    name: Annotated[str | None, typer.Option(help="The name to use it by (default: the catalog name or file name).")] = None,
    task: Annotated[str | None, typer.Option(help="What it does, where the file does not say.")] = None,
    sha256: Annotated[str | None, typer.Option(help="The file's expected sha256 (for a URL; catalog entries carry theirs).")] = None,
    license: Annotated[str | None, typer.Option(help="Its licence (catalog entries carry theirs).")] = None,  # noqa: A002
    allow_pickle: AllowPickle = False,
    overwrite: Annotated[bool, typer.Option(help="Replace your model of the same name.")] = False,
    catalog: Annotated[Path | None, typer.Option(help="Another catalog file (OpenModelDB JSON format).")] = None,
    list_catalog: Annotated[bool, typer.Option("--list", help="List the catalog and exit.")] = False,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="No progress bar.")] = False,
) -> None:
    """Download a model (resuming an interrupted download), check its size and sha256, and add it."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    from vivid.cli.common import console, out_console
    from vivid.errors import ConfigError
    from vivid.zoo.user_models import load_catalog, pull_model

    entries = load_catalog(catalog)
    if list_catalog:
        from rich.table import Table

        table = Table("name", "scale", "architecture", "licence", "author", "size")
        for key, e in entries.items():
            size = next((r.get("size") for r in e.get("resources", ()) if r.get("size")), None)
            author = ", ".join(e["author"]) if isinstance(e.get("author"), list) else str(e.get("author", ""))
            table.add_row(key, f"x{e.get('scale', '?')}", str(e.get("architecture", "")), str(e.get("license", "")),
                          author, (f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{size / 1e3:.0f} kB") if size else "")
        out_console.print(table)
        return
    if ref is None:
        raise ConfigError("give a catalog name or a URL (or --list to see the catalog)")
    with Progress(TextColumn("downloading"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                  console=console, disable=quiet, transient=True) as bar:
        bar_task = bar.add_task("download", total=None)
        record = pull_model(ref, name=name, task=task, sha256=sha256, license=license, allow_pickle=allow_pickle,
                            overwrite=overwrite, catalog=entries,
                            progress=lambda done, total: bar.update(bar_task, completed=done, total=total))
    _added(record)


@models_app.command()
@_guarded
def quantize(
    name: Annotated[str, typer.Argument(help="A vivid network: vivid-sr, vivid-sr-fast, vivid-sr-rt, vivid-denoise or vivid-dejpeg.")],
    scale: Annotated[int | None, typer.Option(min=1, help="Its scale (SR; default: its first).")] = None,
    calibration: Annotated[
        Path | None, typer.Option(help="Folder of training images to calibrate on (default: train/T91/HR in the data root).")
    ] = None,
    patches: Annotated[int, typer.Option(min=1, max=4096, help="Random 64x64 calibration crops.")] = 48,
    data_root: Annotated[
        Path | None, typer.Option(help="Data root for the default calibration folder (default: $VIVID_DATA_ROOT, else ../shared/datasets).")
    ] = None,
    ship: Annotated[
        bool, typer.Option(help="Write it into vivid's package (zoo/weights, recorded in onnx.json) for a model whose registry entry declares int8 at this scale (maintainers, after the quality gate).")
    ] = False,
) -> None:
    """Make the int8 version of one of vivid's networks (static quantisation, ONNX Runtime), for
    --precision int8. It is measured, not assumed: compare with 'vivid bench quality --precision float32,int8'."""
    from vivid.bench.datasets import data_root as default_root
    from vivid.cli.common import console
    from vivid.errors import ConfigError
    from vivid.zoo.quantize import int8_by_default, quantize_model, ship_int8

    root = default_root(data_root)
    if calibration is None and root is None:
        raise ConfigError("no --calibration folder given and no data root found: pass --calibration FOLDER "
                          "(training images) or set VIVID_DATA_ROOT")
    folder = calibration if calibration is not None else root / "train" / "T91" / "HR"
    if ship:
        command = " ".join(["vivid models quantize", name, *([f"--scale {scale}"] if scale else []),
                            f"--patches {patches}", "--ship"])
        path = ship_int8(name, scale=scale, calibration=folder, patches=patches, command=command)
        use = ("precision auto (the default) and int8 run it" if int8_by_default(name, scale)
               else "--precision int8 runs it (opt-in: its registry entry does not make it the default)")
    else:
        path = quantize_model(name, scale=scale, calibration=folder, patches=patches)
        use = "use it with --precision int8"
    console.print(f"wrote {path} ({path.stat().st_size / 1e3:.0f} kB) from {patches} crops of {folder}; {use}",
                  highlight=False, soft_wrap=True)
