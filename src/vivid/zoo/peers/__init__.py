"""Published low-light methods' own weight files, run as bring-your-own models.

spandrel recognises none of the classic low-light networks, so vivid carries their architectures here,
written from the papers (and the official test procedures) and recognised by the tensor names and shapes
of the official weight files: Zero-DCE, Zero-DCE++, SCI, RUAS, PairLIE and CLIP-LIT (trained without
ground truth) and IAT (supervised). A recognised file becomes a
:class:`~vivid.models.torch_runtime.TorchRestorer` whose descriptor is named ``file:<filename>`` like any
user model, with the licence of the official weights and the method's source; the weights are read with
``torch.load(weights_only=True)`` as for every PyTorch file (:mod:`vivid.zoo.spandrel_files`).

Adding a method = one module here with its network and a :class:`PeerArch`, plus one line in
:func:`peer_archs`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vivid.errors import ModelError
from vivid.models.torch_runtime import TorchRestorer
from vivid.zoo.model_files import check_scale, speed_class_for, user_descriptor

if TYPE_CHECKING:
    import re

    from torch import nn

    from vivid.models.base import Restorer


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


def peer_archs() -> tuple[PeerArch, ...]:
    """Every method vivid recognises here (imports torch)."""
    from vivid.zoo.peers import clip_lit, iat, pairlie, ruas, sci, zero_dce

    return (
        zero_dce.ZERO_DCE, zero_dce.ZERO_DCE_PP, sci.SCI, ruas.RUAS, pairlie.PAIRLIE, clip_lit.CLIP_LIT, iat.IAT
    )


def recognise(state: Mapping[str, Any]) -> PeerArch | None:
    """The method whose tensor names ``state`` has, or None."""
    return next((arch for arch in peer_archs() if arch.matches(state)), None)


def load_peer(
    path: Path, sha: str, state: Mapping[str, Any], *, task: str | None, scale: int | None
) -> Restorer | None:
    """A restorer for ``state`` if it is one of :func:`peer_archs`, else None (the caller tries spandrel).

    Raises:
        ModelError: the file is recognised but its tensors do not fit the network, or ``task`` /
            ``scale`` ask for something the method does not do.
    """
    arch = recognise(state)
    if arch is None:
        return None
    check_scale(path, 1, scale)
    if task is not None and task != arch.task:
        raise ModelError(
            f"model file {path.name!r} is {arch.name}, a {arch.task} model, not {task!r}: "
            f"use task {arch.task!r} (or leave the task out)"
        )
    try:
        module = arch.build(state)
    except RuntimeError as e:  # load_state_dict(strict=True): a tensor of another shape
        first = next((line.strip() for line in str(e).splitlines()[1:] if line.strip()), str(e))
        raise ModelError(
            f"model file {path.name!r} has {arch.name}'s tensor names but not its shapes ({first}); "
            f"the file may be damaged or a variant vivid does not know"
        ) from e
    descriptor = user_descriptor(
        path, sha, f"{arch.name} ({arch.source}) via vivid.zoo.peers", task=arch.task, default_task=arch.task,
        scale=1, channels=3, out_channels=3,
        speed_class=speed_class_for(sum(p.numel() for p in module.parameters())),
        tileable=arch.tileable, tile_overlap=arch.tile_overlap, min_size=arch.min_size, runtime="torch",
    )
    # the official weights' licence instead of "unknown (user file)"
    descriptor = replace(descriptor, license=f"official {arch.name} weights: {arch.license}")
    return TorchRestorer(module, descriptor)


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
