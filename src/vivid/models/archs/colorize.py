"""vivid's colorizers: grayscale ``(N, 1, H, W)`` in [0, 1] in, sRGB ``(N, 3, H, W)`` out.

Both keep the input's lightness and predict only the colour (chroma) at low resolution, which is where
colour lives: :meth:`chroma` predicts it from a gray image, :meth:`compose` puts it on a (possibly larger)
gray image. ``forward`` is the two together, so a wrapper can predict chroma on a reduced copy of a huge
image and compose it at full size.

* :class:`HueVAE` — seed 003's model, done properly. The seed's idea: encode the hue as the (cos, sin) of
  its angle and the saturation as the distance from the origin, predict them from the gray image with a
  VAE-like network whose encoder turns the gray image into a latent vector and whose decoder sees the gray
  image again and merges it with the latent. Here the hue angle is taken in the BT.601 chroma plane
  (Cb, Cr) instead of HSV, so that the predicted (cos·s, sin·s) pair *is* the chroma and the gray input is
  kept exactly as the output's luma. Loss: L1 on the chroma plus a small KL term on the latent;
  inference uses the latent mean (deterministic).
* :class:`LabBinsUNet` — vivid's better colorizer in the style of Zhang, Isola & Efros (ECCV 2016,
  "Colorful Image Colorization"): a U-Net on the L channel predicts, at a quarter of the resolution, a
  distribution over quantised ab bins (grid 10, only bins inside the sRGB gamut); training uses soft
  targets (5 nearest bins, Gaussian σ 5) and class rebalancing (weights from a smoothed running prior
  mixed with the uniform, λ 0.5), so that rare saturated colours are not averaged away into sepia; the
  colour is the *annealed mean* of the distribution (temperature 0.38 by default).

  Two inference-only safeguards make its colours ones a user would keep (both off by default, set per
  shipped model): ``cool_penalty`` lowers the logits of cool (green-to-blue) bins in proportion to their
  chroma, so that a region the network is unsure of does not turn blue or green — the failure that painted
  faces blue, since smooth bright regions look like sky to it; a confident sky or foliage keeps its colour.
  ``confidence`` shrinks the chroma where the predicted distribution is wide: by ``1 / (1 + (u / c)²)``,
  ``u`` the distribution's standard deviation in ab units, so uncertain regions stay near neutral.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from vivid.ops.color import lab_to_rgb, rgb_to_lab, srgb_to_linear

#: BT.601 full-range (JPEG) chroma → RGB: R = Y + 1.402 Cr, G = Y − 0.344136 Cb − 0.714136 Cr, B = Y + 1.772 Cb
_CHROMA_TO_RGB = ((0.0, 1.402), (-0.344136, -0.714136), (1.772, 0.0))


class _Res(nn.Module):
    def __init__(self, ch: int, dilation: int = 1) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(ch, ch, 3, padding=dilation, dilation=dilation)
        self.c2 = nn.Conv2d(ch, ch, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.c2(F.relu(self.c1(x)))


def _pad8(x: torch.Tensor, m: int) -> tuple[torch.Tensor, int, int]:
    h, w = x.shape[-2:]
    ph, pw = (-h) % m, (-w) % m
    if ph or pw:
        x = F.pad(x, (0, pw, 0, ph), mode="replicate")
    return x, h, w


def rgb_to_chroma(rgb: torch.Tensor) -> torch.Tensor:
    """BT.601 full-range (Cb, Cr) of sRGB ``(N, 3, H, W)``, centred on 0 (range ±0.5)."""
    r, g, b = rgb[:, 0:1], rgb[:, 1:2], rgb[:, 2:3]
    cb = -0.168736 * r - 0.331264 * g + 0.5 * b
    cr = 0.5 * r - 0.418688 * g - 0.081312 * b
    return torch.cat([cb, cr], dim=1)


def luma(rgb: torch.Tensor) -> torch.Tensor:
    return 0.299 * rgb[:, 0:1] + 0.587 * rgb[:, 1:2] + 0.114 * rgb[:, 2:3]


class HueVAE(nn.Module):
    """Seed 003's VAE-like hue/saturation colorizer.

    Args: in_channels (1); channels (width of the first level); latent (size of the latent vector).
    """

    def __init__(self, *, in_channels: int = 1, channels: int = 32, latent: int = 128) -> None:
        super().__init__()
        c = channels
        self.in_channels = in_channels
        # encoder: gray -> latent vector (mean and log-variance)
        self.enc = nn.Sequential(
            nn.Conv2d(1, c, 3, stride=2, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(c, 2 * c, 3, stride=2, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(2 * c, 4 * c, 3, stride=2, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(4 * c, 4 * c, 3, stride=2, padding=1), nn.ReLU(inplace=True),
        )
        self.mu = nn.Linear(4 * c, latent)
        self.logvar = nn.Linear(4 * c, latent)
        # decoder: gray again (at half resolution) merged with the latent at 1/8
        self.d0 = nn.Sequential(nn.Conv2d(4, c, 3, padding=1), nn.ReLU(inplace=True))
        self.d1 = nn.Sequential(nn.Conv2d(c, 2 * c, 3, stride=2, padding=1), nn.ReLU(inplace=True))
        self.d2 = nn.Sequential(nn.Conv2d(2 * c, 4 * c, 3, stride=2, padding=1), nn.ReLU(inplace=True))
        self.z_proj = nn.Linear(latent, 4 * c)
        self.mid = nn.Sequential(_Res(4 * c), _Res(4 * c, 2), _Res(4 * c, 4))
        self.u2 = nn.Conv2d(4 * c, 2 * c * 4, 1)
        self.m2 = nn.Sequential(nn.Conv2d(4 * c, 2 * c, 3, padding=1), nn.ReLU(inplace=True))
        self.u1 = nn.Conv2d(2 * c, c * 4, 1)
        self.m1 = nn.Sequential(nn.Conv2d(2 * c, c, 3, padding=1), nn.ReLU(inplace=True))
        self.out = nn.Conv2d(c, 2, 3, padding=1)  # (cos·s, sin·s) at half resolution

    def encode(self, gray: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        f = self.enc(gray - 0.5).mean(dim=(2, 3))
        return self.mu(f), self.logvar(f).clamp(-10.0, 10.0)

    def decode(self, gray: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        x = F.pixel_unshuffle(gray - 0.5, 2)
        f0 = self.d0(x)
        f1 = self.d1(f0)
        f2 = self.d2(f1) + self.z_proj(z)[:, :, None, None]
        f2 = self.mid(f2)
        up = F.pixel_shuffle(self.u2(f2), 2)
        f1 = self.m2(torch.cat([up, f1], dim=1))
        up = F.pixel_shuffle(self.u1(f1), 2)
        f0 = self.m1(torch.cat([up, f0], dim=1))
        uv = 0.5 * torch.tanh(self.out(f0))
        # hue angle and saturation (the seed's encoding), back to the chroma plane
        angle = torch.atan2(uv[:, 1:2], uv[:, 0:1])
        sat = uv.norm(dim=1, keepdim=True)
        return torch.cat([sat * torch.cos(angle), sat * torch.sin(angle)], dim=1)

    def _chroma(self, gray: torch.Tensor, *, sample: bool) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        g, h, w = _pad8(gray, 8)
        mu, logvar = self.encode(g)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if sample else mu
        cc = self.decode(g, z)  # half resolution
        return cc[:, :, : (h + 1) // 2, : (w + 1) // 2], mu, logvar

    def chroma(self, gray: torch.Tensor) -> torch.Tensor:
        """(Cb, Cr) at half resolution for gray ``(N, 1, H, W)``."""
        return self._chroma(gray, sample=False)[0]

    def compose(self, gray: torch.Tensor, chroma: torch.Tensor) -> torch.Tensor:
        cc = F.interpolate(chroma, size=gray.shape[-2:], mode="bilinear", align_corners=False)
        rgb = [gray + a * cc[:, 0:1] + b * cc[:, 1:2] for a, b in _CHROMA_TO_RGB]
        return torch.cat(rgb, dim=1).clamp(0.0, 1.0)

    def forward(self, gray: torch.Tensor) -> torch.Tensor:
        return self.compose(gray, self.chroma(gray))

    def training_loss(self, gray: torch.Tensor, target: torch.Tensor, *, kl_weight: float = 1e-3) -> torch.Tensor:
        cc, mu, logvar = self._chroma(gray, sample=True)
        full = F.interpolate(cc, size=gray.shape[-2:], mode="bilinear", align_corners=False)
        rec = F.l1_loss(full, rgb_to_chroma(target))
        kl = -0.5 * torch.mean(1 + logvar - mu.pow(2) - logvar.exp())
        return rec + kl_weight * kl


def _gamut_bins(step: float, limit: float) -> np.ndarray:
    """ab bin centres (grid ``step``) for which some lightness gives an sRGB colour inside the gamut."""
    axis = np.arange(-limit, limit + 1e-6, step)
    a, b = np.meshgrid(axis, axis, indexing="ij")
    ls = np.linspace(5.0, 95.0, 37)
    lab = np.stack(np.broadcast_arrays(ls[:, None, None], a[None], b[None]), axis=0)  # (3, L, A, B)
    rgb = lab_to_rgb(lab.reshape(3, len(ls), -1))
    ok = np.all((rgb >= 0.0) & (rgb <= 1.0), axis=0).any(axis=0)
    return np.stack([a.reshape(-1)[ok], b.reshape(-1)[ok]], axis=1).astype(np.float32)


class LabBinsUNet(nn.Module):
    """Zhang et al. 2016-style colorizer: a U-Net predicting a distribution over in-gamut ab bins.

    Args: in_channels (1); channels (width at half resolution); temperature (annealed mean, lower =
    more vivid); rebalance (λ of the class rebalancing: 0 = full rebalancing, 1 = none); saturation
    (inference only: a factor on the predicted chroma); cool_penalty (inference only: logit penalty on
    cool bins, per unit of chroma up to 40; 0 = off); confidence (inference only: the ab spread at which
    chroma is halved; 0 = off).
    """

    def __init__(
        self,
        *,
        in_channels: int = 1,
        channels: int = 32,
        temperature: float = 0.38,
        rebalance: float = 0.5,
        saturation: float = 1.0,
        cool_penalty: float = 0.0,
        confidence: float = 0.0,
    ) -> None:
        super().__init__()
        c = channels
        self.in_channels, self.temperature, self.rebalance = in_channels, temperature, rebalance
        self.saturation = saturation  # inference only: scales the predicted (a, b)
        self.cool_penalty, self.confidence = cool_penalty, confidence  # inference only, see the module doc
        centres = torch.from_numpy(_gamut_bins(10.0, 110.0))
        self.register_buffer("centres", centres, persistent=False)
        hue = torch.rad2deg(torch.atan2(centres[:, 1], centres[:, 0])) % 360
        cool = ((hue >= 120) & (hue <= 300)).float() * (centres.norm(dim=1) / 40).clamp(max=1)
        self.register_buffer("cool", cool, persistent=False)  # 0..1 per bin: green-to-blue, by chroma
        q = centres.shape[0]
        d2 = torch.cdist(centres, centres).pow(2)
        self.register_buffer("smooth", torch.softmax(-d2 / (2 * 5.0**2), dim=1), persistent=False)
        self.register_buffer("prior", torch.full((q,), 1.0 / q))  # running empirical bin distribution
        self.head = nn.Sequential(nn.Conv2d(4, c, 3, padding=1), nn.ReLU(inplace=True), _Res(c))  # 1/2
        self.e2 = nn.Sequential(nn.Conv2d(c, 2 * c, 3, stride=2, padding=1), nn.ReLU(inplace=True), _Res(2 * c))  # 1/4
        self.e3 = nn.Sequential(nn.Conv2d(2 * c, 4 * c, 3, stride=2, padding=1), nn.ReLU(inplace=True), _Res(4 * c))  # 1/8
        self.e4 = nn.Sequential(nn.Conv2d(4 * c, 8 * c, 3, stride=2, padding=1), nn.ReLU(inplace=True))  # 1/16
        self.mid = nn.Sequential(_Res(8 * c, 2), _Res(8 * c, 4), _Res(8 * c, 1))
        self.u4 = nn.Conv2d(8 * c, 4 * c * 4, 1)
        self.d3 = nn.Sequential(nn.Conv2d(8 * c, 4 * c, 3, padding=1), nn.ReLU(inplace=True), _Res(4 * c))
        self.u3 = nn.Conv2d(4 * c, 2 * c * 4, 1)
        self.d2 = nn.Sequential(nn.Conv2d(4 * c, 4 * c, 3, padding=1), nn.ReLU(inplace=True), _Res(4 * c))
        self.logits = nn.Conv2d(4 * c, q, 1)

    @staticmethod
    def lightness(gray: torch.Tensor) -> torch.Tensor:
        """CIE L* of an achromatic sRGB value ``gray``."""
        y = srgb_to_linear(gray.clamp(0.0, 1.0))
        f = torch.where(y > (6 / 29) ** 3, y.clamp_min(1e-12) ** (1 / 3), y / (3 * (6 / 29) ** 2) + 4 / 29)
        return 116.0 * f - 16.0

    def bin_logits(self, gray: torch.Tensor) -> torch.Tensor:
        """Logits over the ab bins at a quarter of the resolution; ``gray`` sides multiples of 16."""
        x = F.pixel_unshuffle(self.lightness(gray) / 100.0 - 0.5, 2)
        f1 = self.head(x)
        f2 = self.e2(f1)
        f3 = self.e3(f2)
        f4 = self.mid(self.e4(f3))
        f3 = self.d3(torch.cat([F.pixel_shuffle(self.u4(f4), 2), f3], dim=1))
        f2 = self.d2(torch.cat([F.pixel_shuffle(self.u3(f3), 2), f2], dim=1))
        return self.logits(f2)

    def chroma(self, gray: torch.Tensor) -> torch.Tensor:
        """(a, b) at a quarter of the resolution: the annealed mean of the predicted distribution."""
        g, h, w = _pad8(gray, 16)
        logits = self.bin_logits(g)
        if self.cool_penalty:
            logits = logits - self.cool_penalty * self.cool[None, :, None, None]
        p = torch.softmax(logits / self.temperature, dim=1)
        ab = torch.einsum("nqhw,qc->nchw", p, self.centres) * self.saturation
        if self.confidence:
            p1 = torch.softmax(logits, dim=1)
            mean = torch.einsum("nqhw,qc->nchw", p1, self.centres)
            second = torch.einsum("nqhw,q->nhw", p1, (self.centres**2).sum(dim=1))
            spread = (second - (mean**2).sum(dim=1)).clamp_min(0.0).sqrt()[:, None]
            ab = ab / (1.0 + (spread / self.confidence) ** 2)
        return ab[:, :, : (h + 3) // 4, : (w + 3) // 4]

    def compose(self, gray: torch.Tensor, chroma: torch.Tensor) -> torch.Tensor:
        ab = F.interpolate(chroma, size=gray.shape[-2:], mode="bilinear", align_corners=False)
        return lab_to_rgb(torch.cat([self.lightness(gray), ab], dim=1)).clamp(0.0, 1.0)

    def forward(self, gray: torch.Tensor) -> torch.Tensor:
        return self.compose(gray, self.chroma(gray))

    def training_loss(self, gray: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Class-rebalanced cross-entropy against soft-encoded ab targets (quarter resolution)."""
        logits = self.bin_logits(gray)
        ab = F.avg_pool2d(rgb_to_lab(target)[:, 1:], 4)  # (N, 2, h, w), matches the logits
        n, _, h, w = ab.shape
        flat = ab.permute(0, 2, 3, 1).reshape(-1, 2)
        d2 = torch.cdist(flat, self.centres).pow(2)
        near, idx = torch.topk(d2, 5, dim=1, largest=False)
        wts = torch.softmax(-near / (2 * 5.0**2), dim=1)
        soft = torch.zeros_like(d2).scatter_(1, idx, wts)  # (P, Q)
        with torch.no_grad():
            self.prior.mul_(0.99).add_(soft.mean(dim=0), alpha=0.01)
            smooth = self.prior @ self.smooth
            q = smooth.numel()
            weights = 1.0 / ((1 - self.rebalance) * smooth + self.rebalance / q)
            weights = weights / (smooth * weights).sum()
            pix_w = weights[idx[:, 0]]
        logp = F.log_softmax(logits.permute(0, 2, 3, 1).reshape(-1, logits.shape[1]), dim=1)
        return (pix_w * -(soft * logp).sum(dim=1)).mean()
