"""PyTorch weight files through spandrel: safe loading, descriptors, pickle refusal, real peer weights."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from vivid.errors import ModelError
from vivid.zoo.model_files import load_model_file


def _tiny_compact(scale: int = 2) -> torch.nn.Module:
    """Real-ESRGAN's SRVGGNetCompact (spandrel's "RealESRGAN Compact"), tiny, random weights."""
    from spandrel.architectures.Compact.__arch.SRVGG import SRVGGNetCompact

    torch.manual_seed(0)
    return SRVGGNetCompact(num_feat=8, num_conv=2, upscale=scale).eval()


@pytest.mark.parametrize("suffix", [".pth", ".safetensors"])
def test_state_dict_loads_with_a_descriptor_from_spandrel(tmp_path: Path, suffix: str) -> None:
    net = _tiny_compact()
    p = tmp_path / f"tiny{suffix}"
    if suffix == ".pth":
        torch.save({"params": net.state_dict()}, p)  # BasicSR's wrapping, unwrapped by spandrel
    else:
        from safetensors.torch import save_file

        save_file(net.state_dict(), p)
    restorer = load_model_file(p)
    d = restorer.descriptor
    sha = hashlib.sha256(p.read_bytes()).hexdigest()
    assert (d.name, d.task, d.scale, d.color_space) == (f"file:tiny{suffix}", "sr", 2, "rgb")
    assert d.runtime == "torch"
    assert d.sha256 == sha and d.license == "unknown (user file)"
    assert d.provenance.startswith(f"user file tiny{suffix} sha256:{sha[:12]}") and "Compact" in d.provenance
    assert d.tileable and "bfloat16" in d.dtypes
    x = np.random.default_rng(0).random((2, 3, 12, 10), dtype=np.float32)
    with torch.inference_mode():
        expected = net(torch.from_numpy(x)).clamp(0, 1).numpy()
    np.testing.assert_allclose(restorer(x), expected, atol=1e-6)


def test_wrong_scale_and_wrong_task_are_refused(tmp_path: Path) -> None:
    p = tmp_path / "x2.pth"
    torch.save(_tiny_compact(2).state_dict(), p)
    with pytest.raises(ModelError, match=r"'x2.pth' is x2, you asked for x4"):
        load_model_file(p, scale=4)
    with pytest.raises(ModelError, match=r"x2.*does not fit task 'denoise'"):
        load_model_file(p, task="denoise")


def test_unknown_architecture_names_spandrel_and_onnx(tmp_path: Path) -> None:
    p = tmp_path / "mystery.pth"
    torch.save({"encoder.weight": torch.zeros(4, 3, 3, 3)}, p)
    with pytest.raises(ModelError, match=r"'mystery.pth'.*spandrel.*does not recognise.*DCTLSA.*ONNX"):
        load_model_file(p)


def test_a_pickle_without_tensors_is_not_a_model(tmp_path: Path) -> None:
    p = tmp_path / "config.pth"
    torch.save({"lr": 1e-4, "epochs": 3}, p)
    with pytest.raises(ModelError, match=r"'config.pth' is not a model file: it holds no weight tensors"):
        load_model_file(p)


class _Marker:
    """Unpickling this creates a file: a stand-in for code a malicious checkpoint would run."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple:
        return (open, (str(self.path), "w"))


def test_default_loading_runs_no_code_from_the_file(tmp_path: Path) -> None:
    marker = tmp_path / "code-ran"
    p = tmp_path / "evil.pth"
    torch.save({"weight": torch.zeros(3), "payload": _Marker(marker)}, p)
    with pytest.raises(ModelError, match=r"'evil.pth' stores pickled Python objects \(io\.open\)"):
        load_model_file(p)
    assert not marker.exists()


def test_pickled_module_needs_allow_pickle_then_runs_as_is(tmp_path: Path) -> None:
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 3, 3, padding=1))
    p = tmp_path / "whole.pth"
    torch.save(net, p)
    refusal = r"'whole.pth' stores pickled Python objects \(torch\.nn\..*Sequential\).*allow_pickle=True"
    with pytest.raises(ModelError, match=refusal):
        load_model_file(p)
    with pytest.raises(ModelError, match="pass task="):
        load_model_file(p, allow_pickle=True)
    restorer = load_model_file(p, allow_pickle=True, task="denoise")
    assert (restorer.descriptor.scale, restorer.descriptor.size_multiple) == (1, 1)
    assert "whole module Sequential" in restorer.descriptor.provenance
    x = np.random.default_rng(1).random((1, 3, 9, 7), dtype=np.float32)
    with torch.inference_mode():
        np.testing.assert_allclose(restorer(x), net(torch.from_numpy(x)).numpy(), atol=1e-6)


def test_pickled_module_without_its_code_names_the_missing_module(tmp_path: Path) -> None:
    code = "import torch\n\n\nclass Net(torch.nn.Conv2d):\n    pass\n"
    (tmp_path / "gone_arch_xyz.py").write_text(code)
    sys.path.insert(0, str(tmp_path))
    try:
        import gone_arch_xyz

        torch.save({"epoch": 1, "model": gone_arch_xyz.Net(3, 3, 1)}, tmp_path / "ckpt.pth")
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("gone_arch_xyz", None)
    (tmp_path / "gone_arch_xyz.py").unlink()
    with pytest.raises(ModelError, match=r"gone_arch_xyz.*original Python code.*state_dict.*ONNX"):
        load_model_file(tmp_path / "ckpt.pth", allow_pickle=True)


@pytest.mark.filterwarnings("ignore::FutureWarning")  # torch.jit is deprecated, files made with it are not
def test_torchscript_needs_allow_pickle(tmp_path: Path) -> None:
    p = tmp_path / "scripted.pt"
    torch.jit.trace(torch.nn.Conv2d(1, 1, 3, padding=1), torch.zeros(1, 1, 8, 8)).save(str(p))
    with pytest.raises(ModelError, match=r"'scripted.pt' stores a TorchScript program.*allow_pickle=True"):
        load_model_file(p)
    restorer = load_model_file(p, allow_pickle=True, task="denoise")
    assert restorer.descriptor.color_space == "gray"
    assert "whole module Conv2d" in restorer.descriptor.provenance
    assert restorer(np.zeros((1, 1, 20, 18), np.float32)).shape == (1, 1, 20, 18)


# --- real peer weights (../shared/weights, see its MANIFEST.md) -------------------------------------------


@pytest.mark.shared
@pytest.mark.slow
def test_dctlsa_x2_on_set5(shared_path, sr_psnrs) -> None:  # noqa: ANN001
    restorer = load_model_file(shared_path("weights/dctlsa/X2.pt"))
    d = restorer.descriptor
    assert (d.task, d.scale, d.color_space) == ("sr", 2, "rgb")
    assert d.sha256 == "df08c0b6dc0a034c63b6d425586ac3c13ed227db75bb0282b012b4220e943eb9"  # MANIFEST
    assert "DCTLSA" in d.provenance
    # Golden values measured with this code (2026, 2-core CPU; outputs rounded to 8 bits): on all of Set5
    # 38.245 dB, per image baby 38.981, bird 43.492, butterfly 36.030, head 36.045, woman 36.679; MANIFEST
    # section 3 measured 38.26 on Set5. The full set takes ~50 s on 2 cores, so the test runs the two
    # smallest images (bicubic: 27.437 and 34.883 dB) and checks them within 0.05 dB.
    butterfly, head = sr_psnrs(restorer, 2, ["butterfly_GT.bmp", "head_GT.bmp"])
    assert butterfly == pytest.approx(36.030, abs=0.05)
    assert head == pytest.approx(36.045, abs=0.05)


@pytest.mark.shared
@pytest.mark.slow
def test_dncnn_sigma25_on_bsd68(shared_path, bsd68_psnrs) -> None:  # noqa: ANN001
    restorer = load_model_file(shared_path("weights/dncnn/dncnn_25.pth"))
    d = restorer.descriptor
    assert (d.task, d.scale, d.color_space) == ("denoise", 1, "gray")
    assert "DnCNN" in d.provenance
    # Measured with this code on all 68 images: 29.234 dB (MANIFEST 29.23; DnCNN README 29.23). A full
    # image takes ~5 s on 2 cores, so the test runs two whose values sit near the set mean: test009 29.087,
    # test011 29.189 (same protocol, per-image values from that full run); tolerance 0.1 dB.
    values = bsd68_psnrs(restorer, ["test009.png", "test011.png"])
    assert values["test009.png"] == pytest.approx(29.087, abs=0.1)
    assert values["test011.png"] == pytest.approx(29.189, abs=0.1)


@pytest.mark.shared
@pytest.mark.parametrize(
    ("relative", "global_name"),
    [
        ("weights/srcnn/7000_z2.pt", "model.SRCNN"),
        ("weights/dncnn/dncnn_pytorch_sigma25_model.pth", "__main__.DnCNN"),
    ],
)
def test_pickled_peer_modules_are_refused(shared_path, relative, global_name) -> None:  # noqa: ANN001
    path = shared_path(relative)
    refusal = rf"stores pickled Python objects \({global_name}\).*allow_pickle=True"
    with pytest.raises(ModelError, match=refusal):
        load_model_file(path)
    # their classes are not importable here: even allowed, they cannot run
    with pytest.raises(ModelError, match=r"original Python code"):
        load_model_file(path, allow_pickle=True)


@pytest.mark.shared
@pytest.mark.slow
def test_official_vdsr_port_loads_without_allow_pickle_and_reproduces_its_readme(shared_path) -> None:  # noqa: ANN001
    """The port's file pickles ``vdsr.Net``; vivid reads its tensors without its code (vivid.zoo.pickled_tensors)
    and runs its network on MATLAB-bicubic-upscaled luma (vivid.zoo.peers.vdsr)."""
    from tests.zoo.conftest import read_rgb
    from vivid.engine.api import run_model
    from vivid.io.image import Image
    from vivid.metrics import psnr_y
    from vivid.ops.resize import imresize, modcrop

    path = shared_path("weights/vdsr/model_epoch_50.pth")
    # Golden values measured with this code (2026-12-07, 2-core CPU; outputs rounded to 8 bits): Set5 means
    # x2 37.606, x3 33.756, x4 31.444 dB (the port's README: 37.65 / 33.77 / 31.45; `vivid bench quality --task
    # sr --scale 2,3,4 --data Set5` gives the same); per image x2 butterfly 34.705, head 35.944; x4 butterfly
    # 27.219, head 32.814. The test runs those two (the smallest) within 0.05 dB.
    for scale, expected in ((2, (34.705, 35.944)), (4, (27.219, 32.814))):
        model = load_model_file(path, scale=scale)
        assert (model.descriptor.task, model.descriptor.scale, model.descriptor.color_space) == ("sr", scale, "y")
        for name, value in zip(("butterfly_GT.bmp", "head_GT.bmp"), expected, strict=True):
            hr = modcrop(read_rgb(shared_path("datasets/sr/Set5/HR") / name), scale)
            out = run_model(model, Image(imresize(hr, 1 / scale, quantize=8))).pixels
            assert psnr_y(np.clip(np.rint(out * 255.0), 0, 255) / 255.0, hr, shave=scale) == pytest.approx(
                value, abs=0.05)


@pytest.mark.shared
def test_architecture_spandrel_does_not_know(shared_path) -> None:  # noqa: ANN001
    with pytest.raises(ModelError, match=r"SMFANet_DF2K_100w_x2SR.pth.*does not recognise.*ONNX"):
        load_model_file(shared_path("weights/smfanet/SMFANet_DF2K_100w_x2SR.pth"))
