"""The planar video path's model stage: one call on the whole luma plane against 120-row stripes.

Usage (from the repository root; OpenVINO rows need the ``[openvino]`` extra)::

    .venv/bin/python benchmarks/planar_stripes.py                       # vivid-sr-rt, vivid-sr-fast; 480p, 720p
    .venv/bin/python benchmarks/planar_stripes.py --models vivid-sr-rt --inputs 854x480 --runs 21

Times :meth:`vivid.video.planar_sr.PlanarSR.luma` (the model stage of ``vivid video``'s planar path: uint8 Y
plane in, the model's uint8 Y plane out) on an image-like luma plane, for ONNX Runtime and OpenVINO, with the
plane in ``STRIPE_ROWS``-row stripes (each with the model's overlap rows above and below, computed twice) and
in as few calls as one engine tile's memory budget allows (what ``vivid video`` now runs for these runtimes:
the whole plane at 480p and 720p). The variants alternate call by call, so load from other processes hits
all alike; reported are the median and fastest of ``--runs`` calls after two warm-ups, the ratio of medians
to the stripes, the largest difference from the stripes' pixels (levels) and the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default="vivid-sr-rt,vivid-sr-fast")
    ap.add_argument("--inputs", default="854x480,1280x720", help="input luma sizes WxH, comma-separated")
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()

    import numpy as np

    from vivid.bench.speed_worker import synthetic_frame
    from vivid.engine.cache import ModelCache
    from vivid.engine.tiling import auto_tile_size
    from vivid.video.planar_sr import STRIPE_ROWS, PlanarSR
    from vivid.video.probe import ColorTags
    from vivid.zoo.openvino_runtime import openvino_installed

    runtimes = ["onnx"] + (["openvino"] if openvino_installed() else [])
    print(f"{len(os.sched_getaffinity(0))} usable cores, load average {os.getloadavg()[0]:.2f} at start; "
          f"runtimes: {', '.join(runtimes)}")
    for size in args.inputs.split(","):
        w, h = (int(v) for v in size.lower().split("x"))
        rgb = synthetic_frame(w, h)  # (3, H, W) float32 in [0, 1]
        y = np.rint(16 + 219 * (0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2])).astype(np.uint8)
        for name in args.models.split(","):
            variants: dict[str, PlanarSR] = {}
            for rt in runtimes:
                model = ModelCache(runtime=rt, precision="float32").get(name, 2)
                side = auto_tile_size(bytes_per_pixel=4 * 64 * 4)  # as vivid.video.planar_sr.planar_sr
                variants[f"{rt}, {STRIPE_ROWS}-row stripes"] = PlanarSR(model, size=(h, w), color=ColorTags(),
                                                                          rows=STRIPE_ROWS)
                auto = PlanarSR(model, size=(h, w), color=ColorTags(), max_pixels=side * side)
                calls = len(auto._spans())
                variants[f"{rt}, {'whole plane' if calls == 1 else f'{calls} stripes'} (vivid video)"] = auto
            outs = {k: (p.luma(y), p.luma(y))[1].astype(np.int16) for k, p in variants.items()}
            times: dict[str, list[float]] = {k: [] for k in variants}
            for _ in range(args.runs):
                for k, p in variants.items():
                    t0 = time.perf_counter()
                    p.luma(y)
                    times[k].append(time.perf_counter() - t0)
            print(f"\n{name}, {w}x{h} luma -> {2 * w}x{2 * h} (load average {os.getloadavg()[0]:.2f})")
            print("| runtime, calls | median ms | fastest ms | / stripes | max level difference |")
            print("|---|---:|---:|---:|---:|")
            keys = list(variants)
            for i, k in enumerate(keys):
                ref = keys[i - i % 2]  # the same runtime's stripes
                med = statistics.median(times[k])
                diff = int(np.abs(outs[k] - outs[ref]).max())
                print(f"| {k} | {1000 * med:.1f} | {1000 * min(times[k]):.1f} | "
                      f"{med / statistics.median(times[ref]):.2f} | {diff} |")
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
