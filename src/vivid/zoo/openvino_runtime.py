"""vivid's shipped ONNX graphs in OpenVINO on the CPU (``--runtime openvino``, the ``[openvino]`` extra).

The same hash-checked graphs as :mod:`vivid.zoo.shipped_onnx` runs in ONNX Runtime, read by OpenVINO and
compiled once per input shape (a video's frames and an image's tiles come in a few shapes; a shape compiles
in well under a second and is kept, the last :data:`SHAPES_KEPT` of them). Inference precision is float32
(``INFERENCE_PRECISION_HINT``): on CPUs with AVX512-BF16 OpenVINO would otherwise compute in bfloat16, which
moved vivid-sr-fast's output by up to 2 levels. OpenVINO fuses each PReLU into its convolution, where ONNX
Runtime runs it as a separate pass over the tensor (a third of vivid-sr-fast's time there).
:class:`OpenVinoSession` answers the two calls the ONNX restorers make of a session (``get_inputs`` and
``run``), so every shipped model's restorer runs on it unchanged.
"""

from __future__ import annotations

import importlib.util
import threading
from collections import OrderedDict
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from vivid.errors import ModelError
from vivid.models.torch_runtime import default_threads
from vivid.zoo import shipped_onnx

#: compiled shapes kept per graph
SHAPES_KEPT = 8


def openvino_installed() -> bool:
    return importlib.util.find_spec("openvino") is not None


def _core() -> Any:
    try:
        import openvino as ov
    except ImportError:
        raise ModelError("runtime openvino needs OpenVINO: pip install 'vivid-restore[openvino]' "
                         "(or use runtime auto or onnx)") from None
    return ov.Core()


class _Input:
    def __init__(self, name: str) -> None:
        self.name = name


class OpenVinoSession:
    """An ONNX graph in OpenVINO, compiled per input shape, with an ONNX Runtime session's ``get_inputs`` and
    ``run(None, feed)``. ``threads``: inference threads (None: vivid's default)."""

    def __init__(self, path: Path, *, threads: int | None = None) -> None:
        self.core = _core()
        self.model = self.core.read_model(str(path))
        self.inputs = [_Input(p.get_any_name()) for p in self.model.inputs]
        self.config = {"INFERENCE_NUM_THREADS": threads or default_threads(), "PERFORMANCE_HINT": "LATENCY",
                       "INFERENCE_PRECISION_HINT": "f32"}
        self._compiled: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get_inputs(self) -> list[_Input]:
        return self.inputs

    def _request(self, shapes: tuple) -> Any:
        with self._lock:
            if shapes in self._compiled:
                self._compiled.move_to_end(shapes)
                return self._compiled[shapes]
            model = self.model.clone()
            model.reshape({i.name: list(s) for i, s in zip(self.inputs, shapes, strict=True)})
            compiled = self.core.compile_model(model, "CPU", self.config)
            self._compiled[shapes] = compiled
            while len(self._compiled) > SHAPES_KEPT:
                self._compiled.popitem(last=False)
            return compiled

    def run(self, output_names: Any, feed: dict[str, np.ndarray]) -> list[np.ndarray]:
        arrays = [np.ascontiguousarray(feed[i.name]) for i in self.inputs]
        compiled = self._request(tuple(a.shape for a in arrays))
        # a new request per call: callers may run the same graph from several threads
        result = compiled.create_infer_request().infer(arrays)
        return [np.asarray(result[o]) for o in compiled.outputs]


def load_shipped_openvino(name: str, scale: int) -> Any:
    """Shipped model ``name`` x``scale`` from its shipped ONNX graphs, run by OpenVINO."""
    _core()  # a clear error before anything else when OpenVINO is missing
    restorer = shipped_onnx.load_shipped_onnx(name, scale, session_factory=_session)
    restorer.descriptor = _with_runtime(restorer.descriptor)
    return restorer


def _session(path: Path, tuning: Any) -> OpenVinoSession:
    return OpenVinoSession(path, threads=getattr(tuning, "threads", None))


def _with_runtime(d: Any) -> Any:
    return replace(d, runtime="openvino")
