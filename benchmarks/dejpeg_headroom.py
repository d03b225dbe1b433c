"""Where vivid-dejpeg's remaining error is, and two cheap ways to more that do not work.

On JPEG copies (Pillow, 4:2:0 for colour) of a test set's first N images, prints:

* ``ycbcr``: the PSNR of the JPEG and of vivid-dejpeg's output per BT.601 channel (Y, Cb, Cr) and in RGB, on
  colour images (default CBSD68) — which part of the error the model leaves;
* ``ensemble``: one pass against the mean of 8 passes over flips and rotations (the image padded to the
  16-pixel grid first, so that every pass sees the JPEG blocks where they were), on gray images (BSD68);
* ``projection``: the output's 8x8 DCT coefficients clipped back into the quantisation intervals the JPEG
  file's own table and coefficients define (the decoded image must have come from them), on gray images.

    .venv/bin/python benchmarks/dejpeg_headroom.py [--quality 10] [--limit 6] [--parts ycbcr,ensemble,projection]
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "denoise"
YCC = np.array([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]])


def _psnr(mse: float) -> float:
    return float(10 * np.log10(1.0 / max(mse, 1e-12)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quality", type=int, default=10)
    ap.add_argument("--limit", type=int, default=6)
    ap.add_argument("--parts", default="ycbcr,ensemble,projection")
    args = ap.parse_args()
    from PIL import Image as PILImage
    from scipy.fft import dctn, idctn

    from vivid.engine.api import enhance
    from vivid.io.image import Image
    from vivid.ops.degrade import jpeg
    from vivid.train.sr_data import load_rgb

    def dejpeg(x: np.ndarray) -> np.ndarray:  # (3, H, W) in [0, 1], unrounded output
        return enhance(Image(np.ascontiguousarray(x, dtype=np.float32)), task="dejpeg", model="vivid-dejpeg").image.color

    def rounded(x: np.ndarray) -> np.ndarray:
        return np.clip(np.rint(x * 255), 0, 255) / 255

    parts = set(args.parts.split(","))
    q = args.quality
    if "ycbcr" in parts:
        files = sorted((DATA / "CBSD68" / "GT").glob("*.png"))[: args.limit]
        acc = {"JPEG": np.zeros(4), "vivid-dejpeg": np.zeros(4)}
        for f in files:
            x = np.ascontiguousarray(load_rgb(f), dtype=np.float32)
            y = np.ascontiguousarray(jpeg(x, quality=q), dtype=np.float32)
            for name, z in (("JPEG", y), ("vivid-dejpeg", rounded(dejpeg(y)))):
                d = np.tensordot(YCC, z - x, axes=1)
                acc[name] += [np.mean((z - x) ** 2), *(np.mean(c ** 2) for c in d)]
        print(f"CBSD68 first {len(files)}, q{q}, PSNR dB of the mean squared error: RGB / Y / Cb / Cr")
        for name, v in acc.items():
            print(f"  {name}: " + " / ".join(f"{_psnr(m):.2f}" for m in v / len(files)))
    gray_files = sorted((DATA / "BSD68").rglob("*.png"))[: args.limit]
    if "ensemble" in parts:
        a = b = c = 0.0
        for f in gray_files:
            x = np.asarray(PILImage.open(f).convert("L"), dtype=np.float32)[None] / 255
            y = np.ascontiguousarray(jpeg(x, quality=q), dtype=np.float32)
            h, w = y.shape[1:]
            yp = np.pad(y, ((0, 0), (0, -h % 16), (0, -w % 16)), mode="reflect")
            outs = []
            for k in range(4):
                for flip in (False, True):
                    z = np.rot90(yp, k, axes=(1, 2))
                    z = z[:, :, ::-1] if flip else z
                    o = dejpeg(np.repeat(z, 3, axis=0))[:1]
                    o = o[:, :, ::-1] if flip else o
                    outs.append(np.rot90(o, -k, axes=(1, 2))[:, :h, :w])
            a += _psnr(float(np.mean((y - x) ** 2)))
            b += _psnr(float(np.mean((rounded(outs[0]) - x) ** 2)))
            c += _psnr(float(np.mean((rounded(np.mean(outs, axis=0)) - x) ** 2)))
        n = len(gray_files)
        print(f"BSD68 first {n}, gray q{q}: JPEG {a / n:.2f}, one pass {b / n:.2f}, mean of 8 flips/rotations {c / n:.2f} dB")
    if "projection" in parts:

        def blocks(z: np.ndarray) -> np.ndarray:
            hh, ww = z.shape
            return z.reshape(hh // 8, 8, ww // 8, 8).transpose(0, 2, 1, 3)

        def unblocks(bl: np.ndarray) -> np.ndarray:
            n, m = bl.shape[:2]
            return bl.transpose(0, 2, 1, 3).reshape(n * 8, m * 8)

        sums = np.zeros(3)  # JPEG, vivid-dejpeg, projected
        for f in gray_files:
            im = PILImage.open(f).convert("L")
            im = im.crop((0, 0, im.width // 8 * 8, im.height // 8 * 8))
            x = np.asarray(im, dtype=np.float64)
            buf = io.BytesIO()
            im.save(buf, "JPEG", quality=q)
            decoded = PILImage.open(io.BytesIO(buf.getvalue()))
            table = np.array(decoded.quantization[0], dtype=np.float64).reshape(8, 8)
            y = np.asarray(decoded, dtype=np.float64)
            k = np.round(dctn(blocks(y - 128), axes=(2, 3), norm="ortho") / table)
            o = dejpeg(np.repeat(y[None] / 255, 3, axis=0).astype(np.float32))[0].astype(np.float64) * 255
            co = dctn(blocks(o - 128), axes=(2, 3), norm="ortho")
            p = unblocks(idctn(np.clip(co, (k - 0.5) * table, (k + 0.5) * table), axes=(2, 3), norm="ortho")) + 128
            sums += [_psnr(float(np.mean((np.clip(np.rint(z), 0, 255) - x) ** 2)) / 255**2) for z in (y, o, p)]
        a, b, c = sums / len(gray_files)
        print(f"BSD68 first {len(gray_files)}, gray q{q}: JPEG {a:.2f}, vivid-dejpeg {b:.2f}, "
              f"then projected onto the quantisation intervals {c:.2f} dB")


if __name__ == "__main__":
    main()
