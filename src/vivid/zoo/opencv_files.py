"""OpenCV ``dnn_superres`` graphs (``.pb``): FSRCNN, FSRCNN-small, ESPCN, LapSRN, EDSR.

These are the OpenCV GSoC 2019 TensorFlow models (e.g. ``FSRCNN_x2.pb``). OpenCV runs FSRCNN, ESPCN
and LapSRN on the Y of YCrCb and enlarges the chroma with bicubic; its API takes and returns uint8 BGR,
so the input is quantised to 8 bits (exact for images read from 8-bit files).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from vivid.errors import ModelError
from vivid.models.base import ModelDescriptor, Restorer
from vivid.models.torch_runtime import default_threads
from vivid.zoo.builtin import file_sha256
from vivid.zoo.file_support import (
    brief,
    check_scale,
    not_a_model,
    user_descriptor,
)

#: family -> scales OpenCV publishes for it
FAMILIES: dict[str, tuple[int, ...]] = {
    "fsrcnn": (2, 3, 4),
    "espcn": (2, 3, 4),
    "lapsrn": (2, 4, 8),
    "edsr": (2, 3, 4),
}
_SPEED = {"fsrcnn": "realtime", "espcn": "realtime", "lapsrn": "fast", "edsr": "slow"}
#: about the receptive radius in input pixels (EDSR's is larger still; its tiles may show faint seams)
_OVERLAP = {"fsrcnn": 8, "espcn": 8, "lapsrn": 16, "edsr": 32}
_FILE_NAME = re.compile(r"^(fsrcnn-small|fsrcnn|espcn|lapsrn|edsr)_x(\d+)$", re.IGNORECASE)


def family_and_scale_from_name(path: Path) -> tuple[str | None, int | None]:
    """``("fsrcnn", 2)`` for ``FSRCNN_x2.pb`` or ``FSRCNN-small_x2.pb``; ``(None, None)`` if the name
    does not say."""
    m = _FILE_NAME.match(path.stem)
    if m is None:
        return None, None
    family = m.group(1).lower()
    return ("fsrcnn" if family == "fsrcnn-small" else family), int(m.group(2))


def load_opencv_file(path: Path, *, task: str | None, scale: int | None, family: str | None) -> Restorer:
    """An :class:`OpenCVSuperRes` for ``path``; family and scale come from the arguments or the file name."""
    import cv2

    named_family, named_scale = family_and_scale_from_name(path)
    if named_scale is not None:
        check_scale(path, named_scale, scale)
    fam = family.lower() if family is not None else named_family
    if family is not None and named_family is not None and fam != named_family:
        raise ModelError(
            f"model file {path.name!r} is named as {named_family}, you passed family={family!r}: "
            f"rename the file or drop family="
        )
    model_scale = named_scale if named_scale is not None else scale
    if fam is None or model_scale is None:
        raise ModelError(
            f"cannot tell the family and scale of OpenCV model {path.name!r} from its name: "
            f"pass family= (one of {', '.join(FAMILIES)}) and scale="
        )
    if fam not in FAMILIES:
        raise ModelError(f"unknown OpenCV dnn_superres family {family!r}: use one of {', '.join(FAMILIES)}")
    if model_scale not in FAMILIES[fam]:
        raise ModelError(
            f"OpenCV {fam} models exist for x{', x'.join(map(str, FAMILIES[fam]))}, "
            f"not x{model_scale}: check scale= or the file name"
        )
    cv2.setNumThreads(default_threads())
    sr = cv2.dnn_superres.DnnSuperResImpl_create()
    try:
        sr.readModel(str(path))
    except cv2.error as e:
        raise not_a_model(path, "OpenCV dnn_superres", brief(e)) from e
    sr.setModel(fam, model_scale)
    try:
        probe = sr.upsample(np.zeros((16, 16, 3), np.uint8))
    except cv2.error as e:
        raise ModelError(
            f"model file {path.name!r} does not run as {fam} x{model_scale} ({brief(e)}): "
            f"pass the right family= and scale="
        ) from e
    if probe.shape != (16 * model_scale, 16 * model_scale, 3):
        raise ModelError(
            f"model file {path.name!r} run as {fam} x{model_scale} turned 16x16 into "
            f"{probe.shape[1]}x{probe.shape[0]}: pass the right family= and scale="
        )
    sha = file_sha256(path)
    descriptor = user_descriptor(
        path, sha, f"OpenCV dnn_superres {fam} x{model_scale}", task=task, default_task=None, scale=model_scale,
        channels=3, out_channels=3, tileable=True, tile_overlap=_OVERLAP[fam], runtime="opencv",
        speed_class=_SPEED[fam],
    )
    return OpenCVSuperRes(sr, descriptor)


class OpenCVSuperRes(Restorer):
    """``cv2.dnn_superres`` as a Restorer: float RGB ``(N, 3, H, W)`` -> ``(N, 3, H*s, W*s)``."""

    def __init__(self, sr: Any, descriptor: ModelDescriptor) -> None:
        self._sr = sr
        self.descriptor = descriptor

    def __call__(self, batch: np.ndarray, *, size: tuple[int, int] | None = None) -> np.ndarray:
        out = []
        for rgb in batch:
            bgr = np.clip(np.rint(rgb[::-1].transpose(1, 2, 0) * 255.0), 0, 255).astype(np.uint8)
            up = self._sr.upsample(np.ascontiguousarray(bgr))
            out.append(up.transpose(2, 0, 1)[::-1].astype(np.float32) / 255.0)
        return np.stack(out)
