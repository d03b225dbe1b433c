"""The model registry: one entry per built-in model (learned or classical).

Adding a model = one module (architecture or enhancer with a ``build(scale) -> Restorer`` factory) +
one :class:`ModelEntry` line below. Entries are plain data; nothing is imported or loaded until
:func:`build` is called.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING

from vivid.errors import ModelError

if TYPE_CHECKING:
    from vivid.models.base import Restorer


@dataclass(frozen=True)
class ModelEntry:
    """A registered model: what it is for, and where its factory lives."""

    name: str
    task: str
    scales: tuple[int, ...]
    summary: str
    factory: str  # "module:function"; function(scale: int) -> Restorer
    kind: str = "classical"  # "classical" or "learned"
    license: str = "Apache-2.0"
    speed_class: str = "fast"
    any_scale: bool = False

    def supports_scale(self, scale: int) -> bool:
        return self.any_scale or scale in self.scales


_C = "vivid.models.classical"

_Z = "vivid.zoo.builtin"

ENTRIES: tuple[ModelEntry, ...] = (
    # --- vivid's own trained models (weights in vivid/zoo/weights, cards in vivid/zoo/cards) -------
    ModelEntry("vivid-sr", "sr", (2, 3, 4), "vivid's flagship SR: re-parameterised conv net on the Y channel in LR space",
               f"{_Z}:build_vivid_sr", kind="learned", speed_class="fast"),
    ModelEntry("vivid-sr-fast", "sr", (2,), "vivid's realtime SR for video: the flagship's design at 12 channels, 3 blocks",
               f"{_Z}:build_vivid_sr_fast", kind="learned", speed_class="realtime"),
    ModelEntry("vivid-lowlight", "lowlight", (1,),
               "vivid's low-light enhancer: ViT tone curves from a thumbnail + U-Net local refinement (seed 000)",
               f"{_Z}:build_vivid_lowlight", kind="learned", speed_class="medium"),
    ModelEntry("vivid-zerodce", "lowlight", (1,),
               "vivid's zero-reference low-light enhancer: Zero-DCE++-style curve maps, trained without pairs",
               f"{_Z}:build_vivid_zerodce", kind="learned", speed_class="fast"),
    ModelEntry("vivid-tone", "color", (1,),
               "vivid's auto-tone: ViT per-channel curves (exposure, contrast, white balance) + U-Net refinement",
               f"{_Z}:build_vivid_tone", kind="learned", speed_class="medium"),
    ModelEntry("vivid-denoise", "denoise", (1,), "vivid's blind denoiser: half-resolution U-Net with an FFDNet-style noise map",
               f"{_Z}:build_vivid_denoise", kind="learned", speed_class="medium"),
    ModelEntry("vivid-dejpeg", "dejpeg", (1,),
               "vivid's JPEG-artefact remover: the denoiser's half-resolution U-Net trained on JPEG copies (q10-60)",
               f"{_Z}:build_vivid_dejpeg", kind="learned", speed_class="medium"),
    ModelEntry("vivid-colorize", "colorize", (1,),
               "vivid's colorizer: U-Net over in-gamut ab bins with class rebalancing (Zhang et al. 2016 style)",
               f"{_Z}:build_vivid_colorize", kind="learned", speed_class="fast"),
    ModelEntry("vivid-colorize-seed003", "colorize", (1,),
               "seed 003's colorizer: VAE-like latent + decoder predicting hue (cos, sin) and saturation",
               f"{_Z}:build_vivid_colorize_seed003", kind="learned", speed_class="fast"),
    # --- classical baselines -------------------------------------------------------------------------
    ModelEntry("bicubic", "sr", (2, 3, 4), "MATLAB-exact bicubic resampling (the SR baseline)",
               f"{_C}.resample:build_bicubic", any_scale=True, speed_class="realtime"),
    ModelEntry("lanczos", "sr", (2, 3, 4), "Lanczos-3 resampling", f"{_C}.resample:build_lanczos",
               any_scale=True, speed_class="realtime"),
    ModelEntry("nlm", "denoise", (1,), "OpenCV fast non-local means (noise level estimated per image)",
               f"{_C}.denoise:build_nlm", speed_class="medium"),
    ModelEntry("bm3d", "denoise", (1,), "BM3D / CBM3D (bm3d package; noise level estimated per image)",
               f"{_C}.denoise:build_bm3d", license="bm3d package licence (non-commercial)",
               speed_class="slow"),
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
    return factory(scale)
