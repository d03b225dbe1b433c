"""vivid's own trained models: weights shipped in the package as safetensors, with hashes.

A learned registry entry (:mod:`vivid.models.registry`) declares the model: its :class:`Network`
(architecture, hyper-parameters, restorer, tiling facts); its weight files are named after it
(:meth:`ModelEntry.weights_file`). ``zoo/weights/onnx.json`` records each weight file's sha256 (and its ONNX
graphs, :mod:`vivid.zoo.shipped_onnx`), as :func:`vivid.zoo.export.export_run` wrote them. Loading checks the
hash, builds the architecture (fused, for re-parameterisable ones), loads the tensors strictly, and wraps it
in the entry's restorer.
"""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from vivid.errors import ModelError
from vivid.models.base import ModelDescriptor, Restorer
from vivid.models.registry import ModelEntry, Network, get_entry, list_models
from vivid.models.torch_runtime import TorchRestorer

#: the index of shipped files in ``zoo/weights``: weight file -> ``{"weights_sha256", "entry_sha256",
#: "parts": {part: {"file", "sha256"}}}`` (``entry_sha256``: what the ONNX graphs were made from)
INDEX = "onnx.json"


@dataclass(frozen=True)
class ShippedWeights:
    """A learned registry entry at one scale: its weight file and the sha256 recorded for it."""

    entry: ModelEntry
    scale: int
    sha256: str

    @property
    def name(self) -> str:
        return self.entry.name

    @property
    def network(self) -> Network:
        assert self.entry.network is not None  # only learned entries have weights
        return self.entry.network

    @property
    def file(self) -> str:
        return self.entry.weights_file(self.scale)


def weights_dir() -> Path:
    return Path(str(resources.files("vivid.zoo") / "weights"))


def read_index() -> dict[str, Any]:
    """``onnx.json`` (see :data:`INDEX`). A missing or unreadable index is an incomplete install (a ModelError
    that says so), never an empty one: that would look like "no such model" further on."""
    path = weights_dir() / INDEX
    try:
        index = json.loads(path.read_text())
    except FileNotFoundError:
        raise ModelError(f"vivid's weights index {path} is missing: the package is incomplete; reinstall vivid") from None
    except (OSError, ValueError) as e:
        raise ModelError(f"vivid's weights index {path} is unreadable ({type(e).__name__}: {e}); reinstall vivid") from None
    if not isinstance(index, dict) or not all(isinstance(v, dict) for v in index.values()):
        raise ModelError(f"vivid's weights index {path} is unreadable (not an object of objects); reinstall vivid")
    return index


def file_sha256(path: Path) -> str:
    """Hex sha256 of the file's bytes."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def find_weights(name: str, scale: int, index: dict[str, Any] | None = None) -> ShippedWeights:
    """Shipped model ``name``'s weights at ``scale`` (from ``index``, else :func:`read_index`)."""
    entry = get_entry(name)
    if entry.network is None or scale not in entry.scales:
        raise ModelError(f"no shipped weights for {name} x{scale}: it is not a learned model at that scale")
    item = (read_index() if index is None else index).get(entry.weights_file(scale))
    if not item or not isinstance(item.get("weights_sha256"), str):
        raise ModelError(f"no shipped weights for {name} x{scale}: the package may be incomplete; reinstall vivid")
    return ShippedWeights(entry, scale, item["weights_sha256"])


def shipped_weights() -> list[ShippedWeights]:
    """Every learned registry entry's weights, one per scale."""
    index = read_index()
    return [find_weights(e.name, s, index) for e in list_models() if e.network is not None for s in e.scales]


def build_network(network: Network, scale: int):  # noqa: ANN201 - a torch module
    """A fresh (fused, where the architecture is re-parameterisable) network of ``network`` at ``scale``."""
    from vivid.models.archs.factory import build_arch  # torch

    kwargs = dict(network.params)
    if scale != 1:
        kwargs["scale"] = scale
    net = build_arch(network.arch, **kwargs)
    fuse = getattr(net, "fuse", None)
    return fuse() if callable(fuse) else net


class NoiseLevel:
    """What a noise-map denoiser (FFDNet style) runs with, in torch or ONNX Runtime: ``bind`` estimates the
    noise level of each image; :meth:`with_level` appends it to a batch as a constant channel."""

    sigma: float | None = None  # standard deviation on the 0..255 scale, once bound
    descriptor: ModelDescriptor

    def bind(self, image: np.ndarray) -> Restorer:
        if self.sigma is not None:
            return self  # type: ignore[return-value]
        from vivid.models.classical.denoise import estimate_noise_sigma  # scipy

        bound = copy.copy(self)
        bound.sigma = float(estimate_noise_sigma(image))
        return bound  # type: ignore[return-value]

    def with_level(self, batch: np.ndarray) -> np.ndarray:
        """``batch`` ``(N, C, H, W)`` with the noise-level channel appended: ``(N, C + 1, H, W)``."""
        if self.sigma is None:
            raise ModelError(f"{self.descriptor.name}: no noise level set (the engine calls bind() first)")
        n, _, h, w = batch.shape
        level = np.full((n, 1, h, w), self.sigma / 255.0, dtype=np.float32)
        return np.concatenate([batch, level], axis=1)


class NoiseMapRestorer(NoiseLevel, TorchRestorer):
    """A denoiser fed with a noise-level map. ``bind`` estimates sigma for each image."""

    def __call__(self, batch: np.ndarray, *, size: tuple[int, int] | None = None) -> np.ndarray:
        return super().__call__(self.with_level(batch))


def rgb_batch(image: np.ndarray, name: str) -> np.ndarray:
    """``(1, 3, H, W)`` float32 from a ``(C, H, W)`` image (gray repeated, as the engine feeds tiles)."""
    if image.ndim == 3 and image.shape[0] == 1:
        image = np.repeat(image, 3, axis=0)
    if image.ndim != 3 or image.shape[0] != 3:
        raise ModelError(f"{name}: bind() needs an RGB or gray image (C, H, W), got shape {image.shape}")
    return np.ascontiguousarray(image[None], dtype=np.float32)


def gray_batch(image: np.ndarray) -> np.ndarray:
    """``(1, 1, H, W)`` float32 BT.601 luma of a ``(C, H, W)`` image (a gray image as it is): a colorizer's input."""
    x = np.asarray(image, dtype=np.float32)
    gray = x[0:1] if x.shape[0] < 3 else 0.299 * x[0:1] + 0.587 * x[1:2] + 0.114 * x[2:3]
    return np.ascontiguousarray(gray, dtype=np.float32)[None]


class CurveRestorer(TorchRestorer):
    """A global + local enhancer (``global_local``): ``bind`` computes the tone curves from the whole
    image's thumbnail; each tile then gets those curves and the (tileable) local branch."""

    def __init__(
        self, module, descriptor: ModelDescriptor, *, dtype: str = "float32"  # noqa: ANN001
    ) -> None:
        super().__init__(module, descriptor, dtype=dtype)
        self.curves = None  # (1, 3, K) torch tensor once bound

    def bind(self, image: np.ndarray) -> Restorer:
        torch = self._torch
        with torch.inference_mode():
            curves = self.module.curves(torch.from_numpy(rgb_batch(image, self.descriptor.name)))
        bound = copy.copy(self)
        bound.curves = curves
        return bound

    def __call__(self, batch: np.ndarray, *, size: tuple[int, int] | None = None) -> np.ndarray:
        if self.curves is None:
            raise ModelError(f"{self.descriptor.name}: no tone curves yet (the engine calls bind() first)")
        torch = self._torch
        x = torch.from_numpy(np.ascontiguousarray(batch, dtype=np.float32))
        with torch.inference_mode():
            if self.dtype == "bfloat16":
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    y = self.module.enhance(x, self.curves)
                y = y.float()
            else:
                y = self.module.enhance(x, self.curves)
        return y.numpy()


def check_whole_image(name: str, bound_size: tuple[int, int] | None, batch: np.ndarray) -> None:
    """A restorer bound to one whole image (``bind``) must be called on that image, not on a tile."""
    if tuple(batch.shape[2:]) != bound_size:
        raise ModelError(
            f"{name}: bound to a {bound_size} image but called on "
            f"{tuple(batch.shape[2:])}: this model runs on whole images (descriptor.tileable is False)"
        )


class CurveMapRestorer(TorchRestorer):
    """A Zero-DCE-style enhancer (``zero_dce``), run on the whole image (not tileable): ``bind`` estimates
    the low-resolution curve maps from the whole image; the call upsamples and applies them. The network
    is tiny, so it always computes in float32."""

    float32_only = True

    def __init__(
        self, module, descriptor: ModelDescriptor, *, dtype: str = "float32"  # noqa: ANN001
    ) -> None:
        super().__init__(module, descriptor, dtype=dtype)
        self.maps = None  # (1, 3, h, w) torch tensor once bound
        self.bound_size: tuple[int, int] | None = None

    def bind(self, image: np.ndarray) -> Restorer:
        torch = self._torch
        with torch.inference_mode():
            maps = self.module.curve_maps(torch.from_numpy(rgb_batch(image, self.descriptor.name)))
        bound = copy.copy(self)
        bound.maps, bound.bound_size = maps, tuple(image.shape[1:])
        return bound

    def __call__(self, batch: np.ndarray, *, size: tuple[int, int] | None = None) -> np.ndarray:
        torch = self._torch
        x = torch.from_numpy(np.ascontiguousarray(batch, dtype=np.float32))
        if self.maps is not None:
            check_whole_image(self.descriptor.name, self.bound_size, batch)
        with torch.inference_mode():
            maps = self.module.curve_maps(x) if self.maps is None else self.maps
            y = self.module.apply_curves(x, maps)
        return y.numpy()


class ColorizeRestorer(TorchRestorer):
    """A colorizer (``hue_vae``, ``lab_bins``): gray ``(N, 1, H, W)`` in, sRGB ``(N, 3, H, W)`` out.

    The colour (chroma) is predicted on a copy of the whole image reduced to at most ``work_side`` pixels
    on its longer side — colour is low-frequency, and the network was trained on photos of that size —
    then put on the full-resolution gray image, whose lightness is kept. ``bind`` predicts it once per
    image; memory stays bounded for any image size. The network always computes in float32.
    """

    work_side = 512
    float32_only = True

    def __init__(self, module, descriptor: ModelDescriptor, *, dtype: str = "float32") -> None:  # noqa: ANN001
        super().__init__(module, descriptor, dtype=dtype)
        self.chroma = None  # predicted chroma once bound
        self.bound_size: tuple[int, int] | None = None

    def _predict(self, gray):  # noqa: ANN001, ANN202 - torch tensors
        torch = self._torch
        h, w = gray.shape[-2:]
        k = self.work_side / max(h, w)
        if k < 1.0:
            small = (max(16, round(h * k)), max(16, round(w * k)))
            gray = torch.nn.functional.interpolate(gray, size=small, mode="area")
        return self.module.chroma(gray)

    def bind(self, image: np.ndarray) -> Restorer:
        torch = self._torch
        with torch.inference_mode():
            chroma = self._predict(torch.from_numpy(gray_batch(image)))
        bound = copy.copy(self)
        bound.chroma, bound.bound_size = chroma, tuple(image.shape[1:])
        return bound

    def __call__(self, batch: np.ndarray, *, size: tuple[int, int] | None = None) -> np.ndarray:
        torch = self._torch
        if batch.shape[1] != 1:
            raise ModelError(f"{self.descriptor.name}: a colorizer takes gray (N, 1, H, W) input, got {batch.shape}")
        x = torch.from_numpy(np.ascontiguousarray(batch, dtype=np.float32))
        if self.chroma is not None:
            check_whole_image(self.descriptor.name, self.bound_size, batch)
        with torch.inference_mode():
            chroma = self._predict(x) if self.chroma is None else self.chroma.expand(x.shape[0], -1, -1, -1)
            y = self.module.compose(x, chroma)
        return y.numpy()


#: the torch wrapper of each restorer kind (:data:`vivid.models.registry.RestorerKind`)
TORCH_RESTORERS: dict[str, type[TorchRestorer]] = {
    "plain": TorchRestorer, "noise_map": NoiseMapRestorer, "curves": CurveRestorer, "curve_maps": CurveMapRestorer,
    "colorize": ColorizeRestorer,
}
#: mirrored pixels around the image for every shipped network (their convolutions pad with zeros, which
#: left a frame of up to 4 levels along the edges: tests/engine/test_borders.py measures it for each model)
EDGE_MARGIN = 16


def builtin_descriptor(weights: ShippedWeights, *, runtime: str = "torch", digest: str = "") -> ModelDescriptor:
    """The descriptor of shipped ``weights`` on ``runtime`` (torch, or onnx: float32 only)."""
    # bfloat16 (autocast) is an opt-in, float32 the default: on this project's AVX512-BF16 CPU it measured
    # about 2x faster for vivid-sr only (benchmarks/bf16_speed.py; README "Runtimes"), within ~2 8-bit levels
    entry, net = weights.entry, weights.network
    float32_only = TORCH_RESTORERS[net.restorer].float32_only or runtime != "torch"
    return entry.descriptor(
        weights.scale, color_space=net.color_space, out_channels=3 if entry.task == "colorize" else None,
        size_multiple=net.size_multiple, fill=net.fill, tileable=net.tileable, tile_overlap=net.tile_overlap,
        edge_margin=EDGE_MARGIN, runtime=runtime, dtypes=("float32",) if float32_only else ("float32", "bfloat16"),
        provenance=f"vivid-trained (card: {entry.card})", sha256=digest or weights.sha256,
    )


def torch_installed() -> bool:
    """Whether PyTorch is importable (the ``[torch]`` extra); without it shipped models run in ONNX Runtime."""
    return importlib.util.find_spec("torch") is not None


def load_builtin(name: str, scale: int) -> Restorer:
    """Load shipped model ``name`` at ``scale`` in torch (hash-checked, strict). Without torch, vivid runs the
    shipped ONNX graphs instead: :func:`vivid.zoo.shipped.load_shipped` chooses."""
    from safetensors.torch import load_file  # torch

    weights = find_weights(name, scale)
    path = weights_dir() / weights.file
    if not path.exists():
        raise ModelError(f"weights file {path} is missing: reinstall vivid")
    digest = file_sha256(path)
    if digest != weights.sha256:
        raise ModelError(f"weights file {path} is corrupt (sha256 {digest[:12]} != {weights.sha256[:12]}): reinstall vivid")
    net = build_network(weights.network, scale)
    net.load_state_dict(load_file(str(path)), strict=True)
    return TORCH_RESTORERS[weights.network.restorer](net, builtin_descriptor(weights, digest=digest))
