"""What a batch did, file by file: a JSON-lines report next to the outputs and a summary table.

Each line of ``vivid-report.jsonl`` is one input::

    {"input": "photos/a.png", "output": "out/a.png", "status": "written", "plan": ["denoise", "sr x2"],
     "models": ["vivid-denoise", "vivid-sr"], "seconds": 1.92, "error": null}

``status`` is ``written``, ``skipped`` (the output existed, ``--skip-existing``) or ``failed`` (``error``
says why). ``plan`` lists the steps auto chose (or the task given), ``models`` the models that ran.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from vivid.engine.plan import step_names  # noqa: F401 - where the batch takes it from
from vivid.io.atomic import write_bytes_atomic

REPORT_NAME = "vivid-report.jsonl"


@dataclass
class FileRecord:
    input: str
    output: str
    status: str
    plan: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    seconds: float | None = None
    error: str | None = None


def report_text(records: list[FileRecord]) -> str:
    """The report's JSON lines."""
    return "".join(json.dumps(asdict(r), ensure_ascii=False) + "\n" for r in records)


def write_report(records: list[FileRecord], folder: Path) -> Path:
    """Write ``folder/vivid-report.jsonl`` (replacing the previous run's) and return its path."""
    path = folder / REPORT_NAME
    folder.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, report_text(records).encode("utf-8"))
    return path


def int8_note(steps: Iterable[Any]) -> str | None:
    """Which models ran in int8 under ``--precision auto`` (``steps``: the engine's
    :class:`~vivid.engine.api.StepRecord` of the files), None when none did."""
    from vivid.zoo.quantize import auto_int8_note

    return auto_int8_note(f"{s.model} x{s.scale}" if s.task == "sr" else s.model for s in steps
                          if getattr(s, "precision", "float32") == "int8")


def summary_table(records: list[FileRecord]):  # noqa: ANN201 - a rich Table
    """One row per file: input, status, what ran, seconds, and the error of a failed file."""
    from rich.table import Table

    table = Table("input", "status", "plan", "s", "error", show_edge=False, pad_edge=False)
    style = {"written": "green", "skipped": "yellow", "failed": "red"}
    for r in records:
        what = ", ".join(f"{p} ({m})" for p, m in zip(r.plan, r.models, strict=False)) or (
            "nothing to do" if r.status == "written" else "")
        secs = f"{r.seconds:.1f}" if r.seconds is not None else ""
        table.add_row(r.input, f"[{style[r.status]}]{r.status}[/]", what, secs, r.error or "")
    return table


def finish_batch(records: list[FileRecord], *, seconds: float, output: object, report: object, quiet: bool,
                 notes: tuple[str, ...] = ()) -> None:
    """Print a batch's table (unless ``quiet``), ``notes``, the summary line and (``quiet``) each failure;
    exit 1 when any file failed. Local and cluster batches end the same way."""
    import typer

    from vivid.cli.common import console, out_console

    if not quiet:
        out_console.print(summary_table(records))
    for note in notes:
        console.print(note, highlight=False, soft_wrap=True)
    count = {k: sum(r.status == k for r in records) for k in ("written", "skipped", "failed")}
    console.print(f"{count['written']} written, {count['skipped']} skipped, {count['failed']} failed in "
                  f"{seconds:.1f} s → {output} (report: {report})", highlight=False, soft_wrap=True)
    if quiet:
        for r in records:
            if r.status == "failed":
                console.print(f"[red]failed:[/] {r.input}: {r.error}", highlight=False, soft_wrap=True)
    if count["failed"]:
        raise typer.Exit(1)
