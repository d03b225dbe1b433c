"""Classical denoisers: a noise-level estimator, OpenCV non-local means and BM3D.

All take one image ``(C, H, W)`` float32 (C = 1 or 3), nominally in [0, 1]: noisy inputs slightly
outside [0, 1] (AWGN added in float, not clipped) are accepted. Noise levels are standard deviations
on the 0..255 scale. The denoisers estimate the level per image with :func:`estimate_noise_sigma`
when it is not given, so they make a global decision and do not tile.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.special import gammaincinv, ndtr

from vivid.errors import ConfigError, ModelError
from vivid.io.image import to_uint
from vivid.models.classical.per_image import PerImageRestorer, check_image, per_image_restorer

# --- noise level -----------------------------------------------------------------------------------

_COLOR_PATCH = 5  # colour: PCA of 5x5x3 patches (75 dimensions)
_COLOR_MAX_PATCHES = 10_000  # patches are taken on a stride that keeps at most about this many
_GRAY_PATCH = 7  # gray: weak-texture patches of 7x7 (49 dimensions)
_GRAY_MAX_PATCHES = 40_000
_WEAK_TEXTURE_CONFIDENCE = 1.0 - 1e-6  # Liu et al.'s threshold quantile for flat patches
_CLIP_SHARE = 1e-3  # share of values exactly at 0 or 1 above which the noise counts as clipped
_CLIP_MARGIN = 0.5  # in clipped images, use patches whose means are this many sigmas from 0 and 1


def estimate_noise_sigma(img: np.ndarray) -> float:
    """Standard deviation of additive white Gaussian noise in ``img``, on the 0..255 scale.

    Colour: the PCA method of Chen, Zhu and Heng (ICCV 2015, "An efficient statistical method for
    image noise level estimation") on 5x5 patches of all three channels together: the eigenvalues of
    the patch covariance that belong to noise alone are the smallest ones, whose mean equals their
    median; their mean is the noise variance. Gray: the weak-texture method of Liu, Tanaka and
    Okutomi (IEEE TIP 2013): 7x7 patches whose gradient energy is below a Gamma quantile for pure
    noise, iterated; the smallest eigenvalue of their covariance, divided by ``1 - sqrt(d / n)`` (it
    sits below the noise variance by about that factor for ``n`` patches of ``d`` pixels).

    Noise clipped at 0 and 1 (many values exactly at the bounds, none outside) is handled by keeping
    patches whose means lie at least half a sigma inside (0, 1) and undoing the variance that
    clipping removes there (censored normal). Noisy floats outside [0, 1] are used as they are.
    Images under 8 pixels a side fall back to Donoho's MAD of the finest Haar diagonal band.

    Accuracy on the 68 CBSD68 images (AWGN added in float, one seed; error = estimate - sigma), at
    sigma 5 / 15 / 25 / 50 -- colour, unclipped: mean error +0.03 / -0.03 / -0.05 / -0.04, all
    within +-1.2; colour, clipped to [0, 1]: 0.01 / -0.15 / -0.35 / -1.1, all within +-1.1 up to
    sigma 15, one image off by 2.3 at sigma 25, 8 images under-estimated by more than 2 at sigma 50
    (worst -5.9: large near-white or near-black areas leave few unclipped patches). Gray (channel
    mean of the same images), unclipped: +0.14 / +0.28 / +0.27 / +0.06, all within +-1.7; clipped:
    +0.14 / +0.20 / +0.03 / -1.3, all within +-1.6 up to sigma 15, one image off by 2.4 at sigma 25,
    10 images beyond +-2 at sigma 50. Clean 8-bit photographs read about 0.2-0.8 (one gray 2.2).
    On the generated 160x160 test image (tests/models/classical), sigma 5-50, clipped or not, colour
    or gray: errors between -1.2 and -0.1.

    Args:
        img: ``(C, H, W)`` float array, C = 1 or 3.

    Returns:
        sigma on the 0..255 scale (about 0.5 for a clean 8-bit photograph, 0.0 for a flat image).
    """
    a = check_image(img)
    if a.shape[0] == 3 and np.array_equal(a[0], a[1]) and np.array_equal(a[0], a[2]):
        a = a[:1]  # a gray image given as three equal channels: the colour PCA would see no noise at all
    c, h, w = a.shape
    if h < 8 or w < 8:
        return _mad_sigma(a)
    inside = bool(a.min() >= 0.0 and a.max() <= 1.0)
    clipped = inside and float(np.mean((a == 0.0) | (a == 1.0))) >= _CLIP_SHARE
    sigma = _weak_texture_sigma(a[0], clipped=clipped) if c == 1 else _color_pca_sigma(a, clipped=clipped)
    return 255.0 * float(sigma)


def _patches(x: np.ndarray, side: int, max_patches: int) -> np.ndarray:
    """Strided ``side x side`` patches of ``(C, H, W)`` as ``(rows, cols, C, side, side)`` (a view)."""
    _, h, w = x.shape
    stride = max(1, math.ceil(math.sqrt((h - side + 1) * (w - side + 1) / max_patches)))
    win = sliding_window_view(x, (side, side), axis=(1, 2))[:, ::stride, ::stride]
    return win.transpose(1, 2, 0, 3, 4)


def _color_pca_sigma(x: np.ndarray, *, clipped: bool) -> float:
    c = x.shape[0]
    patches = _patches(x, _COLOR_PATCH, _COLOR_MAX_PATCHES).reshape(-1, c, _COLOR_PATCH**2).astype(np.float64)
    means = patches.mean(axis=2)  # (P, C)
    patches = patches.reshape(len(patches), -1)
    dims = patches.shape[1]
    if not clipped:
        return _chen_sigma(patches)
    # start from patches with no value at a bound, then keep patches whose means are well inside
    # (0, 1) and undo the variance lost to clipping there
    unclipped = ~np.any((patches == 0.0) | (patches == 1.0), axis=1)
    sigma = _chen_sigma(patches[unclipped] if unclipped.sum() >= 4 * dims else patches)
    for _ in range(3):
        lo = _CLIP_MARGIN * sigma
        keep = np.all((means >= lo) & (means <= 1.0 - lo), axis=1)
        if keep.sum() < 4 * dims or sigma <= 0.0:
            break
        observed = _chen_sigma(patches[keep])
        sigma = observed / math.sqrt(float(_censored_variance_ratio(means[keep], sigma).mean()))
    return sigma


def _chen_sigma(patches: np.ndarray) -> float:
    """Chen et al.'s rule on patch vectors ``(P, D)``: sqrt of the mean of the noise eigenvalues."""
    x = patches - patches.mean(axis=0)
    eig = np.sort(np.linalg.eigvalsh(x.T @ x / len(x)))
    for k in range(len(eig), 0, -1):
        tail = eig[:k]
        tau = tail.mean()
        if np.sum(tail > tau) == np.sum(tail < tau):
            return math.sqrt(max(float(tau), 0.0))
    return math.sqrt(max(float(eig[0]), 0.0))


@lru_cache(maxsize=4)
def _flat_patch_threshold(side: int) -> float:
    """Liu et al.'s gradient-energy threshold for a flat patch, in units of the noise variance."""
    n = side * side
    rows = []
    for i in range(side):  # central differences at interior columns, then at interior rows
        for j in range(1, side - 1):
            r = np.zeros(n)
            r[i * side + j + 1], r[i * side + j - 1] = 0.5, -0.5
            rows.append(r)
    for i in range(1, side - 1):
        for j in range(side):
            r = np.zeros(n)
            r[(i + 1) * side + j], r[(i - 1) * side + j] = 0.5, -0.5
            rows.append(r)
    d = np.array(rows)
    dtd = d.T @ d
    rank = int(np.linalg.matrix_rank(dtd))
    return float(gammaincinv(rank / 2, _WEAK_TEXTURE_CONFIDENCE) * 2.0 * np.trace(dtd) / rank)


def _weak_texture_sigma(x: np.ndarray, *, clipped: bool) -> float:
    p = _GRAY_PATCH
    gh = np.zeros_like(x)
    gh[:, 1:-1] = (x[:, 2:] - x[:, :-2]) / 2
    gv = np.zeros_like(x)
    gv[1:-1, :] = (x[2:, :] - x[:-2, :]) / 2
    view = _patches(np.stack([x, gh, gv]), p, _GRAY_MAX_PATCHES)  # (rows, cols, 3, p, p)
    patches = view[:, :, 0].reshape(-1, p * p).astype(np.float64)
    eh = view[:, :, 1, :, 1:-1].astype(np.float64)  # central differences inside the patch only
    ev = view[:, :, 2, 1:-1, :].astype(np.float64)
    energy = ((eh * eh).sum(axis=(-2, -1)) + (ev * ev).sum(axis=(-2, -1))).ravel()
    means = patches.mean(axis=1)
    dims = p * p
    tau = _flat_patch_threshold(p)
    var = _smallest_eigenvalue(patches)
    for _ in range(2):
        keep = energy < var * tau
        if clipped:
            lo = _CLIP_MARGIN * math.sqrt(var)
            keep &= (means >= lo) & (means <= 1.0 - lo)
        if keep.sum() < 4 * dims or var <= 0.0:
            break
        new = _smallest_eigenvalue(patches[keep])
        if clipped:
            new /= float(_censored_variance_ratio(means[keep], math.sqrt(var)).mean())
        var = new
    return math.sqrt(max(var, 0.0))


def _smallest_eigenvalue(patches: np.ndarray) -> float:
    """Smallest eigenvalue of the covariance of ``(P, D)`` patches over ``1 - sqrt(D / P)``."""
    n, d = patches.shape
    if n <= d:
        return float(np.var(patches))
    x = patches - patches.mean(axis=0)
    smallest = float(np.linalg.eigvalsh(x.T @ x / (n - 1))[0])
    return smallest / (1.0 - math.sqrt(d / n))


def _censored_variance_ratio(mu: np.ndarray, sigma: float) -> np.ndarray:
    """Var(clip(mu + sigma Z, 0, 1)) / sigma^2 for Z ~ N(0, 1)."""
    a = (0.0 - mu) / sigma
    b = (1.0 - mu) / sigma
    pa, pb = ndtr(a), ndtr(b)
    fa = np.exp(-0.5 * a * a) / math.sqrt(2 * math.pi)
    fb = np.exp(-0.5 * b * b) / math.sqrt(2 * math.pi)
    m1 = a * pa + b * (1 - pb) + (fa - fb)
    m2 = a * a * pa + b * b * (1 - pb) + (pb - pa) + (a * fa - b * fb)
    return np.clip(m2 - m1 * m1, 1e-6, 1.0)


def _mad_sigma(a: np.ndarray) -> float:
    """Donoho's robust sigma (MAD of the finest Haar diagonal band / 0.6745), mean over channels."""
    _, h, w = a.shape
    if h < 2 or w < 2:
        return 0.0
    x = a[:, : h // 2 * 2, : w // 2 * 2].astype(np.float64)
    hh = (x[:, 0::2, 0::2] - x[:, 0::2, 1::2] - x[:, 1::2, 0::2] + x[:, 1::2, 1::2]) / 2
    return 255.0 * float(np.mean([np.median(np.abs(band)) for band in hh])) / 0.6745


def _check_sigma(sigma: float | None, img: np.ndarray) -> float:
    if sigma is None:
        return estimate_noise_sigma(img)
    if isinstance(sigma, bool) or not isinstance(sigma, int | float | np.floating | np.integer):
        raise ConfigError(f"sigma must be a number on the 0..255 scale or None, got {sigma!r}")
    if not (math.isfinite(sigma) and 0.0 <= sigma <= 255.0):
        raise ConfigError(f"sigma must be between 0 and 255 (8-bit levels), got {sigma}")
    return float(sigma)


# --- non-local means -------------------------------------------------------------------------------

NLM_TEMPLATE = 3  # OpenCV templateWindowSize: best at every sigma tried (3 > 5 > 7), colour and gray
NLM_SEARCH = 21  # OpenCV searchWindowSize (35 was slower and not better)


def nlm_h(sigma: float, *, channels: int) -> float:
    """OpenCV's filter strength ``h`` for noise ``sigma`` (0..255): tuned on CBSD68 / BSD68.

    Colour images are filtered jointly in RGB by ``cv2.fastNlMeansDenoising`` (1.0 dB better than
    ``fastNlMeansDenoisingColored``'s Lab at sigma 25). Best ``h / sigma`` on 10 CBSD68 images
    (every 7th, noise clipped, uint8): 1.0-1.1 at sigma 5-15, 0.9 at 25, 0.85 at 35, 0.8 at 50; so
    1.0 up to 15, falling linearly to 0.8 at 50. Gray (10 BSD68 images): 1.0 at sigma 15, 25, 50.
    """
    if channels == 1:
        return float(sigma)
    factor = 1.0 - 0.2 * min(max((sigma - 15.0) / 35.0, 0.0), 1.0)
    return float(factor * sigma)


def nlm_denoise(img: np.ndarray, *, sigma: float | None = None) -> np.ndarray:
    """OpenCV fast non-local means on the 8-bit image, strength from ``sigma`` (see :func:`nlm_h`).

    Args:
        img: ``(C, H, W)`` float32, C = 1 or 3, nominally in [0, 1] (rounded to uint8 for OpenCV).
        sigma: noise standard deviation on the 0..255 scale; None estimates it
            (:func:`estimate_noise_sigma`). 0 returns the image unchanged (clipped).

    Returns:
        ``(C, H, W)`` float32 in [0, 1] (8-bit values).
    """
    import cv2

    a = check_image(img)
    s = _check_sigma(sigma, a)
    if s <= 0.0:
        return np.clip(a, 0.0, 1.0)
    h = nlm_h(s, channels=a.shape[0])
    u8 = to_uint(np.clip(a, 0.0, 1.0))
    src = u8[0] if a.shape[0] == 1 else np.ascontiguousarray(u8.transpose(1, 2, 0))
    out = cv2.fastNlMeansDenoising(src, None, h, NLM_TEMPLATE, NLM_SEARCH)
    out = out[None] if out.ndim == 2 else out.transpose(2, 0, 1)
    return np.ascontiguousarray(out, dtype=np.float32) / np.float32(255.0)


# --- BM3D ------------------------------------------------------------------------------------------

_BM3D_MIN_SIDE = 16  # the bm3d binaries crash (segmentation fault) on sides of 8 pixels or fewer


def _bm3d_package():  # noqa: ANN202 - the bm3d module
    """The optional ``bm3d`` package (non-commercial licence, so not a core dependency of vivid)."""
    try:
        import bm3d
    except ImportError:
        raise ModelError(
            "model 'bm3d' needs the optional bm3d package (free for non-commercial use only): "
            "pip install 'vivid-restore[bm3d]'"
        ) from None
    return bm3d


def bm3d_denoise(img: np.ndarray, *, sigma: float | None = None) -> np.ndarray:
    """BM3D (gray) or CBM3D (colour, opponent colour transform) from the ``bm3d`` package.

    ``bm3d.bm3d_rgb(..., colorspace="opp")`` for colour, ``bm3d.bm3d`` for gray, with
    ``sigma_psd = sigma / 255`` and the default ("np") profile. Images with a side under 16 pixels are
    mirror-padded first. The package is free for non-commercial use only (see :func:`build_bm3d`).

    Args:
        img: ``(C, H, W)`` float32, C = 1 or 3, nominally in [0, 1] (floats outside are kept).
        sigma: noise standard deviation on the 0..255 scale; None estimates it. 0 returns the image
            unchanged (clipped).

    Returns:
        ``(C, H, W)`` float32 in [0, 1].
    """
    bm3d = _bm3d_package()
    a = check_image(img)
    s = _check_sigma(sigma, a)
    if s <= 0.0:
        return np.clip(a, 0.0, 1.0)
    c, h, w = a.shape
    ph, pw = max(0, _BM3D_MIN_SIDE - h), max(0, _BM3D_MIN_SIDE - w)
    x = np.pad(a, ((0, 0), (0, ph), (0, pw)), mode="symmetric") if ph or pw else a
    x = x.astype(np.float64)
    if c == 3:
        out = bm3d.bm3d_rgb(np.ascontiguousarray(x.transpose(1, 2, 0)), s / 255.0, colorspace="opp")
        out = np.asarray(out).transpose(2, 0, 1)
    else:
        out = np.asarray(bm3d.bm3d(np.ascontiguousarray(x[0]), s / 255.0))[None]
    return np.clip(out[:, :h, :w], 0.0, 1.0).astype(np.float32)


# --- Restorers -------------------------------------------------------------------------------------

def build_nlm(scale: int) -> PerImageRestorer:
    """Non-local means (OpenCV) with the noise level estimated per image."""
    return per_image_restorer("nlm", scale, nlm_denoise, runtime="opencv")


def build_bm3d(scale: int) -> PerImageRestorer:
    """BM3D / CBM3D with the noise level estimated per image."""
    _bm3d_package()  # fail when the model is chosen, not after the image is read
    return per_image_restorer("bm3d", scale, bm3d_denoise, runtime="numpy")
