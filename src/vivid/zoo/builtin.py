"""vivid's own trained models: weights shipped in the package as safetensors, with hashes.

``zoo/weights/manifest.json`` lists every shipped weight file: its architecture and hyper-parameters,
task, scale, colour space, sha256 and model card. Loading checks the hash, builds the (fused)
architecture, loads the tensors strictly, and wraps it as a :class:`TorchRestorer`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from vivid.errors import ModelError
from vivid.models.base import ModelDescriptor, Restorer


@dataclass(frozen=True)
class WeightEntry:
    name: str
    file: str
    sha256: str
    arch: str
    task: str
    scale: int
    color_space: str
    channels: int
    blocks: int
    tile_overlap: int
    speed_class: str
    card: str


def weights_dir() -> Path:
    return Path(str(resources.files("vivid.zoo") / "weights"))


def read_manifest() -> list[WeightEntry]:
    path = weights_dir() / "manifest.json"
    if not path.exists():
        return []
    return [WeightEntry(**e) for e in json.loads(path.read_text())]


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def find_weights(name: str, scale: int) -> WeightEntry:
    for e in read_manifest():
        if e.name == name and e.scale == scale:
            return e
    raise ModelError(f"no shipped weights for {name} x{scale}: the package may be incomplete; reinstall vivid")


def build_network(entry: WeightEntry):  # noqa: ANN201 - torch module
    if entry.arch == "rep_sr":
        from vivid.models.archs.rep_sr import build_fused

        in_ch = 1 if entry.color_space == "y" else 3
        return build_fused(scale=entry.scale, in_channels=in_ch, channels=entry.channels, blocks=entry.blocks)
    raise ModelError(f"shipped weights {entry.file} name an unknown architecture {entry.arch!r}")


def load_builtin(name: str, scale: int) -> Restorer:
    """Load shipped model ``name`` at ``scale`` (hash-checked, strict)."""
    from safetensors.torch import load_file

    from vivid.models.torch_runtime import TorchRestorer

    entry = find_weights(name, scale)
    path = weights_dir() / entry.file
    if not path.exists():
        raise ModelError(f"weights file {path} is missing: reinstall vivid")
    digest = file_sha256(path)
    if digest != entry.sha256:
        raise ModelError(f"weights file {path} is corrupt (sha256 {digest[:12]} != {entry.sha256[:12]}): reinstall vivid")
    net = build_network(entry)
    net.load_state_dict(load_file(str(path)), strict=True)
    desc = ModelDescriptor(
        name=name, task=entry.task, scale=entry.scale, color_space=entry.color_space,  # type: ignore[arg-type]
        tileable=True, tile_overlap=entry.tile_overlap, runtime="torch", dtypes=("float32", "bfloat16"),
        license="Apache-2.0", provenance=f"vivid-trained ({entry.card})", sha256=digest,
        speed_class=entry.speed_class,  # type: ignore[arg-type]
    )
    return TorchRestorer(net, desc)


def build_vivid_sr(scale: int) -> Restorer:
    return load_builtin("vivid-sr", scale)
