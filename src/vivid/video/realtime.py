"""``--realtime``: measure the task's models on this clip, on this machine, and pick one that keeps up.

Every registry model for the task (or the one ``--model`` names) runs on a few frames of the clip through the
same frame processor the job uses, in speed-class order (realtime, fast, medium, slow), after one warm-up
frame; a model that is already slower than one frame per frame interval on its warm-up frame is not timed
further, nor is one that takes twice the frame interval or more on its first timed frame. The timed frames
run as the job runs them: the job's encoder (same settings, output size and pixel
format) encodes as many stand-in output frames in its own thread at the same time, so each stage's time is
measured under the other's load, and the pace is the slower of the two (the stages overlap in the job,
:mod:`vivid.video.overlap`; adding them said "too slow" for vivid-sr-rt at 19-24 fps in runs that then went
at 26). Decoding (1.3-1.6 ms a frame at 480p, a 25th of the model's time) is left out. Of the models that keep
up with the source frame rate, the one the engine recommends for the task wins (vivid's learned model before
classical ones), then the heavier speed class; when none keeps up the fastest is used, and the report says
so. A model of a slower class than one already measured too slow is not measured (it cannot keep up either;
measuring vivid-sr took longer than the rest together), nor one ranked below a model that already keeps up
(it cannot be chosen; measuring bicubic and lanczos on the RGB path took longer than vivid's realtime models
on the planar one).

The order of preference (:func:`preference_for`) is by quality: the engine's recommended models for the task,
with vivid's own realtime models (learned, speed class ``realtime``: vivid-sr-fast, then the smaller vivid-sr-rt)
right after the first learned one. When none keeps up, the fastest of vivid's realtime models that could be
measured is used (it comes closest to the source's rate; a plain resize is faster but restores nothing), else
the fastest model measured.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from vivid.errors import VividError
from vivid.video.codecs import EncoderSettings, keep_normal_scheduling
from vivid.video.frames import rgb_to_frame
from vivid.video.segments import StreamFormat

SPEED_ORDER = {"realtime": 0, "fast": 1, "medium": 2, "slow": 3}


@dataclass(frozen=True)
class SpeedSample:
    """One candidate's measurement (fps through model + encoder, and the model alone)."""

    model: str
    speed_class: str
    fps: float | None
    model_fps: float | None
    keeps_up: bool
    error: str | None = None
    #: the runtime it was measured on (None: the job's own, ``auto`` unless given)
    runtime: str | None = None

    def label(self) -> str:
        return f"{self.model} on {self.runtime}" if self.runtime else self.model


@dataclass(frozen=True)
class RealtimeChoice:
    model: str
    fps: float
    source_fps: float
    keeps_up: bool
    samples: tuple[SpeedSample, ...]
    #: the runtime the job runs the model on (None: the job's own)
    runtime: str | None = None
    #: wall seconds spent measuring (the encoder and the candidates), part of the job's time
    seconds: float = 0.0

    def lines(self) -> list[str]:
        out = []
        for s in self.samples:
            if s.error:
                out.append(f"{s.label()} ({s.speed_class}): not measured: {s.error}")
            else:
                out.append(f"{s.label()} ({s.speed_class}): {s.fps:.1f} fps with the encoder beside it "
                           f"(model {s.model_fps:.1f} fps) → {'keeps up' if s.keeps_up else 'too slow'}")
        verdict = "keeps up with" if self.keeps_up else "does NOT keep up with"
        on = f" on {self.runtime}" if self.runtime else ""
        out.append(f"chosen: {self.model}{on} at {self.fps:.1f} fps, which {verdict} "
                   f"the source's {self.source_fps:.2f} fps (measuring took {self.seconds:.1f} s)")
        return out

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


class StandInEncoder:
    """The job's encoder fed stand-in output frames ``(N, 3, H, W)`` in its own thread, as the job's encoder
    thread is fed, while a candidate's frames run (:func:`choose_realtime`).

    ``converted=True`` converts the stand-ins to the encoder's pixel format before any timing (the planar path
    hands the encoder frames in its format); otherwise the conversion is part of each encode, as on the RGB
    path. Use as a context manager; :meth:`start` queues one encode per frame, :meth:`wait` waits for them and
    returns the encoder thread's busy seconds per frame.
    """

    def __init__(self, frames: np.ndarray, *, settings: EncoderSettings, fmt: StreamFormat,
                 converted: bool = False) -> None:
        self.frames, self.settings, self.fmt, self.converted = frames, settings, fmt, converted
        self._ready: list[Any] | None = None
        self._out: Any = None
        self._stream: Any = None
        self._worker: Any = None
        self._busy0 = 0.0  # the encoder thread's busy seconds when the last start() queued its encodes
        self.encoded = 0  # frames through the encoder so far

    def __enter__(self) -> StandInEncoder:
        import av

        from vivid.video.overlap import Worker

        fmt = self.fmt
        if self.converted:
            self._ready = [rgb_to_frame(f, pix_fmt=fmt.pix_fmt, color=fmt.color) for f in self.frames]
        self._out = av.open(io.BytesIO(), "w", format="matroska")
        vs = self._out.add_stream(self.settings.encoder, rate=fmt.fps or Fraction(25),
                                  options=self.settings.options())
        vs.width, vs.height, vs.pix_fmt = fmt.width, fmt.height, fmt.pix_fmt
        vs.codec_context.time_base = fmt.time_base
        self._stream = vs
        self._worker = Worker(depth=4 * len(self.frames) + 4, name="vivid-realtime-encode")
        return self

    def _encode(self, i: int) -> None:
        fmt = self.fmt
        frame = self._ready[i] if self._ready is not None else \
            rgb_to_frame(self.frames[i], pix_fmt=fmt.pix_fmt, color=fmt.color)
        frame.pts = self.encoded
        self.encoded += 1
        self._out.mux(self._stream.encode(frame))
        keep_normal_scheduling()  # SVT-AV1 as root makes the calling thread real-time

    def start(self, n: int) -> None:
        """Queue ``n`` encodes (the stand-ins in turn); they run while the caller times its model."""
        self._busy0 = self._worker.busy_seconds
        for k in range(n):
            self._worker.submit(lambda i=k % len(self.frames): self._encode(i))

    def wait(self, n: int) -> float:
        """Wait for the queued encodes; the encoder thread's busy seconds per frame over the ``n`` queued."""
        self._worker.drain()
        return (self._worker.busy_seconds - self._busy0) / max(1, n)

    def __exit__(self, *exc: object) -> None:
        try:
            if self._worker is not None:
                self._worker.close()
        finally:
            if self._out is not None:
                self._out.close()


def candidates_for(task: str, *, step_scale: int) -> list[tuple[str, str]]:
    """Registry models for ``task`` (SR: those with ``step_scale``) as ``(name, speed_class)``, fastest first."""
    from vivid.models.registry import list_models

    entries = [e for e in list_models(task) if task != "sr" or e.supports_scale(step_scale)]
    entries.sort(key=lambda e: SPEED_ORDER.get(e.speed_class, 9))
    return [(e.name, e.speed_class) for e in entries]


def realtime_models(task: str) -> tuple[str, ...]:
    """vivid's learned models of speed class ``realtime`` for ``task`` (made for video), in registry order, which
    is by quality: vivid-sr-fast, then vivid-sr-rt (smaller, for 480p at 25 fps on 2 cores)."""
    from vivid.models.registry import list_models

    return tuple(e.name for e in list_models(task) if e.kind == "learned" and e.speed_class == "realtime")


def preference_for(task: str) -> tuple[str, ...]:
    """Models in order of quality for ``--realtime``: the engine's recommendation for ``task`` with vivid's
    realtime models after its first learned model (vivid-sr, vivid-sr-fast, vivid-sr-rt, bicubic)."""
    from vivid.engine.api import DEFAULT_MODELS
    from vivid.models.registry import ENTRIES

    learned = {e.name for e in ENTRIES if e.kind == "learned"}
    order = list(DEFAULT_MODELS.get(task, ()))
    fast = [m for m in realtime_models(task) if m not in order]
    at = next((i + 1 for i, m in enumerate(order) if m in learned), 0)
    return tuple(order[:at] + fast + order[at:])


def _time_frames(proc: Any, frames: np.ndarray, times: list[float], stand_in: StandInEncoder | None, *,
                 timed_frames: int, give_up: float) -> tuple[float, float]:
    """``(model seconds per frame, pace)`` over up to ``timed_frames`` frames after the first (the warm-up's),
    one frame first and then the rest in one call, stopping after the first when the pace is ``give_up`` or
    more; the pace is the slower of the model and ``stand_in`` (the encoder, run beside the model)."""
    ahead = frames[1:] if len(frames) > 1 else frames
    later = times[1:] if len(frames) > 1 else times
    model_total = pace_total = 0.0
    done = 0
    for chunk in (1, timed_frames - 1):
        batch = ahead[done: done + chunk]
        if chunk <= 0 or len(batch) == 0:
            break
        n = len(batch)
        if stand_in is not None:
            stand_in.start(n)  # encodes the previous frames while the model runs these
        t0 = time.perf_counter()
        proc(batch, later[done: done + n])
        model_s = time.perf_counter() - t0
        enc = stand_in.wait(n) if stand_in is not None else 0.0
        model_total += model_s
        pace_total += max(model_s / n, enc) * n
        done += n
        if pace_total / done >= give_up:
            break
    return model_total / done, pace_total / done


def choose_realtime(
    candidates: list[tuple[str, str]] | list[tuple[str, str, str | None]],
    frames: np.ndarray,
    times: list[float],
    *,
    source_fps: float,
    make_processor: Any,
    encoder: Any = None,
    preference: tuple[str, ...] = (),
    fallback: tuple[str, ...] = (),
    timed_frames: int = 4,
) -> RealtimeChoice:
    """Measure each candidate ``(name, speed_class[, runtime])`` (``make_processor(name)``, or
    ``make_processor(name, runtime)`` for a runtime other than the job's, builds its frame processor) and
    pick one: the first in ``preference`` that keeps up (of one model on several runtimes, the fastest);
    when none does, the fastest measured model (and runtime) of ``fallback``, else the fastest measured.

    ``encoder(planar)`` (None: no encoder) gives the :class:`StandInEncoder` that runs beside the timed frames,
    ``planar`` True for a processor with ``planar = True`` (the planar path: frames reach the encoder in its
    pixel format). A candidate's pace is the slower of its model and the encoder, each timed under the other's
    load, as the job overlaps them.
    """
    samples: list[SpeedSample] = []
    interval = 1.0 / source_fps if source_fps > 0 else 0.04

    def pref(name: str) -> int:
        return preference.index(name) if name in preference else len(preference)

    for name, speed_class, *rest in candidates:
        runtime = rest[0] if rest else None
        ahead = next((s for s in samples if s.keeps_up and pref(s.model) < pref(name)), None)
        if ahead is not None:  # a model preferred to this one keeps up: this one cannot be chosen
            samples.append(SpeedSample(name, speed_class, None, None, False,
                                       f"{ahead.label()}, preferred, already keeps up", runtime))
            continue
        behind = next((s for s in samples if s.fps is not None and not s.keeps_up
                       and SPEED_ORDER.get(s.speed_class, 9) < SPEED_ORDER.get(speed_class, 9)), None)
        if behind is not None:  # a model of a faster class is already too slow: this one cannot keep up either
            samples.append(SpeedSample(name, speed_class, None, None, False,
                                       f"{behind.label()}, of a faster class, is already too slow", runtime))
            continue
        try:
            proc = make_processor(name) if runtime is None else make_processor(name, runtime)
            t0 = time.perf_counter()
            proc(frames[:1], times[:1])  # warm-up: loading, planning kernels for this shape
            warm = time.perf_counter() - t0
            if warm > 20 * interval + 2.0:  # hopeless: do not spend more time on it
                per_frame = pace = warm
            else:
                stand_in = encoder(bool(getattr(proc, "planar", False))) if encoder is not None else None
                per_frame, pace = _time_frames(proc, frames, times, stand_in, timed_frames=timed_frames,
                                               give_up=2 * interval)
        except (VividError, ImportError) as e:
            samples.append(SpeedSample(name, speed_class, None, None, False, str(e), runtime))
            continue
        fps = 1.0 / pace
        samples.append(SpeedSample(name, speed_class, fps, 1.0 / per_frame, fps >= source_fps, None, runtime))
    measured = [s for s in samples if s.fps is not None]
    if not measured:
        raise VividError("--realtime: no model for this task could be measured: "
                         + "; ".join(f"{s.model}: {s.error}" for s in samples))
    keeping = [s for s in measured if s.keeps_up]
    if keeping:
        def rank(s: SpeedSample) -> tuple[int, int, float]:
            return pref(s.model), -SPEED_ORDER.get(s.speed_class, 0), -(s.fps or 0.0)

        best = min(keeping, key=rank)
    else:
        pool = [s for s in measured if s.model in fallback] or measured
        best = max(pool, key=lambda s: s.fps or 0.0)
    return RealtimeChoice(best.model, float(best.fps or 0.0), float(source_fps), best.keeps_up, tuple(samples),
                          best.runtime)
