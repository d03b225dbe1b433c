"""Recommended-model routing on labelled real images: does ``--task auto`` propose the step each set needs?

Sets (from ../shared; a missing set is skipped) and the step expected in the plan:

* LOL eval15 low and DICM (real low-light photos) → ``lowlight``
* BSD68 (gray photos, stored as one channel) and CBSD68 converted to three equal channels → ``colorize``
* CBSD68 with Gaussian noise σ 15 and 25 (seeded) → ``denoise``
* CBSD68 saved as JPEG quality 10 → ``dejpeg`` (blockiness)
* Set5 and Set14 → ``sr`` when the longest side is under 512 (vivid's "small" rule; larger ones → nothing
  besides ``sr``)
* BSD100 HR (good photos; 481x321, so SR x2 is expected) → no step besides ``sr``

DICM is the usual unpaired low-light test set, but it mixes dark captures with normally exposed ones
(35 of its 64 have mean luma above 0.3), so its line also reports the clearly dark part (median luma
below 0.05, a statistic the rules do not use).

Prints, per set, how many plans have the expected step, the plans' other steps, and the images that
missed. Only ``vivid.engine.routing.analyze`` runs (no model).

    .venv/bin/python benchmarks/routing_accuracy.py [--limit N]
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


def _noisy(sigma: float) -> Callable[[np.ndarray, int], np.ndarray]:
    def f(x: np.ndarray, i: int) -> np.ndarray:
        rng = np.random.default_rng(i)
        return np.clip(x + rng.standard_normal(x.shape).astype(np.float32) * (sigma / 255), 0, 1)
    return f


def _gray3(x: np.ndarray, i: int) -> np.ndarray:
    g = 0.299 * x[0] + 0.587 * x[1] + 0.114 * x[2]
    return np.stack([g, g, g])


def _jpeg10(x: np.ndarray, i: int) -> np.ndarray:
    from vivid.ops.degrade import jpeg

    return jpeg(x, quality=10)


#: (name, folder, transform or None, expected task; "" = nothing besides sr)
SETS: tuple[tuple[str, str, Callable[[np.ndarray, int], np.ndarray] | None, str], ...] = (
    ("LOL eval15 low", "lowlight/LOL/eval15/low", None, "lowlight"),
    ("DICM", "lowlight/DICM/low", None, "lowlight"),
    ("BSD68 gray", "denoise/BSD68/GT", None, "colorize"),
    ("CBSD68 as gray RGB", "denoise/CBSD68/GT", _gray3, "colorize"),
    ("CBSD68 + noise σ15", "denoise/CBSD68/GT", _noisy(15), "denoise"),
    ("CBSD68 + noise σ25", "denoise/CBSD68/GT", _noisy(25), "denoise"),
    ("CBSD68 as JPEG q10", "denoise/CBSD68/GT", _jpeg10, "dejpeg"),
    ("Set5", "sr/Set5/HR", None, "sr"),
    ("Set14", "sr/Set14/HR", None, "sr"),
    ("BSD100 HR (good photos)", "sr/BSD100/HR", None, ""),
)


def images(folder: Path, limit: int) -> Iterator[tuple[str, np.ndarray]]:
    from vivid.io.read import read_image

    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".png", ".jpg", ".bmp", ".tif"))
    for f in files[:limit] if limit else files:
        yield f.name, read_image(f).pixels


def run(limit: int = 0) -> dict[str, tuple[int, int, Counter, list[str]]]:
    """Per set: (hits, images, other steps counted, missed names)."""
    from vivid.engine.routing import analyze
    from vivid.io.image import Image

    results = {}
    for name, rel, transform, expected in SETS:
        folder = DATA / rel
        if not folder.is_dir():
            continue
        hits, n, others, missed = 0, 0, Counter(), []
        dark_hits = dark_n = 0
        for i, (fname, px) in enumerate(images(folder, limit)):
            x = px if transform is None else transform(px, i)
            steps = [s.task for s in analyze(Image(np.ascontiguousarray(x, dtype=np.float32))).steps]
            want = expected
            if want == "sr" and max(x.shape[1:]) >= 512:
                want = ""
            ok = want in steps if want else set(steps) <= {"sr"}
            if name == "DICM" and float(np.median(0.299 * x[0] + 0.587 * x[1] + 0.114 * x[2])) < 0.05:
                dark_hits += ok
                dark_n += 1
            hits += ok
            n += 1
            others.update(t for t in steps if t != expected)
            if not ok:
                missed.append(f"{fname}:{'+'.join(steps) or 'nothing'}")
        results[name] = (hits, n, others, missed)
        if dark_n:
            results["DICM, median luma < 0.05"] = (dark_hits, dark_n, Counter(), [])
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="first N images of each set (0: all)")
    args = parser.parse_args(argv)
    results = run(args.limit)
    if not results:
        print("error: no labelled sets found under ../shared/datasets")
        return 2
    print(f"{'set':26s} {'expected':>9s} {'hits':>8s}  other steps; misses")
    expected_of = {s[0]: s[3] for s in SETS} | {"DICM, median luma < 0.05": "lowlight"}
    for name, (hits, n, others, missed) in results.items():
        expected = expected_of[name]
        other = ", ".join(f"{t} {c}" for t, c in sorted(others.items())) or "-"
        print(f"{name:26s} {expected or 'none':>9s} {hits:3d}/{n:<4d}  {other}; {' '.join(missed[:8]) or '-'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
