"""INT8 versions of vivid's shipped networks: static post-training quantisation with ONNX Runtime.

``vivid models quantize NAME`` (:func:`quantize_model`) makes ``<cache>/int8/<stem>.<digest>.int8.onnx`` from the
model's shipped ``forward`` graph (:mod:`vivid.zoo.shipped_onnx`):

1. ``onnxruntime.quantization.quant_pre_process`` (shape inference, constant folding);
2. :func:`split_prelu`: every PReLU after a convolution becomes a ReLU of a convolution with doubled outputs,
   ``prelu(y) = relu(y) - a * relu(-y)``, the ``-a`` folded into the next convolution's weights (exact in
   float). ONNX Runtime has no quantised PReLU: left as it is, every PReLU runs in float between a
   dequantise and a quantise, which took a third of the int8 model's time; split, the body is a chain of
   int8 convolutions with fused ReLUs;
3. ``quantize_static`` in QDQ format, int8 weights per output channel, uint8 activations calibrated (min/max)
   on ``patches`` random 64x64 crops of the calibration images (the training images: Y, gray or RGB as the
   model takes them; denoisers get Gaussian noise of a random level 5-50 and its level channel). The first
   and last convolutions, the skip connection into the last and the residual/pixel-shuffle tail stay in
   float: quantising them cost vivid-sr-fast 1.1 dB on Set5 (the residual output quantised to 256 levels;
   the head's output feeds the tail directly).

The file is written atomically; :func:`load_int8` loads it (``--precision int8``). Quality against float32 is
measured with ``vivid bench quality --precision float32,int8`` (the README and the model cards quote it).

A model that ships its int8 graph declares it in its registry entry (:attr:`vivid.models.registry.Network.int8_scales`;
``--precision int8`` runs it), and where that graph passes vivid's gate (≤ 0.05 dB on Set5/Set14/BSD100 for SR,
≤ 0.1 dB for denoising, and faster than float32) also as the default (``int8_auto``). The file is made by
``vivid models quantize NAME --scale S --ship`` (:func:`ship_int8`), which writes
``zoo/weights/<stem>.forward.int8.onnx`` and records it in ``onnx.json`` under the weights' ``int8`` key
(file, sha256, the float graph's sha256 it was made from, the calibration images' digest and the command).
Quantisation is deterministic (same float graph, images, crop count and seed: the same bytes; a ``shared`` test
remakes the shipped file). ``precision="auto"``, the default, runs a gated shipped int8 graph on inputs of
at most 8 bits per sample and float32 everywhere else (:func:`resolve_precision`, :func:`input_precision`); the
file's sha256 is checked at load and is the one a run's provenance records.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from vivid.errors import ConfigError, ModelError, OutputError
from vivid.io.read import read_image
from vivid.models.base import Restorer
from vivid.models.registry import get_entry
from vivid.ops.color import rgb_to_gray, rgb_to_y
from vivid.zoo import builtin
from vivid.zoo.builtin import (
    ShippedWeights,
    builtin_descriptor,
    file_sha256,
    find_weights,
    read_index,
    shipped_weights,
)
from vivid.zoo.cache import cache_dir
from vivid.zoo.onnx_files import make_session
from vivid.zoo.ort_tuning import tuning_for
from vivid.zoo.shipped_onnx import ONNX_RESTORERS, entry_digest, is_current, write_index

#: architectures whose single ``forward`` graph quantises (others have image-wide parts or attention)
QUANTIZABLE = ("rep_sr", "denoise_unet")
#: ``auto`` (default): int8 where the model ships a gated int8 graph (see the module docstring), else float32
PRECISIONS = ("auto", "float32", "int8")
PATCH = 64
_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}


def check_precision(precision: str) -> None:
    if precision not in PRECISIONS:
        raise ConfigError(f"unknown precision {precision!r}: use auto (default: int8 where vivid ships a tested "
                          f"int8 model), float32 or int8")


def declares_int8(name: str, scale: int | None) -> bool:
    """Whether registry model ``name`` at ``scale`` (None: its first) ships an int8 graph that passed the gate
    (:attr:`~vivid.models.registry.Network.int8_scales`); False for unknown names and classical models."""
    try:
        reg = get_entry(name)
    except ModelError:
        return False
    return reg.network is not None and (scale if scale is not None else reg.scales[0]) in reg.network.int8_scales


def int8_by_default(name: str, scale: int | None) -> bool:
    """Whether ``precision="auto"`` runs model ``name``'s shipped int8 graph at ``scale`` (None: its first): the
    graph passed vivid's gate (:attr:`~vivid.models.registry.Network.int8_auto`)."""
    if not declares_int8(name, scale):
        return False
    reg = get_entry(name)
    return reg.network is not None and (scale if scale is not None else reg.scales[0]) in reg.network.int8_auto


def input_precision(precision: str, bit_depth: int) -> str:
    """``precision`` for an input of ``bit_depth`` bits per sample: ``auto`` is ``float32`` for inputs deeper
    than 8 bits (16-bit images, 10-bit video), whatever the model. The int8 graph's 256 activation levels add
    a faint column-shaped ripple there: on a 16-bit gray gradient, ±150 16-bit levels against ±5 for float32,
    which the gate's 8-bit PSNR does not see. Other precisions, and 8-bit inputs, are left as they are."""
    check_precision(precision)
    return "float32" if precision == "auto" and bit_depth > 8 else precision


def resolve_precision(name: str, scale: int | None, precision: str, *, runtime: str, bit_depth: int = 8) -> str:
    """What ``precision`` means for model ``name`` at ``scale`` on ``runtime`` for inputs of ``bit_depth`` bits
    per sample: ``auto`` is ``int8`` where the model's shipped int8 graph passed the gate, the runtime is ONNX
    Runtime's (``auto`` or ``onnx``) and the input has at most 8 bits (:func:`input_precision`), else
    ``float32``; ``float32`` and ``int8`` are themselves."""
    precision = input_precision(precision, bit_depth)
    if precision != "auto":
        return precision
    return "int8" if runtime in ("auto", "onnx") and int8_by_default(name, scale) else "float32"


def auto_int8_note(ran: Iterable[str]) -> str | None:
    """The line that says which models (``"vivid-sr x2"``) ran their shipped int8 graph because precision was
    ``auto``, None when none did: a plan names the model, not the precision it runs at."""
    names = sorted(set(ran))
    if not names:
        return None
    return (f"{', '.join(names)} ran {'its' if len(names) == 1 else 'their'} shipped int8 graph (--precision auto, "
            f"the default); --precision float32 runs the float network")


def int8_dir() -> Path:
    """``$XDG_CACHE_HOME/vivid/int8`` (default ``~/.cache/vivid/int8``)."""
    return cache_dir().parent / "int8"


def quantizable_weights(name: str, scale: int | None) -> ShippedWeights:
    """Shipped model ``name``'s weights at ``scale`` (None: its first), if it has an int8 version; else a
    :class:`ModelError` naming those that have."""
    reg = get_entry(name)  # an unknown name fails here, with close matches
    if reg.network is None:
        raise ModelError(f"model {name!r} is not one of vivid's shipped networks: only those quantise to int8")
    entry = find_weights(name, scale if scale is not None else reg.scales[0])
    if entry.network.arch not in QUANTIZABLE:
        raise ModelError(
            f"model {name!r} ({entry.network.arch}) has no int8 version: int8 is made for "
            f"{', '.join(sorted({e.name for e in _quantizable()}))}"
        )
    return entry


def has_int8(name: str, scale: int | None) -> bool:
    """Whether ``--precision int8`` has a graph for ``name`` x``scale`` here: shipped, or made into the cache."""
    return declares_int8(name, scale) or (get_entry(name).network is not None
                                          and int8_path(quantizable_weights(name, scale)).is_file())


def _quantizable() -> list[ShippedWeights]:
    return [w for w in shipped_weights() if w.network.arch in QUANTIZABLE]


def int8_path(entry: ShippedWeights) -> Path:
    """Where ``vivid models quantize`` keeps the int8 graph of shipped weights ``entry`` (keyed by what the
    graph is made from)."""
    return int8_dir() / f"{Path(entry.file).stem}.{entry_digest(entry)[:16]}.int8.onnx"


def shipped_int8_path(entry: ShippedWeights) -> Path:
    """Where the package keeps the int8 graph of ``entry`` when its model declares one."""
    return builtin.weights_dir() / f"{Path(entry.file).stem}.forward.int8.onnx"


# --- calibration ----------------------------------------------------------------------------------


def calibration_images(folder: Path) -> list[Path]:
    """The image files directly in ``folder`` (sorted), or a clear error."""
    if not folder.is_dir():
        raise ConfigError(f"calibration folder {folder} does not exist: pass --calibration with a folder of "
                          f"training images (e.g. T91/HR)")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in _IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise ConfigError(f"calibration folder {folder} holds no images (.png, .jpg, .bmp, ...)")
    return files


def calibration_digest(files: list[Path]) -> str:
    """sha256 over the calibration images' names and contents (recorded with a shipped int8 graph)."""
    h = hashlib.sha256()
    for f in files:
        h.update(f"{f.name}\0{file_sha256(f)}\n".encode())
    return h.hexdigest()


def calibration_patches(entry: ShippedWeights, files: list[Path], *, count: int, seed: int = 0) -> list[np.ndarray]:
    """``count`` model inputs ``(1, C, 64, 64)`` float32: random crops of ``files`` (one per image, cycling),
    in the model's colour space; denoisers' crops get noise and the noise-level channel."""
    if count < 1:
        raise ConfigError(f"--patches must be at least 1, got {count}")
    rng = np.random.default_rng(seed)
    patches = []
    for i in range(count):
        x = read_image(files[i % len(files)]).pixels[:3]
        if x.shape[0] == 1:
            x = np.repeat(x, 3, axis=0)
        if entry.network.color_space == "y":
            x = rgb_to_y(x)
        elif entry.network.color_space == "gray" or entry.network.params.get("in_channels", 3) == 1:
            x = rgb_to_gray(x)
        h, w = x.shape[1:]
        if min(h, w) < PATCH:
            x = np.pad(x, ((0, 0), (0, max(0, PATCH - h)), (0, max(0, PATCH - w))), mode="reflect")
            h, w = x.shape[1:]
        top, left = rng.integers(0, h - PATCH + 1), rng.integers(0, w - PATCH + 1)
        crop = np.ascontiguousarray(x[None, :, top:top + PATCH, left:left + PATCH], dtype=np.float32)
        if entry.network.restorer == "noise_map":
            sigma = float(rng.uniform(5, 50)) / 255
            crop = crop + rng.normal(0, sigma, crop.shape).astype(np.float32)
            crop = np.concatenate([crop, np.full((1, 1, PATCH, PATCH), sigma, np.float32)], axis=1)
        elif entry.entry.task in ("denoise", "dejpeg"):  # blind: noise without the level channel
            crop = crop + rng.normal(0, float(rng.uniform(5, 50)) / 255, crop.shape).astype(np.float32)
        patches.append(crop)
    return patches


# --- the graph rewrite ----------------------------------------------------------------------------


def split_prelu(model: Any) -> Any:
    """Rewrite ``conv -> PReLU(a) -> consumers`` as ``conv' -> ReLU`` with ``conv'`` computing ``[y, -y]``
    (``prelu(y) = relu(y) - a relu(-y)``); each consumer convolution takes the doubled channels with weights
    ``[V, -a V]``, and an ``Add(prelu, h)`` feeding a convolution becomes ``Concat(relu, h)`` with weights
    ``[V, -a V, V]`` (convolution is linear). PReLUs in other places are left as they are. In place; returns
    ``model``. The result equals the original in float (to rounding)."""
    from onnx import helper, numpy_helper

    g = model.graph
    inits = {i.name: i for i in g.initializer}

    def arr(name: str) -> np.ndarray:
        return numpy_helper.to_array(inits[name]).astype(np.float32)

    def put(name: str, value: np.ndarray) -> None:
        inits[name].CopyFrom(numpy_helper.from_array(value.astype(np.float32), name))

    producer = {o: n for n in g.node for o in n.output}
    users: dict[str, list[Any]] = {}
    for n in g.node:
        for i in n.input:
            users.setdefault(i, []).append(n)
    replaced: list[tuple[Any, Any]] = []
    for p in list(g.node):
        if p.op_type != "PRelu" or p.input[1] not in inits:
            continue
        conv = producer.get(p.input[0])
        if conv is None or conv.op_type != "Conv" or len(users[p.input[0]]) != 1 or conv.input[1] not in inits:
            continue
        plans = []
        for u in users.get(p.output[0], []):
            nxt = users.get(u.output[0], [])
            if u.op_type == "Conv" and u.input[0] == p.output[0] and u.input[1] in inits:
                plans.append((u, None))
            elif u.op_type == "Add" and len(nxt) == 1 and nxt[0].op_type == "Conv" and nxt[0].input[1] in inits:
                plans.append((u, nxt[0]))
            else:
                plans = []
                break
        if not plans:
            continue
        a = arr(p.input[1]).reshape(-1)
        w = arr(conv.input[1])
        if a.size not in (1, w.shape[0]):
            continue
        a = np.broadcast_to(a, (w.shape[0],))[None, :, None, None]
        put(conv.input[1], np.concatenate([w, -w]))
        if len(conv.input) > 2:
            b = arr(conv.input[2])
            put(conv.input[2], np.concatenate([b, -b]))
        relu_out = f"{p.output[0]}_split"
        replaced.append((p, helper.make_node("Relu", [conv.output[0]], [relu_out], name=f"{p.name}_split")))
        for u, after in plans:
            if after is None:
                v = arr(u.input[1])
                put(u.input[1], np.concatenate([v, -a * v], axis=1))
                u.input[0] = relu_out
            else:
                other = u.input[1] if u.input[0] == p.output[0] else u.input[0]
                v = arr(after.input[1])
                put(after.input[1], np.concatenate([v, -a * v, v], axis=1))
                replaced.append((u, helper.make_node("Concat", [relu_out, other], [u.output[0]], axis=1,
                                                     name=f"{u.name}_concat")))
    for old, new in replaced:
        nodes = list(g.node)
        g.node.insert(nodes.index(old), new)
        g.node.remove(old)
    del g.value_info[:]  # channel counts changed: let shape inference start over
    return model


def float_nodes(model: Any) -> list[str]:
    """Nodes kept in float: the first and the last convolution and everything after the last one (the
    residual and pixel-shuffle tail) — see the module docstring."""
    nodes = list(model.graph.node)
    convs = [i for i, n in enumerate(nodes) if n.op_type == "Conv"]
    if not convs:
        return []
    keep = {nodes[convs[0]].name, *(n.name for n in nodes[convs[-1]:])}
    last_input = nodes[convs[-1]].input[0]  # the skip connection joining into the last convolution
    keep |= {n.name for n in nodes if last_input in n.output and n.op_type in ("Concat", "Add")}
    # the residual branch of the input (nearest-neighbour repeat) runs beside the network: float too
    keep |= {n.name for n in nodes if n.op_type in ("Tile", "Unsqueeze", "Reshape", "Shape", "Slice")}
    return sorted(keep)


# --- making and loading ---------------------------------------------------------------------------


def quantize_model(name: str, *, scale: int | None, calibration: Path, patches: int = 48,
                   seed: int = 0, out: Path | None = None) -> Path:
    """Make (or remake) the int8 graph of shipped model ``name`` x``scale`` at ``out`` (default: the user
    cache, :func:`int8_path`); returns its path."""
    try:
        import onnx
    except ImportError:
        raise ConfigError("vivid models quantize needs the onnx package: pip install 'vivid-restore[quantize]'") from None
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    entry = quantizable_weights(name, scale)
    item = read_index().get(entry.file)
    if not is_current(item, entry):
        raise ModelError(f"shipped model {name} x{entry.scale} has no current ONNX graph to quantise: "
                         f"run `python -m vivid.zoo.shipped_onnx` first")
    source = builtin.weights_dir() / item["parts"]["forward"]["file"]
    feeds = calibration_patches(entry, calibration_images(calibration), count=patches, seed=seed)
    out = out if out is not None else int8_path(entry)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"cannot create the int8 folder {out.parent}: {e.strerror or e}") from None

    class Feeds(CalibrationDataReader):
        def __init__(self) -> None:
            self.it = iter(feeds)

        def get_next(self) -> dict[str, np.ndarray] | None:
            x = next(self.it, None)
            return None if x is None else {input_name: x}

    with tempfile.TemporaryDirectory(prefix="vivid-int8-") as tmp:
        pre, split = Path(tmp) / "pre.onnx", Path(tmp) / "split.onnx"
        quant_pre_process(str(source), str(pre), skip_symbolic_shape=True)
        model = split_prelu(onnx.load(str(pre)))
        input_name = model.graph.input[0].name
        onnx.save(model, str(split))
        temp = out.parent / f".{out.name}.{secrets.token_hex(4)}.part"
        try:
            quantize_static(str(split), str(temp), Feeds(), quant_format=QuantFormat.QDQ, per_channel=True,
                            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                            nodes_to_exclude=float_nodes(model))
            os.replace(temp, out)  # atomic: a reader sees the whole file or none
        finally:
            temp.unlink(missing_ok=True)
    return out


def ship_int8(name: str, *, scale: int | None, calibration: Path, patches: int = 48, seed: int = 0,
              command: str) -> Path:
    """Quantise ``name`` x``scale`` into the package (:func:`shipped_int8_path`) and record it in ``onnx.json``
    under its weights' ``int8`` key, with ``command`` (how it was made) and the calibration images' digest.
    Only for models whose registry entry declares int8 at that scale (they passed the gate)."""
    entry = quantizable_weights(name, scale)
    if entry.scale not in entry.network.int8_scales:
        raise ModelError(
            f"{name} x{entry.scale} does not declare a shipped int8 graph (int8_scales in its registry entry): "
            f"ship one only after it passes vivid's gate (vivid bench quality --precision float32,int8)"
        )
    files = calibration_images(calibration)
    path = shipped_int8_path(entry)
    with tempfile.TemporaryDirectory(prefix="vivid-int8-") as tmp:
        made = quantize_model(name, scale=entry.scale, calibration=calibration, patches=patches, seed=seed,
                              out=Path(tmp) / path.name)
        temp = path.parent / f".{path.name}.{secrets.token_hex(4)}.part"
        try:
            shutil.copyfile(made, temp)
            temp.chmod(0o644)
            os.replace(temp, path)
        finally:
            temp.unlink(missing_ok=True)
    item = dict(read_index()[entry.file])
    item["int8"] = {
        "file": path.name, "sha256": file_sha256(path), "forward_sha256": item["parts"]["forward"]["sha256"],
        "made_with": command, "calibration": {"folder": f"{calibration.parent.name}/{calibration.name}",
                                              "images": len(files), "sha256": calibration_digest(files),
                                              "patches": patches, "seed": seed},
    }
    write_index({entry.file: item})
    return path


def _shipped_int8_session(name: str, entry: ShippedWeights, tuning: Any) -> tuple[Any, str]:
    """The session of ``entry``'s shipped int8 graph (present, made from the current float graph, hash-checked)
    and the file's sha256."""
    item = read_index().get(entry.file) or {}
    spec, path = item.get("int8"), shipped_int8_path(entry)
    if not spec or not path.is_file():
        raise ModelError(f"the int8 file {path} of {name} x{entry.scale} is missing: reinstall vivid, or use "
                         f"--precision float32")
    if spec.get("forward_sha256") != (item.get("parts", {}).get("forward") or {}).get("sha256"):
        raise ModelError(f"the int8 file {path} of {name} x{entry.scale} was made from another float graph: run "
                         f"`vivid models quantize {name} --scale {entry.scale} --ship`, or use --precision float32")
    if file_sha256(path) != spec.get("sha256"):
        raise ModelError(f"the int8 file {path} of {name} x{entry.scale} is corrupt (sha256 mismatch): reinstall "
                         f"vivid, or use --precision float32")
    return make_session(path, tuning or tuning_for(name)), spec["sha256"]


def load_int8(name: str, scale: int | None, *, tuning: Any = None) -> Restorer:
    """Shipped model ``name``'s int8 graph in ONNX Runtime: the one shipped in the package when the model
    declares it (hash-checked), else the one ``vivid models quantize`` made in the user cache."""
    entry = quantizable_weights(name, scale)
    if entry.scale in entry.network.int8_scales:
        session, digest = _shipped_int8_session(name, entry, tuning)
        made = "shipped, static post-training quantisation"
    else:
        path = int8_path(entry)
        if not path.is_file():
            raise ModelError(
                f"{name} x{entry.scale} has no int8 version on this machine yet: run `vivid models quantize {name}"
                f"{'' if scale is None else f' --scale {entry.scale}'} --calibration FOLDER` (a folder of training "
                f"images) once, or leave --precision at float32"
            )
        try:
            session = make_session(path, tuning or tuning_for(name))
        except Exception as e:  # noqa: BLE001 - a damaged file: make it again
            raise ModelError(f"the int8 file {path} did not load ({type(e).__name__}): run `vivid models quantize "
                             f"{name}` again") from e
        made, digest = "static post-training quantisation", file_sha256(path)
    d = builtin_descriptor(entry, runtime="onnx")
    # provenance records the graph that ran: the int8 file's sha256, not the float weights'
    d = replace(d, provenance=f"{d.provenance}; int8 ({made})", sha256=digest)
    restorer = ONNX_RESTORERS[entry.network.restorer]({"forward": session}, d,
                                                       {**entry.network.params, "arch": entry.network.arch})
    restorer.precision = "int8"  # type: ignore[attr-defined]
    return restorer
