"""Image quality metrics: PSNR, SSIM, CIEDE2000 and colourfulness.

Every metric takes images ``(C, H, W)`` (vivid's internal float [0, 1] form) and returns a Python float.
``psnr_y`` and ``ssim_y`` are the classical SR protocol of ``../shared/docs/EVAL.md``.
"""

from vivid.metrics.color import ciede2000, colorfulness, delta_e2000
from vivid.metrics.psnr import psnr, psnr_b, psnr_y
from vivid.metrics.ssim import ssim, ssim_map, ssim_y

__all__ = ["ciede2000", "colorfulness", "delta_e2000", "psnr", "psnr_b", "psnr_y", "ssim", "ssim_map", "ssim_y"]
