"""vivid's own trained models: weights shipped in the package as safetensors, with hashes.

``zoo/weights/manifest.json`` lists every shipped weight file: its architecture and hyper-parameters,
task, scale, colour space, sha256 and model card. Loading checks the hash, builds the architecture
(fused, for re-parameterisable ones), loads the tensors strictly, and wraps it as a Restorer.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from vivid.errors import ModelError
from vivid.models.base import ModelDescriptor, Restorer
from vivid.models.torch_runtime import TorchRestorer


@dataclass(frozen=True)
class WeightEntry:
    name: str
    file: str
    sha256: str
    arch: str
    task: str
    scale: int
    color_space: str
    params: dict[str, Any] = field(default_factory=dict)
    tile_overlap: int = 16
    size_multiple: int = 1
    speed_class: str = "fast"
    card: str = ""


def weights_dir() -> Path:
    return Path(str(resources.files("vivid.zoo") / "weights"))


def read_manifest() -> list[WeightEntry]:
    """Every shipped weight file's entry. A missing or unreadable manifest is an incomplete install (a
    ModelError that says so), never an empty list: that would look like "no such model" further on."""
    path = weights_dir() / "manifest.json"
    try:
        entries = json.loads(path.read_text())
        if not isinstance(entries, list) or not entries:
            raise ValueError(f"expected a non-empty list of weight entries, got {str(entries)[:40]}")
        return [WeightEntry(**e) for e in entries]
    except FileNotFoundError:
        raise ModelError(f"vivid's weights manifest {path} is missing: the package is incomplete; reinstall vivid") from None
    except (OSError, ValueError, TypeError) as e:  # unreadable, not JSON, or entries of the wrong form
        raise ModelError(
            f"vivid's weights manifest {path} is unreadable ({type(e).__name__}: {e}); reinstall vivid"
        ) from None


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def find_weights(name: str, scale: int) -> WeightEntry:
    for e in read_manifest():
        if e.name == name and e.scale == scale:
            return e
    raise ModelError(f"no shipped weights for {name} x{scale}: the package may be incomplete; reinstall vivid")


def build_network(entry: WeightEntry):  # noqa: ANN201 - a torch module
    from vivid.models.archs.factory import build_arch

    kwargs = dict(entry.params)
    if entry.scale != 1:
        kwargs["scale"] = entry.scale
    net = build_arch(entry.arch, **kwargs)
    fuse = getattr(net, "fuse", None)
    return fuse() if callable(fuse) else net


class NoiseMapRestorer(TorchRestorer):
    """A denoiser fed with a noise-level map (FFDNet style). ``bind`` estimates sigma for each image."""

    def __init__(self, module, descriptor: ModelDescriptor, *, sigma: float | None = None) -> None:  # noqa: ANN001
        super().__init__(module, descriptor)
        self.sigma = sigma

    def bind(self, image: np.ndarray) -> Restorer:
        if self.sigma is not None:
            return self
        from vivid.models.classical.denoise import estimate_noise_sigma

        bound = copy.copy(self)
        bound.sigma = float(estimate_noise_sigma(image))
        return bound

    def with_sigma(self, sigma: float) -> NoiseMapRestorer:
        """A copy that assumes noise of standard deviation ``sigma`` (0..255 scale): lower removes less."""
        bound = copy.copy(self)
        bound.sigma = float(sigma)
        return bound

    def __call__(self, batch: np.ndarray, *, size: tuple[int, int] | None = None) -> np.ndarray:
        if self.sigma is None:
            raise ModelError(f"{self.descriptor.name}: no noise level set (the engine calls bind() first)")
        n, _, h, w = batch.shape
        level = np.full((n, 1, h, w), self.sigma / 255.0, dtype=np.float32)
        return super().__call__(np.concatenate([batch, level], axis=1))


def _rgb_batch(image: np.ndarray, name: str) -> np.ndarray:
    """``(1, 3, H, W)`` float32 from a ``(C, H, W)`` image (gray repeated, as the engine feeds tiles)."""
    if image.ndim == 3 and image.shape[0] == 1:
        image = np.repeat(image, 3, axis=0)
    if image.ndim != 3 or image.shape[0] != 3:
        raise ModelError(f"{name}: bind() needs an RGB or gray image (C, H, W), got shape {image.shape}")
    return np.ascontiguousarray(image[None], dtype=np.float32)


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
            curves = self.module.curves(torch.from_numpy(_rgb_batch(image, self.descriptor.name)))
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


def _check_whole_image(name: str, bound_size: tuple[int, int] | None, batch: np.ndarray) -> None:
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
            maps = self.module.curve_maps(torch.from_numpy(_rgb_batch(image, self.descriptor.name)))
        bound = copy.copy(self)
        bound.maps, bound.bound_size = maps, tuple(image.shape[1:])
        return bound

    def __call__(self, batch: np.ndarray, *, size: tuple[int, int] | None = None) -> np.ndarray:
        torch = self._torch
        x = torch.from_numpy(np.ascontiguousarray(batch, dtype=np.float32))
        if self.maps is not None:
            _check_whole_image(self.descriptor.name, self.bound_size, batch)
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
        x = np.asarray(image, dtype=np.float32)
        gray = x[0:1] if x.shape[0] < 3 else 0.299 * x[0:1] + 0.587 * x[1:2] + 0.114 * x[2:3]
        with torch.inference_mode():
            chroma = self._predict(torch.from_numpy(np.ascontiguousarray(gray, dtype=np.float32))[None])
        bound = copy.copy(self)
        bound.chroma, bound.bound_size = chroma, tuple(image.shape[1:])
        return bound

    def __call__(self, batch: np.ndarray, *, size: tuple[int, int] | None = None) -> np.ndarray:
        torch = self._torch
        if batch.shape[1] != 1:
            raise ModelError(f"{self.descriptor.name}: a colorizer takes gray (N, 1, H, W) input, got {batch.shape}")
        x = torch.from_numpy(np.ascontiguousarray(batch, dtype=np.float32))
        if self.chroma is not None:
            _check_whole_image(self.descriptor.name, self.bound_size, batch)
        with torch.inference_mode():
            chroma = self._predict(x) if self.chroma is None else self.chroma.expand(x.shape[0], -1, -1, -1)
            y = self.module.compose(x, chroma)
        return y.numpy()


#: architectures run by a restorer of their own (global parameters bound per image)
_RESTORERS: dict[str, type[TorchRestorer]] = {
    "global_local": CurveRestorer, "zero_dce": CurveMapRestorer, "hue_vae": ColorizeRestorer, "lab_bins": ColorizeRestorer,
}
#: mirrored pixels around the image for every shipped network (their convolutions pad with zeros, which
#: left a frame of up to 4 levels along the edges: tests/engine/test_borders.py measures it for each model)
EDGE_MARGIN = 16
#: architectures that must see the whole image at once
_WHOLE_IMAGE = {"zero_dce", "hue_vae", "lab_bins"}


def wrap_network(net, entry: WeightEntry, desc: ModelDescriptor) -> Restorer:  # noqa: ANN001
    """The Restorer for a loaded network of ``entry``'s architecture and task."""
    if entry.arch in _RESTORERS:
        return _RESTORERS[entry.arch](net, desc)
    if entry.task == "denoise":
        return NoiseMapRestorer(net, desc)
    return TorchRestorer(net, desc)


def builtin_descriptor(entry: WeightEntry, name: str, *, runtime: str = "torch", digest: str = "") -> ModelDescriptor:
    """The descriptor of shipped model ``name`` (``entry``) on ``runtime`` (torch, or onnx: float32 only)."""
    # bfloat16 (autocast) is an opt-in, float32 the default: on this project's AVX512-BF16 CPU it measured
    # about 2x faster for vivid-sr only (benchmarks/bf16_speed.py; README "Runtimes"), within ~2 8-bit levels
    cls = _RESTORERS.get(entry.arch, NoiseMapRestorer if entry.task == "denoise" else TorchRestorer)
    return ModelDescriptor(
        name=name, task=entry.task, scale=entry.scale, color_space=entry.color_space,  # type: ignore[arg-type]
        out_channels=3 if entry.task == "colorize" else None,
        size_multiple=entry.size_multiple, tileable=entry.arch not in _WHOLE_IMAGE,
        tile_overlap=entry.tile_overlap, edge_margin=EDGE_MARGIN, runtime=runtime,  # type: ignore[arg-type]
        dtypes=("float32",) if cls.float32_only or runtime != "torch" else ("float32", "bfloat16"),
        license="Apache-2.0", provenance=f"vivid-trained (card: {entry.card})", sha256=digest or entry.sha256,
        speed_class=entry.speed_class,  # type: ignore[arg-type]
    )


def torch_installed() -> bool:
    """Whether PyTorch is importable (the ``[torch]`` extra); without it shipped models run in ONNX Runtime."""
    import importlib.util

    return importlib.util.find_spec("torch") is not None


def load_builtin(name: str, scale: int) -> Restorer:
    """Load shipped model ``name`` at ``scale`` (hash-checked, strict): in torch when it is installed, else
    from the shipped ONNX graphs in ONNX Runtime (:mod:`vivid.zoo.shipped_onnx`)."""
    if not torch_installed():
        from vivid.zoo.shipped_onnx import load_shipped_onnx

        return load_shipped_onnx(name, scale)
    from safetensors.torch import load_file

    entry = find_weights(name, scale)
    path = weights_dir() / entry.file
    if not path.exists():
        raise ModelError(f"weights file {path} is missing: reinstall vivid")
    digest = file_sha256(path)
    if digest != entry.sha256:
        raise ModelError(f"weights file {path} is corrupt (sha256 {digest[:12]} != {entry.sha256[:12]}): reinstall vivid")
    net = build_network(entry)
    net.load_state_dict(load_file(str(path)), strict=True)
    return wrap_network(net, entry, builtin_descriptor(entry, name, digest=digest))


def build_vivid_sr(scale: int) -> Restorer:
    return load_builtin("vivid-sr", scale)


def build_vivid_denoise(scale: int) -> Restorer:
    return load_builtin("vivid-denoise", 1)


def build_vivid_dejpeg(scale: int) -> Restorer:
    return load_builtin("vivid-dejpeg", 1)


def build_vivid_lowlight(scale: int) -> Restorer:
    return load_builtin("vivid-lowlight", 1)


def build_vivid_tone(scale: int) -> Restorer:
    return load_builtin("vivid-tone", 1)


def build_vivid_zerodce(scale: int) -> Restorer:
    return load_builtin("vivid-zerodce", 1)


def build_vivid_sr_fast(scale: int) -> Restorer:
    return load_builtin("vivid-sr-fast", scale)


def build_vivid_colorize(scale: int) -> Restorer:
    return load_builtin("vivid-colorize", 1)


def build_vivid_colorize_seed003(scale: int) -> Restorer:
    return load_builtin("vivid-colorize-seed003", 1)
