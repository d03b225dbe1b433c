"""Published methods' own weight files that spandrel does not know, run as bring-your-own models.

spandrel recognises none of the classic low-light networks, nor VDSR, so vivid carries their architectures
here, written from the papers (and the official test procedures) and recognised by the tensor names and shapes
of the official weight files: Zero-DCE, Zero-DCE++, SCI, RUAS, PairLIE and CLIP-LIT (trained without
ground truth), IAT (supervised), and VDSR's popular PyTorch port (SR x2/x3/x4 on luma). A recognised file becomes a
:class:`~vivid.models.torch_runtime.TorchRestorer` whose descriptor is named ``file:<filename>`` like any
user model, with the licence of the official weights and the method's source; the weights are read with
``torch.load(weights_only=True)`` as for every PyTorch file (:mod:`vivid.zoo.spandrel_files`).

Adding a method = one module here with its network and a :class:`PeerArch`, plus one line in
:func:`peer_archs`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vivid.errors import ModelError
from vivid.models.torch_runtime import TorchRestorer
from vivid.zoo.file_support import speed_class_for, user_descriptor
from vivid.zoo.peers.base import (  # noqa: F401 - the declaration and checks, importable from here too
    UNSTATED,
    PeerArch,
    fits,
    has_keys,
    indexed_count,
    load_strict,
)

if TYPE_CHECKING:
    from vivid.models.base import Restorer


def peer_archs() -> tuple[PeerArch, ...]:
    """Every method vivid recognises here (imports torch)."""
    from vivid.zoo.peers import clip_lit, iat, pairlie, ruas, sci, vdsr, zero_dce

    return (
        zero_dce.ZERO_DCE, zero_dce.ZERO_DCE_PP, sci.SCI, ruas.RUAS, pairlie.PAIRLIE, clip_lit.CLIP_LIT, iat.IAT,
        vdsr.VDSR,
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
    model_scale = arch.scales[0] if scale is None else scale
    if model_scale not in arch.scales:
        does = "/".join(f"x{s}" for s in arch.scales)
        raise ModelError(
            f"model file {path.name!r} is {arch.name}, which does {does}, not x{model_scale}: "
            f"use scale={arch.scales[0]}" + (" or another of those" if len(arch.scales) > 1 else "")
        )
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
    n_params = sum(p.numel() for p in module.parameters())
    if arch.upscale_first:
        from vivid.zoo.peers.vdsr import UpscaleFirst

        module = UpscaleFirst(module, model_scale).eval()
    descriptor = user_descriptor(
        path, sha, f"{arch.name} ({arch.source}) via vivid.zoo.peers", task=arch.task, default_task=arch.task,
        scale=model_scale, channels=arch.channels, out_channels=arch.channels,
        color_space="y" if arch.channels == 1 else None,
        speed_class=speed_class_for(n_params * (model_scale ** 2 if arch.upscale_first else 1)),
        tileable=arch.tileable, tile_overlap=arch.tile_overlap, min_size=arch.min_size, runtime="torch",
    )
    # the official weights' licence instead of "unknown (user file)"
    descriptor = replace(descriptor, license=f"official {arch.name} weights: {arch.license}")
    return TorchRestorer(module, descriptor)


