"""``vivid bench quality``: table structure, determinism, gains, and errors before any work."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vivid.bench.datasets import resolve_dataset
from vivid.bench.protocols import make_protocol
from vivid.bench.quality import QualityConfig, plan_quality, run_quality
from vivid.errors import ConfigError, InputError, ModelError


def bench(**kw):  # noqa: ANN003, ANN201
    config = QualityConfig(**kw)
    return run_quality(plan_quality(config))


def numbers(result) -> list[tuple]:  # noqa: ANN001
    """Every per-image score (times left out)."""
    return [(s.setting, s.dataset, s.model, s.image, tuple(sorted(s.metrics.items()))) for s in result.images]


def test_sr_table_structure_and_bicubic_gain_is_zero(make_folder) -> None:
    folder = make_folder("mine", n=3)
    result = bench(task="sr", datasets=(str(folder),), models=("bicubic", "lanczos"), scales=(2, 3), crops=1)
    assert [(g.task, g.setting) for g in result.groups] == [("sr", "x2"), ("sr", "x3")]
    for g in result.groups:
        assert [m.key for m in g.metrics] == ["psnr", "ssim"]
        # bicubic listed in the models is the baseline: one row, not a second identical one
        assert [(r.model, r.is_baseline, r.images) for r in g.rows] == [
            ("bicubic (baseline)", True, 3),
            ("lanczos", False, 3),
        ]
        base, lan = g.rows
        assert lan.gain == pytest.approx(lan.metrics["psnr"] - base.metrics["psnr"])
        assert 15 < base.metrics["psnr"] < 60 and 0 < base.metrics["ssim"] <= 1
        assert base.seconds_per_image is not None and base.seconds_per_image > 0
    # crops only for the first setting: GT, input, baseline, the other model
    assert len(result.crops) == 1
    assert [p.label for p in result.crops[0].panels] == [
        "ground truth",
        "degraded input",
        "baseline: bicubic",
        "lanczos",
    ]
    assert all(p.pixels.dtype == np.uint8 and p.pixels.shape[2] == 3 for p in result.crops[0].panels)


def test_same_command_twice_gives_identical_numbers(make_folder, paired_folder) -> None:
    clean = make_folder("clean", n=2)
    pairs = paired_folder("pairs")
    for kw in (
        dict(task="sr", datasets=(str(clean),), models=("bicubic",), scales=(2,)),
        dict(task="denoise", datasets=(str(clean),), models=("nlm",), sigmas=(25.0,)),
        dict(task="lowlight", datasets=(str(clean), str(pairs)), models=("gamma",)),
        dict(task="color", datasets=(str(clean),), models=("grayworld",)),
    ):
        first, second = bench(**kw, crops=0), bench(**kw, crops=0)
        assert numbers(first) == numbers(second), kw["task"]


def test_denoise_seeds_noise_per_image_and_gains_over_the_noisy_input(make_folder) -> None:
    folder = make_folder("clean", n=2, size=(48, 48))
    result = bench(task="denoise", datasets=(str(folder),), models=("nlm",), sigmas=(15.0, 50.0), crops=0)
    assert [g.setting for g in result.groups] == ["sigma15", "sigma50"]
    noisy15, noisy50 = (g.rows[0].metrics["psnr"] for g in result.groups)
    # AWGN PSNR is about 20 log10(255 / sigma): 24.6 dB at 15, 14.2 dB at 50 (a little more where clean
    # values near 0 and 1 would be clipped: here they are not, the input is float)
    assert noisy15 == pytest.approx(20 * np.log10(255 / 15), abs=0.3)
    assert noisy50 == pytest.approx(20 * np.log10(255 / 50), abs=0.3)
    assert "not quantised" in result.groups[0].title


def test_dejpeg_compresses_at_each_quality_and_denoisers_may_join(make_folder) -> None:
    """The JPEG protocol: the baseline is the JPEG itself (lower quality, lower PSNR, and PSNR-B below PSNR:
    the blocks are penalised); a denoiser is a fair row; another task's model is not."""
    folder = make_folder("clean", n=2, size=(64, 64))
    result = bench(task="dejpeg", datasets=(str(folder),), models=("nlm",), qualities=(10, 60), crops=0)
    assert [g.setting for g in result.groups] == ["q10", "q60"]
    assert [m.key for m in result.groups[0].metrics] == ["psnr", "ssim", "psnr_b"]
    q10, q60 = (g.rows[0].metrics for g in result.groups)
    assert q10["psnr"] < q60["psnr"] and q10["psnr_b"] < q10["psnr"]
    assert "4:2:0" in result.groups[0].title
    with pytest.raises(ModelError, match="sr model"):
        plan_quality(QualityConfig(task="dejpeg", datasets=(str(folder),), models=("bicubic",), qualities=(10,)))
    with pytest.raises(ConfigError, match="quality"):
        plan_quality(QualityConfig(task="dejpeg", datasets=(str(folder),), models=("nlm",), qualities=(0,)))


def test_lowlight_pairs_report_uncorrected_and_gt_mean_psnr(paired_folder) -> None:
    root = paired_folder("pairs")
    result = bench(task="lowlight", datasets=(str(root),), models=("gamma",), crops=0)
    (g,) = result.groups
    assert g.setting == "pairs"
    assert [m.key for m in g.metrics] == ["psnr", "ssim", "psnr_gtmean"]
    base = g.rows[0].metrics
    # the inputs are the targets times 0.35: a pure brightness error, which GT-mean correction undoes
    assert base["psnr_gtmean"] > base["psnr"] + 10


def test_colorize_protocol_scores_the_gray_baseline(make_folder) -> None:
    folder = make_folder("colour", n=1)
    ds = resolve_dataset(str(folder), task="colorize")
    p = make_protocol("colorize", None, mode=ds.mode)
    case = p.prepare(ds.items[0], 0)
    assert case.model_input.pixels.shape[0] == 1
    scores = p.score(p.finish(case.baseline), case)
    assert set(scores) == {"psnr", "ssim", "colorfulness"}
    assert scores["colorfulness"] == pytest.approx(0.0, abs=1e-6)


@pytest.fixture
def no_work(monkeypatch):  # noqa: ANN201
    """Fail the test if any model is run."""
    from vivid.engine import api

    def refuse(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError("a model ran before the inputs were validated")

    monkeypatch.setattr(api, "run_model", refuse)


def _expect(exc: type[Exception], match: str, **kw) -> None:  # noqa: ANN003
    with pytest.raises(exc, match=match):
        bench(**kw)


def test_bad_inputs_fail_before_any_work(no_work, make_folder, paired_folder, tmp_path: Path) -> None:
    good = str(make_folder("good", n=2))
    (tmp_path / "empty").mkdir()
    pairs = paired_folder("pairs")
    (pairs / "low" / "img1.png").unlink()
    # the bad item comes last each time: everything before it was valid and still nothing ran
    _expect(
        ConfigError,
        "unknown dataset 'NoSuchSet'",
        task="sr",
        datasets=(good, "NoSuchSet"),
        models=("bicubic",),
    )
    _expect(
        ModelError,
        "unknown model 'no-such-model'",
        task="sr",
        datasets=(good,),
        models=("bicubic", "no-such-model"),
    )
    _expect(
        InputError,
        "holds no images",
        task="sr",
        datasets=(good, str(tmp_path / "empty")),
        models=("bicubic",),
    )
    _expect(InputError, "unmatched pairs", task="lowlight", datasets=(good, str(pairs)), models=("gamma",))
    _expect(
        ModelError,
        r"'vivid-sr' does not support scale 8.*--skip-unsupported",
        task="sr",
        datasets=(good,),
        models=("bicubic", "vivid-sr"),
        scales=(2, 8),
    )
    _expect(
        ModelError,
        "is a denoise model, but this benchmark is --task sr",
        task="sr",
        datasets=(good,),
        models=("nlm",),
        scales=(2,),
    )
    _expect(
        InputError,
        r"model file .*missing\.pth.* does not exist",
        task="sr",
        datasets=(good,),
        models=("bicubic", f"file:{tmp_path / 'missing.pth'}"),
        scales=(2,),
    )
    _expect(ConfigError, "listed twice", task="sr", datasets=(good,), models=("bicubic", "bicubic"))


def test_skip_unsupported_leaves_out_missing_scales(make_folder, int8_by_default: None) -> None:  # noqa: ANN001
    folder = make_folder("mine", n=1)
    config = QualityConfig(
        task="sr",
        datasets=(str(folder),),
        models=("bicubic", "vivid-sr"),
        scales=(2, 8),  # vivid-sr ships x2/x3/x4; bicubic resamples to any scale
        skip_unsupported=True,
    )
    plan = plan_quality(config)
    # bicubic is the SR baseline: scored as the baseline row, not as a model of its own; vivid-sr x2 runs as
    # 'vivid enhance' runs it (precision auto: here, by the fixture, its shipped int8 graph), and the label says so
    assert [[m.label for m in j.models] for j in plan.jobs] == [["vivid-sr (int8)"], []]
    assert [j.baseline.name for j in plan.jobs] == ["bicubic", "bicubic"]
    assert plan.skipped == ("vivid-sr at x8 (the model does not offer it)",)


def test_published_numbers_sit_beside_matching_models(make_folder, tmp_path: Path, monkeypatch) -> None:
    make_folder("root/sr/Set5/HR", n=1)
    monkeypatch.setenv("VIVID_DATA_ROOT", str(tmp_path / "root"))
    result = bench(task="sr", datasets=("Set5",), models=("bicubic", "lanczos"), scales=(2,), crops=0)
    (g,) = result.groups
    pub = {r.model: r.published for r in g.rows}
    assert pub["bicubic (baseline)"].metrics == {"psnr": 33.66, "ssim": 0.9299}
    assert pub["lanczos"] is None
    assert "VDSR (paper)" in {p.method for p in g.references}
    assert all(p.source for p in g.references)


def test_a_published_methods_file_is_a_lowlight_row_beside_its_published_number(paired_folder, tmp_path) -> None:
    import torch

    from tests.zoo.test_peers import zero_dce_state
    from vivid.bench.published import match_model

    state = zero_dce_state()
    state["e_conv7.bias"] = torch.full((24,), -0.1)  # gently brightening curves: the inputs are 0.35x too dark
    (tmp_path / "zero_dce").mkdir()
    torch.save(state, tmp_path / "zero_dce" / "Epoch99.pth")
    spec = f"file:{tmp_path}/zero_dce/Epoch99.pth"
    result = bench(task="lowlight", datasets=(str(paired_folder("pairs")),), models=(spec,), crops=0)
    base, row = result.groups[0].rows
    assert row.model == "file:zero_dce/Epoch99.pth" and row.metrics["psnr"] > base.metrics["psnr"]
    # on LOL the row shows Zero-DCE's published number: published.json matches the official file's path
    assert match_model("lowlight", "LOL", "pairs", spec).method == "Zero-DCE"
    assert match_model("lowlight", "LOL", "pairs", spec.replace("zero_dce/", "zero_dce_pp/")) is None


def test_auto_and_float32_list_a_float_only_model_once(make_folder, int8_by_default: None) -> None:  # noqa: ANN001
    from vivid.bench.speed import SpeedConfig, plan_speed

    folder = make_folder("mine", n=1)
    config = QualityConfig(task="sr", datasets=(str(folder),), models=("bicubic", "vivid-sr", "vivid-sr-fast"),
                           scales=(2,), precisions=("auto", "float32"))
    # vivid-sr x2 runs int8 under auto and float32 when asked; vivid-sr-fast is float32 both times: one row
    assert [m.label for m in plan_quality(config).jobs[0].models] == ["vivid-sr (int8)", "vivid-sr-fast", "vivid-sr"]
    speed = plan_speed(SpeedConfig(models=("vivid-sr", "vivid-sr-fast"), sizes=("64x48",),
                                   precisions=("auto", "float32")))
    assert [m.label for m in speed.models] == ["vivid-sr (int8)", "vivid-sr-fast", "vivid-sr"]
