"""Measure the per-pixel memory costs behind the service's budget (``vivid/server/budget.py``).

Each case runs in a fresh process: the model is loaded first, then the image is decoded, enhanced with
the service's tile size and encoded as PNG, as a job would; printed are the peak RSS (``ru_maxrss``)
above the loaded process, per input pixel (decoding) and per output pixel of the step. ``--stream``
measures the bounded streaming path (:func:`vivid.engine.stream.enhance_file`) per output-strip pixel.

    python benchmarks/budget_costs.py                       # the models the budget table names
    python benchmarks/budget_costs.py --cases vivid-sr:2,nlm:1 --size 1000x1500
    python benchmarks/budget_costs.py --stream --cases vivid-sr:2 --size 3000x4000
    python benchmarks/budget_costs.py --cases vivid-sr:2 --precision float32   # the service's default is auto
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile

CASES = "bicubic:2,vivid-sr:2,vivid-denoise:1,vivid-lowlight:1,vivid-tone:1,vivid-colorize:1,nlm:1,lime:1,analyze:1"

_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
import numpy as np
from PIL import Image
model, scale, h, w, stream, folder = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "1", Path(sys.argv[6])
precision = sys.argv[7] if len(sys.argv) > 7 else "auto"
src = folder / f"in_{h}x{w}.png"
if not src.exists():
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    rgb = np.stack([128 + 100 * np.sin(xx / 37), 128 + 90 * np.cos(yy / 29), 128 + 60 * np.sin((xx + yy) / 53)], -1)
    Image.fromarray(rgb.astype(np.uint8)).save(src, compress_level=1)
    print(json.dumps({"made": str(src)})); sys.exit(0)
rss = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
from vivid.engine.cache import ModelCache
from vivid.engine.api import default_model, enhance
from vivid.engine.routing import analyze
from vivid.engine.stream import enhance_file
from vivid.io.read import read_image
from vivid.io.write import encode_image
from vivid.models.registry import get_entry
from vivid.server.budget import TILE
import torch  # noqa: F401 - loaded before the baseline, as in a running server
models = ModelCache(precision=precision)
if model != "analyze":
    task = get_entry(model).task
    models.get(model, scale if task == "sr" else None)
base = rss()
t0 = time.perf_counter()
if stream:
    enhance_file(src, folder / "out.png", task=task, model=model, scale=scale if task == "sr" else None, tile=TILE,
                 models=models, stream=True, overwrite=True, max_pixels=None)
    strip = min(TILE, h) * scale * w * scale
    print(json.dumps({"peak_mb": (rss() - base) / 2**20, "per_strip_px": (rss() - base) / strip,
                      "seconds": time.perf_counter() - t0}))
    sys.exit(0)
image = read_image(src, max_pixels=None)
decoded = rss()
if model == "analyze":
    analyze(image)
    out_px = h * w
else:
    r = enhance(image, task=task, model=model, scale=scale if task == "sr" else None, tile=TILE, models=models)
    encode_image(r.image, format="png")
    out_px = r.image.width * r.image.height
print(json.dumps({"peak_mb": (rss() - base) / 2**20, "per_input_px": (decoded - base) / (h * w),
                  "per_output_px": (rss() - decoded) / out_px, "seconds": time.perf_counter() - t0}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", default=CASES, help="model:scale,... ('analyze:1' is the routing analysis)")
    ap.add_argument("--size", default="1000x1500", help="input HxW")
    ap.add_argument("--stream", action="store_true")
    ap.add_argument("--precision", default="auto", help="as the service runs models (auto: vivid-sr x2 in int8), or "
                                                        "float32 / int8")
    args = ap.parse_args()
    h, w = (int(v) for v in args.size.split("x"))
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run([sys.executable, "-c", _CHILD, "bicubic", "2", str(h), str(w), "0", folder], check=True,
                       capture_output=True)
        print(f"input {w}x{h}; {'streaming path' if args.stream else 'in-memory path'}; bytes above the loaded process")
        for case in args.cases.split(","):
            model, scale = case.split(":")
            run = subprocess.run([sys.executable, "-c", _CHILD, model, scale, str(h), str(w),
                                  "1" if args.stream else "0", folder, args.precision], capture_output=True, text=True)
            if run.returncode:
                print(f"{case}: failed: {run.stderr.strip().splitlines()[-1] if run.stderr.strip() else run.returncode}")
                continue
            r = json.loads(run.stdout.strip().splitlines()[-1])
            figures = ", ".join(f"{k} {v:.1f}" for k, v in r.items())
            print(f"{case}: {figures}")


if __name__ == "__main__":
    main()
