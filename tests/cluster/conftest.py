"""Fixtures for the cluster tests: image files on a local disk or in fsspec's memory filesystem, and a
local Ray instance shared by a module's tests (started once, by vivid's own ``connect``)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.images import textured


def png_bytes(h: int = 40, w: int = 48, seed: int = 0) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray((textured(h, w, seed=seed).transpose(1, 2, 0) * 255).astype(np.uint8)).save(buf, "PNG")
    return buf.getvalue()


def write_pngs(folder: Path, n: int, **kw: int) -> list[Path]:
    """``n`` PNGs in ``folder`` (the last one in ``folder/sub``)."""
    paths = []
    for i in range(n):
        p = folder / ("sub" if i == n - 1 and n > 1 else "") / f"p{i}.png"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(png_bytes(seed=i, **kw))
        paths.append(p)
    return paths


@pytest.fixture
def memfs() -> Iterator[object]:
    """fsspec's memory filesystem, emptied before and after the test (it is one store per process)."""
    fsspec = pytest.importorskip("fsspec")
    fs = fsspec.filesystem("memory")
    fs.store.clear()
    fs.pseudo_dirs[:] = [""]
    yield fs
    fs.store.clear()
    fs.pseudo_dirs[:] = [""]


@pytest.fixture(scope="module")
def ray_local() -> Iterator[object]:
    """A local Ray instance (2 CPUs here), started the way ``vivid enhance --engine ray`` starts one; stopped
    after the module's tests (its processes would otherwise hold memory through the rest of the suite)."""
    pytest.importorskip("ray")
    from vivid.cluster.pool import connect

    ray = connect(None)
    yield ray
    ray.shutdown()
