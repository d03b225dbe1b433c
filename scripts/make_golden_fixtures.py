"""Make the golden fixtures of tests/fixtures (see tests/fixtures/README.md): small synthetic inputs, MATLAB
``imresize`` bicubic outputs from a transcription of imresize.m written here (independent of
:mod:`vivid.ops.resize`), PSNR-Y / SSIM-Y of one pair from transcriptions of their definitions, and one output
per shipped model.

``python scripts/make_golden_fixtures.py`` (torch installed, from the repository root with ``src`` importable)
rewrites every fixture; ``--models-only`` or ``--resize-only`` one half. Only regenerate the model goldens when a
model's weights change on purpose, and say so in the commit. ``--cross-check DIR`` compares this file's
reference imresize with MATLAB-made low-resolution files: DIR is ``data/Set5`` of jbhuang0604/SelfExSR (its
``image_SRF_s/img_NNN_SRF_s_{HR,LR}.png`` pairs).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"

# --- reference MATLAB imresize (bicubic), written from imresize.m's definition ---------------------------------


def keys_cubic(x: np.ndarray) -> np.ndarray:
    """Keys' cubic convolution kernel with a = -0.5 (MATLAB's ``cubic``)."""
    ax = np.abs(x)
    near = (1.5 * ax**3 - 2.5 * ax**2 + 1.0) * (ax <= 1)
    far = (-0.5 * ax**3 + 2.5 * ax**2 - 4.0 * ax + 2.0) * ((ax > 1) & (ax <= 2))
    return near + far


def resample_matrix(n_in: int, n_out: int, scale: float) -> np.ndarray:
    """``(n_out, n_in)`` matrix of one axis: output pixel i (1-based) sits at input coordinate
    ``u = i / scale + (1 - 1 / scale) / 2``; when shrinking, the kernel is stretched to ``scale * k(scale * x)``
    (antialiasing, width 4 / scale); taps beyond the ends are mirrored (``[1..n, n..1]`` repeated, MATLAB's
    symmetric padding) and each row's weights are normalised to sum to 1."""
    stretch = min(scale, 1.0)
    width = 4.0 / stretch
    m = np.zeros((n_out, n_in))
    for i in range(1, n_out + 1):
        u = i / scale + 0.5 * (1 - 1 / scale)
        first = math.floor(u - width / 2)
        taps = np.arange(first, first + math.ceil(width) + 2)
        w = stretch * keys_cubic(stretch * (u - taps))
        w = w / w.sum()
        for j, wj in zip(taps, w):
            k = (j - 1) % (2 * n_in)  # mirror: 0..n-1 forward, n..2n-1 backward
            m[i - 1, k if k < n_in else 2 * n_in - 1 - k] += wj
    return m


def matlab_round(x: np.ndarray) -> np.ndarray:
    """MATLAB's conversion to uint8: round half away from zero (``uint8(2.5)`` is 3, where numpy's ``rint``
    gives 2), saturate to 0..255. Written out here rather than taken from vivid; ``|x| - floor(|x|)`` is exact,
    ``floor(x + 0.5)`` is not for x just below 0.5."""
    a = np.abs(x)
    whole = np.floor(a)
    return np.clip(np.sign(x) * (whole + (a - whole >= 0.5)), 0, 255)


def reference_imresize(image: np.ndarray, scale: float, *, uint8: bool) -> np.ndarray:
    """``imresize(image, scale, 'bicubic')`` of an ``(C, H, W)`` image: rows first (both axes have the same
    scale, and MATLAB takes the smallest scale first, rows on a tie). ``uint8``: the image holds 0..255 values
    and, as MATLAB does for uint8 input, each pass is converted back to uint8; else float on [0, 1]."""
    c, h, w = image.shape
    oh, ow = math.ceil(scale * h - 1e-9), math.ceil(scale * w - 1e-9)
    rows, cols = resample_matrix(h, oh, scale), resample_matrix(w, ow, scale)
    out = np.einsum("ih,chw->ciw", rows, image.astype(np.float64))
    if uint8:
        out = matlab_round(out)
    out = np.einsum("jw,ciw->cij", cols, out)
    return matlab_round(out) if uint8 else out


# --- reference PSNR-Y and SSIM-Y (the classical SR protocol) ------------------------------------------------


def y_255(rgb_u8: np.ndarray) -> np.ndarray:
    """BT.601 Y on [0, 255] of MATLAB ``rgb2ycbcr`` (double): 16 + (65.481 R + 128.553 G + 24.966 B) / 255."""
    r, g, b = rgb_u8.astype(np.float64)
    return 16.0 + (65.481 * r + 128.553 * g + 24.966 * b) / 255.0


def reference_psnr(x: np.ndarray, y: np.ndarray) -> float:
    return float(10 * np.log10(255.0**2 / np.mean((x - y) ** 2)))


def reference_ssim(x: np.ndarray, y: np.ndarray) -> float:
    """Wang et al. 2004, ``ssim_index.m``: 11x11 Gaussian window of sigma 1.5, K = (0.01, 0.03), L = 255, the
    valid region, mean of the map."""
    from scipy.signal import correlate2d

    r = np.arange(11) - 5
    g = np.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / (2 * 1.5**2))
    win = g / g.sum()
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def f(a: np.ndarray) -> np.ndarray:
        return correlate2d(a, win, mode="valid")

    mx, my = f(x), f(y)
    sx, sy, sxy = f(x * x) - mx**2, f(y * y) - my**2, f(x * y) - mx * my
    return float((((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx**2 + my**2 + c1) * (sx + sy + c2))).mean())


# --- inputs -----------------------------------------------------------------------------------------------------


def scene(h: int, w: int, seed: int, channels: int = 3) -> np.ndarray:
    """A synthetic 8-bit picture ``(C, H, W)`` uint8: shading, hard-edged blocks, a diagonal edge and fine
    noise (all the things a resampling kernel or a restoration network responds to)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    base = 0.5 + 0.25 * np.sin(xx / 5.0 + seed) * np.cos(yy / 7.0)
    base += 0.15 * (((yy // 8) + (xx // 8)) % 2 - 0.5) + 0.1 * (xx + yy > (h + w) / 2)
    planes = [base * (0.8 + 0.12 * i) + 0.03 * rng.standard_normal((h, w)) for i in range(channels)]
    return np.clip(np.rint(np.stack(planes) * 255), 0, 255).astype(np.uint8)


def save_png(path: Path, pixels: np.ndarray) -> None:
    """``(C, H, W)`` uint8 with C = 1 or 3 as a PNG (gray or RGB)."""
    img = pixels[0] if pixels.shape[0] == 1 else np.moveaxis(pixels, 0, -1)
    Image.fromarray(np.ascontiguousarray(img)).save(path, optimize=True)


def read_png(path: Path) -> np.ndarray:
    a = np.asarray(Image.open(path))
    return a[None] if a.ndim == 2 else np.moveaxis(a, -1, 0)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- writers ----------------------------------------------------------------------------------------------------

#: resize cases: (input name, scale)
RESIZE_CASES = [("down", 1 / 2), ("down", 1 / 3), ("down", 1 / 4), ("up", 2), ("up", 3)]


def make_resize(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    inputs = {"down": scene(36, 36, seed=1), "up": scene(12, 16, seed=2)}
    for name, pixels in inputs.items():
        save_png(folder / f"{name}.png", pixels)
    arrays = {}
    for name, scale in RESIZE_CASES:
        x = inputs[name].astype(np.float64)
        key = f"{name}_{scale:.4f}"
        arrays[f"{key}_float"] = reference_imresize(x / 255.0, scale, uint8=False).astype(np.float32)
        arrays[f"{key}_uint8"] = reference_imresize(x, scale, uint8=True).astype(np.uint8)
    np.savez_compressed(folder / "bicubic.npz", **arrays)
    # the SR protocol on the "down" picture: x2 down and up again (uint8 both ways), scored on Y, shave 2
    hr = inputs["down"]
    sr = reference_imresize(reference_imresize(hr.astype(np.float64), 1 / 2, uint8=True), 2, uint8=True)
    save_png(folder / "down_x2_roundtrip.png", sr.astype(np.uint8))
    yh, ys = y_255(hr)[2:-2, 2:-2], y_255(sr)[2:-2, 2:-2]
    metrics = {"pair": "down_x2_roundtrip.png against down.png, Y of BT.601 on [0, 255], shave 2",
               "psnr_y": reference_psnr(ys, yh), "ssim_y": reference_ssim(ys, yh)}
    (folder / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    files = sorted(p.name for p in folder.iterdir() if p.name != "SHA256SUMS")
    (folder / "SHA256SUMS").write_text("".join(f"{sha256(folder / f)}  {f}\n" for f in files))


def model_input(entry_task: str, color_space: str, seed: int) -> np.ndarray:
    """The tiny input of a model: 24x24 Y for SR, 32x32 otherwise (a multiple of every size_multiple)."""
    if color_space == "y":
        return scene(24, 24, seed, channels=1)
    if color_space == "gray":
        return scene(32, 32, seed, channels=1)
    x = scene(32, 32, seed).astype(np.float64)
    if entry_task == "denoise":  # sigma-15 Gaussian noise
        x = x + np.random.default_rng(seed).normal(0, 15, x.shape)
    elif entry_task == "dejpeg":  # a quality-20 JPEG copy
        import io

        buf = io.BytesIO()
        Image.fromarray(np.moveaxis(x.astype(np.uint8), 0, -1)).save(buf, format="JPEG", quality=20)
        x = np.moveaxis(np.asarray(Image.open(buf)), -1, 0).astype(np.float64)
    elif entry_task == "lowlight":  # a dark exposure
        x = x * 0.25
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


def run_restorer(model, pixels: np.ndarray) -> np.ndarray:  # noqa: ANN001 - a vivid Restorer
    """The model's output for an 8-bit ``(C, H, W)`` input, bound to the whole image, run once, clipped to
    [0, 1] and kept at 16 bits (``uint16``, 1/65535 steps: 0.004 8-bit levels, so that small changes show)."""
    x = pixels.astype(np.float32) / 255.0
    y = model.bind(x)(x[None])[0]
    return np.clip(np.rint(y.astype(np.float64) * 65535.0), 0, 65535).astype(np.uint16)


def make_models(folder: Path) -> None:
    from vivid.models.registry import build, list_models
    from vivid.zoo.quantize import load_int8
    from vivid.zoo.shipped_onnx import load_shipped_onnx

    folder.mkdir(parents=True, exist_ok=True)
    record = {}
    for entry, scale in ((e, s) for e in list_models() if e.network is not None for s in e.scales):
        key = f"{entry.name}_x{scale}"
        seed = zlib.crc32(key.encode()) % 10_000  # from the name: a new entry leaves the others' inputs as they are
        model = build(entry.name, scale=scale)
        pixels = model_input(entry.task, entry.network.color_space, seed)
        out = run_restorer(model, pixels)
        save_png(folder / f"{key}.in.png", pixels)
        np.save(folder / f"{key}.out.npy", out)
        onnx = run_restorer(load_shipped_onnx(entry.name, scale), pixels)
        record[key] = {
            "model": entry.name, "scale": scale, "weights_sha256": model.descriptor.sha256,
            "input": f"{key}.in.png", "output": f"{key}.out.npy",
            "input_sha256": sha256(folder / f"{key}.in.png"), "output_sha256": sha256(folder / f"{key}.out.npy"),
            "onnx_max_levels": round(float(np.abs(onnx.astype(float) - out.astype(float)).max()) * 255 / 65535, 4),
        }
        print(key, out.shape, "ONNX Runtime differs by", record[key]["onnx_max_levels"], "8-bit levels at most")
        if scale in entry.network.int8_scales:  # the shipped int8 graph, which precision "auto" runs
            int8 = run_restorer(load_int8(entry.name, scale), pixels)
            np.save(folder / f"{key}.int8.out.npy", int8)
            record[key].update({
                "int8_output": f"{key}.int8.out.npy", "int8_output_sha256": sha256(folder / f"{key}.int8.out.npy"),
                "int8_max_levels": round(float(np.abs(int8.astype(float) - out.astype(float)).max()) * 255 / 65535, 4),
            })
            print(key, "int8 differs from float32 by", record[key]["int8_max_levels"], "8-bit levels at most")
    (folder / "models.json").write_text(json.dumps(record, indent=2) + "\n")


def cross_check(folder: Path) -> None:
    """This reference imresize, and vivid's, against MATLAB-made LR files, away from the borders (3 LR pixels)."""
    from vivid.ops.resize import imresize

    for lr_path in sorted(folder.glob("image_SRF_*/img_*_LR.png")):
        scale = int(lr_path.parent.name.split("_")[-1])
        hr = read_png(lr_path.with_name(lr_path.name.replace("_LR", "_HR"))).astype(np.float64)
        lr = read_png(lr_path).astype(np.float64)
        ref = np.abs(reference_imresize(hr, 1 / scale, uint8=True) - lr)[:, 3:-3, 3:-3]
        # float32 on [0, 1], as vivid's reader and the benchmark give it
        ours = np.abs(np.rint(imresize((hr / 255).astype(np.float32), 1 / scale, quantize=8) * 255) - lr)
        ours = ours[:, 3:-3, 3:-3]
        print(f"{lr_path.parent.name}/{lr_path.name}: reference max {ref.max():.0f} levels "
              f"({100 * np.mean(ref > 0):.2f} % differ); vivid.ops.resize max {ours.max():.0f} "
              f"({100 * np.mean(ours > 0):.2f} % differ)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--resize-only", action="store_true")
    parser.add_argument("--models-only", action="store_true")
    parser.add_argument("--cross-check", type=Path, help="SelfExSR's data/Set5 folder")
    args = parser.parse_args()
    if args.cross_check:
        cross_check(args.cross_check)
        return
    if not args.models_only:
        make_resize(FIXTURES / "resize")
    if not args.resize_only:
        make_models(FIXTURES / "models")


if __name__ == "__main__":
    main()
