"""Do no harm: what ``--task auto`` does to the photos people actually have, case by case.

Each image goes through ``vivid.engine.api.enhance(task="auto")`` exactly as ``vivid enhance`` runs it, and
the script prints, per case, what auto did (the plan's steps) and how the result scores. An SR step's output
is brought back to the input size with MATLAB-exact bicubic (``vivid.ops.resize.imresize``) before
comparing, so the scores ask whether the content was kept. Cases (from ../shared; a missing one is skipped):

* ``good`` — BSD100 HR, good photos: kept (PSNR against the input >= 30 dB; the original target).
* ``neutral`` — frames of a colour clip of a gray road (car-detection.mp4, every 60th frame): never
  colorized, kept (PSNR against the input >= 30 dB).
* ``portraits`` — the Set5/Set14 portraits in colour: kept (PSNR against the input >= 30 dB).
* ``night`` — DICM 03, 17, 30 (warm lamps, an aquarium, a sunset): brightened, the colour of the light kept
  (over the input's brightest 10% of pixels, the lights, the mean chroma's hue moves by less than 25 degrees
  and its strength relative to the brightness changes by less than a factor of 2), never gray-world
  corrected.
* ``gray`` — gray copies of the portraits: colorized with skin off blue (share of the originals' skin
  pixels that come out visibly green-to-blue, below 3% each), PSNR against the colour original not below
  the gray copy's.
* ``jpeg`` — CBSD68 (first 10) saved as JPEG at quality 15: PSNR against the clean original not below the
  JPEG's (and the gain).
* ``webcopy`` — BSD100 (first 10) as a web copy: blurred (Gaussian, 1.6 px), shrunk to half with MATLAB
  bicubic, JPEG at quality 70; auto upscales it (small image) and the result is compared with the original
  at full size: PSNR not below plain bicubic upscaling of the copy (and the gain).
* ``dark`` — LOL eval15's low captures (dark and noisy): brightened, PSNR and SSIM against the normal-light
  capture above the input's (SSIM printed as the score).

    .venv/bin/python benchmarks/do_no_harm.py [--cases good,neutral,portraits,night,gray,jpeg] [--limit N]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
CASES = ("good", "neutral", "portraits", "night", "gray", "jpeg", "webcopy", "dark")


def rgb_of(path: Path) -> np.ndarray:
    from PIL import Image as PILImage

    a = np.asarray(PILImage.open(path).convert("RGB"), dtype=np.float32).transpose(2, 0, 1) / 255
    return np.ascontiguousarray(a)


def auto(x: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """The auto output at the input's size, and the plan's steps (task:model)."""
    from vivid.engine.api import enhance
    from vivid.io.image import Image
    from vivid.ops.resize import imresize

    result = enhance(Image(x), task="auto")
    out = result.image.color
    if out.shape[1:] != x.shape[1:]:
        out = np.clip(imresize(out, size=x.shape[1:]), 0.0, 1.0)
    if out.shape[0] != x.shape[0]:
        out = out if out.shape[0] == 3 else np.repeat(out, 3, axis=0)
    return np.clip(np.rint(out * 255), 0, 255).astype(np.float32) / 255, [f"{s.task}:{s.model}" for s in result.plan.steps]


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    from vivid.metrics import psnr as _psnr

    return _psnr(a if a.shape == b.shape else np.repeat(a, 3, 0), b)


def light_colour(x: np.ndarray, where: np.ndarray) -> tuple[float, float]:
    """(hue in degrees, strength relative to luma) of the mean BT.601 chroma (Cb, Cr) over the pixels
    ``where`` (the lights: the input's brightest 10%)."""
    cb = float((-0.168736 * x[0] - 0.331264 * x[1] + 0.5 * x[2])[where].mean())
    cr = float((0.5 * x[0] - 0.418688 * x[1] - 0.081312 * x[2])[where].mean())
    luma = float((0.299 * x[0] + 0.587 * x[1] + 0.114 * x[2])[where].mean())
    return float(np.degrees(np.arctan2(cr, cb))), float(np.hypot(cb, cr)) / max(luma, 1e-6)


def images(case: str, limit: int) -> Iterator[tuple[str, np.ndarray]]:
    sr = DATA / "sr"
    if case == "good":
        files = sorted((sr / "BSD100" / "HR").glob("*.png"))
    elif case in ("portraits", "gray"):
        from colorize_safety import PORTRAITS

        files = [sr / p for p in PORTRAITS]
    elif case == "night":
        files = [DATA / "lowlight" / "DICM" / "low" / f"{n}.jpg" for n in ("03", "17", "30")]
    elif case == "jpeg":
        files = sorted((DATA / "denoise" / "CBSD68" / "GT").glob("*.png"))[:10]
    elif case == "webcopy":
        files = sorted((sr / "BSD100" / "HR").glob("*.png"))[:10]
    elif case == "dark":
        files = sorted((DATA / "lowlight" / "LOL" / "eval15" / "low").glob("*.png"))
    elif case == "neutral":
        clip = DATA / "video" / "car-detection.mp4"
        if not clip.is_file():
            return
        import av

        with av.open(str(clip)) as c:
            n = 0
            for i, frame in enumerate(c.decode(video=0)):
                if i % 60 == 0:
                    a = frame.to_ndarray(format="rgb24").transpose(2, 0, 1).astype(np.float32) / 255
                    yield f"frame {i}", np.ascontiguousarray(a)
                    n += 1
                    if n == (limit or 6):
                        return
        return
    else:
        raise ValueError(case)
    files = [f for f in files if f.is_file()]
    for f in files[: limit or None]:
        yield f.name, rgb_of(f)


def run_case(case: str, limit: int, min_psnr: float) -> tuple[bool, str]:
    """Prints one line per image; returns (passed, summary line)."""
    from colorize_safety import cool_share, skin_mask

    from vivid.ops.degrade import jpeg

    ok, lines, scores = True, 0, []
    for name, x in images(case, limit):
        lines += 1
        if case == "gray":
            g = np.rint((0.299 * x[0] + 0.587 * x[1] + 0.114 * x[2]) * 255)[None].astype(np.float32) / 255
            out, steps = auto(np.ascontiguousarray(g))
            cool, gain = cool_share(out, skin_mask(x)), psnr(out, x) - psnr(g, x)
            good = cool < 0.03 and "colorize" in " ".join(steps)
            scores.append(gain)
            detail = f"cool skin {cool:.1%}, PSNR vs colour original {gain:+.2f} dB over the gray copy"
        elif case == "jpeg":
            q = jpeg(x, quality=15)
            out, steps = auto(q)
            gain = psnr(out, x) - psnr(q, x)
            good = gain >= 0
            scores.append(gain)
            detail = f"PSNR vs clean {psnr(out, x):.2f} dB ({gain:+.2f} over the JPEG)"
        elif case == "webcopy":
            from scipy.ndimage import gaussian_filter

            from vivid.engine.api import enhance
            from vivid.io.image import Image
            from vivid.ops.resize import imresize, modcrop

            hr = modcrop(x, 2)
            copy = jpeg(imresize(gaussian_filter(hr, (0, 1.6, 1.6)), 0.5, quantize=8), quality=70)
            result = enhance(Image(np.ascontiguousarray(copy, dtype=np.float32)), task="auto", scale=2)
            out = np.clip(np.rint(result.image.color * 255), 0, 255) / 255
            steps = [f"{s.task}:{s.model}" for s in result.plan.steps]
            base = np.clip(np.rint(imresize(copy, 2.0) * 255), 0, 255) / 255
            gain = psnr(out, hr) - psnr(base, hr)
            good = gain >= 0
            scores.append(gain)
            detail = f"PSNR vs original {psnr(out, hr):.2f} dB ({gain:+.2f} over bicubic upscaling)"
        elif case == "dark":
            from vivid.metrics import ssim

            gt = rgb_of(DATA / "lowlight" / "LOL" / "eval15" / "high" / name)
            out, steps = auto(x)
            (p0, s0), (p1, s1) = (psnr(x, gt), ssim(x, gt)), (psnr(out, gt), ssim(out, gt))
            good = p1 > p0 and s1 > s0 and "lowlight" in " ".join(steps)
            scores.append(s1)
            detail = f"PSNR / SSIM vs the normal-light capture {p0:.2f} / {s0:.3f} -> {p1:.2f} / {s1:.3f}"
        elif case == "night":
            out, steps = auto(x)
            lum = 0.299 * x[0] + 0.587 * x[1] + 0.114 * x[2]
            lights = lum >= np.percentile(lum, 90)
            (h0, c0), (h1, c1) = light_colour(x, lights), light_colour(out, lights)
            dh = abs((h1 - h0 + 180) % 360 - 180)
            lum0, lum1 = (float((0.299 * v[0] + 0.587 * v[1] + 0.114 * v[2]).mean()) * 255 for v in (x, out))
            good = "lowlight" in " ".join(steps) and "color:" not in " ".join(steps) and dh < 25 and 0.5 < c1 / c0 < 2
            scores.append(lum1 - lum0)
            detail = (f"mean brightness {lum0:.0f} -> {lum1:.0f}/255, the lights' hue moved {dh:.0f} deg, "
                      f"their saturation x{c1 / max(c0, 1e-9):.2f}")
        else:
            out, steps = auto(x)
            p = psnr(out, x)
            good = p >= min_psnr and "colorize" not in " ".join(steps)
            scores.append(p)
            detail = f"PSNR vs input {p:.2f} dB"
        ok &= good
        if case != "good" or not good or any(not s.startswith("sr:") for s in steps):
            print(f"  {case} {name}: {' -> '.join(steps) or 'nothing'}; {detail}{'' if good else '  <-- HARM'}")
    if not lines:
        return True, f"{case}: skipped (data not found under {DATA})"
    s = np.minimum(np.array(scores), 99.99)  # an untouched image scores inf against its input
    what = {"good": "PSNR vs input", "neutral": "PSNR vs input", "portraits": "PSNR vs input",
            "night": "brightness gain /255", "gray": "dB over the gray copy", "jpeg": "dB over the JPEG",
            "webcopy": "dB over bicubic", "dark": "SSIM vs the normal-light capture"}[case]
    return ok, (f"{case}: {lines} images, {what} min {s.min():.2f} mean {s.mean():.2f}; "
                f"{'kept, no harm' if ok else 'HARM: see the marked lines'}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default=",".join(CASES), help=f"comma-separated, of {', '.join(CASES)}")
    ap.add_argument("--limit", type=int, default=0, help="only the first N images of each case (0: all)")
    ap.add_argument("--min-psnr", type=float, default=30.0)
    args = ap.parse_args()
    cases = [c for c in args.cases.split(",") if c]
    unknown = sorted(set(cases) - set(CASES))
    if unknown:
        print(f"unknown case(s) {unknown}: choose from {', '.join(CASES)}", file=sys.stderr)
        return 2
    t0 = time.time()
    results = []
    for case in cases:
        results.append(run_case(case, args.limit, args.min_psnr))
        print(results[-1][1], flush=True)
    print(f"done in {time.time() - t0:.0f} s: {sum(ok for ok, _ in results)} of {len(results)} cases without harm")
    return 0 if all(ok for ok, _ in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
