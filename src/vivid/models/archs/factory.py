"""Build a torch architecture by family name with named hyper-parameters."""

from __future__ import annotations

from torch import nn

from vivid.errors import ConfigError


def build_arch(arch: str, *, scale: int, in_channels: int, channels: int, blocks: int) -> nn.Module:
    """A fresh (training-time) network of family ``arch``."""
    if arch == "rep_sr":
        from vivid.models.archs.rep_sr import RepSR

        return RepSR(scale=scale, in_channels=in_channels, channels=channels, blocks=blocks)
    raise ConfigError(f"unknown architecture {arch!r}: known are ['rep_sr']")
