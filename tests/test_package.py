"""The built wheel works on its own: built from the checkout, installed into a fresh virtual environment
outside it, every shipped model runs through the installed ``vivid`` command (issue 21).

The fresh environment gets only the wheel (``pip install --no-deps``); its dependencies are borrowed
from the environment running the tests, but only the distributions that the wheel's *base* requirements
need (links to them in a folder that a ``.pth`` line puts after the fresh site-packages), so CI needs no
second install, and torch, spandrel, safetensors, onnx, tensorboard, bm3d and ray (the extras) are absent there, as
in a base install: every shipped model runs in ONNX Runtime from the shipped graphs. The editable
``vivid`` of the test environment is not reachable, and each run checks that ``vivid`` imports from the
wheel's copy.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tests.images import textured
from vivid.models.registry import list_models

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow

#: optional packages (extras) that the base install must run its shipped models without
OPTIONAL = ("torch", "torchvision", "spandrel", "safetensors", "onnx", "tensorboard", "bm3d", "ray", "fsspec")


def _copy_sources(dst: Path) -> Path:
    """What the build reads, copied away from the checkout (an in-tree build would write build/ there)."""
    dst.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, dst / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "*.part", "*.tmp")
    shutil.copytree(ROOT / "src", dst / "src", ignore=ignore)
    return dst


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    src = _copy_sources(tmp / "src-copy")
    out = tmp / "dist"
    # no build isolation: the running environment's setuptools builds it, offline and in seconds
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out), str(src)],
        check=True, cwd=tmp, timeout=300,
    )
    (built,) = out.glob("*.whl")
    return built


@pytest.fixture(scope="module")
def fresh_env(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment outside the checkout with the wheel installed (no dependencies)."""
    venv = tmp_path_factory.mktemp("fresh") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index",
         "--disable-pip-version-check", str(wheel)],
        check=True, timeout=300,
    )
    site = Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True, timeout=60,
    ).stdout.strip())
    (site / "zz_borrowed_dependencies.pth").write_text(f"{_base_dependencies(wheel, venv.parent / 'deps')}\n")
    return venv


def _base_dependencies(wheel: Path, folder: Path) -> Path:
    """A folder of links to exactly the installed distributions that the wheel's base requirements need
    (recursively): what ``pip install <wheel>`` would bring, taken from this environment."""
    from benchmarks.install_size import closure

    meta = next(n for n in zipfile.ZipFile(wheel).namelist() if n.endswith(".dist-info/METADATA"))
    lines = zipfile.ZipFile(wheel).read(meta).decode().splitlines()
    base = [ln.removeprefix("Requires-Dist: ") for ln in lines if ln.startswith("Requires-Dist: ")]
    dists, missing = closure([r for r in base if "extra ==" not in r])
    assert not missing, f"base requirements not installed here: {missing}"
    assert not set(dists) & set(OPTIONAL), sorted(set(dists) & set(OPTIONAL))
    folder.mkdir()
    for dist in dists.values():
        site = Path(dist.locate_file("")).resolve()
        for top in {Path(str(f)).parts[0] for f in dist.files or [] if not str(f).startswith("..")}:
            if not (folder / top).exists() and (site / top).exists():
                (folder / top).symlink_to(site / top)
    return folder


def _run(venv: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(XDG_CACHE_HOME=str(cwd / "cache"), HOME=str(cwd), COLUMNS="200")
    return subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_wheel_carries_the_index_every_weight_file_and_card(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "vivid/zoo/weights/onnx.json" in names
    index = json.loads(zipfile.ZipFile(wheel).read("vivid/zoo/weights/onnx.json"))
    assert index == json.loads((ROOT / "src/vivid/zoo/weights/onnx.json").read_text())
    learned = [e for e in list_models() if e.kind == "learned"]
    files = [e.weights_file(s) for e in learned for s in e.scales]
    for e in learned:
        assert f"vivid/zoo/cards/{e.card}" in names, e.card
    for file in files:
        assert f"vivid/zoo/weights/{file}" in names, file
        for part in index[file]["parts"].values():  # the graphs that run it without torch
            assert f"vivid/zoo/weights/{part['file']}" in names, part["file"]
    int8 = [i["int8"]["file"] for i in index.values() if "int8" in i]  # the shipped int8 graphs (vivid-sr x2)
    assert int8 and all(f"vivid/zoo/weights/{f}" in names for f in int8)
    shipped = sum(zipfile.ZipFile(wheel).getinfo(f"vivid/zoo/weights/{f}").compress_size for f in
                  files + int8 + [p["file"] for i in index.values() for p in i["parts"].values()])
    assert wheel.stat().st_size < shipped + 5 * 2**20  # the models, plus code and assets only
    assert not [n for n in names if "__pycache__" in n or n.startswith(("tests/", "src/"))]


def test_wheel_metadata_name_and_optional_extras(wheel: Path) -> None:
    meta = next(n for n in zipfile.ZipFile(wheel).namelist() if n.endswith(".dist-info/METADATA"))
    lines = zipfile.ZipFile(wheel).read(meta).decode().splitlines()
    assert "Name: vivid-restore" in lines
    requires = [ln.removeprefix("Requires-Dist: ") for ln in lines if ln.startswith("Requires-Dist: ")]
    base = [r for r in requires if "extra ==" not in r]
    assert "onnxruntime" in " ".join(base)
    for heavy in OPTIONAL:
        assert not [r for r in base if r.split(";")[0].split("=")[0].split(">")[0].strip() == heavy], heavy
    bm3d = [r for r in requires if r.startswith("bm3d")]
    assert bm3d and all('extra == "bm3d"' in r for r in bm3d)  # non-commercial: opt-in only
    assert [r for r in requires if r.startswith("torch==") and 'extra == "torch"' in r]
    for extra in ("torch", "train", "bm3d", "test", "ray"):
        assert f"Provides-Extra: {extra}" in lines


def _photo(path: Path, *, gray: bool = False, dark: bool = False, h: int = 40, w: int = 56) -> Path:
    from PIL import Image as PILImage

    img = textured(h, w, c=1 if gray else 3, seed=3) * (0.15 if dark else 1.0)
    pixels = np.rint(img.transpose(1, 2, 0) * 255).astype(np.uint8)
    PILImage.fromarray(pixels[..., 0] if gray else pixels).save(path)
    return path


def _steps(path: Path) -> list[dict]:
    from PIL import Image as PILImage

    return json.loads(PILImage.open(path).text["vivid"])["steps"]


#: (task, model, scale, gray input): every shipped model (learned registry entry) through ``vivid enhance``
SHIPPED = [
    (e.task, e.name, s, e.task == "colorize") for e in list_models() if e.kind == "learned" for s in e.scales
]


def test_the_installed_wheel_runs_every_shipped_model_from_its_own_copy(
    fresh_env: Path, tmp_path: Path
) -> None:
    vivid = str(fresh_env / "bin" / "vivid")
    where = _run(fresh_env, str(fresh_env / "bin" / "python"), "-c", "import vivid; print(vivid.__file__)",
                 cwd=tmp_path)
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(fresh_env), where.stdout  # the wheel's copy
    assert not Path(where.stdout.strip()).is_relative_to(ROOT)
    absent = _run(fresh_env, str(fresh_env / "bin" / "python"), "-c",
                  f"import importlib.util as u; print([m for m in {OPTIONAL!r} if u.find_spec(m)])", cwd=tmp_path)
    assert absent.stdout.strip() == "[]", absent.stdout + absent.stderr  # as in a base install

    assert {"vivid-sr", "vivid-sr-fast", "vivid-sr-rt", "vivid-denoise", "vivid-lowlight", "vivid-zerodce", "vivid-tone",
            "vivid-colorize", "vivid-colorize-seed003"} <= {m for _, m, _, _ in SHIPPED}
    assert {s for _, m, s, _ in SHIPPED if m == "vivid-sr"} == {2, 3, 4}
    color, gray = _photo(tmp_path / "photo.png"), _photo(tmp_path / "gray.png", gray=True)
    for task, model, scale, is_gray in SHIPPED:
        out = tmp_path / f"{model}_x{scale}.png"
        args = [vivid, "enhance", str(gray if is_gray else color), "-o", str(out), "--task", task, "--model", model]
        run = _run(fresh_env, *args, *(["--scale", str(scale)] if task == "sr" else []), cwd=tmp_path)
        assert run.returncode == 0, f"{model} x{scale}: {run.stdout}\n{run.stderr}"
        (step,) = _steps(out)
        assert (step["model"], step["scale"]) == (model, scale)
        from PIL import Image as PILImage

        im = PILImage.open(out)
        assert im.size == (56 * scale, 40 * scale)
        if task == "colorize":
            rgb = np.asarray(im.convert("RGB"), np.int16)
            assert np.abs(rgb - rgb.mean(axis=2, keepdims=True)).max() > 3  # colour was added


def test_the_installed_wheel_runs_auto_and_video(fresh_env: Path, tmp_path: Path) -> None:
    from tests.video.conftest import make_clip

    vivid = str(fresh_env / "bin" / "vivid")
    dark = _photo(tmp_path / "dark.png", dark=True, h=64, w=96)
    run = _run(fresh_env, vivid, "enhance", str(dark), "-o", str(tmp_path / "auto.png"), cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "lowlight" in [s["task"] for s in _steps(tmp_path / "auto.png")]  # a dark photo is brightened

    clip = make_clip(tmp_path / "clip.mp4", frames=4, audio=False, subtitles=False)
    run = _run(fresh_env, vivid, "video", str(clip), "-o", str(tmp_path / "clip_x2.mp4"), "--task", "sr",
               "--scale", "2", cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    import av

    with av.open(str(tmp_path / "clip_x2.mp4")) as c:
        v = c.streams.video[0]
        assert (v.codec_context.width, v.codec_context.height) == (128, 96)
        assert sum(1 for _ in c.decode(video=0)) == 4


def test_the_base_install_names_the_extra_a_feature_needs(fresh_env: Path, tmp_path: Path) -> None:
    vivid = str(fresh_env / "bin" / "vivid")
    photo = _photo(tmp_path / "photo.png")
    (tmp_path / "own.pth").write_bytes(b"not checked: torch is missing first")
    cases = {
        "bm3d": (["--task", "denoise", "--model", "bm3d"], "model 'bm3d' needs the optional bm3d package"),
        "torch": (["--task", "sr", "--model-file", str(tmp_path / "own.pth")], "is a PyTorch file"),
        "torch ": (["--task", "sr", "--runtime", "torch"], "runtime torch for 'vivid-sr' needs PyTorch"),
        " torch": (["--task", "sr", "--dtype", "bfloat16"], "runs in ONNX Runtime in float32 only"),
        "ray": (["--task", "sr", "--engine", "ray"], "--engine ray needs Ray, an optional extra"),
    }
    train = _run(fresh_env, vivid, "train", str(ROOT / "configs/sr/rep_sr_x2.toml"), cwd=tmp_path)
    assert train.returncode not in (0, 70)
    assert "vivid train needs PyTorch and tensorboard: pip install 'vivid-restore[train]'" in train.stderr + train.stdout
    for extra, (args, says) in cases.items():
        run = _run(fresh_env, vivid, "enhance", str(photo), "-o", str(tmp_path / "out.png"), *args, cwd=tmp_path)
        assert run.returncode not in (0, 70), run.stdout + run.stderr  # an error, not a crash
        message = " ".join((run.stdout + run.stderr).split())
        assert says in message and f"pip install 'vivid-restore[{extra.strip()}]'" in message, message
        assert not (tmp_path / "out.png").exists()
