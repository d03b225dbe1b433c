"""Recommended-model routing: analyse an image and propose a plan, with reasons and alternatives.

Seed 000 looked at the luminance histogram (share of gray values below 128) to choose between its
low-light and its retouching model and offered the other as "Another Model". vivid generalises it:
darkness, noise level, grayscale, colour cast, JPEG blockiness and size each add (or skip) a step,
every step says why in one line, and lists the other models that could do it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from vivid.engine.plan import Plan, Step
from vivid.io.image import Image

#: thresholds (documented in the README's routing section)
DARK_MEAN = 0.25  # mean luma below this (0..1) and ...
HIGHLIGHT = 0.5  # ... the 99th percentile of luma below this (no highlights: under-exposed) -> low-light;
#   well-exposed low-key photos are dark on average but keep bright highlights (BSD100's darkest six: p99
#   0.52-0.96; LOL's under-exposed captures: p99 0.07-0.30)
VERY_DARK = 0.12  # mean luma below this -> low-light whatever the highlights (a lamp in a dark scene)
NOISE_SIGMA = 6.0  # estimated sigma (0..255) above this -> denoise
CAST = 0.25  # gray-edge channel spread above this -> colour correction (natural photos: < 0.11 in BSD100,
#   except an underwater scene at 0.23, which auto leaves alone with a note; FiveK inputs: up to 0.52)
SLIGHT_CAST = 0.15  # above this, a note offers colour correction
SMALL_SIDE = 512  # longest side below this -> super-resolution
GRAY_CHROMA = 2.0 / 255  # mean |chroma| below this and ...
GRAY_RELATIVE = 0.03  # ... below this share of the mean luma -> grayscale. Absolute chroma alone misreads
#   dark colour photos: LOL's under-exposed captures have chroma 1.4-10.9/255 but 0.063-0.55 of their
#   mean luma, while gray images stored as RGB (also after JPEG) have chroma 0


@dataclass(frozen=True)
class Analysis:
    width: int
    height: int
    mean_luma: float
    dark_share: float
    highlight: float  # 99th percentile of luma
    noise_sigma: float
    grayscale: bool
    color_cast: float
    blockiness: float


def _luma(rgb: np.ndarray) -> np.ndarray:
    return 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]


def _thumb(x: np.ndarray, side: int = 512) -> np.ndarray:
    import cv2

    _, h, w = x.shape
    f = side / max(h, w)
    if f >= 1:
        return x
    size = (max(1, round(w * f)), max(1, round(h * f)))
    return np.stack([cv2.resize(c, size, interpolation=cv2.INTER_AREA) for c in x])


def blockiness(gray: np.ndarray) -> float:
    """Ratio of the mean absolute step across 8-pixel block borders to the mean step inside blocks.

    Steps are clipped at 0.06 so that real edges that fall on the block grid do not count. On BSD100
    photos it is 0.99-1.16; after JPEG at quality 30 the median is 1.45 (quality 15: 1.72).
    """
    h, w = gray.shape
    if h < 32 or w < 32:
        return 1.0
    dx = np.minimum(np.abs(np.diff(gray, axis=1)), 0.06)
    cols = np.arange(dx.shape[1])
    at_border = dx[:, (cols % 8) == 7].mean()
    inside = dx[:, (cols % 8) != 7].mean()
    return float(at_border / max(float(inside), 1e-6))


def color_cast(rgb: np.ndarray) -> float:
    """Gray-edge colour-cast measure: spread of the per-channel mean gradient over its mean.

    Edges are neutral on average in an unbiased photo (van de Weijer et al. 2007), so a cast shows as
    unequal channel gradients, while a scene that is simply green or blue does not.
    """
    g = np.abs(np.diff(rgb, axis=2)).reshape(3, -1).mean(1) + np.abs(np.diff(rgb, axis=1)).reshape(3, -1).mean(1)
    return float((g.max() - g.min()) / max(float(g.mean()), 1e-6))


def measure(image: Image) -> Analysis:
    """The numbers routing decides on."""
    from vivid.models.classical.denoise import estimate_noise_sigma

    rgb = image.rgb()
    full_gray = _luma(rgb)
    small = _thumb(rgb)
    luma = _luma(small)
    chroma = float(np.mean(np.abs(small[0] - small[1]) + np.abs(small[1] - small[2])) / 2)
    mean_luma = float(luma.mean())
    gray = image.is_gray or (chroma < GRAY_CHROMA and chroma < GRAY_RELATIVE * mean_luma) or chroma < 0.1 / 255
    cast = 0.0 if gray else color_cast(small)
    return Analysis(
        width=image.width,
        height=image.height,
        mean_luma=mean_luma,
        dark_share=float((luma < 128 / 255).mean()),
        highlight=float(np.percentile(luma, 99)),
        noise_sigma=float(estimate_noise_sigma(image.color if image.is_gray else rgb)),
        grayscale=gray,
        color_cast=cast,
        blockiness=blockiness(full_gray[: 1024, : 1024]),
    )


def _alternatives(task: str, chosen: str) -> tuple[str, ...]:
    from vivid.models.registry import list_models

    return tuple(e.name for e in list_models(task) if e.name != chosen)


def analyze(image: Image, *, scale: float | None = None, size: tuple[int, int] | None = None) -> Plan:
    """Analyse ``image`` and recommend a plan (tasks, models, order), each step with its reason."""
    from vivid.engine.api import default_model

    a = measure(image)
    steps: list[Step] = []
    notes: list[str] = []

    def add(task: str, reason: str, factor: float = 1.0) -> None:
        from vivid.engine.api import pick_scale

        try:
            name = default_model(task)
            step_scale = pick_scale(name, factor) if task == "sr" else 1
        except Exception as e:  # a task without an installed model: say so instead of failing
            notes.append(f"{task} would help ({reason}) but {e}")
            return
        steps.append(Step(task=task, model=name, scale=step_scale, reason=reason,
                          alternatives=_alternatives(task, name)))

    if a.noise_sigma > NOISE_SIGMA or a.blockiness > 1.3:
        why = (f"estimated noise sigma {a.noise_sigma:.1f} (> {NOISE_SIGMA:g}) → denoise"
               if a.noise_sigma > NOISE_SIGMA else f"JPEG blockiness {a.blockiness:.2f} (> 1.3) → denoise")
        add("denoise", why)
    if a.mean_luma < VERY_DARK or (a.mean_luma < DARK_MEAN and a.highlight < HIGHLIGHT):
        add("lowlight", f"{a.dark_share:.0%} of pixels are darker than 128, mean brightness "
                        f"{a.mean_luma * 255:.0f}/255, highlights reach only {a.highlight * 255:.0f}/255 "
                        "→ low-light enhancement")
    elif a.mean_luma < DARK_MEAN:
        notes.append(f"dark on average ({a.mean_luma * 255:.0f}/255) but highlights reach "
                     f"{a.highlight * 255:.0f}/255: a low-key photo, left as it is (choose lowlight to brighten it)")
    if a.grayscale:
        add("colorize", "the image is grayscale → colorize")
    elif a.color_cast > CAST and not any(s.task == "lowlight" for s in steps):
        add("color", f"edges are tinted (gray-edge spread {a.color_cast:.2f} > {CAST:g}: a colour cast) → automatic colour/tone")
    elif a.color_cast > SLIGHT_CAST and not any(s.task == "lowlight" for s in steps):
        notes.append(f"edges are slightly tinted (gray-edge spread {a.color_cast:.2f}): left as it is "
                     "(choose color to neutralise it)")
    want_sr = scale is not None or size is not None
    if want_sr or max(a.width, a.height) < SMALL_SIDE:
        if size is not None:
            factor = max(size[0] / a.height, size[1] / a.width)
            why = f"target size {size[1]}x{size[0]} requested → super-resolution"
        elif scale is not None:
            factor = scale
            why = f"x{scale:g} requested → super-resolution"
        else:
            factor = 2.0
            why = f"the image is small ({a.width}x{a.height}, longest side < {SMALL_SIDE}) → super-resolution x2"
        if factor > 1:
            add("sr", why, factor)
    if not steps and not notes:
        notes.append("brightness, noise, colour and size look fine → nothing to do")
    return Plan(steps=tuple(steps), analysis=asdict(a), notes=tuple(notes))
