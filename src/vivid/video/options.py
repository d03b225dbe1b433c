"""The options of a video job: the image options extended with the encoder's, one typed record validated
once when it is made."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

from pydantic import model_validator

from vivid import __version__
from vivid.engine.options import EnhanceOptions, check_request, check_scale
from vivid.errors import ConfigError
from vivid.models.registry import ENTRIES
from vivid.zoo.loader import runs_a_file


class VideoOptions(EnhanceOptions):
    """How to enhance a video: the image options (:class:`~vivid.engine.options.EnhanceOptions`: ``task``,
    ``model``, ``scale``, ``dtype``, ``runtime``, ``recolor``, ``allow_pickle``) plus the encoder's and the
    job's. A frame is enhanced as a whole image is: a target ``size``, ``strength`` below 1, ``tile``,
    ``alpha`` and ``color_guard`` are not available for video and are refused.

    Attributes:
        task: ``sr``, ``denoise``, ``lowlight``, ``color``, ``colorize`` or ``auto`` (analyse a few
            sampled frames once and apply that one plan to the whole clip).
        scale: SR factor from 1 to 16 (default 2 for ``sr``); the output size is rounded to even numbers (4:2:0).
        codec: ``h264`` (default), ``h265``, ``vp9`` or ``av1``.
        crf: encoder quality (lower is better; default per codec, see :mod:`vivid.video.codecs`).
        preset: encoder speed (x264/x265 names, or libvpx/SVT-AV1 speed numbers).
        batch: frames per model call (for models that can take a batch).
        resume: finish an interrupted run of the same job from its checkpoint.
        realtime: measure the task's models on this clip and pick one that keeps up with its frame rate.
        overwrite: replace an existing output.
        temporal_seconds: time constant for smoothing global decisions (lowlight/color/colorize) over
            time; 0 turns smoothing off.
        segment_seconds: length of the resumable segments (each starts with a keyframe).
        duration: process only the first this-many seconds (other streams are cut to match).
        dtype: ``float32`` (default) or ``bfloat16`` for vivid's torch models (faster on CPUs with
            AVX512-BF16; vivid-sr-fast x2 loses about 0.01 dB on Set5, see its model card).
        recolor: let ``colorize`` recolour a clip whose sampled frames hold colour (refused otherwise).
    """

    codec: str = "h264"
    crf: int | None = None
    preset: str | None = None
    batch: int = 4
    resume: bool = False
    realtime: bool = False
    overwrite: bool = False
    temporal_seconds: float = 0.5
    segment_seconds: float = 10.0
    duration: float | None = None

    @model_validator(mode="after")
    def _request(self) -> VideoOptions:  # replaces the image check: video's words and its own ranges first
        if self.scale is not None:
            check_scale(self.scale)
        if self.model is not None and self.task == "auto":
            raise ConfigError("--model needs an explicit --task (auto picks its models itself)")
        if self.realtime and self.task == "auto":
            raise ConfigError("--realtime needs an explicit --task (for example --task sr): "
                              "it compares that task's models")
        if self.scale is not None:
            if not (math.isfinite(self.scale) and 1 <= self.scale <= 16):
                raise ConfigError(f"--scale must be between 1 and 16, got {self.scale}")
            if self.task not in ("sr", "auto"):
                raise ConfigError(f"--scale is for --task sr (or auto), not {self.task}")
        for name in _NOT_FOR_VIDEO:
            if getattr(self, name) != EnhanceOptions.model_fields[name].default:
                raise ConfigError(f"{name} {getattr(self, name)} is not available for video "
                                  f"(only {EnhanceOptions.model_fields[name].default})")
        if not 1 <= self.batch <= 256:
            raise ConfigError(f"--batch must be between 1 and 256, got {self.batch}")
        if not (math.isfinite(self.temporal_seconds) and 0 <= self.temporal_seconds <= 60):
            raise ConfigError(f"--smooth must be between 0 and 60 seconds, got {self.temporal_seconds}")
        if not (math.isfinite(self.segment_seconds) and 0.01 <= self.segment_seconds <= 3600):
            raise ConfigError(f"--segment-seconds must be between 0.01 and 3600, got {self.segment_seconds}")
        if self.duration is not None and not (math.isfinite(self.duration) and self.duration > 0):
            raise ConfigError(f"--duration must be a positive number of seconds, got {self.duration}")
        check_request(task=self.task, model=self.model if _known(self.model) else None, scale=self.scale, size=None)
        return self

    def job_key(self, src: Path) -> dict[str, Any]:
        """Everything that decides the output, with the input's identity: what a resumed run must match.

        ``batch``, ``resume``, ``overwrite``, ``allow_pickle`` and ``runtime`` do not change the pixels (ONNX
        Runtime and torch agree within rounding) and may differ; the image options video refuses are left out.
        """
        st = src.stat()
        d = self.model_dump(exclude={"batch", "resume", "overwrite", "allow_pickle", "runtime", *_NOT_FOR_VIDEO})
        d["input"] = {"path": str(src.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns}
        d["vivid"] = __version__
        return d


def _known(model: str | None) -> bool:
    """A model vivid can name: registered, added, or a file. Other names are checked when the model cache
    given to :func:`~vivid.video.enhance_video` loads them (a caller's cache may know more)."""
    return model is not None and (any(e.name == model for e in ENTRIES) or runs_a_file(model))


#: image options a frame does not take (they must keep their defaults)
_NOT_FOR_VIDEO = ("size", "fit", "strength", "tile", "alpha", "color_guard")


def key_hash(key: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


def key_differences(old: dict[str, Any], new: dict[str, Any]) -> str:
    """A short human list of what changed between two job keys."""
    diffs = []
    for k in sorted(set(old) | set(new)):
        if old.get(k) != new.get(k):
            if k == "input":
                diffs.append("the input file changed")
            else:
                diffs.append(f"{k}: {old.get(k)!r} → {new.get(k)!r}")
    return ", ".join(diffs) or "unknown"
