"""Turn a training run's best checkpoint into a shipped weight file and manifest entry."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from vivid.errors import ConfigError
from vivid.zoo.builtin import WeightEntry, file_sha256, read_manifest, weights_dir


def export_run(run_dir: str | Path, *, name: str, speed_class: str = "fast", card: str | None = None) -> WeightEntry:
    """Fuse ``run_dir/best.safetensors`` per ``run_dir/config.json`` and register it under ``name``."""
    import torch
    from safetensors.torch import load_file, save_file

    from vivid.models.archs.factory import build_arch
    from vivid.models.archs.rep_sr import fused_state_dict

    run = Path(run_dir)
    cfg = json.loads((run / "config.json").read_text())
    m = cfg["model"]
    if m["arch"] != "rep_sr":
        raise ConfigError(f"export supports rep_sr runs, got {m['arch']!r}")
    params = m.get("params") or {k: m[k] for k in ("channels", "blocks") if k in m}
    net = build_arch(m["arch"], scale=m["scale"], in_channels=m["in_channels"], **params)
    net.load_state_dict(load_file(str(run / "best.safetensors")), strict=True)
    state = {k: v.to(torch.float32) for k, v in fused_state_dict(net).items()}
    fname = f"{name}_x{m['scale']}.safetensors"
    dst = weights_dir() / fname
    tmp = dst.with_suffix(".tmp")
    save_file(state, str(tmp), metadata={"name": name, "arch": m["arch"], "scale": str(m["scale"])})
    tmp.replace(dst)
    entry = WeightEntry(
        name=name, file=fname, sha256=file_sha256(dst), arch=m["arch"], task="sr", scale=m["scale"],
        color_space="y" if m["in_channels"] == 1 else "rgb", channels=params["channels"], blocks=params["blocks"],
        tile_overlap=2 * (params["blocks"] + 3), speed_class=speed_class, card=card or f"{name}.md",
    )
    entries = [e for e in read_manifest() if not (e.name == name and e.scale == entry.scale)] + [entry]
    entries.sort(key=lambda e: (e.name, e.scale))
    (weights_dir() / "manifest.json").write_text(json.dumps([asdict(e) for e in entries], indent=2) + "\n")
    return entry
