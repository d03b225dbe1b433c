"""The cluster batch driver without Ray: URLs (fsspec memory filesystem and file://), the manifest and
resuming, bounded retries, and outputs equal to the local batch's."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tests.cluster.conftest import png_bytes, write_pngs
from vivid.cli.main import app

pytest.importorskip("fsspec")
runner = CliRunner()
SR = ["--task", "sr", "--model", "bicubic", "--scale", "2"]


def enhance(*args: str):  # noqa: ANN201
    return runner.invoke(app, ["enhance", *args])


def pixels(data: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.int16)


def lines(data: bytes) -> list[dict]:
    return [json.loads(x) for x in data.decode().splitlines()]


def put_inputs(memfs, n: int) -> list[str]:  # noqa: ANN001
    names = [f"in/{'sub/' if i == n - 1 else ''}p{i}.png" for i in range(n)]
    for i, name in enumerate(names):
        memfs.pipe_file(name, png_bytes(seed=i))
    return names


def test_memory_urls_give_the_local_batch_outputs_and_a_manifest(memfs, tmp_path: Path) -> None:  # noqa: ANN001
    put_inputs(memfs, 3)
    write_pngs(tmp_path / "in", 3)
    local = enhance(str(tmp_path / "in"), "-o", str(tmp_path / "out"), *SR, "-q")
    assert local.exit_code == 0, local.output
    r = enhance("memory://in", "-o", "memory://out", *SR, "-q")
    assert r.exit_code == 0, r.output
    assert "3 written, 0 skipped, 0 failed" in r.output
    for rel in ("p0.png", "p1.png", "sub/p2.png"):
        a, b = pixels(memfs.cat_file(f"/out/{rel}")), pixels((tmp_path / "out" / rel).read_bytes())
        assert a.shape == b.shape == (80, 96, 3) and np.abs(a - b).max() <= 1  # within 1/255
    report = lines(memfs.cat_file("/out/vivid-report.jsonl"))
    assert [(x["input"], x["output"], x["status"], x["plan"]) for x in report] == [
        (f"memory:///in/{rel}", f"memory:///out/{rel}", "written", ["sr x2"]) for rel in ("p0.png", "p1.png", "sub/p2.png")]
    manifest = lines(memfs.cat_file("/out/vivid-manifest.jsonl"))
    assert [m["output"] for m in manifest] == ["p0.png", "p1.png", "sub/p2.png"]
    assert {m["status"] for m in manifest} == {"done"} and len({m["plan_hash"] for m in manifest}) == 1
    import hashlib

    assert manifest[0]["input_sha256"] == hashlib.sha256(memfs.cat_file("/in/p0.png")).hexdigest()
    assert not memfs.exists("/out/.vivid-parts")


def test_a_rerun_skips_what_is_finished_and_redoes_what_changed(memfs) -> None:  # noqa: ANN001
    put_inputs(memfs, 3)
    assert enhance("memory://in", "-o", "memory://out", *SR, "-q").exit_code == 0
    before = memfs.cat_file("/out/p1.png")
    r = enhance("memory://in", "-o", "memory://out", *SR, "-q")
    assert "0 written, 3 skipped, 0 failed" in r.output, r.output
    memfs.mv("/out", "/moved", recursive=True)  # the manifest names outputs inside its folder: it moves along
    r = enhance("memory://in", "-o", "memory://moved", *SR, "-q")
    assert "0 written, 3 skipped, 0 failed" in r.output, r.output
    memfs.mv("/moved", "/out", recursive=True)
    memfs.pipe_file("/in/p0.png", png_bytes(seed=7))  # new content
    memfs.pipe_file("/in/p1.png", png_bytes(seed=1))  # the same content written again: a new listing fingerprint
    r = enhance("memory://in", "-o", "memory://out", *SR, "-q")
    assert "1 written, 2 skipped, 0 failed" in r.output, r.output
    assert memfs.cat_file("/out/p1.png") == before  # the worker hashed it and did not redo it
    r = enhance("memory://in", "-o", "memory://out", *SR, "--strength", "0.5", "-q")  # another plan
    assert r.exit_code == 3 and "output memory:///out/p0.png was made with other options (see its manifest): " \
                                "add --overwrite to replace" in r.output
    r = enhance("memory://in", "-o", "memory://out", *SR, "--strength", "0.5", "-q", "--overwrite")
    assert "3 written, 0 skipped, 0 failed" in r.output, r.output


def test_outputs_the_manifest_does_not_know_are_kept_unless_asked(memfs) -> None:  # noqa: ANN001
    put_inputs(memfs, 2)
    memfs.pipe_file("/out/p0.png", b"someone else's file")
    r = enhance("memory://in", "-o", "memory://out", *SR, "-q")
    assert r.exit_code == 3 and "output memory:///out/p0.png exists and is not in this folder's manifest: add " \
                                 "--overwrite to replace, or --skip-existing to keep" in r.output
    r = enhance("memory://in", "-o", "memory://out", *SR, "-q", "--skip-existing")
    assert "1 written, 1 skipped" in r.output and memfs.cat_file("/out/p0.png") == b"someone else's file"
    r = enhance("memory://in", "-o", "memory://out", *SR, "-q", "--overwrite")
    assert "1 written, 1 skipped" in r.output and pixels(memfs.cat_file("/out/p0.png")).shape == (80, 96, 3)


def test_storage_failures_are_retried_a_bounded_number_of_times(memfs, monkeypatch) -> None:  # noqa: ANN001
    from fsspec.implementations.memory import MemoryFileSystem

    put_inputs(memfs, 2)
    real = MemoryFileSystem.put_file
    calls: list[str] = []

    def flaky(self, lpath, rpath, **kw):  # noqa: ANN001, ANN003, ANN202
        calls.append(rpath)
        if len(calls) == 1 or "p1" in rpath:  # the first upload fails once; p1's always
            raise OSError(5, "Input/output error")
        return real(self, lpath, rpath, **kw)

    monkeypatch.setattr(MemoryFileSystem, "put_file", flaky)
    r = enhance("memory://in", "-o", "memory://out", *SR, "-q")
    assert r.exit_code == 1 and "1 written, 0 skipped, 1 failed" in r.output, r.output
    manifest = {m["output"]: m for m in lines(memfs.cat_file("/out/vivid-manifest.jsonl"))}
    assert (manifest["p0.png"]["status"], manifest["p0.png"]["attempts"]) == ("done", 2)
    failed = manifest["sub/p1.png"]
    assert (failed["status"], failed["attempts"]) == ("failed", 3)
    assert failed["error"].startswith("failed 3 times; the last time: cannot write memory:///out/sub/p1.png (")
    assert "failed: memory:///in/sub/p1.png: failed 3 times" in " ".join(r.output.split())
    monkeypatch.setattr(MemoryFileSystem, "put_file", real)  # the store is back: the rerun does only p1
    r = enhance("memory://in", "-o", "memory://out", *SR, "-q")
    assert r.exit_code == 0 and "1 written, 1 skipped, 0 failed" in r.output, r.output


def test_a_bad_input_fails_at_once_naming_it(memfs) -> None:  # noqa: ANN001
    put_inputs(memfs, 2)
    memfs.pipe_file("/in/broken.png", b"not a png")
    r = enhance("memory://in", "-o", "memory://out", *SR, "-q")
    assert r.exit_code == 1 and "2 written, 0 skipped, 1 failed" in r.output, r.output
    entry = {m["output"]: m for m in lines(memfs.cat_file("/out/vivid-manifest.jsonl"))}["broken.png"]
    assert entry["attempts"] == 1 and "memory:///in/broken.png" in entry["error"] and "vivid-item" not in entry["error"]


def test_file_urls_and_option_errors(tmp_path: Path) -> None:
    write_pngs(tmp_path / "in", 2)
    r = enhance(f"file://{tmp_path / 'in'}", "-o", f"file://{tmp_path / 'out'}", *SR, "-q")
    assert r.exit_code == 0 and "2 written" in r.output, r.output
    assert sorted(p.name for p in (tmp_path / "out").rglob("*")) == [
        "p0.png", "p1.png", "sub", "vivid-manifest.jsonl", "vivid-report.jsonl"]
    r = enhance(str(tmp_path / "in"), "-o", str(tmp_path / "o2"), "--ray-address", "auto")
    assert r.exit_code == 2 and "--ray-address needs --engine ray" in r.output
    r = enhance(str(tmp_path / "in"), "-o", str(tmp_path / "o2"), "--engine", "spark")
    assert r.exit_code == 2 and "--engine must be local or ray, got 'spark'" in r.output
    r = enhance("memory://nothing", "-o", "memory://out", *SR)
    assert r.exit_code == 2 and "input memory:///nothing does not exist" in r.output


def test_without_the_ray_extra_the_engine_says_what_to_install(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    import sys

    write_pngs(tmp_path / "in", 1)
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray fails as it does without the extra
    r = enhance(str(tmp_path / "in"), "-o", str(tmp_path / "out"), *SR, "--engine", "ray")
    assert r.exit_code == 2
    assert "--engine ray needs Ray, an optional extra: pip install 'vivid-restore[ray]'" in " ".join(r.output.split())
