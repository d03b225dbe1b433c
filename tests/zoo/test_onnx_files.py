"""ONNX: export of a built-in torch model, ORT vs PyTorch agreement, and loading users' .onnx files."""

from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from vivid.errors import ModelError
from vivid.models.base import ModelDescriptor
from vivid.models.torch_runtime import TorchRestorer
from vivid.zoo.model_files import load_model_file
from vivid.zoo.onnx_files import OnnxRestorer, export_onnx


def _rep_sr(scale: int = 2) -> TorchRestorer:
    """vivid's RepSR, fused, with random weights large enough that every layer matters."""
    from vivid.models.archs.rep_sr import RepSR

    torch.manual_seed(0)
    net = RepSR(scale=scale, in_channels=3, channels=8, blocks=2)
    for p in net.parameters():
        if p.ndim == 4:
            torch.nn.init.normal_(p, std=0.1)
    descriptor = ModelDescriptor(name="rep_sr_test", task="sr", scale=scale, runtime="torch")
    return TorchRestorer(net.eval().fuse(), descriptor)


def test_exported_model_agrees_with_pytorch(tmp_path: Path) -> None:
    torch_model = _rep_sr()
    path = export_onnx(torch_model, tmp_path / "rep_sr.onnx")
    onnx_model = OnnxRestorer(path, replace(torch_model.descriptor, runtime="onnx"))
    x = np.random.default_rng(0).random((2, 3, 37, 23), dtype=np.float32)  # not the export size: dynamic H/W
    expected = torch_model(x)
    got = onnx_model(x)
    assert got.shape == expected.shape == (2, 3, 74, 46)
    assert np.abs(got - expected).max() < 1 / 255


def test_users_onnx_file_gets_its_descriptor_from_a_probe(tmp_path: Path) -> None:
    torch_model = _rep_sr(scale=3)
    path = export_onnx(torch_model, tmp_path / "mine.onnx")
    restorer = load_model_file(path)
    d = restorer.descriptor
    assert (d.name, d.task, d.scale, d.color_space, d.runtime) == ("file:mine.onnx", "sr", 3, "rgb", "onnx")
    assert (d.size_multiple, d.license) == (1, "unknown (user file)")
    assert d.provenance.startswith(f"user file mine.onnx sha256:{d.sha256[:12]}")
    x = np.random.default_rng(1).random((1, 3, 11, 20), dtype=np.float32)
    assert np.abs(restorer(x) - torch_model(x)).max() < 1 / 255
    with pytest.raises(ModelError, match=r"'mine.onnx' is x3, you asked for x2"):
        load_model_file(path, scale=2)


def test_scale_one_onnx_needs_a_task(tmp_path: Path) -> None:
    net = torch.nn.Conv2d(1, 1, 3, padding=1)
    restorer = TorchRestorer(net, ModelDescriptor(name="conv", task="denoise", color_space="gray"))
    path = export_onnx(restorer, tmp_path / "gray.onnx")
    with pytest.raises(ModelError, match=r"'gray.onnx' keeps the image size.*pass task="):
        load_model_file(path)
    d = load_model_file(path, task="denoise").descriptor
    assert (d.task, d.scale, d.color_space) == ("denoise", 1, "gray")


def test_fixed_size_onnx_runs_on_tiles(tmp_path: Path) -> None:
    torch_model = _rep_sr()
    path = tmp_path / "fixed.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        example = (torch.rand(1, 3, 24, 24),)
        torch.onnx.export(torch_model.module, example, str(path), opset_version=17, dynamo=False)
    restorer = load_model_file(path)
    assert (restorer.descriptor.min_size, restorer.descriptor.size_multiple) == (24, 1)
    x = np.random.default_rng(2).random((2, 3, 40, 57), dtype=np.float32)
    # tiles overlap by 12 px, cut mid-overlap: 6 px of margin exceed RepSR's receptive radius (4), so the
    # stitched result equals one pass over the whole image
    assert np.abs(restorer(x) - torch_model(x)).max() < 1 / 255


def test_sessions_use_vivids_threads_and_do_not_spin(monkeypatch) -> None:
    from vivid.zoo.builtin import weights_dir
    from vivid.zoo.onnx_files import make_session

    monkeypatch.setenv("VIVID_THREADS", "3")
    opts = make_session(weights_dir() / "vivid-sr-fast_x2.forward.onnx").get_session_options()
    assert opts.intra_op_num_threads == 3 and opts.inter_op_num_threads == 1
    assert opts.get_session_config_entry("session.intra_op.allow_spinning") == "0"
