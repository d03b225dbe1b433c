"""Turn a training run's best checkpoint into a shipped weight file and the registry entry that declares it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vivid.models.registry import ModelEntry, Network, learned
from vivid.zoo import builtin
from vivid.zoo.builtin import ShippedWeights
from vivid.zoo.shipped_onnx import export_entry, write_index


def _global_local_overlap(p: dict) -> int:
    from vivid.models.archs.global_local import receptive_radius  # torch

    return 2 * receptive_radius(p.get("levels", 3)) + 4


#: per-architecture facts the engine needs: tile overlap (>= 2x receptive radius) and size multiple.
#: global_local's local branch is undecimated (any size, exact tiles); zero_dce runs on whole images.
_OVERLAP = {
    "rep_sr": lambda p: 2 * (p.get("blocks", 6) + 3),
    "denoise_unet": lambda p: 112,
    "global_local": _global_local_overlap,
    "zero_dce": lambda p: 0,
    "hue_vae": lambda p: 0,  # whole-image models
    "lab_bins": lambda p: 0,
}
_MULTIPLE = {"denoise_unet": 8, "global_local": 1, "zero_dce": 1}
#: how each architecture is run (denoisers with a noise map take the "noise_map" restorer)
_RESTORER = {"global_local": "curves", "zero_dce": "curve_maps", "hue_vae": "colorize", "lab_bins": "colorize"}


def export_run(
    run_dir: str | Path, *, name: str, task: str, speed_class: str = "fast", storage: str = "float32",
    weights: str = "best.safetensors", inference: dict[str, Any] | None = None, size_multiple: int | None = None,
    summary: str = "",
) -> ModelEntry:
    """Save ``run_dir/<weights>`` (fused when the architecture supports it) as model ``name``, with its ONNX
    graphs and hashes in ``onnx.json``; returns the registry entry that declares it (its repr is the line to
    put in :data:`vivid.models.registry.ENTRIES`, unless that holds it already).

    ``storage="float16"`` halves the file of a large model (the tensors are loaded back into a float32
    network); ``weights`` may name ``last.pt`` (its EMA weights) instead of the best validation checkpoint;
    ``inference`` overrides hyper-parameters that only act at inference (e.g. a colorizer's temperature),
    chosen on validation data after training. ``size_multiple`` overrides the architecture's (e.g. 16 for the
    JPEG-artefact remover, so that tiles stay on the 4:2:0 JPEG block grid).
    """
    import torch
    from safetensors.torch import load_file, save_file

    from vivid.models.archs.factory import build_arch  # torch

    run = Path(run_dir)
    cfg = json.loads((run / "config.json").read_text())
    m = cfg["model"]
    params = m.get("params") or {k: m[k] for k in ("channels", "blocks") if k in m}
    params = {**params, **(inference or {}), "in_channels": m["in_channels"]}
    scale = int(m.get("scale", 1))
    net = build_arch(m["arch"], **params, **({"scale": scale} if scale != 1 else {}))
    src = run / weights
    state = load_file(str(src)) if src.suffix == ".safetensors" else torch.load(src, weights_only=False)["ema"]
    net.load_state_dict(state, strict=True)
    net.eval()
    if callable(getattr(net, "fuse", None)):
        net.fuse()
    if storage not in ("float32", "float16"):
        raise ValueError(f"storage must be float32 or float16, got {storage!r}")
    dtype = torch.float16 if storage == "float16" else torch.float32
    state = {k: v.detach().to(dtype).contiguous() for k, v in net.state_dict().items()}
    arch = m["arch"]
    restorer = "noise_map" if task == "denoise" and params.get("noise_map", True) and arch not in _RESTORER \
        else _RESTORER.get(arch, "plain")
    network = Network(
        arch, params, color_space="y" if task == "sr" and m["in_channels"] == 1 else ("gray" if task == "colorize" else "rgb"),
        restorer=restorer, tile_overlap=_OVERLAP.get(arch, lambda p: 16)(params),  # type: ignore[arg-type]
        size_multiple=size_multiple or _MULTIPLE.get(arch, 1),
    )
    entry = learned(name, task, (scale,), summary, network, speed_class=speed_class)
    dst = builtin.weights_dir() / entry.weights_file(scale)
    tmp = dst.with_suffix(".tmp")
    save_file(state, str(tmp), metadata={"name": name, "arch": arch, "scale": str(scale)})
    tmp.chmod(0o644)
    tmp.replace(dst)
    # its hashes and ONNX graphs, which a base install (no torch) runs it with
    write_index({dst.name: export_entry(ShippedWeights(entry, scale, ""))})
    return entry
