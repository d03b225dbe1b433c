"""Cluster batch scaling: images/s in this process vs 1 and 2 Ray workers, Ray's cost per item, model loads.

Every run goes through :func:`vivid.cluster.batch.run_batch` (the driver of ``vivid enhance --engine ray``)
on the same generated photos, into a fresh output folder:

- ``in-process``: the in-process pool (what ``vivid enhance`` with URLs does on one machine);
- ``ray x1`` / ``ray x2``: a local Ray instance (``--cpus`` CPUs) with 1 and 2 workers.

Printed per run: wall seconds (worker start included), steady images/s (from the first finished image to the
last), the workers' own seconds per image (median: read, enhance, encode, publish) and the model loads. Ray's
cost per item is measured twice: with a near-free model (bicubic on 32x32 images), the steady seconds per
image on one Ray worker minus those in-process; and as the median time of a no-op call to an actor.

    python benchmarks/cluster_scaling.py                      # 24 photos of 256x256, vivid-sr x2
    python benchmarks/cluster_scaling.py --images 48 --side 384 --model vivid-sr

On a shared machine the figures move with its load; run it twice.
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from pathlib import Path


def _photos(folder: Path, n: int, side: int) -> None:
    import numpy as np
    from PIL import Image

    folder.mkdir(parents=True)
    for i in range(n):
        rng = np.random.default_rng(i)
        yy, xx = np.mgrid[0:side, 0:side].astype(np.float32)
        img = np.stack([128 + 90 * np.sin(xx / (7 + i % 5)), 128 + 90 * np.cos(yy / 9), (xx + yy + 9 * i) % 256])
        img += rng.normal(0, 4, img.shape)
        buf = io.BytesIO()
        Image.fromarray(np.clip(img, 0, 255).astype(np.uint8).transpose(1, 2, 0)).save(buf, "PNG")
        (folder / f"p{i:03d}.png").write_bytes(buf.getvalue())


def _run(src: Path, out: Path, *, model: str, pool_kind: str, workers: int) -> dict:
    from vivid.cluster.batch import Source, run_batch
    from vivid.cluster.pool import InProcessPool, RayPool
    from vivid.cluster.storage import fingerprint

    options = {"task": "sr", "model": model, "scale": 2.0}
    sources = [Source(str(p), str(out / p.name), fingerprint(str(p))) for p in sorted(src.glob("*.png"))]
    worker = {"options": options, "cache": {"task_hint": "sr"}, "output_root": str(out),
              "preload": (model, 2, None)}
    pool = InProcessPool(worker) if pool_kind == "in-process" else RayPool(worker, workers=workers)
    stamps: list[float] = []
    result = run_batch(sources, output_root=str(out), options=options, pool=pool,
                       on_outcome=lambda _: stamps.append(time.perf_counter()))
    assert result.count("done") == len(sources), [o.error for o in result.outcomes if o.error][:3]
    steady = (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 else float("nan")
    return {"wall": result.seconds, "steady": steady, "own": statistics.median(o.seconds for o in result.outcomes),
            "loads": result.loads, "workers": result.workers}


def _round_trip_ms(ray, calls: int = 300) -> float:  # noqa: ANN001
    """Median milliseconds of one call to an idle actor and back (Ray's own cost per item)."""

    @ray.remote(num_cpus=1)
    class Echo:
        def ping(self) -> None:
            return None

    echo = Echo.remote()
    ray.get(echo.ping.remote())
    times = []
    for _ in range(calls):
        t = time.perf_counter()
        ray.get(echo.ping.remote())
        times.append(time.perf_counter() - t)
    ray.kill(echo)
    return 1000 * statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--images", type=int, default=24)
    ap.add_argument("--side", type=int, default=256)
    ap.add_argument("--model", default="vivid-sr")
    ap.add_argument("--cpus", type=int, default=2, help="CPUs of the local Ray instance")
    args = ap.parse_args()
    import ray

    ray.init(num_cpus=args.cpus, object_store_memory=256 << 20, include_dashboard=False, log_to_driver=False)
    rows = []
    with tempfile.TemporaryDirectory(prefix="vivid-scaling-") as tmp:
        root = Path(tmp)
        _photos(root / "in", args.images, args.side)
        _photos(root / "tiny", 4 * args.images, 32)
        for name, kind, workers in (("in-process", "in-process", 1), ("ray x1", "ray", 1), ("ray x2", "ray", 2)):
            rows.append((name, _run(root / "in", root / f"out-{kind}-{workers}", model=args.model,
                                    pool_kind=kind, workers=workers)))
        tiny = {kind: _run(root / "tiny", root / f"tiny-{kind}", model="bicubic", pool_kind=kind, workers=1)
                for kind in ("in-process", "ray")}
        call_ms = _round_trip_ms(ray)
    ray.shutdown()
    print(f"{args.images} photos {args.side}x{args.side}, sr x2 with {args.model}; Ray: local, {args.cpus} CPUs")
    print(f"{'run':<11} {'workers':>7} {'wall s':>7} {'steady img/s':>12} {'worker s/img':>12} {'model loads':>11}")
    for name, r in rows:
        print(f"{name:<11} {r['workers']:>7} {r['wall']:>7.1f} {r['steady']:>12.2f} {r['own']:>12.3f} {r['loads']:>11}")
    base = rows[1][1]["steady"]
    print(f"2 workers / 1 worker: x{rows[2][1]['steady'] / base:.2f} images/s")
    for kind, r in tiny.items():
        print(f"bicubic 32x32, {kind}: {1000 / r['steady']:.1f} ms per image, worker's own {1000 * r['own']:.1f} ms")
    ray_cost = 1 / tiny["ray"]["steady"] - 1 / tiny["in-process"]["steady"]
    print(f"Ray's overhead per item (one worker, one item in flight, vs in-process): {1000 * ray_cost:.1f} ms; "
          f"a no-op call to a worker: {call_ms:.2f} ms")


if __name__ == "__main__":
    main()
