"""Your models by name: add (checked copy), remove, pull from a catalog or URL over a loopback HTTP server
(resume, size and sha256 checks, HTTP errors, unsupported files leave nothing behind)."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from vivid.errors import ConfigError, InputError, ModelError
from vivid.zoo import user_models as um
from vivid.zoo.model_files import MODEL_SUFFIXES


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    f = tmp_path / "my-models"
    monkeypatch.setenv(um.MODELS_DIR_ENV, str(f))
    return f


@pytest.fixture(scope="module")
def onnx_x2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny x2 SR model as a user's ONNX file (vivid's RepSR with fixed random weights)."""
    import torch

    from vivid.models.archs.rep_sr import RepSR
    from vivid.models.base import ModelDescriptor
    from vivid.models.torch_runtime import TorchRestorer
    from vivid.zoo.onnx_files import export_onnx

    torch.manual_seed(0)
    net = RepSR(scale=2, in_channels=3, channels=8, blocks=1).eval().fuse()
    path = tmp_path_factory.mktemp("onnx") / "Tiny_SR_x2.onnx"
    return export_onnx(TorchRestorer(net, ModelDescriptor(name="tiny", task="sr", scale=2, runtime="torch")), path)


def test_add_detects_task_and_scale_copies_and_records(folder: Path, onnx_x2: Path) -> None:
    rec = um.add_model(onnx_x2, license="MIT")
    assert (rec.name, rec.task, rec.scale, rec.license) == ("tiny_sr_x2", "sr", 2, "MIT")
    assert rec.sha256 == hashlib.sha256(onnx_x2.read_bytes()).hexdigest() and rec.size == onnx_x2.stat().st_size
    assert rec.path().read_bytes() == onnx_x2.read_bytes() and rec.path().parent == folder / "tiny_sr_x2"
    assert json.loads((folder / "tiny_sr_x2" / "model.json").read_text())["source"] == str(onnx_x2.resolve())
    assert [m.name for m in um.list_user_models()] == ["tiny_sr_x2"]
    assert um.resolve_model_name("tiny_sr_x2") == f"file:{rec.path()}"
    assert um.resolve_model_name("vivid-sr") == "vivid-sr" and um.resolve_model_name("nope") == "nope"


def test_an_added_model_runs_by_name_in_the_python_api(folder: Path, onnx_x2: Path) -> None:
    import vivid

    um.add_model(onnx_x2, name="mine")
    rgb = np.random.default_rng(0).integers(0, 256, (12, 16, 3), dtype=np.uint8)
    result = vivid.enhance(rgb, task="sr", model="mine")
    assert result.image.pixels.shape == (3, 24, 32)
    assert result.records[0].sha256 == um.find_user_model("mine").sha256
    with pytest.raises(ConfigError, match="'mine' is made for task sr, not denoise"):
        vivid.enhance(rgb, task="denoise", model="mine")


def test_add_refuses_bad_names_and_files_and_leaves_nothing(folder: Path, onnx_x2: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="one of vivid's own models"):
        um.add_model(onnx_x2, name="vivid-sr")
    with pytest.raises(ConfigError, match="model name 'My Model'"):
        um.add_model(onnx_x2, name="My Model")
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model")
    with pytest.raises(ModelError, match="junk.onnx"):
        um.add_model(junk)
    with pytest.raises(InputError, match="does not exist"):
        um.add_model(tmp_path / "missing.pth")
    assert not folder.exists() or list(folder.iterdir()) == []
    um.add_model(onnx_x2, name="mine")
    with pytest.raises(ConfigError, match="already"):
        um.add_model(onnx_x2, name="mine")
    assert um.add_model(onnx_x2, name="mine", overwrite=True).name == "mine"


def test_remove(folder: Path, onnx_x2: Path) -> None:
    um.add_model(onnx_x2, name="mine")
    assert um.remove_model("mine").name == "mine"
    assert um.list_user_models() == [] and not (folder / "mine").exists()
    with pytest.raises(ModelError, match="no model called 'mine'"):
        um.remove_model("mine")
    with pytest.raises(ConfigError, match="vivid's own"):
        um.remove_model("bicubic")


# --- pull over a loopback HTTP server ------------------------------------------------------------------


class Files:
    """What the test server serves: path -> bytes; ``cut``: stop a response after this many bytes."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.cut: int | None = None
        self.ranges: list[str | None] = []


@pytest.fixture
def server() -> Iterator[tuple[str, Files]]:
    served = Files()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # noqa: ANN002
            pass

        def do_GET(self) -> None:  # noqa: N802
            data = served.files.get(self.path)
            served.ranges.append(self.headers.get("Range"))
            if data is None:
                self.send_error(404, "Not Found")
                return
            start = 0
            if self.headers.get("Range"):
                start = int(self.headers["Range"].removeprefix("bytes=").rstrip("-"))
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            else:
                self.send_response(200)
            body = data[start:]
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if served.cut is not None:
                body = body[: served.cut]
                served.cut = None
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", served
    finally:
        httpd.shutdown()
        httpd.server_close()


def catalog_for(url: str, data: bytes, *, sha: str | None = None, size: int | None = None) -> dict:
    return {"2x-Tiny": {
        "name": "Tiny x2", "author": ["someone"], "license": "CC0-1.0", "architecture": "rep_sr", "scale": 2,
        "resources": [{"platform": "onnx", "type": "onnx", "size": len(data) if size is None else size,
                       "sha256": sha or hashlib.sha256(data).hexdigest(), "urls": [url]}],
    }}


def test_pull_from_the_catalog_checks_and_records(folder: Path, onnx_x2: Path, server) -> None:  # noqa: ANN001
    base, served = server
    data = onnx_x2.read_bytes()
    served.files["/m/Tiny_x2.onnx"] = data
    seen = []
    rec = um.pull_model("2x-tiny", catalog=catalog_for(f"{base}/m/Tiny_x2.onnx", data),
                        progress=lambda done, total: seen.append((done, total)))
    assert (rec.name, rec.task, rec.scale, rec.license, rec.author, rec.architecture) == (
        "2x-tiny", "sr", 2, "CC0-1.0", "someone", "rep_sr")
    assert rec.source == f"{base}/m/Tiny_x2.onnx" and rec.path().read_bytes() == data
    assert seen[-1] == (len(data), len(data))
    assert sorted(p.name for p in folder.iterdir()) == [".downloads", "2x-tiny"]
    assert list((folder / ".downloads").iterdir()) == []


def test_an_interrupted_pull_resumes(folder: Path, onnx_x2: Path, server) -> None:  # noqa: ANN001
    base, served = server
    data = onnx_x2.read_bytes()
    served.files["/Tiny_x2.onnx"] = data
    catalog = catalog_for(f"{base}/Tiny_x2.onnx", data)
    served.cut = 1000  # the connection drops after 1000 bytes
    with pytest.raises(ModelError, match="broke off after 1,000 .*run the same command again to resume"):
        um.pull_model("2x-Tiny", catalog=catalog)
    (partial,) = (folder / ".downloads").iterdir()
    assert partial.stat().st_size == 1000
    rec = um.pull_model("2x-Tiny", catalog=catalog)
    assert served.ranges[-1] == "bytes=1000-"  # only the rest was fetched
    assert rec.path().read_bytes() == data and list((folder / ".downloads").iterdir()) == []


@pytest.mark.parametrize("problem", ["sha256", "size", "404", "not a model"])
def test_a_failed_pull_leaves_nothing_behind(folder: Path, onnx_x2: Path, server, problem: str) -> None:  # noqa: ANN001
    base, served = server
    data = onnx_x2.read_bytes()
    url = f"{base}/Tiny_x2.onnx"
    served.files["/Tiny_x2.onnx"] = data if problem != "not a model" else b"<html>a login page</html>"
    catalog = {
        "sha256": catalog_for(url, data, sha="0" * 64),
        "size": catalog_for(url, data, size=len(data) + 5),
        "404": catalog_for(f"{base}/gone.onnx", data),
        "not a model": catalog_for(url, b"<html>a login page</html>"),
    }[problem]
    words = {"sha256": "is not the expected 0000", "size": "the catalog says", "404": "HTTP 404",
             "not a model": "Tiny_x2.onnx"}[problem]
    with pytest.raises(ModelError, match=words):
        um.pull_model("2x-Tiny", catalog=catalog)
    assert um.list_user_models() == []
    assert [p for p in folder.rglob("*") if p.is_file()] == []


def test_pull_by_url_and_unknown_names(folder: Path, onnx_x2: Path, server) -> None:  # noqa: ANN001
    base, served = server
    served.files["/x/My_SR_x2.onnx"] = onnx_x2.read_bytes()
    rec = um.pull_model(f"{base}/x/My_SR_x2.onnx", name="from-url")
    assert rec.name == "from-url" and rec.source == f"{base}/x/My_SR_x2.onnx"
    with pytest.raises(ModelError, match="did you mean 2x-Tiny"):
        um.pull_model("2x-tiyn", catalog=catalog_for(f"{base}/x", b""))
    with pytest.raises(ConfigError, match="does not name a model file"):
        um.pull_model(f"{base}/index.html")


def test_the_packaged_catalog_is_openmodeldb_shaped() -> None:
    catalog = um.load_catalog()
    assert len(catalog) >= 5
    for key, entry in catalog.items():
        assert {"name", "author", "license", "architecture", "scale", "resources"} <= set(entry), key
        (res,) = entry["resources"]
        assert len(res["sha256"]) == 64 and res["size"] > 0 and res["urls"][0].startswith("https://"), key
        assert f".{res['type']}" in MODEL_SUFFIXES
