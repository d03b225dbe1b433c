"""The HTML report: one self-contained page (inline CSS; plots and image crops as base64 PNG; no
external CSS or JavaScript) with the same tables as the markdown, a quality-against-speed scatter plot
and side-by-side crops. Plots are drawn with matplotlib's Agg canvas directly (no pyplot, no global
backend switch).
"""

from __future__ import annotations

import base64
import html
import io
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vivid.bench.report import (
    Table,
    markdown,
    quality_csv,
    quality_json,
    quality_preamble,
    quality_tables,
    speed_csv,
    speed_json,
    speed_preamble,
    speed_tables,
    write_all,
)
from vivid.io.atomic import write_bytes_atomic
from vivid.io.image import from_array

#: the crops as one picture, beside the report (quoted in cards and the README)
CROPS_FILE = "crops.png"

if TYPE_CHECKING:
    import numpy as np

    from vivid.bench.quality import QualityResult
    from vivid.bench.speed import SpeedResult

# ------------------------------------------------------------------------------------------ figures


def _png_of_figure(fig: Any) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return buf.getvalue()


def png_of_array(pixels: np.ndarray) -> bytes:
    """PNG bytes of a uint8 ``(H, W, 3)`` array."""
    from vivid.io.write import encode_image

    return encode_image(from_array(pixels), format="png", strip_metadata=True)


def quality_scatter(result: QualityResult) -> bytes | None:
    """Quality (first metric) against ms / image, one panel per task/setting; None when nothing was timed."""
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter, NullFormatter

    groups = [g for g in result.groups if any(r.seconds_per_image for r in g.rows)]
    if not groups:
        return None
    n = len(groups)
    cols = min(3, n)
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(5.0 * cols, 4.0 * rows))
    markers = "osD^v<>pPX*h"
    for i, g in enumerate(groups):
        ax = fig.add_subplot(rows, cols, i + 1)
        metric = g.metrics[0]
        models = list(dict.fromkeys(r.model for r in g.rows))
        datasets = list(dict.fromkeys(r.dataset for r in g.rows))
        colors = {m: f"C{j % 10}" for j, m in enumerate(models)}
        for r in g.rows:
            if (
                not r.seconds_per_image
                or metric.key not in r.metrics
                or not math.isfinite(r.metrics[metric.key])
            ):
                continue
            ax.scatter(
                r.seconds_per_image * 1000.0,
                r.metrics[metric.key],
                color=colors[r.model],
                marker=markers[datasets.index(r.dataset) % len(markers)],
                s=40,
            )
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("ms / image (log scale)")
        unit = " (dB)" if metric.key.startswith("psnr") else ""
        ax.set_ylabel(metric.label + unit + ("" if metric.higher_is_better else " (lower is better)"))
        # a legend, not labels beside the points: those overlap where models score alike
        handles = [Line2D([], [], color=colors[m], marker="o", linestyle="", label=m) for m in models]
        if len(datasets) > 1:
            handles += [Line2D([], [], color="0.4", marker=markers[j % len(markers)], linestyle="", label=d)
                        for j, d in enumerate(datasets)]
        ax.legend(handles=handles, fontsize=7, frameon=False, loc="best")
        ax.set_title(f"{g.task} {g.label} on {', '.join(datasets)}", fontsize=9)
        ax.grid(True, alpha=0.3)
    fig.tight_layout()
    return _png_of_figure(fig)


def crops_figure(result: QualityResult) -> bytes | None:
    """The side-by-side crops as one PNG: a row per image (task, setting, dataset, image), a column per
    panel (ground truth, input, baseline, models) with its label; None without crops."""
    from matplotlib.figure import Figure

    if not result.crops:
        return None
    cols = max(len(c.panels) for c in result.crops)
    fig = Figure(figsize=(2.2 * cols, 2.5 * len(result.crops)))
    for r, c in enumerate(result.crops):
        for k in range(cols):
            ax = fig.add_subplot(len(result.crops), cols, r * cols + k + 1)
            ax.set_axis_off()
            if k < len(c.panels):
                ax.imshow(c.panels[k].pixels, interpolation="nearest")
                ax.set_title(c.panels[k].label, fontsize=8)
            if k == 0:  # the row's caption, along its left edge
                ax.text(-0.08, 0.5, f"{c.dataset} / {c.image}\n{c.task} {c.setting}", transform=ax.transAxes,
                        fontsize=8, ha="right", va="center", rotation=90)
    return _png_of_figure(fig)


def speed_figure(result: SpeedResult) -> Any | None:
    """Output megapixels per second per model and size: horizontal bars, one row of names per model (names
    under vertical bars overlapped once they were longer than a bar group), the first model on top."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    if not result.rows:
        return None
    models = list(dict.fromkeys(r.model for r in result.rows))
    sizes = list(dict.fromkeys(r.size for r in result.rows))
    fig = Figure(figsize=(8.0, 1.2 + 0.3 * len(models) * max(1, len(sizes))))
    ax = fig.add_subplot(1, 1, 1)
    height = 0.8 / len(sizes)
    for j, s in enumerate(sizes):
        vals = [
            next((r.mpix_per_s for r in result.rows if r.model == m and r.size == s), 0.0) for m in models
        ]
        ax.barh([i + j * height for i in range(len(models))], vals, height=height, label=s, color=f"C{j % 10}")
    ax.set_yticks([i + height * (len(sizes) - 1) / 2 for i in range(len(models))])
    ax.set_yticklabels(models, fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("output megapixels / s (log scale)")
    ax.legend(title="output size", fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # beside the bars
    ax.grid(True, axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def speed_plot(result: SpeedResult) -> bytes | None:
    """:func:`speed_figure` as PNG bytes."""
    fig = speed_figure(result)
    return None if fig is None else _png_of_figure(fig)


# ------------------------------------------------------------------------------------------ HTML

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em;color:#222;max-width:1400px}
table{border-collapse:collapse;margin:0.5em 0 0.5em 0;font-size:14px}
th,td{border:1px solid #ccc;padding:3px 8px}th{background:#f2f2f2}td.r{text-align:right}
p.note{font-size:12px;color:#555;margin:2px 0}h3{margin-top:1.6em}
figure.crop{display:inline-block;margin:4px;text-align:center;font-size:12px}
figure.crop img{width:256px;height:auto;image-rendering:pixelated;border:1px solid #ccc}
"""


def _img_tag(png: bytes, alt: str, cls: str = "") -> str:
    data = base64.b64encode(png).decode("ascii")
    c = f' class="{cls}"' if cls else ""
    return f'<img{c} alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def table_html(t: Table) -> str:
    e = html.escape
    head = "".join(f"<th>{e(h)}</th>" for h in t.header)
    body = "".join(
        "<tr>" + "".join(f'<td class="{a}">{e(c)}</td>' for c, a in zip(row, t.align, strict=False)) + "</tr>"
        for row in t.rows
    )
    notes = "".join(f'<p class="note">{e(n)}</p>' for n in t.notes)
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    return f"<h3>{e(t.title)}</h3>\n{table}\n{notes}\n"


def html_page(title: str, preamble: list[str], tables: list[Table], extra: str = "") -> str:
    e = html.escape
    pre = "".join(f"<p>{e(p)}</p>" for p in preamble)
    body = "".join(table_html(t) for t in tables)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>'
        f"<style>{_CSS}</style></head><body>\n<h1>{e(title)}</h1>\n{pre}\n{body}\n{extra}\n</body></html>\n"
    )


def quality_html(result: QualityResult, command: str | None = None) -> str:
    extra = []
    scatter = quality_scatter(result)
    if scatter is not None:
        extra.append("<h2>Quality against speed</h2>" + _img_tag(scatter, "quality against time per image"))
    if result.crops:
        extra.append(
            '<h2>Crops</h2><p class="note">128x128 output pixels where the ground truth has the most '
            "detail, shown at 2x; SR inputs are enlarged with nearest neighbour.</p>"
        )
        for c in result.crops:
            figs = "".join(
                f'<figure class="crop">{_img_tag(png_of_array(p.pixels), p.label)}'
                f"<figcaption>{html.escape(p.label)}</figcaption></figure>"
                for p in c.panels
            )
            top, left, h, w = c.box
            extra.append(
                f"<h3>{html.escape(f'{c.task} {c.setting} — {c.dataset} / {c.image}')} "
                f"<small>(rows {top}-{top + h}, columns {left}-{left + w})</small></h3><div>{figs}</div>"
            )
    return html_page(
        f"vivid bench quality — {result.config.task}",
        quality_preamble(result, command),
        quality_tables(result),
        "\n".join(extra),
    )


def speed_html(result: SpeedResult, command: str | None = None) -> str:
    plot = speed_plot(result)
    extra = "<h2>Throughput</h2>" + _img_tag(plot, "output megapixels per second") if plot else ""
    return html_page("vivid bench speed", speed_preamble(result, command), speed_tables(result), extra)


def write_quality_report(result: QualityResult, out: Path, command: str | None = None) -> list[Path]:
    """results.md, results.csv, results.json and report.html in ``out`` (and crops.png when there are crops);
    returns their paths."""
    md = markdown(f"vivid bench quality — {result.config.task}", quality_preamble(result, command),
                  quality_tables(result))
    paths = write_all(out, md=md, csv_text=quality_csv(result), json_text=quality_json(result, command),
                      html=quality_html(result, command))
    crops = crops_figure(result)
    if crops is not None:
        write_bytes_atomic(out / CROPS_FILE, crops)
        paths.append(out / CROPS_FILE)
    return paths


def write_speed_report(result: SpeedResult, out: Path, command: str | None = None) -> list[Path]:
    """results.md, results.csv, results.json and report.html in ``out``; returns their paths."""
    md = markdown("vivid bench speed", speed_preamble(result, command), speed_tables(result))
    return write_all(out, md=md, csv_text=speed_csv(result), json_text=speed_json(result, command),
                     html=speed_html(result, command))
