"""Video x2 super-resolution speed: vivid's fast SR model beside a per-frame OpenCV ESPCN x2 pipeline.

Usage (from the repository root)::

    .venv/bin/python benchmarks/video_speed.py                  # vivid-sr-fast vs ESPCN on a 480p clip
    .venv/bin/python benchmarks/video_speed.py --model vivid-sr --frames 48 --rgb-path
    .venv/bin/python benchmarks/video_speed.py --realtime-only --repeats 3 --frames 375   # vivid video --realtime
    .venv/bin/python benchmarks/video_speed.py --realtime-only --size 960x540 --fps 15    # 1080p output

The 480p clip (854x480, or ``--size``; yuv420p H.264) is made from the first frames of
../shared/datasets/video/car-detection.mp4 (resized), or synthesised when that file is absent. Both
pipelines run in the same process on the same clip, with the same number of CPU threads:

* stages: vivid's planar path (:mod:`vivid.video.planar_sr`, what ``vivid video`` runs for a Y-channel SR
  model on 8-bit 4:2:0 video) split into decode (yuv420p planes), model (Y plane), chroma (U/V resized),
  frame building, and encode (libx264 at the output size, for each preset in ``--encode-presets``);
* model only: decoded frames in memory -> x2 -> frames ready for the encoder (vivid: the planar path,
  and with ``--rgb-path`` also the RGB frame processor it replaced; OpenCV: ``DnnSuperResImpl.upsample``
  per frame on BGR uint8, then conversion to yuv420p);
* end to end: decode -> x2 -> H.264 (libx264, same CRF and preset) -> file (vivid: ``enhance_video``,
  probe, sampling, segments and mux included; OpenCV: a plain PyAV decode / upsample / encode loop).

A no-cost Y model (nearest neighbour) through the same paths shows the pipeline's own ceiling.
Targets for vivid's fast SR model on 480p x2, end to end: 15 fps required, 25 fps goal. The numbers
depend on the machine and on what else runs on it; the script prints the thread count and the load
average, and each timing is the best of ``--repeats`` passes over the clip (less noise from other work).
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
#: --variants: (ModelCache runtime, dtype); "auto" is what ``vivid video`` runs by default (ONNX Runtime
#: for vivid-sr-fast in float32, see vivid.zoo.onnx_runtime; torch for bfloat16)
VARIANTS = {"auto": ("auto", "float32"), "torch": ("torch", "float32"), "bfloat16": ("auto", "bfloat16")}


def make_clip(path: Path, *, frames: int, width: int = 854, height: int = 480,
              fps: Fraction = Fraction(25, 2)) -> tuple[Path, str]:
    """A 480p H.264 clip of ``frames`` frames at ``fps`` (from the car clip when present; it is 12.5 fps) and
    where it came from."""
    import av

    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=fps, options={"preset": "ultrafast", "crf": "16"})
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


def decode_planes(path: Path) -> tuple[list[tuple[np.ndarray, np.ndarray, np.ndarray]], float]:
    """The clip's frames as yuv420p planes (copies) and the seconds per frame that decoding took."""
    import av

    from vivid.video.planar_sr import frame_planes

    with av.open(str(path)) as c:
        vs = c.streams.video[0]
        vs.thread_type = "AUTO"
        t0 = time.perf_counter()
        planes = [tuple(p.copy() for p in frame_planes(f, size=(f.height, f.width))) for f in c.decode(vs)]
        return planes, (time.perf_counter() - t0) / len(planes)


def best_fps(run, items: list, *, warmup: int, repeats: int) -> float:  # noqa: ANN001
    """Frames per second of ``run(items)`` over ``items[warmup:]``, best of ``repeats`` passes."""
    run(items[:warmup])
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        run(items[warmup:])
        best = min(best, time.perf_counter() - t0)
    return (len(items) - warmup) / best


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

    def with_dtype(self, dtype: str) -> FreeY:
        return self


def vivid_models(model: str, h: int, w: int, runtime: str = "auto") -> tuple:  # noqa: ANN001
    """(plan, model cache) for x2 of ``model`` on ``h`` x ``w`` frames ("free-y": the no-cost model)."""
    from vivid.engine.api import plan_for
    from vivid.engine.cache import ModelCache
    from vivid.engine.plan import Plan, Step
    from vivid.io.image import Image

    if model == "free-y":
        return Plan(steps=(Step(task="sr", model="free-y", scale=2),)), FreeY()
    cache = ModelCache(runtime=runtime)
    plan = plan_for(Image(np.zeros((3, h, w), np.float32)), task="sr", model=model, scale=2, size=None,
                    models=cache)
    return plan, cache


def vivid_planar(model: str, planes: list, *, warmup: int, repeats: int, variant: str = "auto"):  # noqa: ANN201
    """Frames per second of the planar path (planes in memory -> x2 -> yuv420p frames), its stage
    seconds per frame, the frames it made (for the encoder timing) and what ran."""
    from vivid.video.planar_sr import PlanarSR
    from vivid.video.probe import ColorTags

    h, w = planes[0][0].shape
    runtime, dtype = VARIANTS[variant]
    plan, cache = vivid_models(model, h, w, runtime)
    r = cache.get(plan.steps[0].model, plan.steps[0].scale).with_dtype(dtype)
    proc = PlanarSR(r, size=(h, w), color=ColorTags())
    made: list = []

    def run(chunk: list) -> None:
        made[:] = proc(chunk)

    run(planes[:warmup])
    proc.seconds = dict.fromkeys(proc.seconds, 0.0)
    fps = best_fps(run, planes[warmup:], warmup=0, repeats=repeats)
    stages = {k: v / (repeats * (len(planes) - warmup)) for k, v in proc.seconds.items()}
    d = r.descriptor
    how = f"in {proc.workers} threads" if d.runtime == "torch" else f"one after the other ({d.runtime}'s threads)"
    return fps, stages, made, f"{d.name} {dtype} on {d.runtime} (planar yuv420p, stripes of {proc.rows} rows {how})"


def vivid_rgb_fps(model: str, frames: list[np.ndarray], *, batch: int, warmup: int, repeats: int) -> float:
    """Frames per second of the RGB frame processor (what ran before the planar path), batches of ``batch``."""
    from vivid.video.frames import rgb_to_frame
    from vivid.video.probe import ColorTags
    from vivid.video.process import FrameProcessor

    floats = [np.ascontiguousarray(f.transpose(2, 0, 1), dtype=np.float32) / 255 for f in frames]
    h, w = floats[0].shape[1:]
    plan, cache = vivid_models(model, h, w)
    proc = FrameProcessor(plan, cache, out_size=(2 * h, 2 * w))

    def run(chunk: list[np.ndarray]) -> None:
        for i in range(0, len(chunk), batch):
            x = np.stack(chunk[i:i + batch])
            for y in proc(x, [0.0] * len(x)):
                rgb_to_frame(y, pix_fmt="yuv420p", color=ColorTags())  # as far as the encoder's input

    return best_fps(run, floats, warmup=warmup, repeats=repeats)


def encode_fps(frames: list, *, preset: str, crf: int) -> float:
    """Frames per second of libx264 (``preset``, ``crf``, default threads) on ready yuv420p frames, into memory."""
    import io

    import av

    with av.open(io.BytesIO(), "w", format="matroska") as out:
        vs = out.add_stream("libx264", rate=Fraction(25), options={"preset": preset, "crf": str(crf)})
        vs.width, vs.height, vs.pix_fmt = frames[0].width, frames[0].height, "yuv420p"
        t0 = time.perf_counter()
        for i, f in enumerate(frames):
            f.pts = i
            out.mux(vs.encode(f))
        out.mux(vs.encode(None))
        return len(frames) / (time.perf_counter() - t0)


def espcn_model_fps(frames: list[np.ndarray], *, warmup: int, repeats: int, threads: int) -> float:
    import av
    import cv2

    cv2.setNumThreads(threads)
    sr = cv2.dnn_superres.DnnSuperResImpl_create()
    sr.readModel(str(ESPCN))
    sr.setModel("espcn", 2)
    bgr = [np.ascontiguousarray(f[..., ::-1]) for f in frames]

    def run(chunk: list[np.ndarray]) -> None:
        for f in chunk:
            av.VideoFrame.from_ndarray(sr.upsample(f), format="bgr24").reformat(format="yuv420p")

    return best_fps(run, bgr, warmup=warmup, repeats=repeats)


def vivid_end_to_end(model: str, clip: Path, out: Path, *, batch: int, preset: str, crf: int,
                     repeats: int, variant: str = "auto") -> tuple[float, str]:
    """Frames per second of ``enhance_video`` (best of ``repeats`` runs) and the frame path it took."""
    from vivid.engine.cache import ModelCache
    from vivid.models import registry
    from vivid.models.registry import ModelEntry
    from vivid.video import VideoOptions, enhance_video

    runtime, dtype = VARIANTS[variant]
    cache = ModelCache(runtime=runtime) if runtime != "auto" else None  # None: vivid video's own cache
    if model == "free-y":  # known to the planner for this run only
        if not any(e.name == "free-y" for e in registry.ENTRIES):
            registry.ENTRIES = (*registry.ENTRIES, ModelEntry("free-y", "sr", (2,), "no-cost x2", "-"))
        cache = FreeY()
    best, path = 0.0, "?"
    for _ in range(repeats):
        res = enhance_video(clip, out, VideoOptions(task="sr", model=model, scale=2, batch=batch, preset=preset,
                                                    crf=crf, overwrite=True, dtype=dtype), models=cache)
        best, path = max(best, res.frames / res.seconds), res.frame_path
    return best, path


def espcn_end_to_end(clip: Path, out: Path, *, preset: str, crf: int, threads: int, repeats: int) -> float:
    """A plain per-frame pipeline: PyAV decode -> OpenCV ESPCN x2 -> libx264 (same settings), best of runs."""
    return max(_espcn_once(clip, out, preset=preset, crf=crf, threads=threads) for _ in range(repeats))


def _espcn_once(clip: Path, out: Path, *, preset: str, crf: int, threads: int) -> float:
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


def realtime_end_to_end(clip: Path, out: Path, *, repeats: int) -> None:
    """``vivid video --task sr --scale 2 --realtime`` as users run it: what it picked, fps end to end, the
    seconds per frame each overlapped stage was busy and which one limits it, and the load at the time."""
    from vivid.video import VideoOptions, enhance_video

    for i in range(repeats):
        load = os.getloadavg()[0]
        res = enhance_video(clip, out, VideoOptions(task="sr", scale=2, realtime=True, overwrite=True))
        n = max(1, res.processed)
        stages = {k: 1000 * v / n for k, v in res.stage_seconds.items()}
        busiest = max(stages, key=stages.__getitem__)
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        print(f"  run {i + 1}: vivid video --task sr --scale 2 --realtime chose {res.plan.steps[0].model} "
              f"({res.frame_path} path), {res.settings.encoder} preset {res.settings.preset}: "
              f"{res.fps:.2f} fps end to end (setup, probe, measuring the candidates, segments and mux included); "
              f"stages busy, ms per frame: " + ", ".join(f"{k} {v:.1f}" for k, v in stages.items())
              + f"; {1000 / res.fps:.1f} ms per frame in all; busiest stage: {busiest}; "
              f"load average {load:.2f} before, {os.getloadavg()[0]:.2f} after ({cores} cores)")
        if res.realtime is not None:
            rest = res.seconds - res.realtime.seconds
            print(f"    without the {res.realtime.seconds:.1f} s of measuring: {n / rest:.2f} fps "
                  f"({n} frames in {rest:.1f} s; source {res.realtime.source_fps:.2f} fps)")
            for line in res.realtime.lines():
                print(f"    realtime: {line}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="vivid-sr-fast",
                    help="vivid SR model (registry name or file:PATH); default vivid-sr-fast")
    ap.add_argument("--frames", type=int, default=48, help="frames in the 480p clip (default 48)")
    ap.add_argument("--warmup", type=int, default=4, help="frames run before timing (default 4)")
    ap.add_argument("--repeats", type=int, default=2, help="timed passes; the best counts (default 2)")
    ap.add_argument("--batch", type=int, default=4, help="vivid frames per batch (default 4)")
    ap.add_argument("--preset", default="veryfast",
                    help="libx264 preset for the end-to-end runs (default veryfast)")
    ap.add_argument("--encode-presets", default="ultrafast,superfast,veryfast,medium",
                    help="libx264 presets timed on the output frames (default ultrafast,superfast,veryfast,medium)")
    ap.add_argument("--crf", type=int, default=18, help="libx264 CRF (default 18)")
    ap.add_argument("--variants", default="auto,torch,bfloat16",
                    help="how vivid's model runs: auto (float32 on the default runtime: what vivid video runs), "
                         "torch (float32 on torch), bfloat16 (vivid video --dtype bfloat16); default all three")
    ap.add_argument("--rgb-path", action="store_true", help="also time the RGB frame processor (slow)")
    ap.add_argument("--no-end-to-end", action="store_true", help="only time the stages and models")
    ap.add_argument("--realtime-only", action="store_true",
                    help="only run vivid video --realtime end to end (what it picks, fps, stage times, load)")
    ap.add_argument("--size", default="854x480",
                    help="the clip's size WxH (default 854x480; 960x540 for 1080p output)")
    ap.add_argument("--fps", type=Fraction, default=None,
                    help="the clip's frame rate, which --realtime tries to keep up with (default 25 with "
                         "--realtime-only, the goal; else 12.5, the car clip's)")
    args = ap.parse_args()
    if not ESPCN.exists():
        print(f"ESPCN weights not found at {ESPCN}: this benchmark compares against them", file=sys.stderr)
        return 2
    from vivid.models.torch_runtime import default_threads

    threads = default_threads()
    rep = max(1, args.repeats)
    with tempfile.TemporaryDirectory(prefix="vivid-video-speed-") as tmp:
        fps = args.fps or (Fraction(25) if args.realtime_only else Fraction(25, 2))
        width, height = (int(v) for v in args.size.lower().split("x"))
        clip, source = make_clip(Path(tmp) / "clip.mkv", frames=args.frames, fps=fps, width=width, height=height)
        frames = decode_rgb(clip)
        planes, decode_s = decode_planes(clip)
        h, w = frames[0].shape[:2]
        if args.realtime_only:
            print(f"clip: {source}; {float(fps):g} fps; x2 -> {2 * w}x{2 * h}; {len(frames)} frames; {rep} runs")
            realtime_end_to_end(clip, Path(tmp) / "realtime.mkv", repeats=rep)
            return 0
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"clip: {source}; x2 -> {2 * w}x{2 * h}; {len(frames)} frames ({args.warmup} warm-up), "
              f"best of {rep} passes")
        print(f"machine: {threads} CPU threads for inference, load average {load:.1f} at start")
        dtypes = [d for d in args.variants.split(",") if d]
        bad = [d for d in dtypes if d not in VARIANTS]
        if bad:
            print(f"unknown --variants {', '.join(bad)}: use {', '.join(VARIANTS)}", file=sys.stderr)
            return 2
        runs = {d: vivid_planar(args.model, planes, warmup=args.warmup, repeats=rep, variant=d) for d in dtypes}
        c_fps, _, _, _ = vivid_planar("free-y", planes, warmup=args.warmup, repeats=rep)
        e_fps = espcn_model_fps(frames, warmup=args.warmup, repeats=rep, threads=threads)
        r_fps = vivid_rgb_fps(args.model, frames, batch=args.batch, warmup=args.warmup, repeats=rep) \
            if args.rgb_path else None
        print(f"stages of the planar path, ms per frame ({args.model}):")
        print(f"  decode 480p yuv420p {1000 * decode_s:.1f}")
        for d, (_, stages, _, _) in runs.items():
            print(f"  {d} ({'/'.join(VARIANTS[d])}): model {1000 * stages['model']:.1f} | chroma x2 {1000 * stages['chroma']:.1f} | "
                  f"frame {1000 * stages['frames']:.1f}")
        made = next(iter(runs.values()))[2]
        enc = {p: encode_fps(made, preset=p, crf=args.crf) for p in args.encode_presets.split(",") if p}
        print(f"  encode {2 * w}x{2 * h} libx264 crf {args.crf}: "
              + " | ".join(f"{p} {1000 / f:.1f}" for p, f in enc.items()))
        print("model only (decoded frames in memory -> x2 -> yuv420p frames ready for the encoder):")
        for v_fps, _, _, what in runs.values():
            print(f"  vivid {what}: {v_fps:.2f} fps (vivid / ESPCN: {v_fps / e_fps:.2f})")
        if r_fps is not None:
            print(f"  vivid {args.model} float32 through the RGB frame processor (batch {args.batch}): {r_fps:.2f} fps")
        print(f"  OpenCV ESPCN x2 (dnn_superres, per frame, + conversion to yuv420p): {e_fps:.2f} fps")
        print(f"  planar path with a no-cost Y model (the ceiling without encoding): {c_fps:.2f} fps")
        verdicts = {d: (runs[d][0], "model only") for d in dtypes}
        if not args.no_end_to_end:
            e2e = {d: vivid_end_to_end(args.model, clip, Path(tmp) / "vivid.mkv", batch=args.batch,
                                       preset=args.preset, crf=args.crf, repeats=rep, variant=d) for d in dtypes}
            e_e2e = espcn_end_to_end(clip, Path(tmp) / "espcn.mkv", preset=args.preset, crf=args.crf,
                                     threads=threads, repeats=rep)
            c_e2e, _ = vivid_end_to_end("free-y", clip, Path(tmp) / "free.mkv", batch=args.batch,
                                        preset=args.preset, crf=args.crf, repeats=rep)
            print(f"end to end (decode -> x2 -> libx264 crf {args.crf} preset {args.preset} -> file):")
            for d, (fps, path) in e2e.items():
                flag = {"auto": "", "torch": " (on torch)", "bfloat16": " --dtype bfloat16"}[d]
                print(f"  vivid video --model {args.model}{flag} ({path} path): {fps:.2f} fps "
                      f"(vivid / ESPCN: {fps / e_e2e:.2f}; probe, sampling, segments and mux included)")
            print(f"  OpenCV ESPCN per-frame loop: {e_e2e:.2f} fps")
            print(f"  vivid video with the no-cost Y model (the pipeline's ceiling here): {c_e2e:.2f} fps")
            realtime_end_to_end(clip, Path(tmp) / "realtime.mkv", repeats=1)
            verdicts = {d: (e2e[d][0], f"end to end with preset {args.preset}") for d in dtypes}
        for d, (fps, how) in verdicts.items():
            verdict = ("meets the goal" if fps >= GOAL_FPS else "meets the requirement, not the goal"
                       if fps >= REQUIRED_FPS else "does NOT meet the requirement")
            print(f"target for {args.model} {d} ({'/'.join(VARIANTS[d])}) on 480p x2 (>= {REQUIRED_FPS:g} fps required, >= {GOAL_FPS:g} "
                  f"goal): {fps:.2f} fps {how}: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
