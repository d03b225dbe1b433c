"""OpenCV dnn_superres .pb files: family/scale from the name or the arguments, and Set5 quality."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from vivid.errors import ModelError
from vivid.zoo.model_files import load_model_file
from vivid.zoo.opencv_files import family_and_scale_from_name

SET5 = ["baby_GT.bmp", "bird_GT.bmp", "butterfly_GT.bmp", "head_GT.bmp", "woman_GT.bmp"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("FSRCNN_x2.pb", ("fsrcnn", 2)),
        ("FSRCNN-small_x4.pb", ("fsrcnn", 4)),
        ("ESPCN_x3.pb", ("espcn", 3)),
        ("LapSRN_x8.pb", ("lapsrn", 8)),
        ("edsr_x4.pb", ("edsr", 4)),
        ("my_model.pb", (None, None)),
    ],
)
def test_family_and_scale_from_the_file_name(name: str, expected: tuple) -> None:
    assert family_and_scale_from_name(Path(name)) == expected


@pytest.mark.shared
def test_fsrcnn_x2_on_set5(shared_path, sr_psnrs) -> None:  # noqa: ANN001
    restorer = load_model_file(shared_path("weights/fsrcnn/FSRCNN_x2.pb"))
    d = restorer.descriptor
    assert (d.name, d.task, d.scale, d.color_space) == ("file:FSRCNN_x2.pb", "sr", 2, "rgb")
    assert d.runtime == "opencv"
    assert d.sha256 == "366b33f0084c7b3f2bf6724f0a2c77bca94fcec9d7b6d72389d330073b380d5c"  # MANIFEST
    # MANIFEST section 3: 34.86 dB on Set5 x2 (measured here: 34.850; bicubic 33.678)
    assert np.mean(sr_psnrs(restorer, 2, SET5)) == pytest.approx(34.86, abs=0.05)


@pytest.mark.shared
def test_espcn_x3_scale_comes_from_the_file_name(shared_path, sr_psnrs) -> None:  # noqa: ANN001
    restorer = load_model_file(shared_path("weights/espcn/ESPCN_x3.pb"))
    assert restorer.descriptor.scale == 3 and "espcn x3" in restorer.descriptor.provenance
    lr = np.random.default_rng(0).random((2, 3, 10, 7), dtype=np.float32)
    assert restorer(lr).shape == (2, 3, 30, 21)
    # MANIFEST section 3: 30.53 dB on Set5 x3 (measured here: 30.527; bicubic 30.404)
    assert np.mean(sr_psnrs(restorer, 3, SET5)) == pytest.approx(30.53, abs=0.05)


@pytest.mark.shared
def test_lapsrn_x8_and_fsrcnn_small_load(shared_path) -> None:  # noqa: ANN001
    assert load_model_file(shared_path("weights/lapsrn/LapSRN_x8.pb")).descriptor.scale == 8
    small = load_model_file(shared_path("weights/fsrcnn/FSRCNN-small_x4.pb"))
    assert small.descriptor.scale == 4 and "fsrcnn x4" in small.descriptor.provenance


@pytest.mark.shared
def test_a_renamed_pb_needs_family_and_scale(shared_path, tmp_path: Path) -> None:  # noqa: ANN001
    p = tmp_path / "upscaler.pb"
    shutil.copy(shared_path("weights/fsrcnn/FSRCNN_x2.pb"), p)
    with pytest.raises(ModelError, match=r"'upscaler.pb'.*pass family=.*and scale="):
        load_model_file(p)
    restorer = load_model_file(p, family="fsrcnn", scale=2)
    assert restorer(np.zeros((1, 3, 8, 8), np.float32)).shape == (1, 3, 16, 16)


@pytest.mark.shared
def test_wrong_scale_is_refused(shared_path) -> None:  # noqa: ANN001
    with pytest.raises(ModelError, match=r"'FSRCNN_x2.pb' is x2, you asked for x4"):
        load_model_file(shared_path("weights/fsrcnn/FSRCNN_x2.pb"), scale=4)
