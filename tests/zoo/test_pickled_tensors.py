"""Reading the tensors of a file that pickles a whole module, without running any of the file's code
(vivid.zoo.pickled_tensors), and loading it when vivid or spandrel knows the architecture."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from vivid.errors import ModelError
from vivid.zoo.model_files import load_model_file
from vivid.zoo.pickled_tensors import read_pickled_state

# a module of the user's own code, as the popular VDSR port has it (vdsr.py with Net and Conv_ReLU_Block)
_VDSR_CODE = '''
import torch
from torch import nn


class Conv_ReLU_Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(64, 64, 3, padding=1, bias=False)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.relu(self.conv(x))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.residual_layer = nn.Sequential(*[Conv_ReLU_Block() for _ in range(18)])
        self.input = nn.Conv2d(1, 64, 3, padding=1, bias=False)
        self.output = nn.Conv2d(64, 1, 3, padding=1, bias=False)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.output(self.residual_layer(self.relu(self.input(x)))) + x
'''


def save_without_code(tmp_path: Path, name: str, code: str, make: str, file: str = "ckpt.pth") -> tuple[Path, dict]:
    """``torch.save({"epoch": 1, "model": <module>.<make>()})`` with a module of its own, then the module is gone
    (as on a user's machine without the training code). Returns the file and the module's state dict."""
    (tmp_path / f"{name}.py").write_text(code)
    sys.path.insert(0, str(tmp_path))
    try:
        module = __import__(name)
        torch.manual_seed(0)
        net = getattr(module, make)()
        torch.save({"epoch": 1, "model": net}, tmp_path / file)
        state = {k: v.detach().clone() for k, v in net.state_dict().items()}
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop(name, None)
    (tmp_path / f"{name}.py").unlink()
    return tmp_path / file, state


def test_the_tensors_of_a_pickled_module_are_read_without_its_code(tmp_path: Path) -> None:
    path, state = save_without_code(tmp_path, "vdsr_user_code", _VDSR_CODE, "Net")
    found = read_pickled_state(path)
    assert found is not None and "vdsr_user_code" not in sys.modules  # never imported
    read, cls = found
    assert cls == "vdsr_user_code.Net" and set(read) == set(state) and len(read) == 20
    assert all(torch.equal(read[k], state[k]) for k in state)


class _Evil:
    """Unpickling this runs ``os.system`` in a normal load (a marker file appears)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # noqa: ANN204
        return (os.system, (f"touch {self.marker}",))


def test_reading_runs_no_code_from_the_file(tmp_path: Path) -> None:
    marker = tmp_path / "code-ran"
    p = tmp_path / "evil.pth"
    torch.save({"weight": torch.zeros(3), "model": _Evil(marker)}, p)
    assert read_pickled_state(p) is None  # the payload became an inert stub: no module, no state
    assert not marker.exists()
    with pytest.raises(ModelError, match=r"'evil.pth'"):  # refused as before
        load_model_file(p)
    assert not marker.exists()


def test_a_pickled_vdsr_loads_without_allow_pickle_as_x2_x3_x4_luma_sr(tmp_path: Path) -> None:
    from vivid.ops.resize import imresize

    path, state = save_without_code(tmp_path, "vdsr_user_code2", _VDSR_CODE, "Net")
    model = load_model_file(path)
    d = model.descriptor
    assert (d.task, d.scale, d.color_space, d.runtime) == ("sr", 2, "y", "torch")
    assert "VDSR" in d.provenance and d.license.startswith("official VDSR weights: MIT")
    x = np.random.default_rng(0).random((1, 1, 10, 13), dtype=np.float32)
    for scale in (2, 3, 4):
        out = load_model_file(path, scale=scale)(x)
        assert out.shape == (1, 1, 10 * scale, 13 * scale)
        # the port's own forward on MATLAB-bicubic-upscaled input (what its README measures)
        up = torch.from_numpy(imresize(x, scale).astype(np.float32))
        net = torch.nn.functional.conv2d
        h = torch.relu(net(up, state["input.weight"], padding=1))
        for i in range(18):
            h = torch.relu(net(h, state[f"residual_layer.{i}.conv.weight"], padding=1))
        expected = (net(h, state["output.weight"], padding=1) + up).numpy()
        np.testing.assert_allclose(out, expected, atol=1e-5)
    with pytest.raises(ModelError, match=r"is VDSR, which does x2/x3/x4, not x5: use scale=2 or another"):
        load_model_file(path, scale=5)


def test_an_unknown_pickled_module_still_needs_its_code(tmp_path: Path) -> None:
    code = "import torch\n\n\nclass Odd(torch.nn.Module):\n    def __init__(self):\n        super().__init__()\n" \
           "        self.w = torch.nn.Conv2d(3, 5, 3)\n"
    path, _ = save_without_code(tmp_path, "odd_user_code", code, "Odd")
    assert read_pickled_state(path) is not None  # readable, but no architecture vivid or spandrel knows
    with pytest.raises(ModelError, match=r"stores pickled Python objects \(odd_user_code\.Odd\).*allow_pickle"):
        load_model_file(path)
