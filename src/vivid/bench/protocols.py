"""Per-task benchmark protocols: how an image is degraded, and how a model's output is scored.

Each protocol follows ../shared/docs/EVAL.md; its :attr:`Protocol.title` states what it did, and that
title heads the table. Degradations are seeded by the image's index in its dataset, so the same command
gives the same numbers.

* ``sr`` — HR mod-cropped to the scale, LR = MATLAB ``imresize(hr, 1/s)`` on uint8 values, outputs
  rounded to uint8, PSNR/SSIM on Y (BT.601) with ``s`` pixels shaved. Baseline: the ``bicubic`` model.
* ``sr`` with ``--degrade real`` — real-world SR: the mod-cropped HR image through
  :data:`vivid.ops.real_world.BENCH_CHAIN` (blur, resize, noise, JPEG, twice; final resize to 1/s and JPEG;
  noise from ``numpy.random.default_rng(index)``), scored as ``sr``. Gray images go through it as three equal
  channels and come back as their mean. Baseline: ``bicubic`` on the degraded input.
* ``denoise`` — AWGN of ``sigma`` (0..255 scale) added in float with seed = image index (optionally
  quantised), outputs clipped, PSNR/SSIM on RGB (gray for gray sets), no shave. Baseline: the noisy input.
* ``dejpeg`` — the clean image saved by Pillow as JPEG at ``quality`` (4:2:0 chroma, as most JPEGs are)
  and decoded; PSNR/SSIM on RGB (gray sets: gray) and PSNR-B (Y) of outputs rounded to uint8, no shave.
  Baseline: the JPEG itself.
* ``lowlight`` — real pairs (LOL): RGB PSNR/SSIM with no correction, plus a separately labelled
  GT-mean-corrected PSNR; clean images are darkened with ``ops.degrade`` (seeded); DICM-like sets
  without ground truth get no-reference numbers (mean luma, colourfulness).
* ``color`` — real pairs (FiveK) or a seeded colour cast of clean images: RGB PSNR and mean CIEDE2000.
* ``colorize`` — colour images made gray: PSNR/SSIM against the colour original and colourfulness.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from vivid.errors import ConfigError, InputError
from vivid.io.image import Image, quantize
from vivid.metrics import ciede2000, colorfulness, psnr, psnr_b, psnr_y, ssim, ssim_y
from vivid.models.base import TASKS
from vivid.ops.color import rgb_to_gray
from vivid.ops.degrade import Degradation, add_gaussian_noise, jpeg, to_grayscale
from vivid.ops.resize import imresize, modcrop

if TYPE_CHECKING:
    from vivid.bench.datasets import Dataset, DatasetItem
    from vivid.io.image import Image

#: default synthetic degradations for clean images (ops.degrade spec strings), per task
DEFAULT_SYNTHETIC = {
    # about 4.5 stops under in linear light with a darker toe, plus mild shot and read noise:
    # mean levels of about 10-30/255, as in LOL's low-light images (6.6-24.9)
    "lowlight": "lowlight:0.05/1.2/0.0002/0.0005",
    # a tungsten-like illuminant (the reference white is 6500 K): a clearly visible warm cast; a range
    # around 6500 K would draw near-neutral casts for some images
    "color": "cast:3000",
}


@dataclass(frozen=True)
class Metric:
    """A score column: ``key`` in results, ``label`` in tables, ``digits`` after the point."""

    key: str
    label: str
    digits: int
    higher_is_better: bool = True


PSNR = Metric("psnr", "PSNR", 2)
SSIM = Metric("ssim", "SSIM", 4)
PSNR_GT_MEAN = Metric("psnr_gtmean", "PSNR GT-mean corrected", 2)
DELTA_E = Metric("delta_e", "ΔE00", 2, higher_is_better=False)
COLORFULNESS = Metric("colorfulness", "colourfulness", 1)
MEAN_LUMA = Metric("mean_luma", "mean luma /255", 1)
PSNR_B = Metric("psnr_b", "PSNR-B (Y)", 2)


@dataclass(frozen=True)
class Case:
    """One image ready to run: the model's input, what to score against, what to show.

    ``target`` is the colour ground truth ``(C, H, W)`` (None without reference); ``shown_input`` is the
    degraded input at the output size (nearest-neighbour enlarged for SR) for side-by-side crops;
    ``baseline`` is the no-model output for tasks whose baseline is the input itself.
    """

    name: str
    model_input: Image
    target: np.ndarray | None
    shown_input: np.ndarray
    baseline: np.ndarray | None


@dataclass(frozen=True)
class Protocol:
    """How one task at one setting degrades and scores an image.

    ``setting`` is the key in results (``x2``, ``sigma25``, ``pairs``, ``synthetic``, ``noref``, ``gray``);
    ``label`` the human form; ``baseline_model`` the registry model run as baseline (SR), else None and
    the degraded input is the baseline.
    """

    task: str
    setting: str
    label: str
    title: str
    metrics: tuple[Metric, ...]
    baseline_label: str
    baseline_model: str | None = None
    scale: int | None = None
    sigma: float | None = None
    quality: int | None = None
    quantize_noisy: bool = False
    degradation: str | None = None
    quantize_output: bool = True
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def gain_metric(self) -> Metric | None:
        """The metric whose difference to the baseline is reported (the first one), if any."""
        return None if self.setting == "noref" else self.metrics[0]

    # ------------------------------------------------------------------ checks (before any work)
    def check(self, dataset: Dataset) -> None:
        """Raise :class:`InputError` if an image of ``dataset`` cannot go through this protocol."""
        for item in dataset.items:
            where = f"dataset {dataset.name!r}, image {item.name!r}"
            if self.task == "sr":
                s = int(self.scale or 1)
                h, w = item.height - item.height % s, item.width - item.width % s
                if min(h, w) - 2 * s < 11:
                    raise InputError(
                        f"{where} is {item.width}x{item.height}: too small for x{s} "
                        f"(SSIM needs 11 pixels after shaving {s}); remove it"
                    )
            elif min(item.height, item.width) < 11:
                raise InputError(
                    f"{where} is {item.width}x{item.height}: SSIM needs at least 11x11; remove it"
                )
            if self.task in ("color", "colorize") and item.channels < 3:
                raise InputError(f"{where} is grayscale: the {self.task} benchmark needs colour images")

    # ------------------------------------------------------------------ degrade
    def prepare(self, item: DatasetItem, index: int) -> Case:
        """Read ``item`` and make its case; deterministic (seed = ``index``)."""
        from vivid.io.read import read_image

        if self.setting == "noref":
            src = read_image(item.source).color  # type: ignore[arg-type]
            return Case(item.name, Image(src), None, src, src)
        target = read_image(item.target).color  # type: ignore[arg-type]
        if self.task == "sr":
            s = int(self.scale)  # type: ignore[arg-type]
            hr = np.ascontiguousarray(modcrop(target, s))
            lr = real_world_lr(hr, s, index) if self.degradation == REAL else imresize(hr, 1.0 / s, quantize=8)
            shown = np.repeat(np.repeat(lr, s, axis=1), s, axis=2)
            return Case(item.name, Image(lr), hr, shown, None)
        if self.task == "denoise":
            noisy = add_gaussian_noise(
                target,
                sigma=float(self.sigma),
                seed=index,  # type: ignore[arg-type]
                quantize=self.quantize_noisy,
            )
            return Case(item.name, Image(noisy), target, np.clip(noisy, 0, 1), noisy)
        if self.task == "dejpeg":
            clean = quantize(target)
            compressed = jpeg(clean, quality=int(self.quality))  # type: ignore[arg-type]
            return Case(item.name, Image(compressed), clean, compressed, compressed)
        if self.setting == "pairs":
            src = read_image(item.source).color  # type: ignore[arg-type]
            return Case(item.name, Image(src), target, src, src)
        if self.task == "colorize":
            gray = quantize(to_grayscale(target, keep_channels=False))
            rgb = np.repeat(gray, 3, axis=0)
            return Case(item.name, Image(gray), target, rgb, rgb)

        # a synthetic input is stored as an 8-bit photo would be
        degraded = quantize(Degradation.parse(self.degradation)(target, seed=index))  # type: ignore[arg-type]
        return Case(item.name, Image(degraded), target, degraded, degraded)

    # ------------------------------------------------------------------ score
    def finish(self, output: np.ndarray) -> np.ndarray:
        """The output as scored: colour channels, clipped, rounded to 8 bits where the protocol says."""
        out = np.clip(np.asarray(output, dtype=np.float32), 0.0, 1.0)
        return quantize(out) if self.quantize_output else out

    def score(self, output: np.ndarray, case: Case) -> dict[str, float]:
        """The metrics of ``output`` (already :meth:`finish`-ed) for ``case``."""
        out = output
        if self.setting == "noref":
            rgb = np.repeat(out, 3, axis=0) if out.shape[0] == 1 else out
            return {
                "mean_luma": float(np.mean(rgb_to_gray(rgb.astype(np.float64)))) * 255.0,
                "colorfulness": colorfulness(rgb),
            }
        gt = case.target
        assert gt is not None
        if out.shape != gt.shape:
            if out.shape[1:] == gt.shape[1:] and out.shape[0] == 3 and gt.shape[0] == 1:
                gt = np.repeat(gt, 3, axis=0)  # a colorizer or RGB model on a gray image
            elif out.shape[1:] == gt.shape[1:] and out.shape[0] == 1 and gt.shape[0] == 3:
                out = np.repeat(out, 3, axis=0)
            else:
                raise InputError(
                    f"image {case.name!r}: the output is {out.shape}, the ground truth {gt.shape}: "
                    "the model does not keep the expected size"
                )
        if self.task == "sr":
            s = int(self.scale)  # type: ignore[arg-type]
            return {"psnr": psnr_y(out, gt, shave=s), "ssim": ssim_y(out, gt, shave=s)}
        scores = {"psnr": psnr(out, gt)}
        if self.task == "dejpeg":
            return {**scores, "ssim": ssim(out, gt), "psnr_b": psnr_b(out, gt)}
        if self.task == "color":
            scores["delta_e"] = ciede2000(out, gt)
            return scores
        scores["ssim"] = ssim(out, gt)
        if self.task == "lowlight":
            scores["psnr_gtmean"] = psnr(gt_mean_corrected(out, gt), gt)
        if self.task == "colorize":
            scores["colorfulness"] = colorfulness(out if out.shape[0] == 3 else np.repeat(out, 3, axis=0))
        return scores


def gt_mean_corrected(output: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``output`` scaled so that its mean gray level equals the target's, then clipped to [0, 1].

    The "GT mean" correction some low-light papers apply before scoring (e.g. the use_GT_mean option of
    HVI-CIDNet's measuring script); it removes the global brightness error, so it is reported separately.
    """
    def mean_gray(x: np.ndarray) -> float:
        return float(np.mean(rgb_to_gray(x.astype(np.float64)) if x.shape[0] == 3 else x))

    m_out, m_gt = mean_gray(output), mean_gray(target)
    return np.clip(output.astype(np.float64) * (m_gt / max(m_out, 1e-6)), 0.0, 1.0)


#: ``--degrade real`` for ``--task sr``: the fixed real-world chain instead of bicubic downscaling
REAL = "real"


def real_world_lr(hr: np.ndarray, scale: int, index: int) -> np.ndarray:
    """The LR input of the real-world SR protocol: ``hr`` ``(C, H, W)`` through
    :data:`~vivid.ops.real_world.BENCH_CHAIN` with noise seeded by ``index``; gray (1 channel) images pass
    as three equal channels and return their mean."""
    from vivid.ops.real_world import BENCH_CHAIN, apply_chain

    rgb = np.repeat(hr, 3, axis=0) if hr.shape[0] == 1 else hr
    lr = apply_chain(rgb, BENCH_CHAIN, scale, np.random.default_rng(index))
    return lr.mean(axis=0, keepdims=True) if hr.shape[0] == 1 else lr


def _check_degradation(spec: str) -> str:
    d = Degradation.parse(spec)  # raises ConfigError with the syntax on a bad spec
    if d.scale != 1:
        raise ConfigError(
            f"--degrade {spec!r} changes the image size: size-changing steps (down) belong to --task sr"
        )
    return str(d)


def setting_values(
    task: str, *, scales: tuple[int, ...], sigmas: tuple[float, ...], qualities: tuple[int, ...] = ()
) -> tuple[float | None, ...]:
    """The settings a task runs over: scales for SR, sigmas for denoising, JPEG qualities for dejpeg,
    one (None) otherwise."""
    if task == "dejpeg":
        if not qualities:
            raise ConfigError("--task dejpeg needs at least one --quality (e.g. 10,20,30,40)")
        return tuple(qualities)
    if task == "sr":
        if not scales:
            raise ConfigError("--task sr needs at least one --scale (e.g. 2,3,4)")
        return tuple(scales)
    if task == "denoise":
        if not sigmas:
            raise ConfigError("--task denoise needs at least one --sigma (e.g. 15,25,50)")
        return tuple(sigmas)
    return (None,)


def _real_sr_protocol(s: int, degradation: str) -> Protocol:
    from vivid.ops.real_world import BENCH_CHAIN

    if degradation != REAL:
        raise ConfigError(f"--degrade for --task sr takes only {REAL!r} (the fixed real-world chain), got {degradation!r}")
    return Protocol(
        "sr",
        f"x{s}-real",
        f"x{s} real-world",
        f"Real-world SR x{s}: PSNR (dB) / SSIM on Y (BT.601), shave {s}; HR mod-cropped to {s}; LR = HR through "
        f"vivid.ops.real_world.BENCH_CHAIN ({BENCH_CHAIN.describe(s)}; noise seeded by the image index); "
        "outputs rounded to uint8; mean over images",
        (PSNR, SSIM),
        "bicubic (baseline)",
        baseline_model="bicubic",
        scale=s,
        degradation=REAL,
    )


def make_protocol(
    task: str,
    value: float | None,
    *,
    mode: str,
    degradation: str | None = None,
    quantize_noisy: bool = False,
) -> Protocol:
    """The protocol for ``task`` at setting ``value`` (scale or sigma) on a dataset used in ``mode``."""
    if task == "sr":
        s = int(value)  # type: ignore[arg-type]
        if s != value or s < 2:
            raise ConfigError(f"--scale must be whole numbers >= 2 for the SR benchmark, got {value}")
        if degradation is not None:
            return _real_sr_protocol(s, degradation)
        return Protocol(
            task,
            f"x{s}",
            f"x{s}",
            f"SR x{s}: PSNR (dB) / SSIM on Y (BT.601), shave {s}; HR mod-cropped to {s}; "
            f"LR = MATLAB imresize(hr, 1/{s}) bicubic on uint8; outputs rounded to uint8; mean over images",
            (PSNR, SSIM),
            "bicubic (baseline)",
            baseline_model="bicubic",
            scale=s,
        )
    if task == "denoise":
        sigma = float(value)  # type: ignore[arg-type]
        if not 0 < sigma <= 255:
            raise ConfigError(f"--sigma must be in (0, 255] (0..255 scale), got {value}")
        noisy = "quantised to uint8 (and clipped)" if quantize_noisy else "float, not clipped, not quantised"
        return Protocol(
            task,
            f"sigma{sigma:g}",
            f"σ={sigma:g}",
            f"Denoising σ={sigma:g}: AWGN added in float, seed = image index; noisy input {noisy}; "
            f"PSNR (dB) / SSIM on RGB (gray sets: gray), no shave; outputs clipped to [0, 1], not rounded; "
            f"the baseline scores the noisy input as the models get it",
            (PSNR, SSIM),
            "noisy input (baseline)",
            sigma=sigma,
            quantize_noisy=quantize_noisy,
            quantize_output=False,
        )
    if task == "dejpeg":
        q = int(value)  # type: ignore[arg-type]
        if q != value or not 1 <= q <= 100:
            raise ConfigError(f"--quality must be whole numbers from 1 to 100, got {value}")
        return Protocol(
            task,
            f"q{q}",
            f"q={q}",
            f"JPEG artefacts, quality {q}: the clean image saved by Pillow as JPEG (4:2:0) and decoded; "
            f"PSNR (dB) / SSIM on RGB (gray sets: gray) and PSNR-B (dB, Y, Yim & Bovik 2011), no shave; "
            f"outputs rounded to uint8; the baseline scores the JPEG as the models get it",
            (PSNR, SSIM, PSNR_B),
            "JPEG input (baseline)",
            quality=q,
        )
    if task in ("lowlight", "color"):
        if mode == "noref":
            return Protocol(
                task,
                "noref",
                "no reference",
                f"{task} on real inputs without ground truth: no-reference numbers only — "
                "mean luma of the output (0..255) and Hasler-Süsstrunk colourfulness; "
                "outputs rounded to uint8",
                (MEAN_LUMA, COLORFULNESS),
                "input (baseline)",
            )
        metrics = (PSNR, SSIM, PSNR_GT_MEAN) if task == "lowlight" else (PSNR, DELTA_E)
        what = (
            "PSNR (dB) / SSIM on RGB, no correction; separately: PSNR after GT-mean correction (output "
            "scaled to the ground truth's mean gray)"
            if task == "lowlight"
            else "PSNR (dB) on RGB and mean CIEDE2000 ΔE00 (D65)"
        )
        if mode == "paired":
            return Protocol(
                task,
                "pairs",
                "real pairs",
                f"{task} on real pairs: {what}; outputs rounded to uint8",
                metrics,
                "input (baseline)",
            )
        spec = _check_degradation(degradation or DEFAULT_SYNTHETIC[task])
        return Protocol(
            task,
            "synthetic",
            f"synthetic {spec}",
            f"{task} on clean images degraded with '{spec}' (vivid.ops.degrade, seed = image index, "
            f"stored as uint8): {what}; outputs rounded to uint8",
            metrics,
            "degraded input (baseline)",
            degradation=spec,
        )
    if task == "colorize":
        return Protocol(
            task,
            "gray",
            "gray input",
            "Colorization: colour images made gray (BT.601, uint8); PSNR (dB) / SSIM on RGB against the "
            "colour original and Hasler-Süsstrunk colourfulness of the output; outputs rounded to uint8",
            (PSNR, SSIM, COLORFULNESS),
            "gray input (baseline)",
        )

    raise ConfigError(f"unknown task {task!r}: use one of {', '.join(TASKS)}")
