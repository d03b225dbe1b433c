"""Report helpers: atomic writes, markdown/HTML tables, published.json integrity."""

from __future__ import annotations

from pathlib import Path

import pytest

from vivid.bench.published import load_published, match_model
from vivid.bench.report import Table, prepare_out_dir, table_markdown, write_atomic
from vivid.bench.report_html import table_html
from vivid.errors import OutputError


def test_write_atomic_replaces_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    target = tmp_path / "results.md"
    write_atomic(target, "first")
    write_atomic(target, "second")
    assert target.read_text() == "second"
    assert [p.name for p in tmp_path.iterdir()] == ["results.md"]
    assert target.stat().st_mode & 0o644 == 0o644


def test_out_dir_that_is_a_file_is_an_output_error(tmp_path: Path) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(OutputError, match="is a file"):
        prepare_out_dir(f)


def test_table_renders_to_markdown_and_escaped_html() -> None:
    t = Table("t", ("model", "PSNR"), (("a|b <x>", "30.00"),), ("l", "r"), ("note & more",))
    md = table_markdown(t)
    assert "| model | PSNR |\n|---|---:|\n| a\\|b <x> | 30.00 |" in md
    html = table_html(t)
    assert '<td class="l">a|b &lt;x&gt;</td>' in html and "note &amp; more" in html


def test_every_published_number_has_a_source_and_known_setting() -> None:
    entries = load_published()
    assert len(entries) > 50
    for p in entries:
        assert p.source and p.metrics, p.method
        assert p.setting in {"x2", "x3", "x4", "sigma15", "sigma25", "sigma50", "pairs"}, p.setting
    # the EVAL.md anchor and the numbers
    assert match_model("sr", "Set5", "x3", "bicubic").metrics == {"psnr": 30.39, "ssim": 0.8682}
    by = {(p.method, p.dataset, p.setting): p.metrics.get("psnr") for p in entries}
    assert by[("VDSR (VDSR_API, trained on flowers)", "Set5", "x2")] == pytest.approx(35.46, abs=0.005)
    assert by[("CDnCNN", "CBSD68", "sigma50")] == 27.92
    assert by[("HVI-CIDNet", "LOL", "pairs")] == 23.8
    assert match_model("denoise", "BSD68", "sigma25", "file:../shared/weights/dncnn/dncnn_25.pth") is not None


def test_published_sources_are_ones_a_reader_can_look_up() -> None:
    """Report footnotes cite papers and public repositories, never paths or notes of this project."""
    for p in load_published():
        for text in (p.source, p.note or "", p.method):
            assert "../shared" not in text and "MANIFEST" not in text, text
            assert "issue" not in text and "seed" not in text.lower() and "tests/" not in text, text


def test_quality_plot_names_models_in_a_legend_not_beside_the_points(make_folder, monkeypatch) -> None:
    """Labels beside the points overlapped ("bicubicbicubic (baseline)"); the title spelled markers."""
    import vivid.bench.report_html as report_html
    from tests.bench.test_quality import bench

    folder = make_folder("mine", n=1)
    result = bench(task="sr", datasets=(str(folder),), models=("lanczos", "bicubic"), scales=(2,), crops=0)
    figures = []
    monkeypatch.setattr(report_html, "_png_of_figure", lambda fig: figures.append(fig) or b"png")
    assert report_html.quality_scatter(result) == b"png"
    (ax,) = figures[0].axes
    assert len(ax.texts) == 0  # no annotations to collide
    assert ax.get_title() == "sr x2 on mine"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["bicubic (baseline)", "lanczos"]


def test_speed_plot_labels_never_overlap() -> None:
    """Model names under vertical bars overlapped once a name was longer than its bar group; now each model has
    a row of its own and the legend sits beside the bars."""
    from types import SimpleNamespace

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from vivid.bench.report_html import speed_figure
    from vivid.bench.speed import SpeedRow

    models = ["file:RealESRGAN_x4plus_anime_6B.pth", "vivid-sr", "vivid-sr-fast", "bicubic", "lanczos", "vivid-tone"]
    rows = tuple(SpeedRow(m, size, 64, 64, 128, 128, (1.0,), 1.0, mp, 1.0, 100.0, "torch", 2)
                 for i, m in enumerate(models) for size, mp in (("720p", 1.0 + i), ("4k", 30.0 + i)))
    fig = speed_figure(SimpleNamespace(rows=rows))
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    (ax,) = fig.axes
    labels = [t for t in ax.get_yticklabels() if t.get_text()]
    assert [t.get_text() for t in labels] == models  # in order, first on top
    boxes = [t.get_window_extent(renderer) for t in labels]
    assert not any(a.overlaps(b) for k, a in enumerate(boxes) for b in boxes[k + 1:])
    assert not ax.get_legend().get_window_extent(renderer).overlaps(ax.get_window_extent(renderer))
    ticks = [t for t in ax.get_xticklabels() if t.get_text()]
    assert len(ticks) >= 3 and all(t.get_text().replace(".", "").isdigit() for t in ticks)  # plain numbers
