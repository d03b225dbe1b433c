"""The planar fast path: a Y-channel SR model straight on the planes of 8-bit 4:2:0 video (no RGB at all).

vivid's SR models that work on luma (``color_space="y"``) expect BT.601 studio-range Y, ``[16, 235] / 255``,
the convention of the SR literature's ``rgb2ycbcr``. The Y plane of limited-range 8-bit video is studio-range
luma already, so it goes to the model as ``Y / 255`` without any conversion. For an integer scale ``s`` and
4:2:0 output, the output's chroma planes are the input's chroma planes resized by ``s`` (bicubic, as the
RGB path resizes Cb/Cr), which is cheap: they are a quarter of the luma's size. The output frame is built
from the three planes and tagged with the source's colour description.

The RGB path (:mod:`vivid.video.frames` + :class:`vivid.video.process.FrameProcessor`) converts YUV→RGB at
decode, RGB→YCbCr→RGB around the model and RGB→YUV at the output size; the planar path skips all of that
work and gives nearly the same pixels (tested: Y ≥ 50 dB, U/V ≥ 36 dB between the two) and is at least as
close to the truth on every plane: the RGB path interpolates chroma three times (decode, resize, encode)
where the planar path resizes it once. Output Y and chroma stay in the studio range (``Y_RANGE``,
``C_RANGE``), as the RGB path's RGB clipping keeps them.

:func:`planar_sr` decides: it returns a :class:`PlanarSR` only when the plan is one SR step with a Y-channel
model of integer scale that tiles (it runs on stripes) and binds no per-frame parameters, the source is 8-bit
``yuv420p``, limited range, with even width and height, and the output is exactly ``s`` times the input.
Otherwise it returns None and the RGB path runs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from vivid.engine.plan import Plan
from vivid.models.base import Restorer
from vivid.ops.resize import resize_planes
from vivid.video.probe import ColorTags, VideoInfo

#: the one source pixel format the planar path reads and writes
PLANAR_PIX_FMT = "yuv420p"
#: stripe height (input rows) the model runs on; see :class:`PlanarSR`
STRIPE_ROWS = 120
#: studio ("limited") range of 8-bit Y and Cb/Cr: the model's overshoot beyond reference black and white
#: (and bicubic chroma overshoot) is clipped, as display and the RGB path clip it
Y_RANGE, C_RANGE = (16, 235), (16, 240)
#: AVColorRange value of full-range ("JPEG") video: its Y is not studio range, so the RGB path handles it
_FULL_RANGE = 2


def planar_sr(plan: Plan, models: Any, info: VideoInfo, *, out_size: tuple[int, int],
              out_pix_fmt: str) -> PlanarSR | None:
    """The planar fast path for this plan and source, or None when the RGB path must run (see module doc)."""
    from vivid.engine.tiling import auto_tile_size

    if len(plan.steps) != 1 or plan.steps[0].task != "sr":
        return None
    if info.pix_fmt != PLANAR_PIX_FMT or out_pix_fmt != PLANAR_PIX_FMT or info.bit_depth != 8:
        return None
    if info.color.color_range == _FULL_RANGE:
        return None
    h, w = info.height, info.width
    if h % 2 or w % 2:
        return None
    step = plan.steps[0]
    restorer = models.get(step.model, step.scale)
    d = restorer.descriptor
    if d.task != "sr" or d.color_space != "y" or d.any_scale or not d.tileable or d.scale < 2:
        return None
    if tuple(out_size) != (h * d.scale, w * d.scale):
        return None
    # one call's input (a stripe, or the whole plane) must fit the memory budget of one engine tile, by area
    rows = h if d.size_multiple != 1 else min(h, STRIPE_ROWS + 2 * d.tile_overlap)
    side = auto_tile_size(bytes_per_pixel=4 * 64 * max(1, d.scale * d.scale))  # as frames_per_call estimates
    if rows * w > side * side:  # the RGB path tiles it
        return None
    if restorer.bind(np.zeros((3, 16, 16), dtype=np.float32)) is not restorer:  # per-frame parameters
        return None
    return PlanarSR(restorer, size=(h, w), color=info.color, max_pixels=side * side)


def frame_planes(frame: Any, *, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Views ``(Y (H, W), U (H/2, W/2), V (H/2, W/2))`` of a yuv420p ``av.VideoFrame``'s planes (uint8).

    A frame of another format or size (a mid-stream change) is converted to yuv420p at ``size`` first.
    The views borrow the frame's buffers: copy them before the frame goes away.
    """
    h, w = size
    if frame.format.name != PLANAR_PIX_FMT or (frame.height, frame.width) != (h, w):
        frame = frame.reformat(width=w, height=h, format=PLANAR_PIX_FMT)
    out = []
    for plane, (ph, pw) in zip(frame.planes, ((h, w), (h // 2, w // 2), (h // 2, w // 2)), strict=True):
        a = np.frombuffer(plane, dtype=np.uint8)
        out.append(a[: ph * plane.line_size].reshape(ph, plane.line_size)[:, :pw])
    return out[0], out[1], out[2]


def planes_to_frame(y: np.ndarray, u: np.ndarray, v: np.ndarray, *, color: ColorTags) -> Any:
    """A yuv420p ``av.VideoFrame`` from uint8 planes ``Y (H, W)``, ``U, V (H/2, W/2)``, tagged with ``color``."""
    import av

    h, w = y.shape
    packed = np.empty((h * 3 // 2, w), dtype=np.uint8)
    packed[:h] = y
    flat = packed[h:].reshape(-1)
    q = u.size
    flat[:q] = u.reshape(-1)
    flat[q:] = v.reshape(-1)
    frame = av.VideoFrame.from_ndarray(packed, format=PLANAR_PIX_FMT)
    frame.color_range = color.color_range
    frame.colorspace = color.colorspace
    frame.color_primaries = color.color_primaries
    frame.color_trc = color.color_trc
    return frame


def upsample_chroma(c: np.ndarray, scale: int) -> np.ndarray:
    """A chroma plane ``(h, w)`` uint8 resized to ``(h*scale, w*scale)``: bicubic, rounded, kept in
    the studio range ``C_RANGE``."""
    h, w = c.shape
    up = resize_planes(c, (h * scale, w * scale), method="cubic")
    return np.clip(up, *C_RANGE, out=up)


class PlanarSR:
    """Runs a Y-channel SR model on yuv420p planes; see the module docstring.

    A torch model runs on its module directly (in its dtype: float32, or bfloat16 under autocast as
    :class:`~vivid.models.torch_runtime.TorchRestorer` does), the uint8 <-> float conversions in torch, on horizontal
    stripes of ``rows`` rows plus the descriptor's ``tile_overlap`` on each side (which covers the model's
    receptive field, as for the engine's tiles, so stripes give the whole frame's pixels): a stripe's
    activations stay in the CPU's cache where a whole frame's do not. ``workers`` threads (default: the
    inference threads) each run whole stripes with one torch thread, which keeps both cores busy without
    the per-layer synchronisation of torch's own threads. Other models (ONNX Runtime, OpenVINO, numpy) go
    through their Restorer call with their own threads, on the whole plane when its input fits
    ``max_pixels`` (one engine tile's memory budget), else on the fewest stripes that fit: fewer calls and
    no halo rows computed twice (vivid-sr-rt on a 480p plane in OpenVINO: 26.9 ms whole against 31.3 ms in
    120-row stripes, ``benchmarks/planar_stripes.py``); models whose size multiple is not 1 get whole
    planes.

    Args:
        restorer: the Y-channel SR model (see :func:`planar_sr` for the conditions).
        size: input ``(height, width)``.
        color: the colour description the output frames are tagged with.
        rows: stripe height in input rows (0: whole frames; None: chosen as above).
        workers: threads running stripes in parallel (default: :func:`default_threads`).
        max_pixels: the most input pixels one call may take (None: ``rows`` stripes).
    """

    def __init__(self, restorer: Restorer, *, size: tuple[int, int], color: ColorTags, rows: int | None = None,
                 workers: int | None = None, max_pixels: int | None = None) -> None:
        from vivid.models.torch_runtime import TorchRestorer, default_threads

        self.restorer = restorer
        self.size = size
        self.color = color
        d = restorer.descriptor
        self.scale = int(d.scale)
        #: seconds spent per stage (model, chroma, frame building), for benchmarks
        self.seconds = {"model": 0.0, "chroma": 0.0, "frames": 0.0}
        torch_ok = (type(restorer) is TorchRestorer and restorer.dtype in ("float32", "bfloat16")
                    and d.size_multiple == 1 and d.min_size == 1)  # else the Restorer call pads
        self._module = restorer.module if torch_ok else None
        h, w = size
        if rows is None:  # torch: cache-sized stripes; other runtimes: as few calls as the memory budget allows
            rows = STRIPE_ROWS if torch_ok or max_pixels is None else max(STRIPE_ROWS,
                                                                          max_pixels // w - 2 * d.tile_overlap)
        whole = d.size_multiple != 1 or rows <= 0 or min(rows, h) < d.min_size
        self.rows = h if whole else min(rows, h)
        self.workers = max(1, workers if workers is not None else default_threads())
        self._pool = None

    def _spans(self) -> list[tuple[int, int]]:
        h = self.size[0]
        n = -(-h // self.rows)
        edges = [round(i * h / n) for i in range(n + 1)]  # n stripes of (nearly) equal height
        return list(zip(edges[:-1], edges[1:], strict=True))

    def _luma_torch(self, y: np.ndarray) -> np.ndarray:
        torch = self.restorer._torch  # type: ignore[attr-defined]
        module = self._module
        h, w = y.shape
        s, halo = self.scale, self.restorer.descriptor.tile_overlap
        x = torch.from_numpy(np.ascontiguousarray(y))
        out = torch.empty((h * s, w * s), dtype=torch.uint8)
        bf16 = self.restorer.dtype == "bfloat16"  # type: ignore[attr-defined]  # autocast, as TorchRestorer

        def stripe(span: tuple[int, int]) -> None:
            r0, r1 = span
            a, b = max(0, r0 - halo), min(h, r1 + halo)
            with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                z = x[a:b].to(torch.float32).mul_(1 / 255)[None, None]
                o = module(z)[0, 0, (r0 - a) * s:(r1 - a) * s, : w * s].float()
                out[r0 * s:r1 * s] = o.mul_(255).round_().clamp_(*Y_RANGE)  # integral floats: exact cast

        spans = self._spans()
        if self.workers > 1 and len(spans) > 1:
            if self._pool is None:
                from concurrent.futures import ThreadPoolExecutor

                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="vivid-planar")
            threads = torch.get_num_threads()
            torch.set_num_threads(1)
            try:
                list(self._pool.map(stripe, spans))
            finally:
                torch.set_num_threads(threads)
        else:
            for span in spans:
                stripe(span)
        return out.numpy()

    def _luma_restorer(self, y: np.ndarray) -> np.ndarray:
        """Any other model: its stripes (or the whole plane) through the Restorer call, in numpy."""
        from vivid.engine.tiling import pad_to_multiple

        d = self.restorer.descriptor
        h, w = y.shape
        s, halo = self.scale, d.tile_overlap
        out = np.empty((h * s, w * s), dtype=np.uint8)
        for r0, r1 in self._spans():
            a, b = max(0, r0 - halo), min(h, r1 + halo)
            x = y[None, None, a:b].astype(np.float32) * np.float32(1 / 255)
            x = pad_to_multiple(x, d.size_multiple, minimum=d.min_size, fill=d.fill)
            o = self.restorer(x)[0, 0, (r0 - a) * s:(r1 - a) * s, : w * s]
            np.rint(np.clip(o * np.float32(255), *Y_RANGE), out=out[r0 * s:r1 * s], casting="unsafe")
        return out

    def luma(self, y: np.ndarray) -> np.ndarray:
        """One Y plane ``(H, W)`` uint8 -> the model's ``(H*s, W*s)`` uint8 (rounded, saturated)."""
        if self._module is not None:
            return self._luma_torch(y)
        return self._luma_restorer(y)

    def close(self) -> None:
        """Stop the stripe threads (also done when the object is collected)."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def __del__(self) -> None:
        self.close()

    def __call__(self, planes: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> list[Any]:
        """Planes ``(Y, U, V)`` of N frames -> N yuv420p ``av.VideoFrame`` of ``s`` times the size."""
        import time

        out = []
        for y, u, v in planes:
            t0 = time.perf_counter()
            yy = self.luma(y)
            t1 = time.perf_counter()
            uu, vv = upsample_chroma(u, self.scale), upsample_chroma(v, self.scale)
            t2 = time.perf_counter()
            out.append(planes_to_frame(yy, uu, vv, color=self.color))
            t3 = time.perf_counter()
            self.seconds["model"] += t1 - t0
            self.seconds["chroma"] += t2 - t1
            self.seconds["frames"] += t3 - t2
        return out
