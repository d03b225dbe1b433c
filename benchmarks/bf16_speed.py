"""Is bfloat16 worth it on this CPU? fp32 vs bf16 time and difference for vivid's learned models.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bf16_speed.py                     # 512x512, vivid-sr-fast, vivid-sr, vivid-denoise
    .venv/bin/python benchmarks/bf16_speed.py --size 720 --runs 7

Each model runs one engine step (:func:`vivid.engine.api.run_model`, untiled) on the same image-like
RGB input (``vivid.bench.speed_worker.synthetic_frame`` plus noise of sigma 15 for the denoiser), in
three ways: float32 (the default), ``torch.autocast`` to bfloat16 (what ``--dtype bfloat16`` runs:
``restorer.with_dtype("bfloat16")``) and the whole module cast to bfloat16. Reported: median wall time of ``--runs``
calls after one warm-up, its ratio to float32, and the largest and mean absolute difference from the
float32 output in 8-bit levels. CPU flags (avx512_bf16, amx_bf16) and torch's thread count are
printed; the numbers depend on the machine and on what else runs on it. ``--quality Set5`` also scores
vivid-sr-fast and vivid-sr x2 on that dataset in both dtypes (``vivid bench quality``'s protocol).
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import time

import numpy as np


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=512, help="square input side (default 512)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--models", default="vivid-sr-fast,vivid-sr,vivid-denoise")
    ap.add_argument("--quality", metavar="DATASET", help="also score SR x2 on this dataset (e.g. Set5)")
    args = ap.parse_args()

    import torch

    from vivid.bench.speed_worker import synthetic_frame
    from vivid.engine.api import run_model
    from vivid.io.image import Image
    from vivid.zoo.loader import load_model

    flags = open("/proc/cpuinfo").read().split()
    bf16_flags = sorted({f for f in flags if "bf16" in f})
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU bf16 flags: {bf16_flags or 'none'}, "
          f"load average {os.getloadavg()[0]:.2f}")
    clean = synthetic_frame(args.size, args.size)
    noisy = np.clip(clean + np.random.default_rng(1).normal(0, 15 / 255, clean.shape), 0, 1).astype(np.float32)
    print("| model | input | fp32 ms | autocast bf16 ms (x fp32) | module bf16 ms (x fp32) | "
          "max / mean abs diff, 8-bit levels (autocast; module) |")
    print("|---|---|---|---|---|---|")
    for name in args.models.split(","):
        fp32 = load_model(name, scale=2 if name.startswith("vivid-sr") else None)
        image = Image(noisy if fp32.descriptor.task == "denoise" else clean)
        auto = fp32.with_dtype("bfloat16")
        whole = copy.copy(fp32)
        whole.module = copy.deepcopy(fp32.module).to(torch.bfloat16)
        whole_call = _bf16_module_call(whole)
        results = {}
        for label, model in (("fp32", fp32), ("autocast", auto), ("module", whole_call)):
            run_model(model, image, tile=8192)  # warm-up (oneDNN plans for the shape)
            times, out = [], None
            for _ in range(args.runs):
                t = time.perf_counter()
                out = run_model(model, image, tile=8192).pixels
                times.append(time.perf_counter() - t)
            results[label] = (statistics.median(times) * 1000, out)
        ref_ms, ref = results["fp32"]
        cells = []
        diffs = []
        for label in ("autocast", "module"):
            ms, out = results[label]
            cells.append(f"{ms:.0f} ({ms / ref_ms:.2f}x)")
            d = np.abs(out - ref) * 255
            diffs.append(f"{d.max():.2f} / {d.mean():.3f}")
        print(f"| {name} | {args.size}x{args.size} | {ref_ms:.0f} | {cells[0]} | {cells[1]} | "
              f"{diffs[0]}; {diffs[1]} |", flush=True)
    if args.quality:
        _quality(args.quality)
    return 0


def _quality(data: str) -> None:
    """Mean Y-PSNR of vivid-sr-fast and vivid-sr x2 on ``data`` (vivid bench quality's SR protocol) in
    float32 and in bfloat16 (autocast)."""
    from vivid.bench.quality import QualityConfig, plan_quality, run_quality
    from vivid.engine.cache import ModelCache

    class Bf16Cache(ModelCache):
        def get(self, name, scale, *, family=None):  # noqa: ANN001, ANN202
            model = super().get(name, scale, family=family)
            return model.with_dtype("bfloat16") if "bfloat16" in model.descriptor.dtypes else model

    print(f"\n| model | {data} x2 Y-PSNR float32 (dB) | bfloat16 (dB) |\n|---|---|---|")
    scores = {}
    # float32 named: precision auto would run vivid-sr x2's int8 graph
    for label, cache in (("fp32", ModelCache(task_hint="sr", precision="float32")),
                         ("bf16", Bf16Cache(task_hint="sr", precision="float32"))):
        config = QualityConfig(task="sr", datasets=(data,), models=("vivid-sr-fast", "vivid-sr"), crops=0)
        for score in run_quality(plan_quality(config, cache=cache)).images:
            if score.model in ("vivid-sr-fast", "vivid-sr"):
                scores.setdefault((score.model, label), []).append(score.metrics["psnr"])
    for model in ("vivid-sr-fast", "vivid-sr"):
        fp, bf = (statistics.mean(scores[(model, k)]) for k in ("fp32", "bf16"))
        print(f"| {model} | {fp:.3f} | {bf:.3f} ({bf - fp:+.3f}) |")


def _bf16_module_call(restorer):  # noqa: ANN001, ANN202 - a Restorer whose module is bfloat16 throughout
    import torch

    class Bf16(type(restorer)):
        def __call__(self, batch, *, size=None):  # noqa: ANN001, ANN202
            if hasattr(self, "sigma") and self.sigma is not None and batch.shape[1] == 3:
                n, _, h, w = batch.shape
                level = np.full((n, 1, h, w), self.sigma / 255.0, dtype=np.float32)
                batch = np.concatenate([batch, level], axis=1)
            x = torch.from_numpy(np.ascontiguousarray(batch, dtype=np.float32)).to(torch.bfloat16)
            with torch.inference_mode():
                return self.module(x).float().numpy()

    bf = copy.copy(restorer)
    bf.__class__ = Bf16
    return bf


if __name__ == "__main__":
    raise SystemExit(main())
