"""Run vivid's built-in torch models through ONNX Runtime.

A built-in model is exported once to ONNX (dynamic batch, height and width; opset 17) into the user
cache folder — ``$XDG_CACHE_HOME/vivid/onnx`` (default ``~/.cache/vivid/onnx``), file names keyed by
model, scale and the weights' sha256, written atomically — and then runs in an ONNX Runtime session.

Every shipped model also ships as ONNX graphs (:mod:`vivid.zoo.shipped_onnx`: the parts computed once
per image, such as a noise map or tone curves, are graphs of their own), so ``runtime="onnx"`` needs no
export for them and a base install without torch runs them all in ONNX Runtime. Other torch models
whose whole forward pass is the network on the image are exported to the cache here; ones with
per-image inputs or parameters and no shipped graphs stay on torch. ``runtime="auto"`` takes ONNX
Runtime for the models in :data:`ORT_FASTER`, where ``benchmarks/ort_speed.py`` measured it faster than
torch, and for every shipped model when torch is not installed. ``runtime="openvino"`` runs the shipped
graphs in OpenVINO instead (:mod:`vivid.zoo.openvino_runtime`, the ``[openvino]`` extra; other models run
as under ``auto``).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import replace

from vivid.errors import ConfigError, ModelError, OutputError
from vivid.models.base import Restorer
from vivid.models.registry import get_entry
from vivid.models.torch_runtime import TorchRestorer
from vivid.zoo import builtin, shipped_onnx
from vivid.zoo.cache import cache_dir  # noqa: F401 - re-exported (tests, callers)
from vivid.zoo.loader import is_model_file_ref, load_model
from vivid.zoo.onnx_files import OnnxRestorer, export_onnx
from vivid.zoo.openvino_runtime import load_shipped_openvino
from vivid.zoo.quantize import check_precision, load_int8, resolve_precision

RUNTIMES = ("auto", "torch", "onnx", "openvino")
#: models for which ONNX Runtime measured faster than torch on this project's 2-core CPU at 480p and
#: 720p (benchmarks/ort_speed.py; numbers in the README's "Runtimes" section); "auto" uses ORT for these
#: (2026-11: vivid-sr-fast 0.63x / 0.66x of torch's time, vivid-sr 0.34x / 0.32x, same outputs), even
#: when their shipped graphs are stale and they must be exported to the cache. Every shipped model with
#: current shipped graphs runs in ORT under "auto": ORT measured faster for each (2026-12, 480p:
#: 0.26x-0.75x of torch's time; README "Runtimes").
ORT_FASTER: frozenset[str] = frozenset({"vivid-sr", "vivid-sr-fast"})
OPSET = 17


def check_runtime(runtime: str) -> None:
    if runtime not in RUNTIMES:
        raise ConfigError(f"unknown runtime {runtime!r}: use auto, torch, onnx or openvino")


def exportable(restorer: Restorer) -> str | None:
    """Why ``restorer`` cannot run through ONNX Runtime (one phrase), or None when it can."""
    d = restorer.descriptor
    if d.runtime == "onnx" or _shipped_onnx(restorer) is not None:
        return None
    if type(restorer) is not TorchRestorer:
        if isinstance(restorer, TorchRestorer):
            return "it sets image-wide inputs or parameters per image (bind), which stay in torch"
        return f"it runs on {d.runtime}, not torch"
    if not d.sha256:
        return "it has no weights hash to key the exported file by"
    return None


def _shipped_onnx(restorer: Restorer) -> tuple[str, int] | None:
    """``(name, scale)`` when ``restorer`` is a shipped model whose shipped ONNX graphs match its weights."""
    d = restorer.descriptor
    if d.runtime != "torch" or not d.provenance.startswith("vivid-trained") or not d.sha256:
        return None
    try:
        entry = builtin.find_weights(d.name, d.scale)
        item = shipped_onnx.read_index().get(entry.file)
    except ModelError:
        return None
    return (d.name, d.scale) if d.sha256 == entry.sha256 and shipped_onnx.is_current(item, entry) else None


def to_onnx(restorer: Restorer) -> Restorer:
    """``restorer`` (a built-in torch model) running in ONNX Runtime: its shipped ONNX graphs, or else an
    export to the cache (made once)."""
    d = restorer.descriptor
    if d.runtime == "onnx":
        return restorer
    shipped = _shipped_onnx(restorer)
    if shipped is not None:
        return shipped_onnx.load_shipped_onnx(*shipped)
    why = exportable(restorer)
    if why:
        raise ModelError(f"model {d.name!r} cannot run in ONNX Runtime: {why}; use runtime torch for it")
    folder = cache_dir()
    path = folder / f"{d.name}-x{d.scale}-{d.sha256[:16]}-opset{OPSET}-dynamic.onnx"
    if not path.exists():
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise OutputError(f"cannot create the ONNX cache folder {folder}: {e.strerror or e}") from None
        temp = folder / f".{path.name}.{secrets.token_hex(4)}.part"
        try:
            export_onnx(restorer, temp, opset=OPSET)
            os.replace(temp, path)  # atomic: another process sees the whole file or none
        finally:
            temp.unlink(missing_ok=True)
    try:
        return OnnxRestorer(path, replace(d, runtime="onnx", dtypes=("float32",)))
    except Exception as e:  # noqa: BLE001 - a damaged cache file: export again next time
        path.unlink(missing_ok=True)
        raise ModelError(f"the cached ONNX export {path} did not load ({type(e).__name__}); run again") from e


def _auto_onnx(restorer: Restorer) -> Restorer:
    """ONNX Runtime for ``restorer``, falling back to its torch form for dtypes ORT is not given here."""
    ort_model = to_onnx(restorer)
    if ort_model is restorer:  # loaded in ORT already (no torch installed): nothing to fall back to
        return ort_model

    class AutoOnnx(type(ort_model)):  # type: ignore[misc]
        def with_dtype(self, dtype: str) -> Restorer:
            return self if dtype == "float32" else restorer.with_dtype(dtype)

    ort_model.__class__ = AutoOnnx
    return ort_model


def with_runtime(restorer: Restorer, runtime: str) -> Restorer:
    """``restorer`` on ``runtime``: ``torch`` as loaded, ``onnx`` (or an error saying why not), or ``auto``
    (ONNX Runtime for the models in :data:`ORT_FASTER`, else as loaded)."""
    check_runtime(runtime)
    if runtime == "openvino":  # OpenVINO runs vivid's shipped graphs (load_on_runtime); others run as under auto
        runtime = "auto"
    if runtime == "onnx":
        return to_onnx(restorer)
    if runtime == "torch" and getattr(restorer, "shipped", False):  # loaded in ORT: torch is not installed
        raise ModelError(
            f"runtime torch for {restorer.descriptor.name!r} needs PyTorch: pip install 'vivid-restore[torch]' "
            f"(or use runtime auto or onnx)"
        )
    faster = restorer.descriptor.name in ORT_FASTER or _shipped_onnx(restorer) is not None
    if runtime == "auto" and faster and exportable(restorer) is None:
        return _auto_onnx(restorer)  # --dtype bfloat16 still runs the torch model
    return restorer


def load_on_runtime(
    name: str, *, scale: int | None, runtime: str, task: str | None = None, family: str | None = None,
    allow_pickle: bool = False, precision: str = "auto",
) -> Restorer:
    """:func:`vivid.zoo.loader.load_model` on ``runtime`` (see :func:`with_runtime`). A shipped model
    under ``auto`` or ``onnx`` comes straight from its shipped ONNX graphs, so torch is not even imported
    (``auto`` loads the torch model only if a dtype other than float32 is asked for).

    ``precision``: ``auto`` (default) runs the int8 graph vivid ships for models that passed its quality gate
    (:func:`vivid.zoo.quantize.resolve_precision`; vivid-sr x2; the engine asks for float32 instead for inputs
    deeper than 8 bits, :func:`vivid.engine.cache.for_bit_depth`) and float32 otherwise; ``int8`` loads vivid's
    networks from their int8 graphs (shipped, or made by ``vivid models quantize``) in ONNX Runtime; classical
    models, which have no precision, run as they are; other models are an error. ``float32`` forces float."""
    check_runtime(runtime)
    check_precision(precision)
    if precision != "float32" and not is_model_file_ref(name):
        resolved = resolve_precision(name, scale, precision, runtime=runtime)
        if resolved == "int8":
            int8 = _load_int8(name, scale=scale, runtime=runtime, task=task, family=family,
                              allow_pickle=allow_pickle)
            if precision == "auto" and getattr(int8, "precision", None) == "int8":
                _float_for_other_dtypes(int8, lambda: load_on_runtime(
                    name, scale=scale, runtime=runtime, task=task, family=family, allow_pickle=allow_pickle,
                    precision="float32"))
            return int8
    elif precision == "int8":
        raise ModelError(f"model {name!r}: precision int8 is for vivid's own networks, not model files")
    shipped = None if runtime == "torch" or is_model_file_ref(name) else _shipped_ref(name, scale)
    if runtime == "openvino" and shipped is not None:
        return load_shipped_openvino(*shipped)
    if shipped is None:
        return with_runtime(
            load_model(name, scale=scale, task=task, family=family, allow_pickle=allow_pickle), runtime
        )
    ort_model = shipped_onnx.load_shipped_onnx(*shipped)
    if runtime == "onnx" or not builtin.torch_installed():
        return ort_model
    torch_models: dict[str, Restorer] = {}

    class AutoOnnx(type(ort_model)):  # type: ignore[misc]
        def with_dtype(self, dtype: str) -> Restorer:
            if dtype == "float32":
                return self
            if "model" not in torch_models:  # loaded once, on first use
                torch_models["model"] = load_model(shipped[0], scale=shipped[1])
            return torch_models["model"].with_dtype(dtype)

    ort_model.__class__ = AutoOnnx
    return ort_model


def _float_for_other_dtypes(int8: Restorer, load_float: Callable[[], Restorer]) -> None:
    """Let an int8 model chosen by ``precision="auto"`` hand other dtypes (bfloat16) to its float model,
    loaded by ``load_float`` on first use: int8 was not asked for, so it must not refuse them."""
    floats: dict[str, Restorer] = {}

    class AutoPrecision(type(int8)):  # type: ignore[misc]
        def with_dtype(self, dtype: str) -> Restorer:
            if dtype == "float32":
                return self
            if "model" not in floats:
                floats["model"] = load_float()
            return floats["model"].with_dtype(dtype)

    int8.__class__ = AutoPrecision


def _shipped_ref(name: str, scale: int | None) -> tuple[str, int] | None:
    """``(name, scale)`` when registry model ``name`` is shipped at ``scale`` (None: its first) with
    current shipped ONNX graphs; None otherwise (the ordinary loader then says what is wrong, if anything)."""
    try:
        entry = get_entry(name)
        if entry.network is None:  # not a learned model: nothing shipped
            return None
        wanted = scale if scale is not None else entry.scales[0]
        if not entry.supports_scale(wanted):
            return None
        weights = builtin.find_weights(name, wanted)
        item = shipped_onnx.read_index().get(weights.file)
    except ModelError:
        return None
    return (name, weights.scale) if shipped_onnx.is_current(item, weights) else None


def _load_int8(name: str, *, scale: int | None, runtime: str, task: str | None, family: str | None,
               allow_pickle: bool) -> Restorer:
    if runtime not in ("auto", "onnx"):
        raise ConfigError(f"precision int8 runs in ONNX Runtime, not {runtime}: use runtime auto or onnx with it")
    if get_entry(name).kind != "learned":  # classical models have no precision: they run as they are
        return load_on_runtime(name, scale=scale, runtime=runtime, task=task, family=family,
                               allow_pickle=allow_pickle, precision="float32")
    return load_int8(name, scale)
