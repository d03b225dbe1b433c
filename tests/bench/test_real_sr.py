"""The real-world SR protocol (``--task sr --degrade real``), model chains (``a+b``) and the crops PNG."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from vivid.bench.protocols import real_world_lr
from vivid.bench.quality import QualityConfig, plan_quality, run_quality
from vivid.bench.report_html import CROPS_FILE, write_quality_report
from vivid.errors import ConfigError, ModelError


def bench(**kw):  # noqa: ANN003, ANN201
    return run_quality(plan_quality(QualityConfig(**kw)))


def test_real_protocol_degrades_more_than_bicubic_and_repeats(make_folder) -> None:
    folder = str(make_folder("set", n=2, size=(64, 72)))
    real = bench(task="sr", datasets=(folder,), models=("lanczos",), scales=(2,), degradation="real", crops=0)
    plain = bench(task="sr", datasets=(folder,), models=("lanczos",), scales=(2,), crops=0)
    (g,) = real.groups
    assert (g.setting, g.label) == ("x2-real", "x2 real-world")
    assert "BENCH_CHAIN" in g.title and "JPEG q75" in g.title and "seeded by the image index" in g.title
    base_real, base_plain = g.rows[0].metrics["psnr"], plain.groups[0].rows[0].metrics["psnr"]
    assert base_real < base_plain - 1.0  # blur, noise and JPEG on top of the downscaling
    again = bench(task="sr", datasets=(folder,), models=("lanczos",), scales=(2,), degradation="real", crops=0)
    assert [s.metrics for s in again.images] == [s.metrics for s in real.images]


def test_real_lr_of_a_gray_image_is_gray_and_seeded() -> None:
    rng = np.random.default_rng(0)
    hr = rng.uniform(0.2, 0.8, (1, 48, 64)).astype(np.float32)
    a, b, c = real_world_lr(hr, 2, 0), real_world_lr(hr, 2, 0), real_world_lr(hr, 2, 1)
    assert a.shape == (1, 24, 32) and np.array_equal(a, b) and not np.array_equal(a, c)


def test_only_real_is_an_sr_degradation(make_folder) -> None:
    folder = str(make_folder("set", n=1))
    with pytest.raises(ConfigError, match="takes only 'real'"):
        plan_quality(QualityConfig(task="sr", datasets=(folder,), models=("bicubic",), degradation="noise:5"))
    with pytest.raises(ConfigError, match="--degrade applies to"):
        plan_quality(QualityConfig(task="denoise", datasets=(folder,), models=("nlm",), degradation="real"))


def test_a_chain_runs_its_models_in_order_as_one_row(make_folder, tmp_path: Path) -> None:
    folder = str(make_folder("set", n=2, size=(48, 48), transform=lambda x: 0.3 * x))  # dark: gamma lifts it
    result = bench(task="sr", datasets=(folder,), models=("gamma+lanczos", "lanczos"), scales=(2,),
                   degradation="real", crops=1)
    rows = {r.model: r for r in result.groups[0].rows}
    assert set(rows) == {"bicubic (baseline)", "gamma → lanczos", "lanczos"}
    # the brightening ran first: the chain scores otherwise than lanczos alone
    assert rows["gamma → lanczos"].metrics["psnr"] != pytest.approx(rows["lanczos"].metrics["psnr"], abs=1e-6)
    assert [p.label for p in result.crops[0].panels][-2:] == ["gamma → lanczos", "lanczos"]
    paths = write_quality_report(result, tmp_path / "report")
    assert tmp_path / "report" / CROPS_FILE in paths
    with PILImage.open(tmp_path / "report" / CROPS_FILE) as im:
        assert im.format == "PNG" and im.width > 5 * 128 and im.height > 128


def test_bad_chains_are_refused_before_any_work(make_folder) -> None:
    folder = str(make_folder("set", n=1))
    with pytest.raises(ModelError, match="only the last model of a chain"):
        plan_quality(QualityConfig(task="sr", datasets=(folder,), models=("lanczos+nlm",)))
    with pytest.raises(ConfigError, match="empty part"):
        plan_quality(QualityConfig(task="sr", datasets=(folder,), models=("nlm+",)))
    with pytest.raises(ModelError, match="is a denoise model, but this benchmark is --task sr"):
        plan_quality(QualityConfig(task="sr", datasets=(folder,), models=("nlm+nlm",)))
