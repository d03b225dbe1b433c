"""Published low-light methods' weight files (vivid.zoo.peers) through the bring-your-own path.

The core tests write tiny state dicts with the official files' tensor names (spelled out here from the
official files, not derived from vivid's modules) and check each method's inference against its closed
form: with every weight zero, each network reduces to a constant map set by one bias, so the output is a
formula of the input (the curve iterations and their sign, SCI's division, RUAS's last stage and noise
subtraction, PairLIE's exponent). The ``shared`` tests load the official files from ../shared/weights. IAT is the supervised one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from vivid.errors import ModelError
from vivid.zoo.model_files import load_model_file

_RNG = np.random.default_rng(0)


def _x() -> np.ndarray:
    """A dark random image ``(1, 3, 24, 37)``: 37 is no multiple of Zero-DCE++'s factor 12."""
    return (_RNG.random((1, 3, 24, 37)) * 0.3).astype(np.float32)


def _save(tmp_path: Path, state: dict[str, torch.Tensor], name: str = "weights.pth") -> Path:
    path = tmp_path / name
    torch.save(state, path)
    return path


def _conv(cout: int, cin: int, k: int = 3, *, groups: int = 1) -> dict[str, torch.Tensor]:
    return {"weight": torch.zeros(cout, cin // groups, k, k), "bias": torch.zeros(cout)}


def _flat(prefix: str, params: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {f"{prefix}.{k}": v for k, v in params.items()}


def _bn(c: int) -> dict[str, torch.Tensor]:
    return {"weight": torch.ones(c), "bias": torch.zeros(c), "running_mean": torch.zeros(c),
            "running_var": torch.ones(c), "num_batches_tracked": torch.tensor(0)}


# --- the official layouts, zero weights --------------------------------------------------------------------


def zero_dce_state(w: int = 4) -> dict[str, torch.Tensor]:
    shapes = {1: (w, 3), 2: (w, w), 3: (w, w), 4: (w, w), 5: (w, 2 * w), 6: (w, 2 * w), 7: (24, 2 * w)}
    return {k: v for i, (co, ci) in shapes.items() for k, v in _flat(f"e_conv{i}", _conv(co, ci)).items()}


def zero_dce_pp_state(w: int = 4) -> dict[str, torch.Tensor]:
    state = {}
    for i, (co, ci) in {1: (w, 3), 2: (w, w), 3: (w, w), 4: (w, w), 5: (w, 2 * w), 6: (w, 2 * w), 7: (3, 2 * w)}.items():
        state |= _flat(f"e_conv{i}.depth_conv", _conv(ci, ci, groups=ci))
        state |= _flat(f"e_conv{i}.point_conv", _conv(co, ci, 1))
    return state


def sci_state() -> dict[str, torch.Tensor]:
    state = _flat("enhance.in_conv.0", _conv(3, 3))
    for prefix in ("enhance.conv", "enhance.blocks.0"):  # one module, listed under both names
        state |= _flat(f"{prefix}.0", _conv(3, 3)) | _flat(f"{prefix}.1", _bn(3))
    state |= _flat("enhance.out_conv.0", _conv(3, 3))
    # the self-calibrating module (training only) travels in the official files
    return state | _flat("calibrate.in_conv.0", _conv(16, 3)) | _flat("calibrate.out_conv.0", _conv(3, 16))


def ruas_state() -> dict[str, torch.Tensor]:
    state = {}
    for s in range(3):
        for slot, k in {"c1_r": 1, "c2_d": 3, "c2_r": 3, "c3_d": 3, "c4": 3}.items():
            state |= _flat(f"enhance_net.iems.{s}.cell.{slot}.op", _conv(3, 3, k))
        state |= _flat(f"enhance_net.iems.{s}.cell.c5", _conv(3, 12, 1))
    state |= _flat("denoise_net.stem", _conv(6, 3))
    for c in range(3):
        for slot, k in {"c1_d": 1, "c1_r": 1, "c2_d": 3, "c3_d": 1, "c3_r": 1}.items():
            state |= _flat(f"denoise_net.nrms.{c}.{slot}.op", _conv(6, 6, k))
        state |= _flat(f"denoise_net.nrms.{c}.c5", _conv(6, 24, 1))
    return state | _flat("denoise_net.activate.0", _conv(3, 6))


def pairlie_state(w: int = 4) -> dict[str, torch.Tensor]:
    state = {}
    for net, out in (("L_net", 1), ("R_net", 3), ("N_net", 3)):
        for i, (co, ci) in zip((1, 4, 7, 10, 13), [(w, 3), (w, w), (w, w), (w, w), (out, w)], strict=True):
            state |= _flat(f"{net}.{net}.{i}", _conv(co, ci))
    return state


def iat_state(dim: int = 16) -> dict[str, torch.Tensor]:
    state = _flat("local_net.conv1", _conv(dim, 3))
    for stack in ("mul_blocks", "add_blocks"):
        for b in range(3):
            p = f"local_net.{stack}.{b}"
            state |= {f"{p}.gamma_1": torch.zeros(1, dim, 1, 1), f"{p}.gamma_2": torch.zeros(1, dim, 1, 1)}
            state |= _flat(f"{p}.pos_embed", _conv(dim, dim, groups=dim))
            for norm in ("norm1", "norm2"):
                state |= {f"{p}.{norm}.alpha": torch.zeros(1, 1, dim), f"{p}.{norm}.beta": torch.zeros(1, 1, dim),
                          f"{p}.{norm}.color": torch.zeros(dim, dim)}
            state |= _flat(f"{p}.conv1", _conv(dim, dim, 1)) | _flat(f"{p}.conv2", _conv(dim, dim, 1))
            state |= _flat(f"{p}.attn", _conv(dim, dim, 5, groups=dim))
            state |= _flat(f"{p}.mlp.fc1", _conv(4 * dim, dim, 1)) | _flat(f"{p}.mlp.fc2", _conv(dim, 4 * dim, 1))
    state |= _flat("local_net.mul_end.0", _conv(3, dim)) | _flat("local_net.add_end.0", _conv(3, dim))
    g = "global_net"
    state |= {f"{g}.gamma_base": torch.zeros(1), f"{g}.color_base": torch.zeros(3, 3)}
    state |= _flat(f"{g}.conv_large.proj.0", _conv(32, 3)) | _flat(f"{g}.conv_large.proj.1", _bn(32))
    state |= _flat(f"{g}.conv_large.proj.3", _conv(64, 32)) | _flat(f"{g}.conv_large.proj.4", _bn(64))
    state |= _flat(f"{g}.generator.pos_embed", _conv(64, 64, groups=64))
    for norm in ("norm1", "norm2"):
        state |= {f"{g}.generator.{norm}.weight": torch.zeros(64), f"{g}.generator.{norm}.bias": torch.zeros(64)}
    state |= {f"{g}.generator.attn.q": torch.zeros(1, 10, 64), f"{g}.generator.attn.k.weight": torch.zeros(64, 64),
              f"{g}.generator.attn.v.weight": torch.zeros(64, 64), f"{g}.generator.attn.proj.weight": torch.zeros(64, 64),
              f"{g}.generator.attn.proj.bias": torch.zeros(64)}
    for name, (o, i) in {"generator.mlp.fc1": (256, 64), "generator.mlp.fc2": (64, 256), "gamma_linear": (1, 64),
                         "color_linear": (1, 64)}.items():
        state |= {f"{g}.{name}.weight": torch.zeros(o, i), f"{g}.{name}.bias": torch.zeros(o)}
    return state


def clip_lit_state() -> dict[str, torch.Tensor]:
    """Saved from DataParallel, as the official file: every name starts with ``module.``."""
    state = _flat("cond1", _conv(32, 3)) | _flat("cond_add1", _conv(1, 32))
    state |= _flat("condx", _conv(64, 32)) | _flat("condy", _conv(32, 64))
    for i, c in enumerate((32, 32, 64, 64, 32, 32), start=1):
        state |= {f"ResidualBlock{i}.conv{j}.weight": torch.zeros(c, c, 3, 3) for j in (1, 2)}
    for b in range(4):
        state |= {f"PPM1.features.{b}.1.weight": torch.zeros(8, 32, 1, 1), f"PPM1.features.{b}.2.weight": torch.zeros(1)}
    state |= {"PPM1.fuse.0.weight": torch.zeros(32, 64, 3, 3), "PPM1.fuse.1.weight": torch.zeros(1)}
    return {f"module.{k}": v for k, v in state.items()}


def _sigmoid(v: float) -> float:
    return 1.0 / (1.0 + np.exp(-v))


def _curves(x: np.ndarray, maps: list[np.ndarray]) -> np.ndarray:
    for a in maps:
        x = x + a * (x * x - x)
    return x


# --- closed forms --------------------------------------------------------------------------------------------


def test_zero_dce_applies_eight_curves_one_map_each(tmp_path: Path) -> None:
    state = zero_dce_state()
    bias = torch.linspace(-0.9, -0.2, 24)
    state["e_conv7.bias"] = bias
    r = load_model_file(_save(tmp_path, state, "Epoch99.pth"))
    x = _x()
    a = np.tanh(bias.numpy()).reshape(8, 3, 1, 1)
    np.testing.assert_allclose(r(x)[0], _curves(x[0], list(a)), atol=1e-5)
    assert r(x).mean() > x.mean()  # negative maps brighten in the official form


def test_zero_dce_pp_applies_one_map_eight_times(tmp_path: Path) -> None:
    state = zero_dce_pp_state()
    bias = torch.tensor([-0.8, -0.5, -0.3])
    state["e_conv7.point_conv.bias"] = bias
    r = load_model_file(_save(tmp_path, state))
    x = _x()
    a = np.tanh(bias.numpy()).reshape(3, 1, 1)
    np.testing.assert_allclose(r(x)[0], _curves(x[0], [a] * 8), atol=1e-5)
    d = r.descriptor
    assert not d.tileable and d.min_size == 12 and "Zero-DCE++" in d.provenance and "CC BY-NC" in d.license


def test_sci_divides_by_input_plus_estimated_illumination(tmp_path: Path) -> None:
    state = sci_state()
    state["enhance.out_conv.0.bias"] = torch.tensor([-2.0, -1.0, 0.0])
    r = load_model_file(_save(tmp_path, state, "easy.pt"))
    x = _x()
    s = np.array([_sigmoid(-2.0), _sigmoid(-1.0), 0.5], dtype=np.float32).reshape(3, 1, 1)
    expected = np.clip(x[0] / np.clip(x[0] + s, 1e-4, 1.0), 0, 1)
    np.testing.assert_allclose(r(x)[0], expected, atol=1e-5)
    assert r.descriptor.license == "official SCI weights: MIT"


def test_ruas_divides_by_the_last_stage_then_removes_noise(tmp_path: Path) -> None:
    state = ruas_state()
    for s, b in enumerate((3.0, 2.0, -1.0)):  # only the last stage's illumination reaches the output
        state[f"enhance_net.iems.{s}.cell.c5.bias"] = torch.full((3,), b)
    state["denoise_net.activate.0.bias"] = torch.tensor([0.01, 0.0, -0.02])
    r = load_model_file(_save(tmp_path, state, "lol.pt"))
    x = _x()
    noise = np.array([0.01, 0.0, -0.02], dtype=np.float32).reshape(3, 1, 1)
    np.testing.assert_allclose(r(x)[0], np.clip(x[0] / _sigmoid(-1.0), 0, 1) - noise, atol=1e-5)
    assert "unknown" in r.descriptor.license


def test_pairlie_brightens_illumination_by_its_exponent(tmp_path: Path) -> None:
    state = pairlie_state()
    state["L_net.L_net.13.bias"] = torch.tensor([-3.0])
    state["R_net.R_net.13.bias"] = torch.tensor([1.0, 0.0, -1.0])
    r = load_model_file(_save(tmp_path, state, "PairLIE.pth"))
    expected = _sigmoid(-3.0) ** 0.2 * np.array([_sigmoid(1.0), 0.5, _sigmoid(-1.0)])
    np.testing.assert_allclose(r(_x())[0], np.broadcast_to(expected.reshape(3, 1, 1), (3, 24, 37)), atol=1e-5)


def test_iat_applies_local_gain_and_offset_then_colour_matrix_and_gamma(tmp_path: Path) -> None:
    state = iat_state()
    state["local_net.mul_end.0.bias"] = torch.tensor([1.5, 2.0, 2.5])
    state["local_net.add_end.0.bias"] = torch.tensor([0.1, 0.0, -0.1])
    colour = torch.tensor([[0.9, 0.2, 0.0], [0.0, 1.0, 0.1], [0.1, 0.0, 0.8]])  # not symmetric: rows mix
    state["global_net.color_base"] = colour
    state["global_net.gamma_base"] = torch.tensor([0.5])
    state["global_net.gamma_linear.bias"] = torch.tensor([0.25])
    r = load_model_file(_save(tmp_path, state, "best_Epoch_lol_v1.pth"))
    x = _x()[0]
    local = x * np.array([1.5, 2.0, 2.5]).reshape(3, 1, 1) + np.tanh(np.array([0.1, 0.0, -0.1])).reshape(3, 1, 1)
    expected = np.clip(np.einsum("dc,chw->dhw", colour.numpy(), local), 1e-8, 1.0) ** 0.75
    np.testing.assert_allclose(r(x[None])[0], expected, atol=1e-5)
    d = r.descriptor
    assert not d.tileable and d.license == "official IAT weights: Apache-2.0"


def test_clip_lit_divides_by_its_light_map(tmp_path: Path) -> None:
    state = clip_lit_state()
    state["module.cond_add1.bias"] = torch.tensor([0.4])
    r = load_model_file(_save(tmp_path, state, "enhancement_model.pth"))
    x = _x()
    np.testing.assert_allclose(r(x)[0], np.clip(x[0] / 0.4, 0, 1), atol=1e-5)
    state["module.cond_add1.bias"] = torch.tensor([-1.0])  # light map 0 everywhere (ReLU)
    x[0, :, 0, 0] = 0.0
    y = load_model_file(_save(tmp_path, state, "dark.pth"))(x)[0]
    assert y[:, 0, 0].tolist() == [0.0, 0.0, 0.0] and (y[:, 1:, 1:] == 1.0).all()  # 0/0 is black, x/0 white


# --- recognition and refusals -------------------------------------------------------------------------------

LAYOUTS: dict[str, Callable[[], dict[str, torch.Tensor]]] = {
    "Zero-DCE": zero_dce_state, "Zero-DCE++": zero_dce_pp_state, "SCI": sci_state, "RUAS": ruas_state,
    "PairLIE": pairlie_state, "CLIP-LIT": clip_lit_state, "IAT": iat_state,
}


@pytest.mark.parametrize("method", LAYOUTS)
def test_random_weights_give_a_lowlight_model_of_the_right_method(tmp_path: Path, method: str) -> None:
    torch.manual_seed(0)
    state = {k: torch.randn_like(v) * 0.1 if v.is_floating_point() else v for k, v in LAYOUTS[method]().items()}
    for k in state:
        if k.endswith("running_var"):
            state[k] = state[k].abs() + 1
    r = load_model_file(_save(tmp_path, state))
    d = r.descriptor
    assert (d.task, d.scale, d.color_space, d.runtime) == ("lowlight", 1, "rgb", "torch")
    assert f"; {method} (" in d.provenance and d.name == "file:weights.pth"
    y = r(_x())
    assert y.shape == (1, 3, 24, 37) and np.isfinite(y).all()


def test_a_missing_tensor_is_not_recognised(tmp_path: Path) -> None:
    state = zero_dce_state()
    del state["e_conv7.bias"]
    with pytest.raises(ModelError, match="does not recognise"):  # left to spandrel, which names ONNX
        load_model_file(_save(tmp_path, state))


def test_a_wrong_shape_names_the_method(tmp_path: Path) -> None:
    state = pairlie_state()
    state["R_net.R_net.7.weight"] = torch.zeros(4, 4, 5, 5)
    with pytest.raises(ModelError, match=r"has PairLIE's tensor names but not its shapes"):
        load_model_file(_save(tmp_path, state))


def test_other_tasks_and_scales_are_refused(tmp_path: Path) -> None:
    path = _save(tmp_path, sci_state())
    with pytest.raises(ModelError, match=r"is SCI, a lowlight model, not 'denoise'"):
        load_model_file(path, task="denoise")
    with pytest.raises(ModelError, match=r"is SCI, which does x1, not x2: use scale=1"):
        load_model_file(path, scale=2)
    assert load_model_file(path, task="lowlight").descriptor.task == "lowlight"


def test_enhance_and_models_add_take_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import Image

    from tests.cli.test_enhance import make_png
    from vivid.cli.main import app
    from vivid.zoo.user_models import MODELS_DIR_ENV

    monkeypatch.setenv(MODELS_DIR_ENV, str(tmp_path / "my-models"))
    state = zero_dce_state()
    state["e_conv7.bias"] = torch.full((24,), -0.5)
    model = _save(tmp_path, state, "Epoch99.pth")
    src = make_png(tmp_path / "in.png")
    runner = CliRunner()
    res = runner.invoke(
        app, ["enhance", str(src), "-o", str(tmp_path / "o.png"), "--task", "lowlight", "--model-file", str(model)]
    )
    assert res.exit_code == 0, res.output
    with Image.open(src) as a, Image.open(tmp_path / "o.png") as b:
        assert np.asarray(b, dtype=float).mean() > np.asarray(a, dtype=float).mean() + 5  # 8-bit levels
    res = runner.invoke(app, ["models", "add", str(model), "--name", "zdce"])
    assert res.exit_code == 0, res.output
    rows = {m["name"]: m for m in json.loads(runner.invoke(app, ["models", "--json"]).output)}
    assert rows["zdce"]["license"].startswith("official Zero-DCE weights: CC BY-NC 4.0")


# --- the official files (../shared/weights, see its MANIFEST.md) -------------------------------------------

OFFICIAL = [
    ("zero_dce/Epoch99.pth", "Zero-DCE"),
    ("zero_dce_pp/Epoch99.pth", "Zero-DCE++"),
    ("sci/easy.pt", "SCI"),
    ("sci/medium.pt", "SCI"),
    ("sci/difficult.pt", "SCI"),
    ("ruas/lol.pt", "RUAS"),
    ("pairlie/PairLIE.pth", "PairLIE"),
    ("clip_lit/enhancement_model.pth", "CLIP-LIT"),
    ("iat/best_Epoch_lol_v1.pth", "IAT"),
    ("iat/best_Epoch_exposure.pth", "IAT"),
]


@pytest.mark.shared
@pytest.mark.parametrize(("relative", "method"), OFFICIAL)
def test_official_files_brighten_a_lol_image(shared_path, relative: str, method: str) -> None:  # noqa: ANN001
    from tests.zoo.conftest import read_rgb
    from vivid.metrics import psnr

    r = load_model_file(shared_path(f"weights/{relative}"))
    assert f"; {method} (" in r.descriptor.provenance and r.descriptor.task == "lowlight"
    # LOL eval15 image 146 (the smallest set's quickest check): input 6.63 dB to its ground truth; the
    # official files measured here give 9.1 (SCI easy, trained for bright-ish scenes) to 22.0 (PairLIE)
    # and 25.9 (IAT LOL-v1, trained on LOL's training pairs)
    low = read_rgb(shared_path("datasets/lowlight/LOL/eval15/low/146.png"))
    high = read_rgb(shared_path("datasets/lowlight/LOL/eval15/high/146.png"))
    out = np.clip(r(low[None])[0], 0, 1)
    assert out.mean() > 2 * low.mean()
    assert psnr(out, high) > psnr(low, high) + 2.0
