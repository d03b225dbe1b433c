"""vivid's shipped models in ONNX Runtime, with no torch: ONNX files shipped beside the weights.

Each shipped weight file ``zoo/weights/<stem>.safetensors`` has ONNX graphs ``<stem>.<part>.onnx`` (opset
17, dynamic batch and sides), listed with their sha256 and the weights' sha256 in ``zoo/weights/onnx.json``.
A model whose restorer binds per-image parameters (:meth:`Restorer.bind`) is split where torch splits it,
and the image-wide part runs once per image:

* plain networks (``rep_sr``; ``denoise_unet`` without a noise map): ``forward``;
* the noise-map denoiser: ``forward`` takes the image plus a noise-level channel; sigma is estimated in
  numpy (:func:`vivid.models.classical.denoise.estimate_noise_sigma`), as the torch restorer does;
* ``global_local`` (vivid-lowlight, vivid-tone): ``curves`` (a ``thumb`` x ``thumb`` thumbnail, area
  resized in numpy, to tone curves) and ``enhance`` (image + curves, tileable);
* ``zero_dce``: ``maps`` (an area-reduced copy to curve maps) and ``apply`` (image + maps);
* colorizers (``hue_vae``, ``lab_bins``): ``chroma`` (a gray copy reduced to at most 512 pixels, edge
  padded to the network's multiple) and ``compose`` (gray + chroma to sRGB).

Area resizing in numpy is exactly torch's ``interpolate(mode="area")`` (adaptive average pooling), so the
outputs equal the torch path's within 1/255 (``tests/zoo/test_shipped_onnx.py``). The files are made by
:func:`export_entry` (torch needed; ``python -m vivid.zoo.shipped_onnx`` re-exports every shipped model,
and :func:`vivid.zoo.export.export_run` exports a newly trained one). Weights that round-trip through
float16 exactly (models stored as float16) are kept as float16 with a Cast that ORT folds at load.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from vivid.errors import ModelError
from vivid.io.atomic import write_bytes_atomic
from vivid.models.base import ModelDescriptor, Restorer
from vivid.models.registry import list_models
from vivid.zoo import builtin
from vivid.zoo.builtin import (
    INDEX,
    ColorizeRestorer,
    NoiseLevel,
    ShippedWeights,
    builtin_descriptor,
    check_whole_image,
    file_sha256,
    find_weights,
    gray_batch,
    read_index,
    rgb_batch,
    torch_installed,
)
from vivid.zoo.onnx_files import SessionTuning, make_session
from vivid.zoo.ort_tuning import tuning_for

OPSET = 17
#: per restorer kind (:data:`vivid.models.registry.RestorerKind`): the ONNX parts, in the order they run
PARTS = {
    "curves": ("curves", "enhance"),
    "curve_maps": ("maps", "apply"),
    "colorize": ("chroma", "compose"),
}
#: the colorizers' networks need sides that are multiples of this (they edge-pad up to it)
_CHROMA_MULTIPLE = {"hue_vae": (8, 2), "lab_bins": (16, 4)}  # (pad multiple, chroma downscale)


def entry_digest(weights: ShippedWeights) -> str:
    """sha256 of what a model's graphs are made from: its weights' hash, architecture, task, scale and
    hyper-parameters (inference-only ones, such as a colorizer's temperature, change the graphs too)."""
    net = weights.network
    fields = {"sha256": weights.sha256, "arch": net.arch, "task": weights.entry.task, "scale": weights.scale,
              "params": net.params}
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


def is_current(item: dict[str, Any] | None, weights: ShippedWeights) -> bool:
    """Whether index ``item`` holds graphs made from ``weights`` as its registry entry declares it now."""
    return bool(item) and item.get("weights_sha256") == weights.sha256 and item.get("entry_sha256") == entry_digest(weights)


def parts_of(weights: ShippedWeights) -> tuple[str, ...]:
    return PARTS.get(weights.network.restorer, ("forward",))


# --- numpy helpers: exactly torch's area resize --------------------------------------------------


def _area_axis(x: np.ndarray, size: int, axis: int) -> np.ndarray:
    n = x.shape[axis]
    if n == size:
        return x
    i = np.arange(size)
    start, end = (i * n) // size, -((-(i + 1) * n) // size)  # floor(i n / s), ceil((i + 1) n / s)
    c = np.cumsum(np.moveaxis(x, axis, 0), axis=0, dtype=np.float64)
    c = np.concatenate([np.zeros_like(c[:1]), c])
    mean = (c[end] - c[start]) / (end - start).reshape(-1, *([1] * (c.ndim - 1)))
    return np.moveaxis(mean, 0, axis)


def area_resize(x: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``(..., H, W)`` to ``(..., h, w)`` as ``torch.nn.functional.interpolate(mode="area")``: each output
    pixel is the mean of input rows ``floor(i H / h) .. ceil((i + 1) H / h)`` (and likewise columns)."""
    y = _area_axis(_area_axis(np.asarray(x), size[0], -2), size[1], -1)
    return np.ascontiguousarray(y, dtype=np.float32)


# --- restorers -------------------------------------------------------------------------------------


class ShippedOnnxRestorer(Restorer):
    """A shipped model's ONNX graphs in ONNX Runtime; plain networks run their ``forward`` graph."""

    #: shipped with vivid (so ``--runtime torch`` can name the extra when torch is missing)
    shipped = True

    def __init__(self, sessions: dict[str, Any], descriptor: ModelDescriptor, params: dict[str, Any]) -> None:
        self.sessions, self.descriptor, self.params = sessions, descriptor, params

    def with_dtype(self, dtype: str) -> Restorer:
        if dtype == "float32":
            return self
        torch = "runtime torch" if torch_installed() else "PyTorch: pip install 'vivid-restore[torch]'"
        raise ModelError(
            f"model {self.descriptor.name!r} runs in ONNX Runtime in float32 only; {dtype} needs {torch}, "
            f"or leave the dtype at float32"
        )

    def _run(self, part: str, *inputs: np.ndarray) -> np.ndarray:
        session = self.sessions[part]
        feed = {i.name: np.ascontiguousarray(x, dtype=np.float32) for i, x in zip(session.get_inputs(), inputs)}
        return session.run(None, feed)[0]

    def __call__(self, batch: np.ndarray, *, size: tuple[int, int] | None = None) -> np.ndarray:
        return self._run("forward", batch)


class NoiseMapOnnx(NoiseLevel, ShippedOnnxRestorer):
    """The noise-map denoiser: ``bind`` estimates sigma (numpy), each call appends the level channel."""

    def __call__(self, batch: np.ndarray, *, size: tuple[int, int] | None = None) -> np.ndarray:
        return self._run("forward", self.with_level(batch))


class CurvesOnnx(ShippedOnnxRestorer):
    """``global_local``: tone curves from the whole image's thumbnail (``bind``), then tiles."""

    curves: np.ndarray | None = None

    def _curves(self, rgb: np.ndarray) -> np.ndarray:
        thumb = self.params.get("thumb", 256)
        return self._run("curves", area_resize(np.clip(rgb, 0.0, 1.0), (thumb, thumb)))

    def bind(self, image: np.ndarray) -> Restorer:
        bound = copy.copy(self)
        bound.curves = self._curves(rgb_batch(image, self.descriptor.name))
        return bound

    def __call__(self, batch: np.ndarray, *, size: tuple[int, int] | None = None) -> np.ndarray:
        if self.curves is None:
            raise ModelError(f"{self.descriptor.name}: no tone curves yet (the engine calls bind() first)")
        curves = np.broadcast_to(self.curves, (batch.shape[0], *self.curves.shape[1:]))
        return self._run("enhance", batch, curves)


class WholeImageOnnx(ShippedOnnxRestorer):
    """A model whose image-wide part (:meth:`predict`) runs on the whole image: ``bind`` computes it once;
    the call then takes that image only (``descriptor.tileable`` is False). Unbound, each call predicts."""

    bound: np.ndarray | None = None
    bound_size: tuple[int, int] | None = None

    def model_input(self, image: np.ndarray) -> np.ndarray:
        """``(1, C, H, W)`` from a ``(C, H, W)`` image, as :meth:`predict` takes it."""
        return rgb_batch(image, self.descriptor.name)

    def predict(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def bind(self, image: np.ndarray) -> Restorer:
        bound = copy.copy(self)
        bound.bound, bound.bound_size = self.predict(self.model_input(image)), tuple(image.shape[1:])
        return bound

    def image_wide(self, batch: np.ndarray) -> np.ndarray:
        """The image-wide part for ``batch``: the bound one (for each image of the batch), else predicted."""
        if self.bound is None:
            return self.predict(batch)
        check_whole_image(self.descriptor.name, self.bound_size, batch)
        return np.broadcast_to(self.bound, (batch.shape[0], *self.bound.shape[1:]))


class CurveMapsOnnx(WholeImageOnnx):
    """``zero_dce``: curve maps from an area-reduced copy of the whole image, applied at full size."""

    def predict(self, x: np.ndarray) -> np.ndarray:
        h, w = x.shape[-2:]
        f = max(1, math.ceil(max(h, w) / self.params.get("low_side", 128)))
        return self._run("maps", area_resize(x, (max(1, math.ceil(h / f)), max(1, math.ceil(w / f)))))

    def __call__(self, batch: np.ndarray, *, size: tuple[int, int] | None = None) -> np.ndarray:
        return self._run("apply", batch, self.image_wide(batch))


class ColorizeOnnx(WholeImageOnnx):
    """Colorizers: chroma predicted on a copy of at most 512 pixels (``bind``), composed at full size."""

    def model_input(self, image: np.ndarray) -> np.ndarray:
        return gray_batch(image)

    def predict(self, gray: np.ndarray) -> np.ndarray:
        h, w = gray.shape[-2:]
        k = ColorizeRestorer.work_side / max(h, w)  # the torch restorer's working size
        if k < 1.0:
            gray = area_resize(gray, (max(16, round(h * k)), max(16, round(w * k))))
            h, w = gray.shape[-2:]
        multiple, down = _CHROMA_MULTIPLE[self.params["arch"]]
        padded = np.pad(gray, ((0, 0), (0, 0), (0, (-h) % multiple), (0, (-w) % multiple)), mode="edge")
        chroma = self._run("chroma", padded)
        return chroma[:, :, : -(-h // down), : -(-w // down)]

    def __call__(self, batch: np.ndarray, *, size: tuple[int, int] | None = None) -> np.ndarray:
        if batch.shape[1] != 1:
            raise ModelError(f"{self.descriptor.name}: a colorizer takes gray (N, 1, H, W) input, got {batch.shape}")
        return self._run("compose", batch, self.image_wide(batch))


#: the ONNX Runtime wrapper of each restorer kind (as :data:`vivid.zoo.builtin.TORCH_RESTORERS` in torch)
ONNX_RESTORERS: dict[str, type[ShippedOnnxRestorer]] = {
    "plain": ShippedOnnxRestorer, "noise_map": NoiseMapOnnx, "curves": CurvesOnnx, "curve_maps": CurveMapsOnnx,
    "colorize": ColorizeOnnx,
}


def load_shipped_onnx(name: str, scale: int, *, tuning: SessionTuning | None = None,
                      session_factory: Any = None) -> Restorer:
    """Shipped model ``name`` at ``scale`` in ONNX Runtime (each graph hash-checked; no torch needed), its
    sessions made with ``tuning`` (default: the model's measured options, :func:`vivid.zoo.ort_tuning.tuning_for`)
    by ``session_factory(path, tuning)`` (default :func:`~vivid.zoo.onnx_files.make_session`; OpenVINO's is in
    :mod:`vivid.zoo.openvino_runtime`)."""
    index = read_index()
    weights = find_weights(name, scale, index)
    item = index.get(weights.file)
    if not is_current(item, weights):
        raise ModelError(
            f"shipped model {name} x{scale} has a stale ONNX export (other weights or hyper-parameters): run "
            f"`python -m vivid.zoo.shipped_onnx` (needs torch) or use runtime torch"
        )
    sessions = {}
    for part in parts_of(weights):
        spec = item["parts"].get(part)
        path = builtin.weights_dir() / (spec["file"] if spec else f"{Path(weights.file).stem}.{part}.onnx")
        if spec is None or not path.is_file():
            raise ModelError(f"ONNX file {path} of {name} is missing: reinstall vivid")
        if file_sha256(path) != spec["sha256"]:
            raise ModelError(f"ONNX file {path} of {name} is corrupt (sha256 mismatch): reinstall vivid")
        sessions[part] = (session_factory or make_session)(path, tuning or tuning_for(name))
    descriptor = builtin_descriptor(weights, runtime="onnx")
    return ONNX_RESTORERS[weights.network.restorer](sessions, descriptor, {**weights.network.params,
                                                                          "arch": weights.network.arch})


# --- export (torch) --------------------------------------------------------------------------------


def _graphs(net: Any, weights: ShippedWeights) -> dict[str, tuple[Any, tuple, list[str], list[str], dict]]:  # noqa: C901
    """Per part: (module, example inputs, input names, output names, dynamic axes)."""
    import torch
    from torch import nn

    def dyn(*names: str) -> dict[int, str]:
        return {0: "batch", **({2: names[0], 3: names[1]} if names else {})}

    class Call(nn.Module):
        def __init__(self, fn: Any) -> None:
            super().__init__()
            self.net, self.fn = net, fn

        def forward(self, *xs: torch.Tensor) -> torch.Tensor:
            return self.fn(*xs)

    arch, p, restorer = weights.network.arch, weights.network.params, weights.network.restorer
    if restorer == "curves":
        t, k = p.get("thumb", 256), p.get("points", 32)
        return {
            "curves": (Call(net.curves), (torch.rand(1, 3, t, t),), ["thumbnail"], ["curves"],
                       {"thumbnail": dyn(), "curves": dyn()}),
            "enhance": (Call(net.enhance), (torch.rand(1, 3, 40, 48), torch.rand(1, 3, k).cumsum(2) / k),
                        ["image", "curves"], ["restored"],
                        {"image": dyn("h", "w"), "curves": dyn(), "restored": dyn("h", "w")}),
        }
    if restorer == "curve_maps":
        # the maps graph gets the already reduced copy: an example within low_side takes no resize branch
        return {
            "maps": (Call(net.curve_maps), (torch.rand(1, 3, 24, 32),), ["low"], ["maps"],
                     {"low": dyn("lh", "lw"), "maps": dyn("lh", "lw")}),
            "apply": (Call(net.apply_curves), (torch.rand(1, 3, 48, 64), torch.rand(1, 3, 24, 32) * 2 - 1),
                      ["image", "maps"], ["restored"],
                      {"image": dyn("h", "w"), "maps": dyn("lh", "lw"), "restored": dyn("h", "w")}),
        }
    if restorer == "colorize":
        multiple, down = _CHROMA_MULTIPLE[arch]
        # an example already a multiple of the padding takes no padding branch (numpy pads instead)
        return {
            "chroma": (Call(net.chroma), (torch.rand(1, 1, 4 * multiple, 6 * multiple),), ["gray"], ["chroma"],
                       {"gray": dyn("h", "w"), "chroma": dyn("ch", "cw")}),
            "compose": (Call(net.compose), (torch.rand(1, 1, 40, 56), torch.rand(1, 2, 10, 14) - 0.5),
                        ["gray", "chroma"], ["restored"],
                        {"gray": dyn("h", "w"), "chroma": dyn("ch", "cw"), "restored": dyn("h", "w")}),
        }
    channels = p.get("in_channels", 3) + int(restorer == "noise_map")
    multiple = weights.network.size_multiple
    side = 32 if multiple <= 1 else -(-32 // multiple) * multiple
    return {"forward": (net, (torch.rand(1, channels, side, side),), ["image"], ["restored"],
                        {"image": dyn("h", "w"), "restored": dyn("oh", "ow")})}


def _float16_initializers(path: Path) -> None:
    """Store float32 initializers that are exactly float16 values (weights shipped as float16) as float16
    plus a Cast back to float32: half the file, the same numbers (ORT folds the Cast when it loads)."""
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(path))
    graph = model.graph
    kept, casts = [], []
    for init in graph.initializer:
        arr = numpy_helper.to_array(init)
        if arr.dtype == np.float32 and arr.size >= 16 and np.array_equal(arr.astype(np.float16).astype(np.float32), arr):
            half = numpy_helper.from_array(arr.astype(np.float16), name=f"{init.name}__f16")
            kept.append(half)
            casts.append(helper.make_node("Cast", [half.name], [init.name], to=onnx.TensorProto.FLOAT))
        else:
            kept.append(init)
    if casts:
        del graph.initializer[:]
        graph.initializer.extend(kept)
        nodes = list(graph.node)
        del graph.node[:]
        graph.node.extend(casts + nodes)
        onnx.save(model, str(path))


def export_entry(weights: ShippedWeights) -> dict[str, Any]:
    """Export shipped ``weights``' ONNX parts beside them; returns its index item (the weights' sha256 as
    the file is now, what the graphs were made from, and the graphs' files and hashes)."""
    import torch
    from safetensors.torch import load_file

    folder = builtin.weights_dir()
    weights = ShippedWeights(weights.entry, weights.scale, file_sha256(folder / weights.file))
    net = builtin.build_network(weights.network, weights.scale)
    net.load_state_dict(load_file(str(folder / weights.file)), strict=True)
    net.eval()
    parts = {}
    # the transformer's fused inference kernel has no ONNX form: export the plain (same-maths) path
    fastpath = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        for part, graph in _graphs(net, weights).items():
            parts[part] = _export_part(weights, folder, part, *graph)
    finally:
        torch.backends.mha.set_fastpath_enabled(fastpath)
    return {"weights_sha256": weights.sha256, "entry_sha256": entry_digest(weights), "parts": parts}


def _export_part(weights: ShippedWeights, folder: Path, part: str, module: Any, example: tuple, inputs: list[str],
                 outputs: list[str], axes: dict) -> dict[str, str]:
    import torch

    path = folder / f"{Path(weights.file).stem}.{part}.onnx"
    tmp = path.with_suffix(".onnx.tmp")
    with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer and legacy-exporter notices
        torch.onnx.export(module.eval(), example, str(tmp), opset_version=OPSET, dynamo=False,
                          input_names=inputs, output_names=outputs, dynamic_axes=axes)
    _float16_initializers(tmp)
    tmp.chmod(0o644)
    tmp.replace(path)
    return {"file": path.name, "sha256": file_sha256(path)}


def write_index(items: dict[str, Any], *, keep: set[str] | None = None) -> None:
    """Merge ``items`` into ``onnx.json``; with ``keep``, drop the entries of weight files not in it. An item
    that does not say ``int8`` keeps the shipped int8 graph's record when its float ``forward`` graph is the
    one that graph was made from (:mod:`vivid.zoo.quantize`)."""
    path = builtin.weights_dir() / INDEX
    index = json.loads(path.read_text()) if path.exists() else {}
    for file, item in items.items():
        int8 = (index.get(file) or {}).get("int8")
        forward = (item.get("parts") or {}).get("forward") or {}
        if "int8" not in item and int8 and int8.get("forward_sha256") == forward.get("sha256"):
            item = {**item, "int8": int8}  # a re-export that left the float graph as it was keeps its int8 graph
        index[file] = item
    index = {k: index[k] for k in sorted(index) if keep is None or k in keep}
    write_bytes_atomic(path, json.dumps(index, indent=2) + "\n")


def export_all(names: list[str] | None = None) -> dict[str, Any]:
    """(Re-)export every learned registry model (or those in ``names``) and update the index, dropping the
    entries of weight files no model declares any more."""
    learned = [ShippedWeights(e, s, "") for e in list_models() if e.network is not None for s in e.scales]
    items = {w.file: export_entry(w) for w in learned if not names or w.name in names}
    write_index(items, keep={w.file for w in learned})
    return items


if __name__ == "__main__":
    for file, item in export_all(sys.argv[1:] or None).items():
        print(file, ", ".join(item["parts"]))
