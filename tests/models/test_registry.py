"""Registry contract: every entry (learned ones from their shipped weights) builds at each scale it offers,
matches its descriptor and runs on a tiny batch; the descriptor is derived from the entry, so they cannot disagree."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from vivid.errors import ModelError
from vivid.models import registry
from vivid.models.base import Restorer
from vivid.models.registry import ENTRIES, build, get_entry

ALL = [(e.name, s) for e in ENTRIES for s in e.scales]


def tiny_batch(channels: int = 3, side: int = 32) -> np.ndarray:
    yy, xx = np.mgrid[0:side, 0:side].astype(np.float32)
    img = np.stack([0.3 + 0.2 * np.sin(xx / 3 + c) * np.cos(yy / 4) for c in range(channels)])
    noise = np.random.default_rng(0).normal(0, 0.03, img.shape).astype(np.float32)
    return np.clip(img + noise, 0, 1)[None]


@pytest.mark.parametrize("name,scale", ALL)
def test_every_entry_builds_matches_its_descriptor_and_runs(name: str, scale: int) -> None:
    entry = get_entry(name)
    model = build(name, scale=scale)
    assert isinstance(model, Restorer)
    d = model.descriptor
    assert (d.name, d.task, d.scale, d.any_scale) == (entry.name, entry.task, scale, entry.any_scale)
    assert (d.license, d.speed_class) == (entry.license, entry.speed_class)
    assert (entry.kind == "learned") == (entry.network is not None)
    if entry.network is None:
        assert d.provenance == "classical"
    else:  # the shipped weights, as the entry's network declares them
        net = entry.network
        assert d.provenance == f"vivid-trained (card: {entry.card})" and d.sha256 and d.runtime == "torch"
        assert (d.color_space, d.size_multiple, d.tile_overlap, d.tileable) == (
            net.color_space, net.size_multiple, net.tile_overlap, net.tileable)
    batch = tiny_batch(d.in_channels)
    out = model.bind(batch[0])(batch)
    assert out.shape == (1, d.output_channels, 32 * scale, 32 * scale)
    assert out.dtype == np.float32
    assert np.all(np.isfinite(out))


@pytest.mark.parametrize("name", ["nlm", "bm3d", "gamma", "bicubic", "vivid-sr-fast", "vivid-sr-rt", "vivid-zerodce"])
def test_the_descriptor_takes_its_licence_task_and_speed_from_the_entry(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The registry and the descriptors cannot disagree (they did on nlm's and bm3d's licences): a changed
    entry changes the model's descriptor."""
    if name == "bm3d":
        pytest.importorskip("bm3d")
    entry = get_entry(name)
    changed = replace(entry, license="a changed licence", speed_class="slow", summary="changed")
    monkeypatch.setattr(registry, "ENTRIES", tuple(changed if e.name == name else e for e in ENTRIES))
    d = build(name, scale=entry.scales[0]).descriptor
    assert (d.license, d.speed_class, d.task) == ("a changed licence", "slow", entry.task)


def test_unknown_names_raise_with_close_matches() -> None:
    with pytest.raises(ModelError, match="bicubic"):
        build("bicubc")
    with pytest.raises(ModelError, match="'no-such-thing'"):
        build("no-such-thing")


def test_unsupported_scale_raises() -> None:
    with pytest.raises(ModelError, match="scale 2"):
        build("nlm", scale=2)
