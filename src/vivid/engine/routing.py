"""Recommended-model routing: analyse an image and propose a plan, with reasons and alternatives.

Seed 000 looked at the luminance histogram (share of gray values below 128) to choose between its
low-light and its retouching model and offered the other as "Another Model". vivid generalises it:
darkness, noise level, grayscale, colour cast, JPEG blockiness (and a JPEG file's saved quality) and size
each add (or skip) a step, every step says why in one line, and lists the other models that could do it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from vivid.engine.defaults import default_model, pick_scale, real_world_sr
from vivid.engine.plan import Plan, Step
from vivid.io.image import Image
from vivid.models.registry import list_models
from vivid.ops.resize import resize_planes

#: thresholds (documented in the README's routing section)
DARK_MEAN = 0.25  # mean luma below this (0..1) and ...
HIGHLIGHT = 0.5  # ... the 99th percentile of luma below this (no highlights: under-exposed) -> low-light;
#   well-exposed low-key photos are dark on average but keep bright highlights (BSD100's darkest six: p99
#   0.52-0.96; LOL's under-exposed captures: p99 0.07-0.30)
VERY_DARK = 0.12  # mean luma below this -> low-light whatever the highlights (a lamp in a dark scene)
#: a night or lamp-lit scene: mean luma below LAMPLIT_MEAN, at least LAMPLIT_DARK of the pixels darker than
#: 128, median below LAMPLIT_MEDIAN, under LAMPLIT_BRIGHT of the pixels above half-scale, and coloured light
#: (gray-edge spread above SLIGHT_CAST) -> low-light even though a few lights are bright (DICM 03, a room lit
#: by warm wall lamps: mean 0.19, median 0.10, 10% bright, spread 0.26; 30, a sunset; 17, an aquarium).
#: By these numbers alone a neutral-lit low-key flash photo looks the same (BSD100 img_081, an underwater
#: diver: mean 0.14, median 0.10, but spread 0.11): neutral light marks it as lit on purpose, so it is kept
LAMPLIT_MEAN, LAMPLIT_DARK, LAMPLIT_MEDIAN, LAMPLIT_BRIGHT = 0.2, 0.9, 0.12, 0.12
NOISE_SIGMA = 6.0  # estimated sigma (0..255) above this -> denoise
#: the mean brightness low-light enhancement brings an image to (vivid-lowlight's training targets: 0.45-0.55):
#: a dark image's noise is judged as it will be once brightened, sigma x BRIGHTENED_MEAN / mean (LOL's captures:
#: sigma 0.9-1.8 at means 0.03-0.10, i.e. 6-23 once brightened; DICM's JPEGs 0.4-0.7, mostly under 5)
BRIGHTENED_MEAN = 0.5
#: JPEG blockiness above this -> the JPEG-artefact remover (denoise when none is installed). vivid-dejpeg's gain
#: by blockiness, on its 20 held-out BSDS200 images as JPEG at q50-95 (benchmarks/dejpeg_threshold.py, fourth
#: stage): (1.05, 1.1] +0.30 dB (q95 copies lose up to 5 dB: their fine grain counts as artefacts), (1.1, 1.15]
#: +1.22 (worst +1.00), (1.15, 1.2] +1.23, (1.2, 1.3] +1.31, above 1.3 +1.02 (the first stage: -2.5, +0.56,
#: +0.69, +0.86, +0.70); 1.15 leaves one bin of margin. BSD100's and CBSD68's originals: 2 of 100 and 2 of 68
#: measure above it
BLOCKY = 1.15
#: a JPEG file saved at this quality or lower (its quantization table, vivid.io.jpeg_quality) -> the
#: JPEG-artefact remover even when its blocks measure below BLOCKY (smooth content hides them): on the same
#: held-out images vivid-dejpeg gains on every copy at q50-90 (fourth stage, worst: q90 +0.38 dB, q80 +0.87,
#: q70 +0.68; the copies below BLOCKY at q80 +1.11 on average) and loses at q95 (-3.7): the line keeps one
#: measured step of margin below q90
FILE_JPEG_QUALITY = 80
CAST = 0.25  # gray-edge channel spread above this -> colour correction (natural photos: < 0.11 in BSD100,
#   except an underwater scene at 0.23, which auto leaves alone with a note; FiveK inputs: up to 0.52)
SLIGHT_CAST = 0.15  # above this, a note offers colour correction
TINTED_HIGHLIGHTS = 0.06  # a cast tints the light, so the brightest 5% too: their chroma over their luma
#   must exceed this as well (FiveK inputs with casts 0.30 and 0.52: 0.071 and 0.125), else the image is
#   dominated by one colour, not cast (the Set5 "head" close-up, gray-edge 0.36: its highlights 0.047)
#: a soft, JPEG-compressed image (a web copy of a photo: blurred, shrunk, noisy, compressed) is upscaled by the
#: real-world SR model: edge sharpness below SOFT_EDGES and blockiness above SOFT_BLOCKY. Chosen on 30 BSDS200
#: training images (the largest mean gain whose worst image loses at most 0.2 dB) and checked on BSD100
#: (benchmarks/real_sr_routing.py): sharp x2 LR copies measure 0.47-0.81, after a Gaussian blur of 1 px (HR)
#: 0.35-0.56, JPEG alone leaves edges sharp; clean LR blockiness 0.96-1.02, JPEG q70-q90 1.0-1.8
SOFT_EDGES = 0.42
SOFT_BLOCKY = 1.08
#: ... and above this, JPEG-artefact removal goes first: heavy blocks keep their colour through the real-world SR
#: model, whose chroma is the input's upscaled. BSDS200 (last 10, blurred 1 px then JPEG), PSNR-Y of dejpeg →
#: vivid-sr-real against vivid-sr-real alone: q10 (blockiness 2.5) 24.41 vs 24.28, q20 (1.9) 25.38 vs 25.35,
#: q30 (1.6) 25.74 vs 25.80 and in RGB 24.16 both, q40 (1.5) RGB 24.37 vs 24.44. Blockiness varies with the
#: content (CBSD68 at q10: 1.6 and up), so the line is at q30's mean
SOFT_HEAVY_BLOCKY = 1.6
SMALL_SIDE = 512  # longest side below this -> super-resolution
GRAY_CHROMA = 2.5 / 255  # 99th percentile of per-pixel |chroma| (on the <= 512 px thumbnail) below this
#   -> grayscale: chroma must be negligible almost everywhere, not just small on average. Gray images stored
#   as RGB, also after JPEG 4:2:0 at q30-q75, measure 0; colour footage of a gray road (car-detection.mp4,
#   mean chroma 1.3-1.6/255) 3.5-5/255 and more; LOL's dark captures 3.8/255 and up; BSD100's photos 12.5 and up
TONED_SPREAD = 3.0 / 255  # chroma off the image's one hue (99th percentile) below this, with chroma
#   above GRAY_CHROMA -> a toned monochrome (sepia, cyanotype): its tone is kept, colorizing is offered


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
    median_luma: float = 0.0
    bright_share: float = 0.0  # share of pixels brighter than half-scale
    chroma_p99: float = 0.0  # 99th percentile of per-pixel chroma (0..1)
    highlight_tint: float = 0.0  # chroma over luma of the brightest 5% of the pixels
    toned: bool = False  # a monochrome image printed or scanned with one hue (sepia)
    edge_sharpness: float = 1.0  # finest detail at the image's strongest edges (lower: softer; see edge_sharpness)
    jpeg_quality: int | None = None  # a JPEG file's quality from its quantization table (None: not a JPEG file)


def _luma(rgb: np.ndarray) -> np.ndarray:
    return 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]


def thumbnail(x: np.ndarray, side: int = 512) -> np.ndarray:
    """``x`` ``(C, H, W)`` reduced (area average) so that its longer side is at most ``side``."""
    return _thumb(x, side)


def _thumb(x: np.ndarray, side: int = 512) -> np.ndarray:
    _, h, w = x.shape
    f = side / max(h, w)
    if f >= 1:
        return x
    return resize_planes(x, (max(1, round(h * f)), max(1, round(w * f))), method="area")


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


def edge_sharpness(gray: np.ndarray) -> float:
    """How much of the image's detail at its strongest edges is at the finest scale: the RMS of the band above
    a Gaussian of 0.7 px over the RMS of the band between 0.7 and 2 px, on the 5% of pixels where that second
    band is strongest (edges, where the signal outweighs noise and JPEG's own ripples).

    Sharp images (camera originals, bicubic-shrunk copies) measure about 0.5-0.8; blurred ones less (0.35-0.5
    after a 1-pixel Gaussian blur at twice the size, about 0.33 after 1.6 px). Noise raises it, the safe side
    for routing (a noisy image never counts as soft); on photos little (σ 8 on BSDS200 x2 copies: 0.60 → 0.61).
    """
    from scipy.ndimage import gaussian_filter

    if min(gray.shape) < 16:
        return 1.0
    g1 = gaussian_filter(gray, 0.7, mode="reflect")
    fine = gray - g1
    mid = g1 - gaussian_filter(gray, 2.0, mode="reflect")
    strong = np.abs(mid) >= np.percentile(np.abs(mid), 95)
    denom = float((mid[strong] ** 2).mean())
    if denom < 1e-10:  # flat: nothing to judge
        return 1.0
    return float(np.sqrt((fine[strong] ** 2).mean() / denom))


def color_cast(rgb: np.ndarray) -> float:
    """Gray-edge colour-cast measure: spread of the per-channel mean gradient over its mean.

    Edges are neutral on average in an unbiased photo (van de Weijer et al. 2007), so a cast shows as
    unequal channel gradients, while a scene that is simply green or blue does not.
    """
    g = np.abs(np.diff(rgb, axis=2)).reshape(3, -1).mean(1) + np.abs(np.diff(rgb, axis=1)).reshape(3, -1).mean(1)
    return float((g.max() - g.min()) / max(float(g.mean()), 1e-6))


def chroma_stats(rgb: np.ndarray) -> tuple[float, bool]:
    """The 99th percentile of per-pixel chroma of ``rgb`` ``(3, H, W)`` and whether the chroma is one hue
    throughout (a toned monochrome: every pixel's (Cb, Cr) on one line through neutral, spread off it
    below ``TONED_SPREAD``)."""
    chroma = (np.abs(rgb[0] - rgb[1]) + np.abs(rgb[1] - rgb[2])) / 2
    p99 = float(np.percentile(chroma, 99))
    if p99 < GRAY_CHROMA:
        return p99, False
    cb = (-0.168736 * rgb[0] - 0.331264 * rgb[1] + 0.5 * rgb[2]).ravel()
    cr = (0.5 * rgb[0] - 0.418688 * rgb[1] - 0.081312 * rgb[2]).ravel()
    mean = np.array([cb.mean(), cr.mean()])
    norm = float(np.hypot(*mean))
    if norm < GRAY_CHROMA:  # chroma without a dominant hue: colour
        return p99, False
    ux, uy = mean / norm
    off = np.abs(cb * -uy + cr * ux)  # distance from the hue line
    along = cb * ux + cr * uy
    toned = float(np.percentile(off, 99)) < TONED_SPREAD and float(np.mean(along < -GRAY_CHROMA)) < 0.01
    return p99, toned


def highlight_tint(rgb: np.ndarray) -> float:
    """Mean BT.601 chroma magnitude of the brightest 5% of ``rgb`` ``(3, H, W)``, over their mean luma."""
    luma = _luma(rgb)
    top = luma >= np.percentile(luma, 95)
    cb = float((-0.168736 * rgb[0] - 0.331264 * rgb[1] + 0.5 * rgb[2])[top].mean())
    cr = float((0.5 * rgb[0] - 0.418688 * rgb[1] - 0.081312 * rgb[2])[top].mean())
    return float(np.hypot(cb, cr) / max(float(luma[top].mean()), 1e-3))


def measure(image: Image) -> Analysis:
    """The numbers routing decides on."""
    from vivid.models.classical.denoise import estimate_noise_sigma

    rgb = image.rgb()
    full_gray = _luma(rgb)
    small = _thumb(rgb)
    luma = _luma(small)
    p99, toned = (0.0, False) if image.is_gray else chroma_stats(small)
    gray = image.is_gray or p99 < GRAY_CHROMA
    cast = 0.0 if gray or toned else color_cast(small)
    return Analysis(
        width=image.width,
        height=image.height,
        mean_luma=float(luma.mean()),
        dark_share=float((luma < 128 / 255).mean()),
        highlight=float(np.percentile(luma, 99)),
        noise_sigma=float(estimate_noise_sigma(image.color if image.is_gray else rgb)),
        grayscale=gray,
        color_cast=cast,
        blockiness=blockiness(full_gray[: 1024, : 1024]),
        median_luma=float(np.median(luma)),
        bright_share=float((luma > 0.5).mean()),
        chroma_p99=p99,
        toned=toned,
        highlight_tint=0.0 if gray or toned else highlight_tint(small),
        edge_sharpness=edge_sharpness(full_gray[: 1024, : 1024]),
        jpeg_quality=image.meta.jpeg_quality,
    )


def under_exposed(a: Analysis) -> str | None:
    """Why ``a`` is an under-exposed photo that low-light enhancement should brighten, or None."""
    level = f"mean brightness {a.mean_luma * 255:.0f}/255, {a.dark_share:.0%} of pixels darker than 128"
    if a.mean_luma < VERY_DARK:
        return f"very dark: {level}"
    if a.mean_luma < DARK_MEAN and a.highlight < HIGHLIGHT:
        return f"under-exposed: {level}, highlights reach only {a.highlight * 255:.0f}/255"
    if (a.mean_luma < LAMPLIT_MEAN and a.dark_share >= LAMPLIT_DARK and a.median_luma < LAMPLIT_MEDIAN
            and a.bright_share < LAMPLIT_BRIGHT and a.color_cast > SLIGHT_CAST):
        return (f"a night or lamp-lit scene: {level}, median {a.median_luma * 255:.0f}/255, only "
                f"{a.bright_share:.0%} brighter than 128, coloured light (gray-edge spread {a.color_cast:.2f}), "
                "whose colour is kept")
    return None


def _has_model(task: str) -> bool:
    try:
        default_model(task)
    except Exception:  # noqa: BLE001 - no model for the task is installed: route around it
        return False
    return True


def _alternatives(task: str, chosen: str) -> tuple[str, ...]:
    return tuple(e.name for e in list_models(task) if e.name != chosen)


def _upscale(a: Analysis, scale: float | None, size: tuple[int, int] | None) -> tuple[float, str]:
    """The SR factor the request or the image's size calls for (1: none) and why."""
    if size is not None:
        return max(size[0] / a.height, size[1] / a.width), f"target size {size[1]}x{size[0]} requested → super-resolution"
    if scale is not None:
        return scale, f"x{scale:g} requested → super-resolution"
    if max(a.width, a.height) < SMALL_SIDE:
        return 2.0, f"the image is small ({a.width}x{a.height}, longest side < {SMALL_SIDE}) → super-resolution x2"
    return 1.0, ""


def _noise_or_compression(a: Analysis) -> str | None:
    """What shows noise or JPEG compression in ``a`` (the thresholds of the cleanup steps), or None."""
    found = []
    if a.noise_sigma > NOISE_SIGMA:
        found.append(f"estimated noise sigma {a.noise_sigma:.1f} (> {NOISE_SIGMA:g})")
    if a.blockiness > BLOCKY:
        found.append(f"JPEG blockiness {a.blockiness:.2f} (> {BLOCKY:g})")
    return " and ".join(found) or None


def _soft_and_compressed(a: Analysis) -> str | None:
    """Why ``a`` looks like a soft, compressed web copy (the real-world SR model's case), or None."""
    if a.edge_sharpness < SOFT_EDGES and a.blockiness > SOFT_BLOCKY:
        return (f"soft edges (sharpness {a.edge_sharpness:.2f} < {SOFT_EDGES:g}) and JPEG blocks (blockiness "
                f"{a.blockiness:.2f} > {SOFT_BLOCKY:g})")
    return None


def analyze(image: Image, *, scale: float | None = None, size: tuple[int, int] | None = None) -> Plan:
    """Analyse ``image`` and recommend a plan (tasks, models, order), each step with its reason."""
    a = measure(image)
    steps: list[Step] = []
    notes: list[str] = []

    def add(task: str, reason: str, factor: float = 1.0, model: str | None = None) -> None:
        try:
            name = model or default_model(task)
            step_scale = pick_scale(name, factor) if task == "sr" else 1
        except Exception as e:  # a task without an installed model: say so instead of failing
            notes.append(f"{task} would help ({reason}) but {e}")
            return
        steps.append(Step(task=task, model=name, scale=step_scale, reason=reason,
                          alternatives=_alternatives(task, name)))

    factor, sr_why = _upscale(a, scale, size)
    degraded = _noise_or_compression(a)
    # an upscale of a soft and compressed image: one real-world SR model cleans up while it upscales (it beats
    # a cleanup step then vivid-sr there; on sharp images with JPEG or noise alone the cleanup step wins:
    # benchmarks/real_sr_routing.py, vivid-sr-real's card)
    web_copy = _soft_and_compressed(a)
    real = real_world_sr(factor) if web_copy and factor > 1 else None
    if real and a.blockiness <= SOFT_HEAVY_BLOCKY:  # the SR step below cleans up too
        pass
    elif a.blockiness > BLOCKY and _has_model("dejpeg"):
        add("dejpeg", f"JPEG blockiness {a.blockiness:.2f} (> {BLOCKY:g}): compression artefacts → JPEG-artefact removal")
    elif a.jpeg_quality is not None and a.jpeg_quality <= FILE_JPEG_QUALITY and _has_model("dejpeg"):
        add("dejpeg", f"a JPEG file saved at quality {a.jpeg_quality} (<= {FILE_JPEG_QUALITY}, read from its "
                      f"quantization table; blockiness {a.blockiness:.2f}) → JPEG-artefact removal")
    elif degraded:
        why = (f"estimated noise sigma {a.noise_sigma:.1f} (> {NOISE_SIGMA:g}) → denoise"
               if a.noise_sigma > NOISE_SIGMA else f"JPEG blockiness {a.blockiness:.2f} (> {BLOCKY:g}) → denoise")
        add("denoise", why)
    dark = under_exposed(a)
    amplified = a.noise_sigma * BRIGHTENED_MEAN / max(a.mean_luma, 0.01)
    if dark and not steps and amplified > NOISE_SIGMA:
        add("denoise", f"estimated noise sigma {a.noise_sigma:.1f} in a dark image, about {amplified:.0f} once "
                       f"brightened (> {NOISE_SIGMA:g}) → denoise before brightening")
    if dark:
        add("lowlight", f"{dark} → low-light enhancement")
    elif a.mean_luma < DARK_MEAN:
        notes.append(f"dark on average ({a.mean_luma * 255:.0f}/255) but highlights reach "
                     f"{a.highlight * 255:.0f}/255 and {a.bright_share:.0%} of it is bright: a low-key photo, "
                     "left as it is (choose lowlight to brighten it)")
    if a.grayscale:
        add("colorize", f"the image is grayscale (chroma under {GRAY_CHROMA * 255:g}/255 in 99% of it) → colorize")
    elif a.toned:
        notes.append("a toned monochrome (one hue throughout, like sepia): its tone is kept "
                     "(choose colorize with recolor to give it colours)")
    elif a.mean_luma < DARK_MEAN and a.color_cast > SLIGHT_CAST:
        notes.append(f"a dark or night scene whose light is coloured (gray-edge spread {a.color_cast:.2f}): "
                     "the colour of the light is kept (choose color to neutralise it)")
    elif a.color_cast > CAST and a.highlight_tint <= TINTED_HIGHLIGHTS and not any(s.task == "lowlight" for s in steps):
        notes.append(f"edges are tinted (gray-edge spread {a.color_cast:.2f}) but the highlights are neutral: a scene "
                     "dominated by one colour, left as it is (choose color to neutralise it)")
    elif a.color_cast > CAST and not any(s.task == "lowlight" for s in steps):
        add("color", f"edges are tinted (gray-edge spread {a.color_cast:.2f} > {CAST:g}) and so is the light "
                     f"(highlights {a.highlight_tint:.2f}): a colour cast → automatic colour/tone")
    elif a.color_cast > SLIGHT_CAST and not any(s.task == "lowlight" for s in steps):
        notes.append(f"edges are slightly tinted (gray-edge spread {a.color_cast:.2f}): left as it is "
                     "(choose color to neutralise it)")
    if real:
        add("sr", f"{sr_why}; {web_copy}: a blurred, compressed copy → real-world SR (cleans up as it "
                  "upscales)", factor, model=real)
    elif factor > 1:
        add("sr", sr_why, factor)
    if not steps and not notes:
        notes.append("brightness, noise, colour and size look fine → nothing to do")
    return Plan(steps=tuple(steps), analysis=asdict(a), notes=tuple(notes))
