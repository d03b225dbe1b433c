"""The planar video path's model stage: OpenVINO streams (stripes at once) against one call at a time.

Usage (from the repository root, with the ``[openvino]`` extra)::

    .venv/bin/python benchmarks/openvino_streams.py                       # vivid-sr-rt, vivid-sr-fast; 480p
    .venv/bin/python benchmarks/openvino_streams.py --models vivid-sr-rt --inputs 854x480,1280x720 --runs 15

Times :meth:`vivid.video.planar_sr.PlanarSR.luma` (the model stage of ``vivid video``'s planar path: uint8 Y
plane in, the model's uint8 Y plane out) on an image-like luma plane for each variant:

- ``openvino streams``: the OpenVINO graph compiled for two calls at once, stripes run two at a time from two
  threads (what ``vivid video --runtime openvino`` and ``--realtime`` run);
- ``openvino latency``: the same graph compiled for one call with both threads, stripes one after the other
  (what ran before streams);
- ``onnx``: ONNX Runtime (the default runtime), stripes one after the other.

The variants alternate call by call, so load from other processes hits all alike; reported are the median and
fastest of ``--runs`` calls after two warm-ups, the ratio of medians to ``openvino latency``, a check that every
variant gave the same pixels (within one level), and the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default="vivid-sr-rt,vivid-sr-fast")
    ap.add_argument("--inputs", default="854x480", help="input luma sizes WxH, comma-separated")
    ap.add_argument("--runs", type=int, default=9)
    args = ap.parse_args()

    import numpy as np

    from vivid.bench.speed_worker import synthetic_frame
    from vivid.engine.cache import ModelCache
    from vivid.video.planar_sr import PlanarSR
    from vivid.video.probe import ColorTags

    print(f"{len(os.sched_getaffinity(0))} usable cores, load average {os.getloadavg()[0]:.2f} at start")
    for size in args.inputs.split(","):
        w, h = (int(v) for v in size.lower().split("x"))
        rgb = synthetic_frame(w, h)  # (3, H, W) float32
        y = np.rint((16 + 219 * (0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]))).astype(np.uint8)
        for name in args.models.split(","):
            ov = ModelCache(runtime="openvino").get(name, 2)
            variants = {
                "openvino streams": PlanarSR(ov, size=(h, w), color=ColorTags()),
                "openvino streams, 2 stripes": PlanarSR(ov, size=(h, w), color=ColorTags(), rows=-(-h // 2)),
                "openvino latency": PlanarSR(ov, size=(h, w), color=ColorTags()),
                "onnx": PlanarSR(ModelCache(runtime="onnx").get(name, 2), size=(h, w), color=ColorTags()),
            }
            variants["openvino latency"]._twin = None
            assert variants["openvino streams"]._twin is not None, "OpenVINO did not give a concurrent twin"
            outs = {k: (p.luma(y), p.luma(y))[1] for k, p in variants.items()}
            ref = outs["openvino latency"].astype(np.int16)
            same = {k: int(np.abs(o.astype(np.int16) - ref).max()) for k, o in outs.items()}
            times: dict[str, list[float]] = {k: [] for k in variants}
            for _ in range(args.runs):
                for k, p in variants.items():
                    t0 = time.perf_counter()
                    p.luma(y)
                    times[k].append(time.perf_counter() - t0)
            base = statistics.median(times["openvino latency"])
            print(f"\n{name}, {w}x{h} luma -> {2 * w}x{2 * h} (load average {os.getloadavg()[0]:.2f})")
            print("| variant | median ms | fastest ms | / latency | max level difference |")
            print("|---|---:|---:|---:|---:|")
            for k, v in times.items():
                med = statistics.median(v)
                print(f"| {k} | {1000 * med:.1f} | {1000 * min(v):.1f} | {med / base:.2f} | {same[k]} |")
            for p in variants.values():
                p.close()
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
