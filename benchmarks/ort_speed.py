"""torch vs ONNX Runtime for vivid's shipped models (what ``runtime="auto"`` is chosen from).

Usage (from the repository root)::

    .venv/bin/python benchmarks/ort_speed.py                    # vivid-sr-fast and vivid-sr x2, 480p and 720p
    .venv/bin/python benchmarks/ort_speed.py --runs 9 --models vivid-sr
    .venv/bin/python benchmarks/ort_speed.py --models all --sizes 480p --spinning 0   # every shipped model

Models of scale 1 run at their own scale; ``--threads`` and ``--spinning`` set ONNX Runtime's intra-op
threads and whether its idle threads spin (default: as vivid's sessions, its thread count, no spinning).

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
    ap.add_argument("--models", default="vivid-sr-fast,vivid-sr", help="comma-separated, or all (every shipped model)")
    ap.add_argument("--sizes", default="480p,720p", help="comma-separated: 480p, 720p")
    ap.add_argument("--threads", type=int, default=0, help="ORT intra-op threads (0: vivid's default)")
    ap.add_argument("--spinning", type=int, choices=(0, 1), default=0, help="ORT idle threads spin (1) or sleep (0)")
    args = ap.parse_args()

    import numpy as np
    import onnxruntime
    import torch

    from vivid.bench.speed_worker import synthetic_frame
    from vivid.engine.api import run_model
    from vivid.io.image import Image
    from vivid.zoo import onnx_files as byo_onnx
    from vivid.zoo.builtin import shipped_weights
    from vivid.zoo.loader import load_model
    from vivid.zoo.onnx_runtime import to_onnx

    plain_session = byo_onnx.make_session

    def tuned_session(model):  # noqa: ANN001, ANN202 - vivid's session with this run's thread settings
        session = plain_session(model)
        opts = session.get_session_options()
        if args.threads:
            opts.intra_op_num_threads = args.threads
        opts.add_session_config_entry("session.intra_op.allow_spinning", str(args.spinning))
        return onnxruntime.InferenceSession(session._model_path, sess_options=opts, providers=["CPUExecutionProvider"])

    byo_onnx.make_session = tuned_session
    onnxruntime.set_default_logger_severity(3)  # not the notice that this overwrites vivid's spinning entry
    print(f"ORT intra-op threads {args.threads or 'default'}, spinning {args.spinning}")
    shipped = sorted({(w.name, w.scale) for w in shipped_weights()})
    names = [n for n, _ in shipped] if args.models == "all" else args.models.split(",")
    names = list(dict.fromkeys(names))
    sizes = {"480p": (854, 480), "720p": (1280, 720)}
    print(f"torch {torch.__version__} ({torch.get_num_threads()} threads), onnxruntime {onnxruntime.__version__}, "
          f"{len(os.sched_getaffinity(0))} cores, load average {os.getloadavg()[0]:.2f}")
    print("| model | input | torch ms | ORT ms | ORT / torch | max diff (8-bit levels) |")
    print("|---|---|---|---|---|---|")
    for name in names:
        scale = 2 if (name, 2) in shipped else min(s for n, s in shipped if n == name)
        torch_model = load_model(name, scale=scale)
        ort_model = to_onnx(torch_model)
        for label in args.sizes.split(","):
            w, h = sizes[label]
            image = Image(synthetic_frame(w, h))
            if torch_model.descriptor.color_space == "gray":  # colorizers take gray images
                image = Image(image.pixels.mean(axis=0, keepdims=True))
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
            print(f"| {name} x{scale} | {label} ({w}x{h}) | {t_ms:.0f} | {o_ms:.0f} | {o_ms / t_ms:.2f} | {diff:.3f} |",
                  flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
