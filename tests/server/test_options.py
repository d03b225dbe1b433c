"""The REST API takes the CLI's options (fit, tile, dtype, runtime, alpha, color_guard, sizes as WxH), checked
by the library's one validation, and the models you added with ``vivid models add`` by name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.server.support import assert_error, png_bytes, wait_for
from vivid.io.read import read_image_bytes

FIELD = {"/v1/enhance": "image", "/v1/jobs": "files"}

BAD_OPTIONS = [  # (form fields, words the message must hold)
    ({"task": "sr", "size": "200x100", "fit": "wide"}, "fit must be one of contain, cover, stretch, got 'wide'"),
    ({"task": "sr", "dtype": "float16"}, "unknown dtype 'float16'"),
    ({"task": "sr", "runtime": "gpu"}, "unknown runtime 'gpu'"),
    ({"task": "sr", "precision": "int4"}, "unknown precision 'int4'"),
    ({"task": "sr", "tile": "4"}, "tile must be between 8"),
    ({"task": "sr", "tile": "1000"}, "tile must be at most 384 on this server"),
    ({"task": "sr", "alpha": "keep"}, "alpha must be one of resample, model"),
    ({"task": "sr", "size": "0x10"}, "size must be between 1x1"),
    ({"task": "sr", "size": "1920"}, "size must look like 1920x1080"),
]


@pytest.mark.parametrize(("fields", "words"), BAD_OPTIONS)
def test_bad_new_options_are_a_clear_422(client, fields: dict, words: str) -> None:  # noqa: ANN001
    for path, field in FIELD.items():
        r = client.post(path, data=fields, files={field: ("p.png", png_bytes(), "image/png")})
        err = assert_error(r, 422, "invalid_option")
        assert words in err["message"], (path, err)
    assert client.get("/v1/jobs").json()["total"] == 0  # nothing half-accepted


@pytest.mark.parametrize(("fit", "size"), [("contain", (133, 100)), ("cover", (200, 100)), ("stretch", (200, 100))])
def test_fit_is_honoured_like_the_cli(client, fit: str, size: tuple[int, int]) -> None:  # noqa: ANN001
    """A 64x48 input to 200x100: contain fits inside (aspect kept), cover fills it (centre crop), stretch
    gives exactly 200x100; the job records the size as typed."""
    r = client.post("/v1/enhance", data={"task": "sr", "model": "bicubic", "size": "200x100", "fit": fit},
                    files={"image": ("p.png", png_bytes(), "image/png")})
    assert r.status_code == 200, r.text
    out = read_image_bytes(r.content)
    assert (out.width, out.height) == size
    job = client.get(f"/v1/jobs/{r.headers['x-vivid-job-id']}").json()
    assert job["options"]["size"] == "200x100" and job["options"]["fit"] == fit


def test_fit_default_keeps_the_aspect_ratio_in_jobs_too(client) -> None:  # noqa: ANN001
    r = client.post("/v1/jobs", data={"task": "sr", "model": "bicubic", "size": "200x100"},
                    files={"files": ("p.png", png_bytes(), "image/png")})
    assert r.status_code == 202, r.text
    job = wait_for(client, r.json()["id"])
    assert job["status"] == "done", job
    assert (job["results"][0]["width"], job["results"][0]["height"]) == (133, 100)


def test_tile_is_honoured_and_defaults_to_the_servers(client, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    import vivid.engine.api as api

    seen: list[int | None] = []
    real = api.run_model

    def spy(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        seen.append(kwargs.get("tile"))
        return real(*args, **kwargs)

    monkeypatch.setattr(api, "run_model", spy)
    for fields in ({"task": "sr", "model": "bicubic", "tile": "64"}, {"task": "sr", "model": "bicubic"}):
        r = client.post("/v1/enhance", data=fields, files={"image": ("p.png", png_bytes(), "image/png")})
        assert r.status_code == 200, r.text
    assert seen == [64, 384]


def test_dtype_and_runtime_are_honoured(client) -> None:  # noqa: ANN001
    """The provenance records a step's dtype when not float32 and the runtime when it is ONNX Runtime."""
    pytest.importorskip("torch", reason="bfloat16 and runtime torch run vivid's torch models")

    def steps(fields: dict) -> list[dict]:
        r = client.post("/v1/enhance", data={"task": "sr", "model": "vivid-sr-fast", "scale": "2", **fields},
                        files={"image": ("p.png", png_bytes(), "image/png")})
        assert r.status_code == 200, r.text
        return json.loads(r.headers["x-vivid-provenance"])["steps"]

    assert steps({"runtime": "onnx"})[0]["runtime"] == "onnx"
    torch_step = steps({"runtime": "torch"})[0]
    assert "runtime" not in torch_step and "dtype" not in torch_step
    assert steps({"runtime": "torch", "dtype": "bfloat16"})[0]["dtype"] == "bfloat16"


def test_models_refuses_an_unknown_task_clearly(client) -> None:  # noqa: ANN001
    for bad in ("paint", "auto", "sr\x00", "x" * 41):
        err = assert_error(client.get("/v1/models", params={"task": bad}), 422)
        assert "task" in err["message"], err
    assert "unknown task 'paint': use one of sr, denoise" in assert_error(
        client.get("/v1/models", params={"task": "paint"}), 422, "invalid_option")["message"]
    assert "422" in client.get("/openapi.json").json()["paths"]["/v1/models"]["get"]["responses"]


def test_binary_and_null_form_fields_are_4xx_never_500(client) -> None:  # noqa: ANN001
    image = png_bytes()
    for path, field in FIELD.items():
        for fields in ({"task": "sr\x00"}, {"task": "sr", "model": "a\x00b"}, {"task": "sr", "model": "../x"},
                       {"task": "sr", "size": "\x00x\x00"}, {"task": "sr", "fit": "\x00"}, {"plan": "\x00"}):
            r = client.post(path, data=fields, files={field: ("p.png", image, "image/png")})
            assert 400 <= r.status_code < 500, (path, fields, r.text)
        # a form field sent as binary file content
        r = client.post(path, files={field: ("p.png", image, "image/png"), "model": ("m", b"\xff\x00\xfe", "x/y"),
                                     "task": ("t", b"\xff\xfe", "application/octet-stream")})
        assert 400 <= r.status_code < 500, (path, r.text)


# --- your models by name ---------------------------------------------------------------------------------
@pytest.fixture
def your_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A tiny x2 SR ONNX model added as 'tiny-up' (vivid's RepSR with fixed random weights)."""
    torch = pytest.importorskip("torch")
    from vivid.models.archs.rep_sr import RepSR
    from vivid.models.base import ModelDescriptor
    from vivid.models.torch_runtime import TorchRestorer
    from vivid.zoo import user_models as um
    from vivid.zoo.onnx_files import export_onnx

    monkeypatch.setenv(um.MODELS_DIR_ENV, str(tmp_path / "my-models"))
    torch.manual_seed(0)
    net = RepSR(scale=2, in_channels=3, channels=8, blocks=1).eval().fuse()
    path = export_onnx(TorchRestorer(net, ModelDescriptor(name="tiny", task="sr", scale=2, runtime="torch")),
                       tmp_path / "Tiny_SR_x2.onnx")
    return um.add_model(path, name="tiny-up", license="MIT").name


def test_your_models_are_listed_as_yours(client, your_model: str) -> None:  # noqa: ANN001
    models = {m["name"]: m for m in client.get("/v1/models").json()["models"]}
    mine = models[your_model]
    assert mine["yours"] and mine["task"] == "sr" and mine["scales"] == [2] and mine["license"] == "MIT"
    assert mine["file"] == "Tiny_SR_x2.onnx" and not mine["recommended"]
    assert not models["bicubic"]["yours"]  # vivid's own keep their shape
    assert your_model not in {m["name"] for m in client.get("/v1/models", params={"task": "denoise"}).json()["models"]}


def test_your_model_runs_by_name_in_enhance_and_jobs(client, your_model: str) -> None:  # noqa: ANN001
    r = client.post("/v1/enhance", data={"task": "sr", "model": your_model},
                    files={"image": ("p.png", png_bytes(), "image/png")})
    assert r.status_code == 200, r.text
    (step,) = json.loads(r.headers["x-vivid-provenance"])["steps"]
    assert step["model"] == your_model and step["file"] == "Tiny_SR_x2.onnx" and step["scale"] == 2
    out = read_image_bytes(r.content)
    assert (out.width, out.height) == (128, 96)
    r = client.post("/v1/jobs", data={"task": "sr", "model": your_model},
                    files={"files": ("p.png", png_bytes(), "image/png")})
    assert r.status_code == 202, r.text
    job = wait_for(client, r.json()["id"])
    assert job["status"] == "done", job
    assert [s["model"] for s in job["results"][0]["plan"]["steps"]] == [your_model]
    assert job["results"][0]["provenance"]["steps"][0]["file"] == "Tiny_SR_x2.onnx"
    # made for sr: another task is refused by name, like vivid's own models
    err = assert_error(client.post("/v1/enhance", data={"task": "denoise", "model": your_model},
                                   files={"image": ("p.png", png_bytes(), "image/png")}), 422, "invalid_model")
    assert "is a sr model, not denoise" in err["message"]
