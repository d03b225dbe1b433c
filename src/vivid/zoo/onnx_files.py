"""ONNX image models run by ONNX Runtime on the CPU, and export of vivid's torch models to ONNX.

A user's ``.onnx`` file needs one float input ``(N, C, H, W)`` with C = 3 (RGB) or 1 (gray) in [0, 1].
Scale and output channels are learned by running a small probe image. Models exported with a fixed
input size ``(h, w)`` run on overlapping ``(h, w)`` tiles inside :class:`OnnxRestorer` (stitched
mid-overlap); their ``min_size`` makes the engine pad smaller images up to that size.
"""

from __future__ import annotations

import itertools
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from vivid.errors import ModelError, OutputError
from vivid.models.base import ModelDescriptor, Restorer
from vivid.models.registry import SessionTuning  # noqa: F401 - declared with the models, used here
from vivid.models.torch_runtime import default_threads
from vivid.zoo.builtin import file_sha256
from vivid.zoo.file_support import (
    brief,
    check_scale,
    color_space_for,
    not_a_model,
    probe_scale,
    size_rule,
    speed_class_for,
    user_descriptor,
)

_FLOAT_TYPES = {"tensor(float)": np.float32, "tensor(float16)": np.float16}


def make_session(model: str | Path | bytes, tuning: SessionTuning | None = None) -> Any:
    """An ONNX Runtime CPU session with ``tuning``'s options (default: vivid's thread count, no spinning,
    all graph optimisations; see :mod:`vivid.zoo.ort_tuning` for how the defaults were measured)."""
    import onnxruntime as ort

    tuning = tuning or SessionTuning()
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = tuning.threads or default_threads()
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = {
        "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
        "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
        "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
    }[tuning.level]
    # spinning idle threads take CPU from the decoder and encoder threads of a video job and from other
    # processes on shared cores: off unless measured faster (benchmarks/ort_options.py)
    opts.add_session_config_entry("session.intra_op.allow_spinning", "1" if tuning.spin else "0")
    source = model if isinstance(model, bytes) else str(model)
    return ort.InferenceSession(source, sess_options=opts, providers=["CPUExecutionProvider"])


class OnnxRestorer(Restorer):
    """An ONNX model ``(N, C, H, W) -> (N, C', H*s, W*s)`` in ONNX Runtime.

    Args:
        model: path to the ``.onnx`` file, its bytes, or a ready ``onnxruntime.InferenceSession``.
        descriptor: its contract with the engine (``load_onnx_file`` derives one for a user's file).
    """

    def __init__(self, model: str | Path | bytes | Any, descriptor: ModelDescriptor) -> None:
        self.descriptor = descriptor
        self.session = make_session(model) if isinstance(model, str | Path | bytes) else model
        inp = self.session.get_inputs()[0]
        self._input = inp.name
        self._dtype = _FLOAT_TYPES.get(inp.type, np.float32)
        self._one_by_one = isinstance(inp.shape[0], int)
        h, w = inp.shape[2:4]
        self._fixed = (h, w) if isinstance(h, int) and isinstance(w, int) else None

    def _run(self, x: np.ndarray) -> np.ndarray:
        y = self.session.run(None, {self._input: x.astype(self._dtype, copy=False)})[0]
        return y.astype(np.float32, copy=False)

    def __call__(self, batch: np.ndarray, *, size: tuple[int, int] | None = None) -> np.ndarray:
        x = np.ascontiguousarray(batch, dtype=np.float32)
        if self._fixed is not None:
            return np.concatenate([self._tiled(x[i : i + 1]) for i in range(len(x))])
        if self._one_by_one:
            return np.concatenate([self._run(x[i : i + 1]) for i in range(len(x))])
        return self._run(x)

    def _tiled(self, x: np.ndarray) -> np.ndarray:
        """Run a fixed-size model over overlapping tiles of one image ``(1, C, H, W)``.

        Neighbouring tiles overlap by ``min(tile / 2, 2 * tile_overlap)``; each output pixel comes from
        the tile whose border is farthest from it, so seams vanish once the model's receptive radius
        is within that margin.
        """
        (th, tw), s, d = self._fixed, self.descriptor.scale, self.descriptor  # type: ignore[misc]
        _, _, h, w = x.shape
        if h < th or w < tw:
            raise ModelError(
                f"model {d.name!r} takes {th}x{tw} inputs, got {h}x{w}: pad to min_size {d.min_size}"
            )
        out = np.empty((1, d.output_channels, h * s, w * s), np.float32)
        for ys, y0, y1 in _spans(h, th, min(th // 2, 2 * d.tile_overlap)):
            for xs, x0, x1 in _spans(w, tw, min(tw // 2, 2 * d.tile_overlap)):
                y = self._run(x[..., ys : ys + th, xs : xs + tw])
                out[..., y0 * s : y1 * s, x0 * s : x1 * s] = y[
                    ..., (y0 - ys) * s : (y1 - ys) * s, (x0 - xs) * s : (x1 - xs) * s
                ]
        return out


def _spans(n: int, tile: int, overlap: int) -> list[tuple[int, int, int]]:
    """``(start, keep_from, keep_to)`` per tile along an axis of ``n`` pixels: tiles overlap by at least
    ``overlap`` and each keeps the pixels nearer its centre than its neighbours' (cut mid-overlap)."""
    starts = [*range(0, n - tile, max(1, tile - overlap)), n - tile]
    cuts = [0, *((a + tile + b) // 2 for a, b in itertools.pairwise(starts)), n]
    return [(start, cuts[i], cuts[i + 1]) for i, start in enumerate(starts)]


def load_onnx_file(path: Path, *, task: str | None, scale: int | None) -> Restorer:
    """An :class:`OnnxRestorer` for a user's ``.onnx`` file, its descriptor learned from a probe run."""
    try:
        session = make_session(path)
    except Exception as e:  # noqa: BLE001 - onnxruntime raises its own error types
        raise not_a_model(path, "ONNX Runtime", brief(e)) from e
    inputs = session.get_inputs()
    if len(inputs) != 1:
        names = ", ".join(i.name for i in inputs)
        raise ModelError(
            f"model file {path.name!r} has {len(inputs)} inputs ({names}): vivid runs one-input models"
        )
    inp = inputs[0]
    shape = list(inp.shape)
    if len(shape) != 4 or inp.type not in _FLOAT_TYPES or not isinstance(shape[1], int):
        raise ModelError(
            f"model file {path.name!r} takes {inp.name!r} as {inp.type} {shape}: vivid runs models of "
            f"one float (N, C, H, W) input with a fixed channel count"
        )
    channels = shape[1]
    color_space_for(path, channels)  # 3 or 1 channels, before probing
    if isinstance(shape[0], int) and shape[0] != 1:
        raise ModelError(
            f"model file {path.name!r} takes batches of exactly {shape[0]}: "
            f"export it with batch 1 or a dynamic batch axis"
        )
    dtype = _FLOAT_TYPES[inp.type]

    def run(x: np.ndarray) -> np.ndarray:
        return session.run(None, {inp.name: x.astype(dtype)})[0]

    fixed = tuple(shape[2:]) if all(isinstance(d, int) for d in shape[2:]) else None
    if fixed is not None:  # OnnxRestorer tiles; the engine only pads up to the fixed size
        model_scale, out_channels, _ = probe_scale(path, run, channels, sizes=(fixed,))
        multiple, min_size = 1, max(fixed)
    else:
        model_scale, out_channels, probed = probe_scale(path, run, channels)
        multiple, min_size = size_rule(probed)
    check_scale(path, model_scale, scale)
    sha = file_sha256(path)
    meta = session.get_modelmeta()
    descriptor = user_descriptor(
        path, sha, f"ONNX from {meta.producer_name or 'an unknown producer'}", task=task, default_task=None,
        scale=model_scale, channels=channels, out_channels=out_channels, size_multiple=multiple, min_size=min_size,
        runtime="onnx",
        # float32 weights take 4 bytes per parameter: the file size is a fair parameter count
        speed_class=speed_class_for(path.stat().st_size // 4),
    )
    return OnnxRestorer(session, descriptor)


def export_onnx(restorer: Any, path: str | Path, *, opset: int = 17) -> Path:
    """Export a :class:`~vivid.models.torch_runtime.TorchRestorer`'s module to ONNX (dynamic batch, H, W).

    Uses the TorchScript-based exporter (``dynamo=False``): the torch.export-based one, the default
    since torch 2.9, needs ``onnxscript``, which vivid does not depend on. The legacy exporter handles
    vivid's convolutional networks, dynamic H and W included. Load the result with
    ``OnnxRestorer(path, descriptor)``.
    """
    import torch

    module, d = getattr(restorer, "module", None), restorer.descriptor
    if not isinstance(module, torch.nn.Module):
        raise ModelError(
            f"model {d.name!r} runs {type(module).__name__}, not a torch module: only torch models export"
        )
    out = Path(path)
    if not out.parent.is_dir():
        raise OutputError(f"cannot write {str(out)!r}: folder {str(out.parent)!r} does not exist")
    side = -(-max(d.min_size, 16) // d.size_multiple) * d.size_multiple
    example = torch.rand(1, d.in_channels, side, side)
    axes = {"image": {0: "batch", 2: "height", 3: "width"}, "restored": {0: "batch", 2: "out_h", 3: "out_w"}}
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=DeprecationWarning)  # the legacy-exporter notice
            torch.onnx.export(
                module.eval(),
                (example,),
                str(out),
                opset_version=opset,
                dynamo=False,
                input_names=["image"],
                output_names=["restored"],
                dynamic_axes=axes,
            )
    except Exception as e:  # noqa: BLE001 - the exporter raises many types for unsupported operations
        raise ModelError(f"model {d.name!r} does not export to ONNX opset {opset} ({brief(e)})") from e
    return out
