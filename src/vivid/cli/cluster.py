"""``vivid enhance --engine ray`` (and inputs or outputs given as URLs): the batch through
:func:`vivid.cluster.batch.run_batch`, with the local batch's report, table and summary line.

Outputs are mapped by the same rules as local batches (``vivid.cli.batch``); for URLs the output is a
folder, mirrored the same way. The output folder also gets ``vivid-manifest.jsonl``: a rerun of the same
command skips what is finished and retries what failed.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Any

from vivid.cli.batch import WRITE_SUFFIXES, out_suffix, plan_jobs
from vivid.cli.report import REPORT_NAME, FileRecord, finish_batch, report_text
from vivid.cluster import storage
from vivid.cluster.batch import Source, run_batch
from vivid.cluster.pool import InProcessPool, RayPool, connect, import_ray
from vivid.errors import ConfigError, InputError
from vivid.io.formats import is_image_path

ENGINES = ("local", "ray")
_STATUS = {"done": "written", "skipped": "skipped", "failed": "failed"}


def check_engine(engine: str, address: str | None, workers: int | None) -> None:
    """``--engine`` is known, and ``--ray-address``/``--ray-workers`` come only with ``--engine ray``."""
    if engine not in ENGINES:
        raise ConfigError(f"--engine must be local or ray, got {engine!r}")
    if engine != "ray" and (address is not None or workers is not None):
        raise ConfigError(f"{'--ray-address' if address is not None else '--ray-workers'} needs --engine ray")


def wants_cluster(engine: str, address: str | None, workers: int | None, inputs: list[Path], output: Path) -> bool:
    """Whether ``vivid enhance`` goes through the cluster driver: ``--engine ray``, or a URL anywhere."""
    check_engine(engine, address, workers)
    return engine == "ray" or any(storage.from_cli_path(p) != str(p) for p in [*inputs, output])


def plan_sources(inputs: list[str], output: str, *, fmt: str | None, recursive: bool) -> tuple[list[Source], str]:
    """``(sources, output folder)`` for locations as typed; local ones by ``vivid.cli.batch.plan_jobs``."""
    local = [storage.local_path(x) for x in [*inputs, output]]
    if all(p is not None for p in local):
        *ins, out = (Path(p) for p in local)
        jobs = plan_jobs(ins, out, fmt=fmt, recursive=recursive)
        root = out.parent if len(jobs) == 1 and jobs[0].dst == out else out
        return ([Source(str(j.src.resolve()), str(j.dst.resolve()), storage.fingerprint(str(j.src))) for j in jobs],
                str(root.resolve()))
    out = storage.canonical(output)
    listed = [(loc, storage.list_files(storage.canonical(loc), recursive=recursive, keep=is_image_path))
              for loc in inputs]
    if len(listed) == 1 and len(listed[0][1]) == 1 and listed[0][1][0].relative == "" and \
            posixpath.splitext(out)[1].lower() in WRITE_SUFFIXES:  # one file to a file name
        e = listed[0][1][0]
        return [Source(e.location, out, e.fingerprint)], posixpath.dirname(out)
    sources: list[Source] = []
    for loc, entries in listed:
        for e in entries:
            name = posixpath.basename(e.location) if e.relative == "" else e.relative
            under = "" if len(inputs) == 1 or e.relative == "" else posixpath.basename(loc.rstrip("/"))
            stem, _ = posixpath.splitext(name)
            dst = storage.join(out, *(p for p in (under, stem + out_suffix(Path(name), fmt)) if p))
            sources.append(Source(e.location, dst, e.fingerprint))
    if not sources:
        raise InputError(f"no images found in {', '.join(inputs)}")
    seen: dict[str, str] = {}
    for s in sources:
        if s.dst in seen:
            raise ConfigError(f"{s.src} and {seen[s.dst]} would both be written to {s.dst}: rename one or pick one "
                              "output format with --format")
        seen[s.dst] = s.src
    return sources, out


def enhance_on_cluster(inputs: list[Path], output: Path, *, engine: str, address: str | None, workers: int | None,
                       fmt: str | None, recursive: bool, overwrite: bool, skip_existing: bool, quiet: bool,
                       options: dict[str, Any], cache: dict[str, Any], preload: tuple | None) -> None:
    """Run the batch, write ``vivid-report.jsonl`` beside the manifest, print the table and summary line."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from vivid.cli.common import console
    if engine == "ray":
        import_ray()  # missing: say so before anything is listed
    sources, root = plan_sources([storage.from_cli_path(p) for p in inputs], storage.from_cli_path(output),
                                 fmt=fmt, recursive=recursive)
    worker = {"options": options, "cache": cache, "output_root": root, "preload": preload}
    if engine == "ray":
        connect(address)
        pool: Any = RayPool(worker, workers=workers)
    else:
        pool = InProcessPool(worker)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=console, disable=quiet, transient=True) as bar:
        task_id = bar.add_task(f"enhancing on {engine}", total=len(sources))
        result = run_batch(sources, output_root=root, options=options, pool=pool, overwrite=overwrite,
                           skip_existing=skip_existing, on_outcome=lambda _: bar.advance(task_id))
    records = [FileRecord(s.src, s.dst, _STATUS[o.status], o.plan, o.models, o.seconds,
                          f"{o.error} with --max-pixels" if o.too_large else o.error)
               for s, o in zip(sources, result.outcomes, strict=True)]
    report = storage.join(root, REPORT_NAME)
    parts = storage.parts_folder(root)
    storage.write_text(report, report_text(records), parts=parts)
    storage.remove_parts(parts)
    notes = []
    ran = result.count("done")
    if engine == "ray" and ran:
        lost = f", {result.lost_workers} lost and replaced" if result.lost_workers else ""
        notes.append(f"ray: {result.workers} workers{lost}; {result.loads} model loads; "
                     f"{ran / result.seconds:.2f} images/s")
    if result.error:
        from rich.markup import escape

        notes.append(f"[bold red]error:[/] {escape(result.error)}")
    finish_batch(records, seconds=result.seconds, output=root, report=report, quiet=quiet, notes=tuple(notes))
