"""Video on a cluster: frames/s and segments/s of ``vivid video`` in this process vs 1 and 2 Ray workers.

A generated clip (PyAV: moving gradients plus an AAC track) goes through the same options three ways:

- ``local``: :func:`vivid.video.enhance_video` (the segments one after the other, decode, model and encode
  overlapped in threads);
- ``ray x1`` / ``ray x2``: :func:`vivid.cluster.video.enhance_video_on_cluster` (what ``vivid video --engine
  ray`` runs) on a local Ray instance (``--cpus`` CPUs) with 1 and 2 segment workers.

Printed per run: wall seconds (planning, worker start and the final join included), frames/s and segments/s
over the wall time, steady segments/s (from the first finished segment to the last), the model loads, and
whether the output's video packets are those of the local run. The load average is printed before and after.

    python benchmarks/cluster_video.py                       # 12 s of 320x240 at 10 fps, vivid-sr x2, 2 s segments
    python benchmarks/cluster_video.py --seconds 20 --side 480 --model vivid-sr-fast

On a shared machine the figures move with its load; run it twice.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from fractions import Fraction
from pathlib import Path


def _clip(path: Path, *, seconds: float, width: int, height: int, fps: int) -> Path:
    import av
    import numpy as np

    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=Fraction(fps), options={"preset": "veryfast", "crf": "18"})
        vs.width, vs.height, vs.pix_fmt = width, height, "yuv420p"
        aus = out.add_stream("aac", rate=8000)
        aus.layout = "mono"
        for i in range(int(seconds * fps)):
            img = np.stack([128 + 90 * np.sin((xx + 3 * i) / 9), 128 + 90 * np.cos((yy - 2 * i) / 11),
                            (xx + yy + 5 * i) % 256], axis=-1)
            frame = av.VideoFrame.from_ndarray(np.clip(img, 0, 255).astype(np.uint8), format="rgb24")
            frame.pts = i
            out.mux(vs.encode(frame))
        out.mux(vs.encode(None))
        wave = (0.3 * np.sin(2 * np.pi * 440 * np.arange(int(seconds * 8000)) / 8000)).astype(np.float32)
        for k in range(0, len(wave) - 1023, 1024):
            a = av.AudioFrame.from_ndarray(wave[None, k:k + 1024], format="fltp", layout="mono")
            a.sample_rate, a.pts = 8000, k
            out.mux(aus.encode(a))
        out.mux(aus.encode(None))
    return path


def _packets(path: Path) -> list[bytes]:
    import av

    with av.open(str(path)) as c:
        return [bytes(p) for p in c.demux(video=0) if p.size]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=12.0)
    ap.add_argument("--side", type=int, default=320, help="clip width (height: 3/4 of it)")
    ap.add_argument("--fps", type=int, default=10)
    ap.add_argument("--segment-seconds", type=float, default=2.0)
    ap.add_argument("--model", default="vivid-sr")
    ap.add_argument("--cpus", type=int, default=2, help="CPUs of the local Ray instance")
    args = ap.parse_args()

    import ray

    from vivid.cluster.pool import RayPool
    from vivid.cluster.video import ClusterStats, SegmentWorker, enhance_video_on_cluster
    from vivid.video import VideoOptions, enhance_video

    tmp = Path(tempfile.mkdtemp(prefix="vivid-video-bench-"))
    src = _clip(tmp / "in.mp4", seconds=args.seconds, width=args.side, height=args.side * 3 // 4, fps=args.fps)
    options = VideoOptions(task="sr", model=args.model, scale=2, segment_seconds=args.segment_seconds)
    print(f"{args.seconds:g} s clip {args.side}x{args.side * 3 // 4} at {args.fps} fps ({int(args.seconds * args.fps)} "
          f"frames, AAC), sr x2 with {args.model}, {args.segment_seconds:g} s segments; Ray: local, {args.cpus} CPUs")
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"{'run':<8} {'wall s':>7} {'frames/s':>9} {'segments/s':>11} {'steady seg/s':>13} {'model loads':>12} "
          f"{'same packets':>13}")

    t = time.perf_counter()
    local = enhance_video(src, tmp / "local.mp4", options)
    wall = time.perf_counter() - t
    print(f"{'local':<8} {wall:7.1f} {local.frames / wall:9.2f} {local.segments / wall:11.2f} {'':>13} {1:12d} {'':>13}")
    reference = _packets(tmp / "local.mp4")

    ray.init(num_cpus=args.cpus, include_dashboard=False, log_to_driver=False, object_store_memory=256 << 20)
    for workers in (1, 2):
        stamps: list[float] = []
        stats = ClusterStats()

        def progress(done: float, total: float, message: str = "", stamps: list[float] = stamps) -> None:
            if message.endswith("segments"):
                stamps.append(time.perf_counter())

        out = tmp / f"ray{workers}.mp4"
        t = time.perf_counter()
        res = enhance_video_on_cluster(
            src, out, options, progress=progress, stats=stats,
            make_pool=lambda a, n=workers: RayPool(a, workers=n, worker_class=SegmentWorker))
        wall = time.perf_counter() - t
        steady = (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 else float("nan")
        same = "yes" if _packets(out) == reference else "NO"
        print(f"{'ray x' + str(workers):<8} {wall:7.1f} {res.frames / wall:9.2f} {res.segments / wall:11.2f} "
              f"{steady:13.2f} {stats.loads:12d} {same:>13}")
    ray.shutdown()
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
