"""Video x2 super-resolution speed: vivid's fast SR model beside a per-frame OpenCV ESPCN x2 pipeline.

Usage (from the repository root)::

    .venv/bin/python benchmarks/video_speed.py                  # vivid-sr vs ESPCN on a 480p clip
    .venv/bin/python benchmarks/video_speed.py --model vivid-sr-fast --frames 48

The 480p clip (854x480) is made from the first frames of ../shared/datasets/video/car-detection.mp4
(resized), or synthesised when that file is absent. Both pipelines run in the same process on the same
decoded frames, with the same number of CPU threads:

* model only: decoded RGB frames in memory -> x2 -> RGB frames (vivid: the video frame processor with
  batches, exactly what ``vivid video`` runs; OpenCV: ``DnnSuperResImpl.upsample`` per frame on BGR uint8);
* end to end: decode -> x2 -> H.264 (libx264, same CRF and preset) -> file (vivid: ``enhance_video``;
  OpenCV: a plain PyAV decode / upsample / encode loop).

Targets for vivid's fast SR model on 480p x2: 15 fps required, 25 fps goal. The numbers depend on the
machine and on what else runs on it; the script prints the thread count and the load average.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CAR = SHARED / "datasets" / "video" / "car-detection.mp4"
ESPCN = SHARED / "weights" / "espcn" / "ESPCN_x2.pb"
REQUIRED_FPS, GOAL_FPS = 15.0, 25.0


def make_clip(path: Path, *, frames: int, width: int = 854, height: int = 480) -> tuple[Path, str]:
    """A 480p H.264 clip of ``frames`` frames (from the car clip when present) and where it came from."""
    import av

    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=Fraction(25, 2), options={"preset": "ultrafast", "crf": "16"})
        vs.width, vs.height, vs.pix_fmt = width, height, "yuv420p"
        n = 0
        if CAR.exists():
            with av.open(str(CAR)) as c:
                for f in c.decode(video=0):
                    g = f.reformat(width=width, height=height, format="yuv420p")
                    g.pts = n
                    out.mux(vs.encode(g))
                    n += 1
                    if n == frames:
                        break
            source = f"first {frames} frames of {CAR.name}, resized to {width}x{height}"
        else:
            yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
            for i in range(frames):
                img = 128 + 60 * np.sin((xx + 4 * i) / 9.0) * np.cos(yy / 13.0)
                img += 30 * ((xx // 32 + yy // 32 + i) % 2)
                rgb = np.clip(img, 0, 255).astype(np.uint8)[..., None].repeat(3, -1)
                f = av.VideoFrame.from_ndarray(rgb, format="rgb24")
                f.pts = i
                out.mux(vs.encode(f))
            source = f"{frames} synthetic frames {width}x{height} ({CAR} is absent)"
        out.mux(vs.encode(None))
    return path, source


def decode_rgb(path: Path) -> list[np.ndarray]:
    import av

    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


class FreeY:
    """A model that costs nothing: x2 nearest-neighbour on the Y channel (as vivid-sr works on Y).

    Run through the same frame processor and pipeline, it shows what the pipeline itself (colour
    conversions, chroma upsampling, encoding) allows on this machine: the ceiling for any model.
    """

    def __init__(self) -> None:
        from vivid.models.base import ModelDescriptor

        self.descriptor = ModelDescriptor(name="free-y", task="sr", scale=2, color_space="y")

    def bind(self, image: np.ndarray) -> FreeY:
        return self

    def __call__(self, batch: np.ndarray, *, size: tuple[int, int] | None = None) -> np.ndarray:
        return np.repeat(np.repeat(batch, 2, axis=2), 2, axis=3)

    def get(self, name: str, scale: int | None, *, family: str | None = None) -> FreeY:  # a model cache too
        return self


def vivid_model_fps(model: str, frames: list[np.ndarray], *, batch: int, warmup: int) -> tuple[float, str]:
    """Frames per second of vivid's frame processor (x2) on decoded frames; and what ran."""
    from vivid.engine.api import plan_for
    from vivid.engine.cache import ModelCache
    from vivid.engine.plan import Plan, Step
    from vivid.io.image import Image
    from vivid.video.frames import rgb_to_frame
    from vivid.video.probe import ColorTags
    from vivid.video.process import FrameProcessor

    floats = [np.ascontiguousarray(f.transpose(2, 0, 1), dtype=np.float32) / 255 for f in frames]
    h, w = floats[0].shape[1:]
    if model == "free-y":
        cache = FreeY()
        plan = Plan(steps=(Step(task="sr", model="free-y", scale=2),))
    else:
        cache = ModelCache()
        plan = plan_for(Image(floats[0]), task="sr", model=model, scale=2, size=None, models=cache)
    proc = FrameProcessor(plan, cache, out_size=(2 * h, 2 * w))
    d = cache.get(plan.steps[0].model, plan.steps[0].scale).descriptor

    def run(chunk: list[np.ndarray]) -> None:
        for i in range(0, len(chunk), batch):
            x = np.stack(chunk[i:i + batch])
            for y in proc(x, [0.0] * len(x)):
                rgb_to_frame(y, pix_fmt="yuv420p", color=ColorTags())  # as far as the encoder's input

    run(floats[:warmup])
    t0 = time.perf_counter()
    run(floats[warmup:])
    fps = (len(floats) - warmup) / (time.perf_counter() - t0)
    return fps, f"{d.name} ({d.runtime}, {d.color_space}, batch {batch})"


def espcn_model_fps(frames: list[np.ndarray], *, warmup: int, threads: int) -> float:
    import cv2

    cv2.setNumThreads(threads)
    sr = cv2.dnn_superres.DnnSuperResImpl_create()
    sr.readModel(str(ESPCN))
    sr.setModel("espcn", 2)
    bgr = [np.ascontiguousarray(f[..., ::-1]) for f in frames]
    for f in bgr[:warmup]:
        sr.upsample(f)
    t0 = time.perf_counter()
    for f in bgr[warmup:]:
        sr.upsample(f)
    return (len(bgr) - warmup) / (time.perf_counter() - t0)


def vivid_end_to_end(model: str, clip: Path, out: Path, *, batch: int, preset: str, crf: int) -> float:
    from vivid.models import registry
    from vivid.models.registry import ModelEntry
    from vivid.video import VideoOptions, enhance_video

    cache = None
    if model == "free-y":  # known to the planner for this run only
        registry.ENTRIES = (*registry.ENTRIES, ModelEntry("free-y", "sr", (2,), "no-cost x2", "-"))
        cache = FreeY()
    res = enhance_video(clip, out, VideoOptions(task="sr", model=model, scale=2, batch=batch, preset=preset,
                                                crf=crf, overwrite=True), models=cache)
    return res.frames / res.seconds


def espcn_end_to_end(clip: Path, out: Path, *, preset: str, crf: int, threads: int) -> float:
    """A plain per-frame pipeline: PyAV decode -> OpenCV ESPCN x2 -> libx264 (same settings)."""
    import av
    import cv2

    cv2.setNumThreads(threads)
    sr = cv2.dnn_superres.DnnSuperResImpl_create()
    sr.readModel(str(ESPCN))
    sr.setModel("espcn", 2)
    t0 = time.perf_counter()
    n = 0
    with av.open(str(clip)) as c, av.open(str(out), "w") as o:
        src = c.streams.video[0]
        vs = o.add_stream("libx264", rate=src.average_rate, options={"preset": preset, "crf": str(crf)})
        vs.width, vs.height, vs.pix_fmt = 2 * src.width, 2 * src.height, "yuv420p"
        vs.codec_context.time_base = src.time_base
        for f in c.decode(src):
            up = sr.upsample(f.to_ndarray(format="bgr24"))
            g = av.VideoFrame.from_ndarray(up, format="bgr24").reformat(format="yuv420p")
            g.pts, g.time_base = f.pts, f.time_base
            o.mux(vs.encode(g))
            n += 1
        o.mux(vs.encode(None))
    return n / (time.perf_counter() - t0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="vivid-sr",
                    help="vivid SR model (registry name or file:PATH); default vivid-sr")
    ap.add_argument("--frames", type=int, default=16, help="frames in the 480p clip (default 16)")
    ap.add_argument("--warmup", type=int, default=4, help="frames run before timing (default 4)")
    ap.add_argument("--batch", type=int, default=4, help="vivid frames per model call (default 4)")
    ap.add_argument("--preset", default="veryfast",
                    help="libx264 preset for the end-to-end runs (default veryfast)")
    ap.add_argument("--crf", type=int, default=18, help="libx264 CRF for the end-to-end runs (default 18)")
    ap.add_argument("--no-end-to-end", action="store_true", help="only time the models")
    args = ap.parse_args()
    if not ESPCN.exists():
        print(f"ESPCN weights not found at {ESPCN}: this benchmark compares against them", file=sys.stderr)
        return 2
    from vivid.models.torch_runtime import default_threads

    threads = default_threads()
    with tempfile.TemporaryDirectory(prefix="vivid-video-speed-") as tmp:
        clip, source = make_clip(Path(tmp) / "clip480.mkv", frames=args.frames)
        frames = decode_rgb(clip)
        h, w = frames[0].shape[:2]
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"clip: {source}; x2 -> {2 * w}x{2 * h}; {len(frames)} frames ({args.warmup} warm-up)")
        print(f"machine: {threads} CPU threads for inference, load average {load:.1f} at start")
        v_fps, what = vivid_model_fps(args.model, frames, batch=args.batch, warmup=args.warmup)
        e_fps = espcn_model_fps(frames, warmup=args.warmup, threads=threads)
        c_fps, _ = vivid_model_fps("free-y", frames, batch=args.batch, warmup=args.warmup)
        print("model only (decoded frames in memory -> x2 -> frames ready for the encoder):")
        print(f"  vivid {what}: {v_fps:.2f} fps")
        print(f"  OpenCV ESPCN x2 (dnn_superres, per frame): {e_fps:.2f} fps")
        print(f"  ratio vivid / ESPCN: {v_fps / e_fps:.2f}")
        print(f"  vivid's frame path with a no-cost Y model (conversions only, the ceiling): {c_fps:.2f} fps")
        if not args.no_end_to_end:
            v_e2e = vivid_end_to_end(args.model, clip, Path(tmp) / "vivid.mkv", batch=args.batch,
                                     preset=args.preset, crf=args.crf)
            e_e2e = espcn_end_to_end(clip, Path(tmp) / "espcn.mkv", preset=args.preset, crf=args.crf,
                                     threads=threads)
            c_e2e = vivid_end_to_end("free-y", clip, Path(tmp) / "free.mkv", batch=args.batch,
                                     preset=args.preset, crf=args.crf)
            print(f"end to end (decode -> x2 -> libx264 crf {args.crf} preset {args.preset} -> file):")
            print(f"  vivid video --model {args.model}: {v_e2e:.2f} fps (probe, sampling and mux included)")
            print(f"  OpenCV ESPCN per-frame loop: {e_e2e:.2f} fps")
            print(f"  ratio vivid / ESPCN: {v_e2e / e_e2e:.2f}")
            print(f"  vivid video with the no-cost Y model (the pipeline's ceiling here): {c_e2e:.2f} fps")
        verdict = ("meets the goal" if v_fps >= GOAL_FPS else "meets the requirement, not the goal"
                   if v_fps >= REQUIRED_FPS else "does NOT meet the requirement")
        print(f"target for {args.model} on 480p x2: >= {REQUIRED_FPS:g} fps required, >= {GOAL_FPS:g} goal: "
              f"{v_fps:.2f} fps model only {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
