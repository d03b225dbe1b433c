"""The model registry: one entry per built-in model (learned or classical), the one place a model is declared.

Everything else is derived from the entry: the descriptor the engine reads (:meth:`ModelEntry.descriptor`:
name, task, scale, licence and speed class always come from here), the torch and ONNX loaders of a learned
model (its :class:`Network`: architecture, hyper-parameters, restorer, tiling facts; the weight files and
the model card are named after the entry), and ``vivid models``. Adding a classical model = one module with
a ``build(scale) -> Restorer`` factory + one entry; adding a trained model = an architecture module
(``vivid.models.archs``) + its weights (:func:`vivid.zoo.export.export_run` writes them and returns the
entry to add) + its card + one entry. Entries are plain data; nothing is imported or loaded until
:func:`build` is called.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any, Literal

from vivid.errors import ModelError
from vivid.models.base import ModelDescriptor, Restorer

#: how a shipped network is run (the wrapper in :mod:`vivid.zoo.builtin` and :mod:`vivid.zoo.shipped_onnx`):
#: ``plain`` a network image -> image; ``noise_map`` a denoiser fed a noise-level channel (FFDNet style);
#: ``curves`` tone curves from the whole image's thumbnail, then a tileable local branch (``global_local``);
#: ``curve_maps`` Zero-DCE curve maps of the whole image; ``colorize`` chroma of the whole gray image
RestorerKind = Literal["plain", "noise_map", "curves", "curve_maps", "colorize"]
#: restorers whose per-image parameters need the whole image at once (no tiling)
WHOLE_IMAGE: frozenset[str] = frozenset({"curve_maps", "colorize"})
#: the loader of every learned entry: ``load_shipped(name, scale)`` (torch when installed, else ONNX Runtime)
LEARNED_FACTORY = "vivid.zoo.shipped:load_shipped"


@dataclass(frozen=True)
class SessionTuning:
    """ONNX Runtime session options of a shipped network, chosen by measurement (``benchmarks/ort_options.py``):
    intra-op ``threads`` (None: vivid's default, the cores this process may use), whether idle intra-op threads
    ``spin``, and the graph optimisation ``level`` (``basic``, ``extended`` or ``all``). The defaults are
    vivid's (all usable cores, no spinning, all optimisations); a model declares others only where they
    measured more than 5% faster (:attr:`Network.ort`)."""

    threads: int | None = None
    spin: bool = False
    level: str = "all"

    def __post_init__(self) -> None:
        if self.level not in _LEVELS:
            raise ValueError(f"unknown graph optimisation level {self.level!r}: use {', '.join(_LEVELS)}")

    def label(self) -> str:
        return f"threads {self.threads or 'default'}, spinning {'on' if self.spin else 'off'}, level {self.level}"


_LEVELS = ("basic", "extended", "all")


@dataclass(frozen=True)
class Network:
    """A trained network shipped with vivid (weights in ``vivid/zoo/weights``, card in ``vivid/zoo/cards``).

    Attributes:
        arch: architecture family (:data:`vivid.models.archs.factory.ARCHS`).
        params: its constructor's hyper-parameters (the scale is the entry's).
        color_space: what it consumes (see :class:`~vivid.models.base.ModelDescriptor`).
        restorer: how it is run (:data:`RestorerKind`).
        tile_overlap: overlap in input pixels for seam-free tiles (about twice the receptive radius).
        size_multiple: input sides must be multiples of this (the engine pads).
        fill: how the engine fills the padding (see :class:`~vivid.models.base.ModelDescriptor`).
        int8_scales: scales whose int8 graph ships with vivid (``zoo/weights``, listed in ``onnx.json``, made by
            ``vivid models quantize NAME --scale S --ship``): ``precision="int8"`` runs it without a quantise step.
        int8_auto: the scales of ``int8_scales`` whose int8 graph passed vivid's gate: at most 0.05 dB lower PSNR
            on Set5/Set14/BSD100 (SR) or 0.1 dB on CBSD68 (denoising), and faster than float32.
            ``precision="auto"`` (the default) runs int8 there on 8-bit inputs and float32 elsewhere
            (:func:`vivid.zoo.quantize.resolve_precision`); the model card quotes the measurement.
        ort: its ONNX Runtime session options (:class:`SessionTuning`), as ``benchmarks/ort_options.py`` chose
            them for the graph ``vivid enhance`` runs by default (the int8 one where ``int8_scales`` has it).
    """

    arch: str
    params: dict[str, Any] = field(default_factory=dict, hash=False)
    color_space: Literal["rgb", "y", "gray"] = "rgb"
    restorer: RestorerKind = "plain"
    tile_overlap: int = 16
    size_multiple: int = 1
    fill: Literal["reflect", "edge"] = "reflect"
    int8_scales: tuple[int, ...] = ()
    int8_auto: tuple[int, ...] = ()
    ort: SessionTuning = field(default_factory=SessionTuning)

    def __post_init__(self) -> None:
        if not set(self.int8_auto) <= set(self.int8_scales):
            raise ValueError(f"int8_auto {self.int8_auto} must be shipped scales (int8_scales {self.int8_scales})")

    @property
    def tileable(self) -> bool:
        return self.restorer not in WHOLE_IMAGE


@dataclass(frozen=True)
class ModelEntry:
    """A registered model: what it is for, its licence and speed, and how it is built.

    A classical entry names its ``factory`` (``"module:function"``, ``function(scale) -> Restorer``); a
    learned entry has a ``network`` and is loaded by :data:`LEARNED_FACTORY`.
    """

    name: str
    task: str
    scales: tuple[int, ...]
    summary: str
    factory: str
    kind: str = "classical"  # "classical" or "learned"
    license: str = "Apache-2.0"
    speed_class: str = "fast"
    any_scale: bool = False
    network: Network | None = None

    def supports_scale(self, scale: int) -> bool:
        return self.any_scale or scale in self.scales

    def weights_file(self, scale: int) -> str:
        """The shipped weight file of a learned entry at ``scale`` (SR models have one per scale)."""
        return f"{self.name}_x{scale}.safetensors" if self.task == "sr" else f"{self.name}.safetensors"

    @property
    def card(self) -> str:
        """The model card's file name in ``vivid/zoo/cards`` (learned entries)."""
        return f"{self.name}.md"

    def descriptor(self, scale: int = 1, **fields: Any) -> ModelDescriptor:
        """The descriptor of this model at ``scale``: name, task, licence, speed class and ``any_scale`` come
        from the entry (so they cannot disagree with the registry), the rest from ``fields``."""
        return ModelDescriptor(
            name=self.name, task=self.task, scale=int(scale), any_scale=self.any_scale,  # type: ignore[arg-type]
            license=self.license, speed_class=self.speed_class, **fields,  # type: ignore[arg-type]
        )


def learned(name: str, task: str, scales: tuple[int, ...], summary: str, network: Network, *,
            speed_class: str = "fast", license: str = "Apache-2.0") -> ModelEntry:  # noqa: A002
    """A learned entry: loaded from its shipped weights by :data:`LEARNED_FACTORY`."""
    return ModelEntry(name, task, scales, summary, LEARNED_FACTORY, kind="learned", license=license,
                      speed_class=speed_class, network=network)


_C = "vivid.models.classical"
#: the hyper-parameters vivid-lowlight and vivid-tone share (one architecture, two trainings)
_GLOBAL_LOCAL = {"points": 32, "thumb": 192, "dim": 64, "depth": 4, "heads": 4, "channels": 16, "levels": 3,
                 "in_channels": 3}
#: bm3d package's licence, as its metadata states it (classifier "License :: Free for non-commercial use";
#: LICENSE: Tampere University terms, non-commercial scope only)
BM3D_LICENSE = "bm3d package (Tampere University): free for non-commercial use only"

ENTRIES: tuple[ModelEntry, ...] = (
    # --- vivid's own trained models (weights in vivid/zoo/weights, cards in vivid/zoo/cards) -------
    learned("vivid-sr", "sr", (2, 3, 4), "vivid's flagship SR: re-parameterised conv net on the Y channel in LR space",
            # x2's int8 graph ships but is opt-in: since the second stage it loses 0.09 dB on Set5 (the card)
            Network("rep_sr", {"channels": 32, "blocks": 6, "in_channels": 1}, color_space="y", tile_overlap=18,
                    int8_scales=(2,), int8_auto=())),
    learned("vivid-sr-fast", "sr", (2,), "vivid's realtime SR for video: the flagship's design at 12 channels, 3 blocks",
            Network("rep_sr", {"channels": 12, "blocks": 3, "in_channels": 1}, color_space="y", tile_overlap=12),
            speed_class="realtime"),
    learned("vivid-sr-rt", "sr", (2,),
            "vivid's SR for real-time 480p video on 2 cores: the flagship's design at 8 channels, 2 blocks",
            Network("rep_sr", {"channels": 8, "blocks": 2, "in_channels": 1}, color_space="y", tile_overlap=10),
            speed_class="realtime"),
    learned("vivid-lowlight", "lowlight", (1,),
            "vivid's low-light enhancer: ViT tone curves from a thumbnail + U-Net local refinement",
            Network("global_local", _GLOBAL_LOCAL, restorer="curves", tile_overlap=48), speed_class="medium"),
    learned("vivid-zerodce", "lowlight", (1,),
            "vivid's zero-reference low-light enhancer: Zero-DCE++-style curve maps, trained without pairs",
            Network("zero_dce", {"channels": 32, "iterations": 8, "low_side": 128, "in_channels": 3},
                    restorer="curve_maps", tile_overlap=0)),
    learned("vivid-tone", "color", (1,),
            "vivid's auto-tone: ViT per-channel curves (exposure, contrast, white balance) + U-Net refinement",
            Network("global_local", _GLOBAL_LOCAL, restorer="curves", tile_overlap=48), speed_class="medium"),
    learned("vivid-denoise", "denoise", (1,), "vivid's blind denoiser: half-resolution U-Net with an FFDNet-style noise map",
            Network("denoise_unet", {"channels": 32, "blocks": 2, "in_channels": 3}, restorer="noise_map",
                    tile_overlap=112, size_multiple=8), speed_class="medium"),
    learned("vivid-dejpeg", "dejpeg", (1,),
            "vivid's JPEG-artefact remover: the denoiser's half-resolution U-Net trained on JPEG copies (q10-60, and q90-100 left alone)",
            Network("denoise_unet", {"channels": 32, "blocks": 4, "noise_map": False, "in_channels": 3},
                    tile_overlap=112, size_multiple=16, fill="edge"), speed_class="medium"),
    learned("vivid-colorize", "colorize", (1,),
            "vivid's colorizer: U-Net over in-gamut ab bins with class rebalancing (Zhang et al. 2016 style)",
            Network("lab_bins", {"channels": 24, "temperature": 0.2, "rebalance": 0.5, "saturation": 0.8,
                                 "cool_penalty": 5.0, "confidence": 60.0, "in_channels": 1},
                    color_space="gray", restorer="colorize", tile_overlap=0)),
    learned("vivid-colorize-seed003", "colorize", (1,),
            "an alternative colorizer: VAE-like latent + decoder predicting hue (cos, sin) and saturation (muted, often sepia)",
            Network("hue_vae", {"channels": 32, "latent": 128, "in_channels": 1}, color_space="gray",
                    restorer="colorize", tile_overlap=0)),
    # last of the learned entries: the golden fixtures seed each model's input by its position
    learned("vivid-sr-real", "sr", (2, 4),
            "vivid's real-world SR: vivid-sr's network fine-tuned on blurred, noisy, JPEG'd inputs (Real-ESRGAN-style chain)",
            Network("rep_sr", {"channels": 32, "blocks": 6, "in_channels": 1}, color_space="y", tile_overlap=18)),
    # --- classical baselines -------------------------------------------------------------------------
    ModelEntry("bicubic", "sr", (2, 3, 4), "MATLAB-exact bicubic resampling (the SR baseline)",
               f"{_C}.resample:build_bicubic", any_scale=True, speed_class="realtime"),
    ModelEntry("lanczos", "sr", (2, 3, 4), "Lanczos-3 resampling", f"{_C}.resample:build_lanczos",
               any_scale=True, speed_class="realtime"),
    ModelEntry("nlm", "denoise", (1,), "OpenCV fast non-local means (noise level estimated per image)",
               f"{_C}.denoise:build_nlm", license="Apache-2.0 (OpenCV)", speed_class="medium"),
    ModelEntry("bm3d", "denoise", (1,), "BM3D / CBM3D (bm3d package; noise level estimated per image)",
               f"{_C}.denoise:build_bm3d", license=BM3D_LICENSE, speed_class="slow"),
    ModelEntry("gamma", "lowlight", (1,), "adaptive gamma brightening to a target mean luminance",
               f"{_C}.lowlight:build_gamma", speed_class="realtime"),
    ModelEntry("clahe", "lowlight", (1,), "gamma plus CLAHE on the L channel of Lab",
               f"{_C}.lowlight:build_clahe", speed_class="fast"),
    ModelEntry("lime", "lowlight", (1,), "LIME-style illumination-map estimation and refinement",
               f"{_C}.lowlight:build_lime", speed_class="medium"),
    ModelEntry("grayworld", "color", (1,), "gray-world white balance plus auto-levels",
               f"{_C}.color:build_grayworld", speed_class="realtime"),
)


def list_models(task: str | None = None) -> list[ModelEntry]:
    """All registered models, optionally only those for ``task``."""
    return [e for e in ENTRIES if task is None or e.task == task]


def get_entry(name: str) -> ModelEntry:
    """The entry called ``name``; an unknown name raises :class:`ModelError` with close names."""
    for e in ENTRIES:
        if e.name == name:
            return e
    names = [e.name for e in ENTRIES]
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    raise ModelError(f"unknown model {name!r}: {hint}run 'vivid models' to list them")


def build(name: str, *, scale: int = 1) -> Restorer:
    """Load model ``name`` ready to run at ``scale``."""
    entry = get_entry(name)
    if not entry.supports_scale(scale):
        raise ModelError(
            f"model {name!r} does not support scale {scale}: it offers {', '.join(f'x{s}' for s in entry.scales)}"
        )
    module, _, func = entry.factory.partition(":")
    factory = getattr(import_module(module), func)
    return factory(name, scale) if entry.network is not None else factory(scale)
