"""Build a torch architecture by family name; hyper-parameters are checked against its constructor."""

from __future__ import annotations

import inspect
import typing
from importlib import import_module
from typing import Any

from pydantic import TypeAdapter, ValidationError
from torch import nn

from vivid.errors import ConfigError

#: family name -> "module:class"; every class takes keyword-only, named hyper-parameters
ARCHS: dict[str, str] = {
    "rep_sr": "vivid.models.archs.rep_sr:RepSR",
    "vdsr": "vivid.models.archs.vdsr:VDSR",
    "unet_sr": "vivid.models.archs.unet_sr:UNetSR",
    "fast_sr": "vivid.models.archs.fsrcnn:FastSR",
    "denoise_unet": "vivid.models.archs.denoise_unet:DenoiseUNet",
    "global_local": "vivid.models.archs.global_local:GlobalLocal",
    "zero_dce": "vivid.models.archs.zero_dce:ZeroDCE",
    "hue_vae": "vivid.models.archs.colorize:HueVAE",
    "lab_bins": "vivid.models.archs.colorize:LabBinsUNet",
}


def arch_class(arch: str) -> type[nn.Module]:
    try:
        module, _, name = ARCHS[arch].partition(":")
    except KeyError:
        raise ConfigError(f"unknown architecture {arch!r}: known are {sorted(ARCHS)}") from None
    return getattr(import_module(module), name)


def build_arch(arch: str, **params: Any) -> nn.Module:
    """A fresh network of family ``arch`` with ``params`` (validated against the constructor)."""
    cls = arch_class(arch)
    sig = inspect.signature(cls.__init__)
    allowed = [p for p in sig.parameters if p != "self"]
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise ConfigError(f"architecture {arch!r} has no hyper-parameter(s) {unknown}: it takes {allowed}")
    hints = typing.get_type_hints(cls.__init__)
    for name, value in params.items():
        if name in hints:
            try:
                TypeAdapter(hints[name]).validate_python(value, strict=True)
            except ValidationError:
                raise ConfigError(
                    f"architecture {arch!r}: hyper-parameter {name} must be {_type_name(hints[name])}, got {value!r}"
                ) from None
    return cls(**params)


def _type_name(hint: Any) -> str:
    return getattr(hint, "__name__", None) or str(hint).replace("typing.", "")
