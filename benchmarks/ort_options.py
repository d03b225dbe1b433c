"""ONNX Runtime session options per shipped model: threads x spinning x graph optimisation level.

Usage (from the repository root)::

    .venv/bin/python benchmarks/ort_options.py                          # every shipped model, 854x480
    .venv/bin/python benchmarks/ort_options.py --models vivid-sr-fast --runs 9

Each model (x2 for SR models that have it, else its own scale) runs one engine step
(:func:`vivid.engine.api.run_model`) on the same image-like 854x480 input
(``vivid.bench.speed_worker.synthetic_frame``; gray for colorizers), from the graph ``vivid enhance`` runs
(``--precision auto``, the default: vivid-sr x2's shipped int8 graph, float32 for the others; ``--precision
float32`` times the float graphs), in ONNX Runtime sessions made with every
:class:`vivid.models.registry.SessionTuning` of intra-op threads (1 or all usable cores), spinning (off/on) and
graph optimisation level (basic, extended, all). The combinations run round-robin, one call each per round,
so that load from other processes hits all alike; reported is the median of ``--runs`` rounds after one
warm-up round, per combination, and the chosen one: the fastest, unless vivid's default (all cores, no
spinning, all optimisations) is within ``--margin`` of it (a difference that small is noise on a shared
machine). The last lines are the ``ort=`` declarations to put in the registry entries
(:attr:`vivid.models.registry.Network.ort`) of models whose choice is not the default. The load average is
printed before and after: compare numbers only within one run.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import time


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default="all", help="comma-separated shipped model names, or all")
    ap.add_argument("--runs", type=int, default=5, help="timed rounds (median reported); default 5")
    ap.add_argument("--margin", type=float, default=0.05, help="keep the default within this share of the best")
    ap.add_argument("--precision", default="auto", choices=("auto", "float32"),
                    help="auto: the graph vivid enhance runs (int8 where shipped); float32: the float graphs")
    args = ap.parse_args()

    import onnxruntime

    from vivid.bench.speed_worker import synthetic_frame
    from vivid.engine.api import run_model
    from vivid.io.image import Image
    from vivid.models.registry import SessionTuning
    from vivid.models.torch_runtime import default_threads
    from vivid.zoo.builtin import shipped_weights
    from vivid.zoo.quantize import load_int8, resolve_precision
    from vivid.zoo.shipped_onnx import load_shipped_onnx

    onnxruntime.set_default_logger_severity(3)
    cores = default_threads()
    threads = sorted({1, cores})
    tunings = [SessionTuning(threads=None if t == cores else t, spin=spin, level=level)
               for t, spin, level in itertools.product(threads, (False, True), ("basic", "extended", "all"))]
    default = SessionTuning()
    shipped = sorted({(w.name, w.scale) for w in shipped_weights()})
    names = list(dict.fromkeys(n for n, _ in shipped)) if args.models == "all" else args.models.split(",")
    load0 = os.getloadavg()[0]
    print(f"onnxruntime {onnxruntime.__version__}, {cores} usable cores (threads 'default' = {cores}), "
          f"load average {load0:.2f} at start; 854x480 input, median of {args.runs} rounds, ms")
    print("| model | " + " | ".join(f"t{t.threads or cores} {'spin' if t.spin else 'nospin'} {t.level}"
                                      for t in tunings) + " | chosen | default / chosen |")
    print("|---" * (len(tunings) + 3) + "|")
    chosen: dict[str, SessionTuning] = {}
    for name in names:
        scale = 2 if (name, 2) in shipped else min(s for n, s in shipped if n == name)
        int8 = resolve_precision(name, scale, args.precision, runtime="onnx") == "int8"
        load = load_int8 if int8 else load_shipped_onnx
        models = [load(name, scale, tuning=t) for t in tunings]
        image = Image(synthetic_frame(854, 480))
        if models[0].descriptor.color_space == "gray":  # colorizers take gray images
            image = Image(image.pixels.mean(axis=0, keepdims=True))
        times: list[list[float]] = [[] for _ in tunings]
        for r in range(args.runs + 1):
            for i, m in enumerate(models):
                t0 = time.perf_counter()
                run_model(m, image)
                if r:  # round 0 warms up every session
                    times[i].append((time.perf_counter() - t0) * 1000)
        med = [statistics.median(t) for t in times]
        best = min(range(len(tunings)), key=med.__getitem__)
        d = tunings.index(default)
        pick = d if med[d] <= med[best] * (1 + args.margin) else best
        chosen[name] = tunings[pick]
        print(f"| {name} x{scale}{' int8' if int8 else ''} | " + " | ".join(f"{m:.0f}" for m in med)
              + f" | {tunings[pick].label()} | {med[d] / med[pick]:.2f} |", flush=True)
        for m in models:
            m.close()
    load = max(load0, os.getloadavg()[0])
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    if load > cores:  # more runnable processes than cores: fewer threads wait less for them
        print(f"(load average above the {cores} cores: one thread and spinning win or lose by what the other "
              f"processes do, so do not declare a thread count or spinning from this run; levels still compare)")
    for name, t in chosen.items():  # registry declarations (Network.ort) where the choice is not the default
        if t != default:
            print(f'{name}: ort=SessionTuning(threads={t.threads}, spin={t.spin}, level="{t.level}")')
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
