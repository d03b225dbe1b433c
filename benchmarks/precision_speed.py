"""float32 vs int8 (and OpenVINO) for vivid's networks, timed side by side in one process.

Usage (from the repository root; run ``vivid models quantize NAME`` first for the int8 rows)::

    .venv/bin/python benchmarks/precision_speed.py                       # vivid-sr-fast, vivid-sr x2; 480p, 720p
    .venv/bin/python benchmarks/precision_speed.py --models vivid-denoise --sizes 480p

Each model runs one engine step (:func:`vivid.engine.api.run_model`, what ``vivid enhance`` runs) on the same
image-like frame (``vivid.bench.speed_worker.synthetic_frame``; SR models get the output size / 2) as
``vivid enhance`` loads it by default (float32, ONNX Runtime), with ``--precision int8`` (its int8 graph in
ONNX Runtime) and with ``--runtime openvino`` (when installed). The variants alternate call by call, so that
load from other processes hits all alike: on a shared machine the ratios are what to read. Reported: the
median and the fastest of ``--runs`` calls after one warm-up each, the ratio of medians to float32, and the
load average before and after.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default="vivid-sr-fast,vivid-sr")
    ap.add_argument("--sizes", default="480p,720p", help="OUTPUT frame sizes: 480p, 720p, 1080p")
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()

    from vivid.bench.speed import input_size, parse_size
    from vivid.bench.speed_worker import synthetic_frame
    from vivid.engine.api import run_model
    from vivid.errors import VividError
    from vivid.io.image import Image
    from vivid.zoo.onnx_runtime import load_on_runtime
    from vivid.zoo.openvino_runtime import openvino_installed

    print(f"{len(os.sched_getaffinity(0))} usable cores, load average {os.getloadavg()[0]:.2f} at start; "
          f"median (fastest) of {args.runs} alternating calls, ms")
    print("| model | output | float32 (ORT) | int8 (ORT) | int8 / float32 | OpenVINO float32 | OpenVINO / float32 |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name in args.models.split(","):
        variants = {"float32": load_on_runtime(name, scale=2 if name.startswith("vivid-sr") else None,
                                               runtime="auto", precision="float32")}
        scale = variants["float32"].descriptor.scale
        try:
            variants["int8"] = load_on_runtime(name, scale=scale, runtime="auto", precision="int8")
        except VividError as e:
            print(f"({name}: no int8 row: {e})")
        if openvino_installed():
            variants["openvino"] = load_on_runtime(name, scale=scale, runtime="openvino")
        for label in args.sizes.split(","):
            size = parse_size(label)
            w, h = input_size(size, scale) if variants["float32"].descriptor.task == "sr" else (size.width, size.height)
            image = Image(synthetic_frame(w, h))
            times: dict[str, list[float]] = {k: [] for k in variants}
            for r in range(args.runs + 1):
                for k, m in variants.items():
                    t0 = time.perf_counter()
                    run_model(m, image)
                    if r:
                        times[k].append(1000 * (time.perf_counter() - t0))
            med = {k: statistics.median(v) for k, v in times.items()}
            cell = {k: f"{med[k]:.0f} ({min(times[k]):.0f})" for k in times}
            ratio = {k: f"{med[k] / med['float32']:.2f}" for k in times}
            print(f"| {name} x{scale} | {label} | {cell['float32']} | {cell.get('int8', '-')} | {ratio.get('int8', '-')} "
                  f"| {cell.get('openvino', '-')} | {ratio.get('openvino', '-')} |", flush=True)
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
