"""Registry contract: every classical entry builds at each scale it offers and runs on a tiny batch."""

from __future__ import annotations

import numpy as np
import pytest

from vivid.errors import ModelError
from vivid.models.base import Restorer
from vivid.models.registry import ENTRIES, build, get_entry

CLASSICAL = [(e.name, s) for e in ENTRIES if e.kind == "classical" for s in e.scales]


def tiny_batch() -> np.ndarray:
    yy, xx = np.mgrid[0:24, 0:24].astype(np.float32)
    img = np.stack([0.3 + 0.2 * np.sin(xx / 3 + c) * np.cos(yy / 4) for c in range(3)])
    noise = np.random.default_rng(0).normal(0, 0.03, img.shape).astype(np.float32)
    return np.clip(img + noise, 0, 1)[None]


@pytest.mark.parametrize("name,scale", CLASSICAL)
def test_classical_entry_builds_and_runs(name: str, scale: int) -> None:
    entry = get_entry(name)
    model = build(name, scale=scale)
    assert isinstance(model, Restorer)
    d = model.descriptor
    assert (d.name, d.task, d.scale) == (entry.name, entry.task, scale)
    assert d.any_scale == entry.any_scale
    assert d.speed_class == entry.speed_class
    assert d.provenance == "classical"
    out = model(tiny_batch())
    assert out.shape == (1, d.output_channels, 24 * scale, 24 * scale)
    assert out.dtype == np.float32
    assert np.all(np.isfinite(out))


def test_unknown_names_raise_with_close_matches() -> None:
    with pytest.raises(ModelError, match="bicubic"):
        build("bicubc")
    with pytest.raises(ModelError, match="'no-such-thing'"):
        build("no-such-thing")


def test_unsupported_scale_raises() -> None:
    with pytest.raises(ModelError, match="scale 2"):
        build("nlm", scale=2)
