"""torch vs ONNX Runtime for vivid's exportable built-in models (what ``runtime="auto"`` is chosen from).

Usage (from the repository root)::

    .venv/bin/python benchmarks/ort_speed.py                    # vivid-sr-fast and vivid-sr x2, 480p and 720p
    .venv/bin/python benchmarks/ort_speed.py --runs 9 --models vivid-sr

Each model runs one engine step (:func:`vivid.engine.api.run_model`, untiled) on the same image-like RGB
input (``vivid.bench.speed_worker.synthetic_frame``) at 854x480 and 1280x720, once through torch
(float32, as loaded) and once through ONNX Runtime (the model exported by
:func:`vivid.zoo.onnx_runtime.to_onnx`, session with vivid's thread count, all graph optimisations).
The two alternate run by run, so that load from other processes hits both alike. Reported: median wall
time of ``--runs`` calls after two warm-ups, ORT / torch, and the largest difference in 8-bit levels.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--models", default="vivid-sr-fast,vivid-sr")
    args = ap.parse_args()

    import numpy as np
    import onnxruntime
    import torch

    from vivid.bench.speed_worker import synthetic_frame
    from vivid.engine.api import run_model
    from vivid.io.image import Image
    from vivid.zoo.loader import load_model
    from vivid.zoo.onnx_runtime import to_onnx

    print(f"torch {torch.__version__} ({torch.get_num_threads()} threads), onnxruntime {onnxruntime.__version__}, "
          f"{len(os.sched_getaffinity(0))} cores, load average {os.getloadavg()[0]:.2f}")
    print("| model | input | torch ms | ORT ms | ORT / torch | max diff (8-bit levels) |")
    print("|---|---|---|---|---|---|")
    for name in args.models.split(","):
        torch_model = load_model(name, scale=2)
        ort_model = to_onnx(torch_model)
        for label, (w, h) in (("480p", (854, 480)), ("720p", (1280, 720))):
            image = Image(synthetic_frame(w, h))
            times: dict[str, list[float]] = {"torch": [], "ort": []}
            outs = {}
            for i in range(args.runs + 2):
                for key, model in (("torch", torch_model), ("ort", ort_model)):
                    t = time.perf_counter()
                    outs[key] = run_model(model, image, tile=8192).pixels
                    if i >= 2:
                        times[key].append(time.perf_counter() - t)
            t_ms, o_ms = (statistics.median(times[k]) * 1000 for k in ("torch", "ort"))
            diff = float(np.abs(outs["torch"] - outs["ort"]).max() * 255)
            print(f"| {name} x2 | {label} ({w}x{h}) | {t_ms:.0f} | {o_ms:.0f} | {o_ms / t_ms:.2f} | {diff:.3f} |",
                  flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
