"""Benchmark reports: markdown (stdout and results.md), CSV, JSON, and writing the report folder.

Quality and speed results are first turned into :class:`Table` objects; markdown and the HTML page
(:mod:`vivid.bench.report_html`, which also writes the whole report folder) render the same tables. Files are
written atomically (a temporary file in the same folder, then a rename).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from dataclasses import asdict, dataclass, field, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vivid import __version__
from vivid.bench.published import load_published
from vivid.errors import OutputError
from vivid.io.atomic import write_bytes_atomic

if TYPE_CHECKING:
    from vivid.bench.published import PublishedNumber
    from vivid.bench.quality import Group, QualityResult
    from vivid.bench.speed import SpeedResult


@dataclass(frozen=True)
class Table:
    """A titled table of strings; ``align`` is ``"l"`` or ``"r"`` per column; ``notes`` go under it."""

    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    align: tuple[str, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)


def _fmt(value: float | None, digits: int) -> str:
    if value is None:
        return "—"
    if math.isinf(value):
        return "∞"
    return f"{value:.{digits}f}"


# ------------------------------------------------------------------------------------------ quality tables


def _published_cell(p: PublishedNumber | None, group: Group, sources: dict[str, int]) -> str:
    if p is None:
        return "—"
    n = sources.setdefault(p.source_key, len(sources) + 1)
    keys = [m.key for m in group.metrics if m.key in p.metrics] or list(p.metrics)
    digits = {m.key: m.digits for m in group.metrics}
    values = " / ".join(_fmt(p.metrics[k], digits.get(k, 2)) for k in keys)
    return f"{values} [{n}]"


def quality_tables(result: QualityResult) -> list[Table]:
    """One results table per task/setting, followed by its table of published references, if any."""
    all_sources = {p.source_key: p.source for p in load_published()}
    tables = []
    for g in result.groups:
        sources: dict[str, int] = {}
        metric_cols = tuple(m.label + ("" if m.higher_is_better else " (lower is better)") for m in g.metrics)
        gain_col = (f"Δ {g.gain_metric.label} vs baseline",) if g.gain_metric is not None else ()
        pub_keys = " / ".join(m.label for m in g.metrics if m.key in ("psnr", "ssim"))
        header = (
            "dataset",
            "model",
            "images",
            *metric_cols,
            *gain_col,
            f"published {pub_keys}".strip(),
            "ms / image",
        )
        rows = []
        for r in g.rows:
            cells = [r.dataset, r.model, str(r.images)]
            cells += [_fmt(r.metrics.get(m.key), m.digits) for m in g.metrics]
            if g.gain_metric is not None:
                cells.append(
                    "—" if r.is_baseline or r.gain is None else f"{r.gain:+.{g.gain_metric.digits}f}"
                )
            cells.append(_published_cell(r.published, g, sources))
            cells.append(_fmt(None if r.seconds_per_image is None else r.seconds_per_image * 1000.0, 0))
            rows.append(tuple(cells))
        notes = []
        for p in [r.published for r in g.rows if r.published is not None and r.published.note]:
            notes.append(f"{p.method} on {p.dataset}: {p.note}")
        ref_rows = []
        for p in g.references:
            n = sources.setdefault(p.source_key, len(sources) + 1)
            ref_rows.append(
                (
                    p.dataset,
                    p.method,
                    *(_fmt(p.metrics.get(m.key), m.digits) for m in g.metrics),
                    f"[{n}]" + (f" {p.note}" if p.note else ""),
                )
            )
        notes += [f"[{n}] {all_sources[k]}" for k, n in sorted(sources.items(), key=lambda kv: kv[1])]
        title = f"{g.task} {g.label} — {g.title}"
        align = ("l", "l", "r", *("r" for _ in g.metrics), *("r" for _ in gain_col), "l", "r")
        if ref_rows:
            tables.append(Table(title, header, tuple(rows), align))
            tables.append(
                Table(
                    f"Published numbers for {g.task} {g.label} (methods not run here)",
                    ("dataset", "method", *(m.label for m in g.metrics), "source"),
                    tuple(ref_rows),
                    ("l", "l", *("r" for _ in g.metrics), "l"),
                    tuple(notes),
                )
            )
        else:
            tables.append(Table(title, header, tuple(rows), align, tuple(notes)))
    return tables


def quality_preamble(result: QualityResult, command: str | None = None) -> list[str]:
    lines = [f"vivid {__version__}, {result.created}. {result.machine.line()}."]
    if command:
        lines.append(f"Command: `{command}`")
    lines.append(
        "Times are wall time of vivid.engine.api.run_model per image (the baseline model included); "
        "on a shared machine compare them only within one run."
    )
    if result.skipped:
        lines.append("Left out (--skip-unsupported): " + "; ".join(result.skipped) + ".")
    return lines


# ------------------------------------------------------------------------------------------ speed tables


def speed_tables(result: SpeedResult) -> list[Table]:
    cfg = result.config
    ref = result.reference
    header = (
        "model",
        "size (output)",
        "input",
        "ms / frame",
        "output MP/s",
        "fps",
        *((f"speed vs {ref} (×, > 1 = faster)",) if ref else ()),
        "peak RSS MiB",
        "runtime",
        "threads",
    )
    rows = []
    for r in result.rows:
        rows.append(
            (
                r.model,
                f"{r.size} {r.out_width}x{r.out_height}",
                f"{r.in_width}x{r.in_height}",
                f"{r.ms:.1f}",
                f"{r.mpix_per_s:.2f}",
                f"{r.fps:.2f}",
                *((_fmt(r.ratio, 2),) if ref else ()),
                f"{r.peak_rss_mib:.0f}",
                r.runtime,
                str(r.threads),
            )
        )
    notes = (
        f"Sizes name the OUTPUT frame; SR models get an input of size / scale (x{cfg.scale}), other "
        "models the frame itself. Synthetic frame (gradients, edges, mild noise).",
        f"ms / frame: median of {cfg.runs} runs of vivid.engine.api.run_model after {cfg.warmup} "
        "warm-up run(s); MP/s counts output pixels.",
        "Peak RSS: peak resident memory (Linux VmHWM) of a fresh worker process per model: interpreter, "
        "libraries, model and every size up to this one (sizes run smallest first). "
        "Worker RSS before loading the model: "
        + ", ".join(f"{k} {v:.0f} MiB" for k, v in result.base_rss_mib.items())
        + ".",
        f"runtime: what ran each model, loaded as `vivid enhance --runtime {cfg.runtime}` loads it"
        + (" (auto: what vivid enhance runs by default)." if cfg.runtime == "auto" else "."),
    )
    title = f"Speed (x{cfg.scale} for SR models)"
    return [
        Table(
            title,
            header,
            tuple(rows),
            ("l", "l", "l", "r", "r", "r", *(("r",) if ref else ()), "r", "l", "r"),
            notes,
        )
    ]


def speed_preamble(result: SpeedResult, command: str | None = None) -> list[str]:
    lines = [f"vivid {__version__}, {result.created}. {result.machine.line()}."]
    if command:
        lines.append(f"Command: `{command}`")
    lines.append(
        "Absolute times on a shared machine move from run to run; the ratios were measured side by side "
        "in this run."
    )
    return lines


# ------------------------------------------------------------------------------------------ markdown


def _md_escape(cell: str) -> str:
    return cell.replace("|", "\\|")


def table_markdown(t: Table) -> str:
    lines = [f"### {t.title}", ""]
    lines.append("| " + " | ".join(_md_escape(h) for h in t.header) + " |")
    lines.append("|" + "|".join("---:" if a == "r" else "---" for a in t.align) + "|")
    lines += ["| " + " | ".join(_md_escape(c) for c in row) + " |" for row in t.rows]
    if t.notes:
        lines.append("")
        lines += [f"{n}  " for n in t.notes]
    return "\n".join(lines) + "\n"


def markdown(title: str, preamble: list[str], tables: list[Table]) -> str:
    parts = [f"# {title}", "", *[f"{p}  " for p in preamble], ""]
    parts += [table_markdown(t) for t in tables]
    return "\n".join(parts)


# ------------------------------------------------------------------------------------------ CSV / JSON


def quality_csv(result: QualityResult) -> str:
    keys: list[str] = []
    for g in result.groups:
        keys += [m.key for m in g.metrics if m.key not in keys]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        [
            "task",
            "setting",
            "dataset",
            "model",
            "baseline",
            "images",
            *keys,
            "gain",
            "ms_per_image",
            "published_method",
            "published_psnr",
            "published_ssim",
            "published_source",
        ]
    )
    for g in result.groups:
        for r in g.rows:
            p = r.published
            w.writerow(
                [
                    r.task,
                    r.setting,
                    r.dataset,
                    r.model,
                    int(r.is_baseline),
                    r.images,
                    *("" if k not in r.metrics else repr(r.metrics[k]) for k in keys),
                    "" if r.gain is None else repr(r.gain),
                    "" if r.seconds_per_image is None else f"{r.seconds_per_image * 1000:.3f}",
                    p.method if p else "",
                    p.metrics.get("psnr", "") if p else "",
                    p.metrics.get("ssim", "") if p else "",
                    p.source if p else "",
                ]
            )
    return buf.getvalue()


def speed_csv(result: SpeedResult) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        [
            "model",
            "size",
            "out_width",
            "out_height",
            "in_width",
            "in_height",
            "ms_median",
            "mpix_per_s",
            "fps",
            "ratio_vs_reference",
            "peak_rss_mib",
            "runtime",
            "threads",
            "runs_ms",
        ]
    )
    for r in result.rows:
        w.writerow(
            [
                r.model,
                r.size,
                r.out_width,
                r.out_height,
                r.in_width,
                r.in_height,
                f"{r.ms:.3f}",
                f"{r.mpix_per_s:.4f}",
                f"{r.fps:.3f}",
                "" if r.ratio is None else f"{r.ratio:.4f}",
                f"{r.peak_rss_mib:.1f}",
                r.runtime,
                r.threads,
                " ".join(f"{v:.3f}" for v in r.runs_ms),
            ]
        )
    return buf.getvalue()


def _plain(obj: Any) -> Any:
    """Dataclasses, paths and tuples as JSON-ready values (crop pixels are left out)."""
    if is_dataclass(obj) and not isinstance(obj, type):
        return {k: _plain(v) for k, v in asdict(obj).items()}
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    return obj


def quality_json(result: QualityResult, command: str | None = None) -> str:
    doc = {
        "vivid": __version__,
        "kind": "quality",
        "created": result.created,
        "command": command,
        "machine": _plain(result.machine),
        "config": _plain(result.config),
        "skipped": list(result.skipped),
        "groups": [
            {
                "task": g.task,
                "setting": g.setting,
                "label": g.label,
                "protocol": g.title,
                "metrics": [m.key for m in g.metrics],
                "baseline": g.baseline_label,
                "rows": [_plain(r) for r in g.rows],
                "published_references": [_plain(p) for p in g.references],
            }
            for g in result.groups
        ],
        "images": [_plain(s) for s in result.images],
        "crops": [
            {
                "task": c.task,
                "setting": c.setting,
                "dataset": c.dataset,
                "image": c.image,
                "box_top_left_height_width": list(c.box),
                "panels": [p.label for p in c.panels],
            }
            for c in result.crops
        ],
    }
    return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"


def speed_json(result: SpeedResult, command: str | None = None) -> str:
    doc = {
        "vivid": __version__,
        "kind": "speed",
        "created": result.created,
        "command": command,
        "machine": _plain(result.machine),
        "config": _plain(result.config),
        "reference": result.reference,
        "process_start_rss_mib": result.base_rss_mib,
        "rows": [_plain(r) for r in result.rows],
    }
    return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"


# ------------------------------------------------------------------------------------------ files


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    write_bytes_atomic(path, data)


#: the files a report folder holds
REPORT_FILES = ("results.md", "results.csv", "results.json", "report.html")


def prepare_out_dir(out: Path, *, overwrite: bool = True) -> Path:
    """Create ``out`` if needed; :class:`OutputError` if it cannot hold the report (checked before work),
    or, unless ``overwrite``, if it holds a report already."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"-o {out} is a file: give a folder for the report")
    if not overwrite and out.is_dir():
        old = [name for name in REPORT_FILES if (out / name).exists()]
        if old:
            raise OutputError(f"{out} holds a report already ({', '.join(old)}): add --overwrite to replace it, "
                              f"or give another -o folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"cannot create the report folder {out}: {e.strerror}") from None
    if not os.access(out, os.W_OK):
        raise OutputError(f"report folder {out} is not writable: give another -o folder")
    return out


def write_all(out: Path, *, md: str, csv_text: str, json_text: str, html: str) -> list[Path]:
    """results.md, results.csv, results.json and report.html written atomically into the report folder ``out``;
    returns their paths."""
    prepare_out_dir(out)
    paths = []
    for name, text in zip(REPORT_FILES, (md, csv_text, json_text, html), strict=True):
        p = out / name
        write_atomic(p, text)
        paths.append(p)
    return paths
