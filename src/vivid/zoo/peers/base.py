"""What every published method's module shares: its declaration (:class:`PeerArch`) and the checks that
recognise its weight files by tensor names and shapes and load them strictly."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import re

    from torch import nn

#: the licence of official weights whose repository states none
UNSTATED = "unknown (the official repository states none)"


@dataclass(frozen=True)
class PeerArch:
    """A published method whose weight files vivid recognises.

    Attributes:
        name: the method's name as published (``"Zero-DCE"``).
        source: paper and official repository.
        license: the licence of the official weights (from the repository; "unknown" where it states none).
        matches: whether a state dict (after spandrel's canonicalisation) has this method's tensor names.
        build: the network with the state dict loaded strictly (raises on a wrong shape).
        task: what it does.
        tileable: whether it may run on overlapping tiles (False for methods that look at a shrunk copy).
        tile_overlap: overlap in pixels for tiles (above the receptive radius).
        min_size: smallest input side it accepts (the engine pads).
        scales: the SR factors it does (1: not SR); the first is the default.
        channels: 3 (RGB) or 1 (luma: BT.601 studio-range Y, colour space ``y`` as vivid's Y models).
        upscale_first: an SR network that works on the input already upscaled by MATLAB's bicubic (VDSR,
            SRCNN): vivid upscales inside the module, so the engine gives it the low-resolution image.
    """

    name: str
    source: str
    license: str
    matches: Callable[[Mapping[str, Any]], bool]
    build: Callable[[Mapping[str, Any]], nn.Module]
    task: str = "lowlight"
    tileable: bool = True
    tile_overlap: int = 32
    min_size: int = 1
    scales: tuple[int, ...] = (1,)
    channels: int = 3
    upscale_first: bool = False


def has_keys(state: Mapping[str, Any], expected: set[str]) -> bool:
    """True if the state dict's keys are exactly ``expected``."""
    return set(state) == expected


def fits(state: Mapping[str, Any], module: nn.Module) -> bool:
    """True if the state dict has exactly ``module``'s tensor names."""
    return has_keys(state, set(module.state_dict()))


def indexed_count(state: Mapping[str, Any], pattern: re.Pattern[str]) -> int:
    """How many numbered modules ``pattern`` finds in the keys (its group 1 is the index): 1 + the largest."""
    found = [int(m.group(1)) for k in state if (m := pattern.match(k))]
    return max(found) + 1 if found else 0


def load_strict(module: nn.Module, state: Mapping[str, Any]) -> nn.Module:
    """``module`` with ``state`` loaded strictly, in eval mode."""
    module.load_state_dict(dict(state), strict=True)
    return module.eval()


def sized_from_state(
    make: Callable[[Mapping[str, Any]], nn.Module | None],
) -> tuple[Callable[[Mapping[str, Any]], bool], Callable[[Mapping[str, Any]], nn.Module]]:
    """``(matches, build)`` for a network whose size is read off the file's tensors: ``make(state)`` returns the
    empty network of that size, or None when the names are not this architecture's. A file matches when its
    tensor names are exactly that network's; building loads them strictly."""

    def matches(state: Mapping[str, Any]) -> bool:
        net = make(state)
        return net is not None and fits(state, net)

    def build(state: Mapping[str, Any]) -> nn.Module:
        net = make(state)
        if net is None:
            raise ValueError("the tensors are not this architecture's")
        return load_strict(net, state)

    return matches, build
