"""The planar fast path (yuv420p planes, no RGB): taken when it applies, same pixels as the RGB path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.video.conftest import Cache, Upscale, gradient_frame, make_clip, read_streams
from vivid.errors import OutputError
from vivid.video import VideoOptions, enhance_video
from vivid.video import enhance as pipeline_module
from vivid.video.planar_sr import frame_planes, planes_to_frame
from vivid.video.probe import ColorTags


def read_planes(path: Path) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    import av

    with av.open(str(path)) as c:
        return [tuple(p.copy() for p in frame_planes(f, size=(f.height, f.width))) for f in c.decode(video=0)]


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def detailed(i: int, h: int = 96, w: int = 128) -> np.ndarray:
    """Gradients, a moving square, fine stripes and saturated colours (where chroma handling shows)."""
    img = gradient_frame(i, h, w).astype(np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img[..., 1] += 40 * np.sin((xx + 2 * i) / 2.5) * np.cos(yy / 3.0)
    img[60:80, 10:40] = (220, 30, 40)
    img[60:80, 70:100] = (20, 60, 200)
    return np.clip(img, 0, 255).astype(np.uint8)


def rgb_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline_module, "planar_sr", lambda *a, **k: None)


def test_planes_round_trip_exactly() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(16, 236, (48, 64), dtype=np.uint8)
    u, v = (rng.integers(16, 241, (24, 32), dtype=np.uint8) for _ in range(2))
    f = planes_to_frame(y, u, v, color=ColorTags(1, 1, 1, 1))
    assert (f.format.name, f.width, f.height, int(f.colorspace), int(f.color_range)) == ("yuv420p", 64, 48, 1, 1)
    for a, b in zip(frame_planes(f, size=(48, 64)), (y, u, v), strict=True):
        assert np.array_equal(a, b)


def test_video_luma_is_the_models_studio_range_y() -> None:
    """Y of yuv420p video made from RGB (FFmpeg's swscale, untagged = BT.601, limited range) is the Y that
    the Y-channel models are trained on, ``rgb_to_ycbcr``'s [16, 235] / 255, to the nearest 8-bit level.

    (The other direction is less exact: swscale's YUV -> RGB24, which the RGB path decodes with, comes out
    about 1 level darker on average, measured when this was written; the planar path skips it.)
    """
    import av

    from vivid.ops.color import rgb_to_y

    for i in range(3):
        rgb = detailed(i)
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
        y = frame_planes(frame, size=(96, 128))[0].astype(np.float32)
        ref = rgb_to_y(rgb.transpose(2, 0, 1)[None].astype(np.float32) / 255)[0, 0] * 255
        assert np.abs(y - ref).max() <= 0.51
        assert abs(float((y - ref).mean())) < 0.1


def test_fast_path_is_taken_for_a_y_model_and_not_otherwise(clip_mkv: Path, tmp_path: Path) -> None:
    y_up = Upscale(color_space="y")
    res = enhance_video(clip_mkv, tmp_path / "y.mkv", VideoOptions(task="sr", model="up", preset="ultrafast"),
                        models=Cache(up=y_up))
    assert res.frame_path == "planar" and y_up.frames == 15
    b = read_streams(tmp_path / "y.mkv")
    assert (b["width"], b["height"]) == (128, 96) and len(b["video"]) == 15
    # an RGB model, a non-integer output scale and a denoise+SR plan take the RGB path
    res = enhance_video(clip_mkv, tmp_path / "rgb.mkv", VideoOptions(task="sr", model="up", preset="ultrafast"),
                        models=Cache(up=Upscale(color_space="rgb")))
    assert res.frame_path == "rgb"
    res = enhance_video(clip_mkv, tmp_path / "x15.mkv",
                        VideoOptions(task="sr", model="up", scale=1.5, preset="ultrafast"),
                        models=Cache(up=Upscale(color_space="y")))
    assert res.frame_path == "rgb" and (res.width, res.height) == (96, 72)


def test_full_range_and_444_sources_take_the_rgb_path(tmp_path: Path) -> None:
    import av

    for name, pix_fmt, full in (("full.mkv", "yuv420p", True), ("444.mkv", "yuv444p", False)):
        src = tmp_path / name
        with av.open(str(src), "w") as out:
            vs = out.add_stream("libx264", rate=10, options={"preset": "ultrafast"})
            vs.width, vs.height, vs.pix_fmt = 64, 48, pix_fmt
            if full:
                vs.codec_context.color_range = 2
            for i in range(4):
                f = av.VideoFrame.from_ndarray(gradient_frame(i), format="rgb24")
                f = f.reformat(format=pix_fmt, dst_color_range=2 if full else 1)
                f.pts = i
                if full:
                    f.color_range = 2
                out.mux(vs.encode(f))
            out.mux(vs.encode(None))
        res = enhance_video(src, tmp_path / f"out-{name}", VideoOptions(task="sr", model="up", preset="ultrafast"),
                            models=Cache(up=Upscale(color_space="y")))
        assert res.frame_path == "rgb", name


@pytest.mark.parametrize("bt709", [False, True], ids=["untagged", "bt709"])
def test_fast_path_equals_the_rgb_path(bt709: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """vivid-sr-fast x2 through both paths (x264 crf 0, lossless) on a clip area-downscaled from 256x192 frames.

    Tolerance between the paths: Y >= 50 dB, U and V >= 36 dB. They differ in chroma: the RGB path
    interpolates it three times (bicubic 4:2:0 -> RGB at decode, the model step's resize, 4:2:0 at encode),
    the planar path resizes the planes once; and both keep Y in the studio range. The planar output must be
    at least as close to the 256x192 truth (made with the same accurate swscale settings) on every plane.
    Measured when written (first frame, untagged / BT.709), PSNR dB: between paths Y 54.7 / 54.0, U 36.7 /
    36.5, V 40.1 / 39.8; to the truth planar vs RGB path Y 44.66 vs 44.64 / 43.71 vs 43.66, U 39.5 vs 34.8
    / 39.2 vs 34.5, V 38.3 vs 35.7 / 38.1 vs 35.3.
    """
    import av
    import cv2

    def truth(i: int) -> np.ndarray:
        return detailed(i, 192, 256)

    src = make_clip(tmp_path / "in.mkv", frames=4, size=(128, 96), bt709=bt709,
                    content=lambda i: cv2.resize(truth(i), (128, 96), interpolation=cv2.INTER_AREA))
    opts = VideoOptions(task="sr", model="vivid-sr-fast", scale=2, preset="ultrafast", crf=0)
    fast = enhance_video(src, tmp_path / "fast.mkv", opts)
    assert fast.frame_path == "planar"
    with monkeypatch.context() as m:
        rgb_path(m)
        slow = enhance_video(src, tmp_path / "slow.mkv", opts)
    assert slow.frame_path == "rgb"
    a, b = read_planes(tmp_path / "fast.mkv"), read_planes(tmp_path / "slow.mkv")
    assert len(a) == len(b) == 4
    from av.video.reformatter import Interpolation as I

    kw = {"dst_colorspace": 1, "dst_color_range": 1} if bt709 else {}
    kw["interpolation"] = I.BICUBIC | I.ACCURATE_RND | I.FULL_CHR_H_INP
    for i, (fa, fb) in enumerate(zip(a, b, strict=True)):
        true = frame_planes(av.VideoFrame.from_ndarray(truth(i), format="rgb24").reformat(format="yuv420p", **kw),
                            size=(192, 256))
        for name, pa, pb, pt, floor in zip("YUV", fa, fb, true, (50.0, 36.0, 36.0), strict=True):
            assert pa.shape == pb.shape == pt.shape
            assert psnr(pa, pb) >= floor, name
            assert psnr(pa, pt) >= psnr(pb, pt) - 0.05, name
    assert read_streams(tmp_path / "fast.mkv")["color"] == read_streams(tmp_path / "slow.mkv")["color"]


def test_resume_on_the_fast_path(tmp_path: Path) -> None:
    src = make_clip(tmp_path / "in.mkv", frames=20)
    out, clean = tmp_path / "out.mkv", tmp_path / "clean.mkv"
    opts = VideoOptions(task="sr", model="up", segment_seconds=0.5, batch=2, preset="ultrafast")
    assert enhance_video(src, clean, opts, models=Cache(up=Upscale(color_space="y"))).frame_path == "planar"

    def crash(done: float, total: float, message: str = "") -> None:
        if done >= 12:
            raise RuntimeError("simulated crash")

    with pytest.raises(RuntimeError, match="simulated crash"):
        enhance_video(src, out, opts, models=Cache(up=Upscale(color_space="y")), progress=crash)
    with pytest.raises(OutputError, match="--resume"):
        enhance_video(src, out, opts, models=Cache(up=Upscale(color_space="y")))
    second = Upscale(color_space="y")
    res = enhance_video(src, out, VideoOptions(task="sr", model="up", segment_seconds=0.5, batch=2,
                                               preset="ultrafast", resume=True), models=Cache(up=second))
    assert res.frame_path == "planar" and res.resumed_segments == 2 and second.frames == 10
    a, b, c = read_streams(src), read_streams(out), read_streams(clean)
    assert b["video_pts"] == a["video_pts"] and b["audio"] == a["audio"] and b["subtitle"] == a["subtitle"]
    assert all(np.array_equal(x, y) for x, y in zip(b["video"], c["video"], strict=True))


@pytest.mark.parametrize("runtime", ["torch", "onnx"])
def test_stripes_give_the_whole_frames_pixels(runtime: str) -> None:
    """Stripes with the descriptor's tile overlap (torch: in one or two threads; ONNX Runtime: through the
    Restorer call) equal one whole-frame call."""
    from vivid.engine.cache import ModelCache
    from vivid.video.planar_sr import PlanarSR

    model = ModelCache(runtime=runtime).get("vivid-sr-fast", 2)
    assert model.descriptor.runtime == runtime
    y = np.ascontiguousarray(detailed(0, 200, 160)[..., 1])
    y = (16 + y.astype(np.float32) * 219 / 255).round().astype(np.uint8)
    whole = PlanarSR(model, size=(200, 160), color=ColorTags(), rows=0).luma(y)
    for rows, workers in ((48, 1), (48, 2), (64, 2), (500, 2)):
        proc = PlanarSR(model, size=(200, 160), color=ColorTags(), rows=rows, workers=workers)
        out = proc.luma(y)
        assert out.shape == (400, 320) and out.dtype == np.uint8
        assert np.abs(out.astype(int) - whole).max() <= 1, (rows, workers)  # float summation order only
        assert (out != whole).mean() < 1e-3
        proc.close()


def test_bfloat16_on_the_fast_path(tmp_path: Path) -> None:
    """--dtype bfloat16 runs vivid-sr-fast under autocast on the planar path: within 2 levels of float32
    on the Y plane (measured when written: max 1 level, 7 % of pixels differ); models without bfloat16
    are refused before any work."""
    from vivid.errors import ModelError

    src = make_clip(tmp_path / "in.mkv", frames=3, size=(128, 96), content=detailed)
    base = VideoOptions(task="sr", model="vivid-sr-fast", scale=2, preset="ultrafast", crf=0)
    f32 = enhance_video(src, tmp_path / "f32.mkv", base)
    b16 = enhance_video(src, tmp_path / "b16.mkv", VideoOptions(**{**base.__dict__, "dtype": "bfloat16"}))
    assert f32.frame_path == b16.frame_path == "planar"
    for fa, fb in zip(read_planes(tmp_path / "f32.mkv"), read_planes(tmp_path / "b16.mkv"), strict=True):
        d = np.abs(fa[0].astype(int) - fb[0])
        assert d.max() <= 2 and (d > 0).mean() < 0.2
        assert np.array_equal(fa[1], fb[1]) and np.array_equal(fa[2], fb[2])  # chroma does not use the model
    with pytest.raises(ModelError, match="float32"):
        enhance_video(src, tmp_path / "up.mkv", VideoOptions(task="sr", model="up", dtype="bfloat16"),
                      models=Cache(up=Upscale(color_space="y")))
    assert not (tmp_path / "up.mkv").exists() and not (tmp_path / ".up.mkv.vivid-work").exists()


def test_realtime_times_the_fast_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from vivid.video import realtime as realtime_mod

    calls = {"planar": 0}
    real = pipeline_module._PlanarTimer.__call__

    def counting(self, frames, times):  # noqa: ANN001, ANN202
        calls["planar"] += 1
        return real(self, frames, times)

    monkeypatch.setattr(pipeline_module._PlanarTimer, "__call__", counting)
    monkeypatch.setattr(realtime_mod, "candidates_for", lambda task, step_scale: [("up", "realtime")])
    src = make_clip(tmp_path / "in.mkv", frames=8)
    res = enhance_video(src, tmp_path / "out.mkv", VideoOptions(task="sr", realtime=True, preset="ultrafast"),
                        models=Cache(up=Upscale(color_space="y")))
    assert res.realtime is not None and res.realtime.model == "up" and res.frame_path == "planar"
    assert calls["planar"] == 3  # the warm-up frame, one timed frame, then the other timed ones


def test_large_frames_take_the_fast_path_in_stripes(clip_mkv: Path) -> None:
    """A 4K source: one stripe fits the memory budget where a whole frame would need the RGB path's tiles."""
    from dataclasses import replace

    from vivid.engine.plan import Plan, Step
    from vivid.video.planar_sr import planar_sr
    from vivid.video.probe import probe
    from vivid.video.process import frames_per_call

    up = Upscale(color_space="y")
    info = replace(probe(clip_mkv), width=3840, height=2160)
    plan = Plan(steps=(Step(task="sr", model="up", scale=2),))
    assert frames_per_call(up, (1, 3, 2160, 3840)) == 0  # the RGB path would tile it
    proc = planar_sr(plan, Cache(up=up), info, out_size=(4320, 7680), out_pix_fmt="yuv420p")
    assert proc is not None and proc.rows < 2160
    assert planar_sr(plan, Cache(up=up), info, out_size=(4320, 7680), out_pix_fmt="yuv420p10le") is None


@pytest.mark.parametrize("runtime", ["torch", "onnx"])
def test_output_planes_stay_in_studio_range(runtime: str) -> None:
    """A sharp black/white edge makes the SR model overshoot; limited-range output keeps Y in 16..235 and the
    resized chroma in 16..240 (as display, and the RGB path's RGB clipping, would)."""
    from vivid.engine.cache import ModelCache
    from vivid.video.planar_sr import PlanarSR, upsample_chroma

    model = ModelCache(runtime=runtime).get("vivid-sr-fast", 2)
    y = np.full((64, 64), 16, dtype=np.uint8)
    y[:, 32:] = 235
    y[::8, :] = 16  # thin dark lines across the white half
    proc = PlanarSR(model, size=(64, 64), color=ColorTags(), rows=0)
    out = proc.luma(y)
    proc.close()
    assert out.min() == 16 and out.max() == 235  # reached, and not passed
    c = np.full((32, 32), 16, dtype=np.uint8)
    c[:, 16:] = 240
    up = upsample_chroma(c, 2)
    assert up.shape == (64, 64) and up.min() == 16 and up.max() == 240


def test_onnx_runtime_takes_the_whole_plane_when_it_fits_the_budget_and_torch_takes_stripes() -> None:
    from vivid.engine.cache import ModelCache
    from vivid.video.planar_sr import STRIPE_ROWS, PlanarSR

    onnx = ModelCache(runtime="onnx").get("vivid-sr-fast", 2)
    halo = onnx.descriptor.tile_overlap
    whole = PlanarSR(onnx, size=(400, 160), color=ColorTags(), max_pixels=1 << 20)
    assert whole._spans() == [(0, 400)]
    budget = 160 * (STRIPE_ROWS + 60 + 2 * halo)  # room for 180-row stripes with their overlap
    split = PlanarSR(onnx, size=(400, 160), color=ColorTags(), max_pixels=budget)
    spans = split._spans()
    assert len(spans) == 3 and all((b - a + 2 * halo) * 160 <= budget for a, b in spans)
    torch = ModelCache(runtime="torch").get("vivid-sr-fast", 2)
    assert len(PlanarSR(torch, size=(400, 160), color=ColorTags(), max_pixels=1 << 20)._spans()) == 4
