"""Would a user keep vivid's colorization? Three measures on gray copies of colour photos (issue: blue skin).

* **PSNR against the colour original** (RGB, 8-bit output) beside the gray copy's own PSNR: a colorizer
  that guesses wrong colours scores below simply leaving the photo gray.
* **Colourfulness** (Hasler & Süsstrunk 2003) p10 / median / p90 over the images, beside the originals':
  a washed-out (sepia) colorizer falls below their range, a garish one above it.
* **Cool skin**: on portraits, the share of the original's skin pixels (CIELAB hue 15-75°, chroma > 10,
  L* 30-90) that come out visibly green-to-blue (chroma > 6, hue 120-300°). Originals: 0.

Sets: BSD100 HR (photos) and the portraits of Set5/Set14 (baby, head, woman, face, foreman, lenna, barbara,
comic). Gray copies are BT.601 luma rounded to 8 bits, as a gray JPEG or PNG holds it.

    .venv/bin/python benchmarks/colorize_safety.py [--models vivid-colorize,vivid-colorize-seed003] [--limit N]
        [--without-safeguards]

``--without-safeguards`` also runs vivid-colorize as it shipped before its blue-skin safeguards (torch;
``cool_penalty`` 0, ``confidence`` 0, saturation 0.7).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "sr"
PORTRAITS = ("Set5/HR/baby_GT.bmp", "Set5/HR/head_GT.bmp", "Set5/HR/woman_GT.bmp", "Set14/HR/face.bmp",
             "Set14/HR/foreman.bmp", "Set14/HR/lenna.bmp", "Set14/HR/barbara.bmp", "Set14/HR/comic.bmp")


def load(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(colour original (3, H, W), 8-bit gray copy (1, H, W)), float32 in [0, 1]."""
    from PIL import Image as PILImage

    a = np.asarray(PILImage.open(path).convert("RGB"), dtype=np.float32).transpose(2, 0, 1) / 255
    gray = np.rint((0.299 * a[0] + 0.587 * a[1] + 0.114 * a[2]) * 255) / 255
    return np.ascontiguousarray(a), gray[None].astype(np.float32)


def psnr8(out: np.ndarray, ref: np.ndarray) -> float:
    err = np.clip(np.rint(out * 255), 0, 255) - ref.astype(np.float64) * 255
    return float(10 * np.log10(255.0**2 / np.mean(err**2)))


def colourfulness(rgb: np.ndarray) -> float:
    r, g, b = rgb.astype(np.float64) * 255
    rg, yb = r - g, 0.5 * (r + g) - b
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


def lab(rgb: np.ndarray) -> np.ndarray:
    import torch

    from vivid.ops.color import rgb_to_lab

    return rgb_to_lab(torch.from_numpy(np.ascontiguousarray(rgb))[None])[0].numpy()


def skin_mask(rgb: np.ndarray) -> np.ndarray:
    lightness, a, b = lab(rgb)
    hue, chroma = np.degrees(np.arctan2(b, a)) % 360, np.hypot(a, b)
    return (hue > 15) & (hue < 75) & (chroma > 10) & (lightness > 30) & (lightness < 90)


def cool_share(rgb: np.ndarray, mask: np.ndarray) -> float:
    _, a, b = lab(rgb)
    hue, chroma = np.degrees(np.arctan2(b, a)) % 360, np.hypot(a, b)
    return float(((chroma > 6) & (hue >= 120) & (hue <= 300))[mask].mean()) if mask.any() else 0.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="vivid-colorize,vivid-colorize-seed003")
    ap.add_argument("--limit", type=int, default=0, help="only every N-th BSD100 image (0: all)")
    ap.add_argument("--without-safeguards", action="store_true", help="add vivid-colorize without its safeguards")
    args = ap.parse_args()
    from vivid.engine.api import run_model
    from vivid.io.image import Image
    from vivid.zoo.loader import load_model

    bsd = sorted((DATA / "BSD100" / "HR").glob("*.png"))
    if args.limit:
        bsd = bsd[:: args.limit]
    portraits = [DATA / p for p in PORTRAITS if (DATA / p).is_file()]
    if not bsd or not portraits:
        print(f"needs {DATA}/BSD100 and Set5/Set14 (../shared/datasets)", file=sys.stderr)
        return 2
    photos = [load(f) for f in bsd]
    faces = [load(f) for f in portraits]
    masks = [skin_mask(a) for a, _ in faces]

    def row(name: str, outs: list[np.ndarray], face_outs: list[np.ndarray], seconds: float) -> str:
        p = np.mean([psnr8(o, a) for o, (a, _) in zip(outs, photos, strict=True)])
        fp = np.mean([psnr8(o, a) for o, (a, _) in zip(face_outs, faces, strict=True)])
        cf = np.percentile([colourfulness(o) for o in outs], [10, 50, 90])
        cool = np.mean([cool_share(o, m) for o, m in zip(face_outs, masks, strict=True)])
        return (f"| {name} | {p:.2f} | {fp:.2f} | {cf[0]:.1f} / {cf[1]:.1f} / {cf[2]:.1f} | {cool:.1%} | "
                f"{seconds:.2f} |")

    print(f"BSD100 {len(photos)} images, {len(faces)} portraits")
    print("| output | BSD100 PSNR | portraits PSNR | colourfulness p10 / median / p90 | cool skin | s/image |")
    print("|---|---|---|---|---|---|")
    print(row("original", [a for a, _ in photos], [a for a, _ in faces], 0.0).replace("| 0.00 |", "| - |"))
    print(row("gray copy", [np.repeat(g, 3, 0) for _, g in photos], [np.repeat(g, 3, 0) for _, g in faces], 0.0))
    runs = [(name, name) for name in args.models.split(",")]
    if args.without_safeguards:
        runs.append(("vivid-colorize (no safeguards)", "vivid-colorize"))
    for label, name in runs:
        model = load_model(name)
        if label != name:  # the decoder as shipped before: no cool penalty, no confidence, saturation 0.7
            from vivid.zoo.builtin import load_builtin

            model = load_builtin(name, 1)
            model.module.cool_penalty, model.module.confidence, model.module.saturation = 0.0, 0.0, 0.7
        t0 = time.perf_counter()
        outs = [run_model(model, Image(g)).color for _, g in photos]
        face_outs = [run_model(model, Image(g)).color for _, g in faces]
        print(row(label, outs, face_outs, (time.perf_counter() - t0) / (len(photos) + len(faces))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
