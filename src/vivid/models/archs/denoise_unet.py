"""vivid's denoiser: an FFDNet-style noise-level-map input, working at half resolution.

The noisy image is pixel-unshuffled (x2 → 4C channels) together with a noise-level map, passed through a
small three-level U-Net with residual blocks, and shuffled back; the network predicts the noise, which is
subtracted. Working at half resolution keeps training and inference cheap on CPUs. The noise-level map
lets the user turn denoising down (a smaller sigma removes less).

Input: ``(N, C + 1, H, W)`` — image channels then the noise-level map (sigma / 255); ``H`` and ``W``
multiples of 8. Output: ``(N, C, H, W)``. With ``noise_map=False`` (blind restorers such as the JPEG-artefact
remover) the input is ``(N, C, H, W)``, without a map.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class _ResBlock(nn.Module):
    def __init__(self, ch: int) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(ch, ch, 3, padding=1)
        self.c2 = nn.Conv2d(ch, ch, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.c2(F.relu(self.c1(x)))


class DenoiseUNet(nn.Module):
    """Args: in_channels (3 colour or 1 gray); channels (width of the top level); blocks per level;
    noise_map (whether a noise-level map follows the image channels)."""

    def __init__(self, *, in_channels: int = 3, channels: int = 32, blocks: int = 2, noise_map: bool = True) -> None:
        super().__init__()
        c = channels
        self.in_channels = in_channels
        self.noise_map = noise_map
        self.head = nn.Conv2d(4 * in_channels + int(noise_map), c, 3, padding=1)
        self.enc1 = nn.Sequential(*[_ResBlock(c) for _ in range(blocks)])
        self.down1 = nn.Conv2d(c, 2 * c, 2, stride=2)
        self.enc2 = nn.Sequential(*[_ResBlock(2 * c) for _ in range(blocks)])
        self.down2 = nn.Conv2d(2 * c, 4 * c, 2, stride=2)
        self.mid = nn.Sequential(*[_ResBlock(4 * c) for _ in range(blocks)])
        self.up2 = nn.ConvTranspose2d(4 * c, 2 * c, 2, stride=2)
        self.dec2 = nn.Sequential(*[_ResBlock(2 * c) for _ in range(blocks)])
        self.up1 = nn.ConvTranspose2d(2 * c, c, 2, stride=2)
        self.dec1 = nn.Sequential(*[_ResBlock(c) for _ in range(blocks)])
        self.tail = nn.Conv2d(c, 4 * in_channels, 3, padding=1)
        nn.init.zeros_(self.tail.weight)
        nn.init.zeros_(self.tail.bias)

    def start_grown_parts(self, missing: set[str]) -> None:
        """Residual blocks whose weights a warm start did not fill (``missing``: their state-dict names) start
        as the identity — their second convolution zeroed — so a network grown deeper from a trained one's
        weights (more ``blocks``) begins with exactly that network's output."""
        with torch.no_grad():
            for name, module in self.named_modules():
                if isinstance(module, _ResBlock) and {f"{name}.c1.weight", f"{name}.c2.weight"} <= missing:
                    module.c2.weight.zero_()
                    module.c2.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        img = x[:, : self.in_channels]
        z = F.pixel_unshuffle(img, 2)
        if self.noise_map:
            z = torch.cat([z, F.avg_pool2d(x[:, self.in_channels :], 2)], dim=1)
        h = self.head(z)
        e1 = self.enc1(h)
        e2 = self.enc2(self.down1(e1))
        m = self.mid(self.down2(e2))
        d2 = self.dec2(self.up2(m) + e2)
        d1 = self.dec1(self.up1(d2) + e1)
        noise = F.pixel_shuffle(self.tail(d1), 2)
        return img - noise
