"""Keep loaded models for reuse across images (batches, the service, video)."""

from __future__ import annotations

import threading
from typing import Any

from vivid.models.base import Restorer
from vivid.zoo.onnx_runtime import check_runtime, load_on_runtime


class ModelCache:
    """Loads each (model, scale) once; thread-safe. ``allow_pickle`` applies to model files.

    ``runtime``: ``auto`` (default: ONNX Runtime for the built-ins, from their shipped graphs, where it
    measured faster, see :mod:`vivid.zoo.onnx_runtime`), ``torch`` (as loaded), ``onnx`` (built-in
    models in ONNX Runtime; an error for those that cannot be) or ``openvino`` (shipped models from their
    ONNX graphs in OpenVINO, :mod:`vivid.zoo.openvino_runtime`; other models as under ``auto``). ``precision``: ``auto``
    (default: int8 for the models that ship a tested int8 graph, float32 for the rest; float32 for every model on
    inputs deeper than 8 bits, see :func:`for_bit_depth`), ``float32`` or ``int8`` (vivid's networks from their
    int8 graphs, see :mod:`vivid.zoo.quantize`).
    """

    def __init__(self, *, allow_pickle: bool = False, task_hint: str | None = None, runtime: str = "auto",
                 precision: str = "auto") -> None:
        from vivid.zoo.quantize import check_precision

        check_runtime(runtime)
        check_precision(precision)
        self.precision = precision
        self._models: dict[tuple[str, int | None], Restorer] = {}
        self._lock = threading.Lock()
        self._siblings: dict[str, ModelCache] = {}
        self.allow_pickle = allow_pickle
        self.task_hint = task_hint
        self.runtime = runtime
        #: how many models this cache has loaded (cluster workers report it: once per worker, not per image)
        self.loads = 0

    def get(self, name: str, scale: int | None, *, family: str | None = None) -> Restorer:
        """The model ``name`` at ``scale`` (None: the model's own scale), loaded once."""
        key = (name, scale)
        with self._lock:
            if key not in self._models:
                self._models[key] = load_on_runtime(
                    name, scale=scale if scale and scale > 1 else None, runtime=self.runtime,
                    task=self.task_hint, family=family, allow_pickle=self.allow_pickle, precision=self.precision,
                )
                self.loads += 1
                # also reachable under its actual scale
                self._models.setdefault((name, self._models[key].descriptor.scale), self._models[key])
            return self._models[key]

    def with_runtime(self, runtime: str, precision: str | None = None) -> ModelCache:
        """A cache like this one on ``runtime`` and ``precision`` (None: this one's; this cache when both are
        its own); made once, kept with this one."""
        precision = precision or self.precision
        if (runtime, precision) == (self.runtime, self.precision):
            return self
        key = f"{runtime}/{precision}"
        with self._lock:
            if key not in self._siblings:
                self._siblings[key] = ModelCache(allow_pickle=self.allow_pickle, task_hint=self.task_hint,
                                                 runtime=runtime, precision=precision)
            return self._siblings[key]

    def clear(self) -> None:
        with self._lock:
            for m in self._models.values():
                m.close()
            self._models.clear()
            siblings = list(self._siblings.values())
            self._siblings.clear()
        for sibling in siblings:
            sibling.clear()


def for_bit_depth(models: Any, bit_depth: int) -> Any:
    """The cache to run inputs of ``bit_depth`` bits per sample with: for a :class:`ModelCache` at precision
    ``auto``, its float32 sibling when the input is deeper than 8 bits (int8 is for 8-bit inputs:
    :func:`vivid.zoo.quantize.input_precision`), else the cache itself; other caches are used as given."""
    from vivid.zoo.quantize import input_precision

    if isinstance(models, ModelCache):
        return models.with_runtime(models.runtime, input_precision(models.precision, bit_depth))
    return models
