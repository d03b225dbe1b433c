"""The REST API end to end through HTTP (TestClient): analyse, enhance, storage, errors, API keys."""

from __future__ import annotations

import io
import json
import re

import numpy as np
from PIL import Image as PILImage

from tests.server.support import assert_error, png_bytes
from vivid.io.read import read_image_bytes, read_text_metadata
from vivid.server.settings import get_settings


def test_probes_and_openapi(client) -> None:  # noqa: ANN001
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "store": "ok", "workers": "ok"}
    paths = client.get("/openapi.json").json()["paths"]
    for p in ("/v1/enhance", "/v1/analyze", "/v1/jobs", "/v1/jobs/{job_id}", "/v1/jobs/{job_id}/events",
              "/v1/jobs/{job_id}/result", "/v1/jobs/{job_id}/result/{index}", "/v1/uploads/{upload_id}/thumbnail",
              "/v1/models", "/healthz", "/readyz"):
        assert p in paths, p
    assert "delete" in paths["/v1/jobs/{job_id}"]


def test_models_lists_the_registry_with_recommendations(client) -> None:  # noqa: ANN001
    body = client.get("/v1/models").json()
    names = {m["name"]: m for m in body["models"]}
    assert {"bicubic", "nlm", "gamma", "grayworld"} <= set(names)
    assert names["bicubic"]["task"] == "sr" and names["bicubic"]["any_scale"]
    for task in ("denoise", "lowlight", "color"):
        assert sum(m["recommended"] for m in body["models"] if m["task"] == task) == 1
    only = client.get("/v1/models", params={"task": "denoise"}).json()["models"]
    assert only and all(m["task"] == "denoise" for m in only)
    assert_error(client.get("/v1/models", params={"task": "paint"}), 422, "invalid_option")


def test_analyze_reads_an_uploaded_jpegs_saved_quality_and_reuses_it_by_upload_id(client) -> None:  # noqa: ANN001
    rgb = (np.random.default_rng(2).random((48, 64, 3)) * 255).astype(np.uint8)
    buf = io.BytesIO()
    PILImage.fromarray(rgb).save(buf, "JPEG", quality=40)
    r = client.post("/v1/analyze", files={"image": ("web copy.jpg", buf.getvalue(), "image/jpeg")})
    assert r.status_code == 200, r.text
    a = r.json()
    assert a["analysis"]["jpeg_quality"] == 40 and [s["task"] for s in a["steps"]][:1] == ["dejpeg"]
    again = client.post("/v1/analyze", data={"upload_id": a["upload"]["id"]}).json()
    assert again["analysis"]["jpeg_quality"] == 40  # the stored upload is the file itself
    png = client.post("/v1/analyze", files={"image": ("a.png", png_bytes(), "image/png")}).json()
    assert png["analysis"]["jpeg_quality"] is None


def test_analyze_recommends_a_plan_with_reasons_and_alternatives(client, settings) -> None:  # noqa: ANN001
    r = client.post("/v1/analyze", files={"image": ("Dark Room.png", png_bytes(dark=True), "image/png")})
    assert r.status_code == 200, r.text
    a = r.json()
    tasks = [s["task"] for s in a["steps"]]
    assert "lowlight" in tasks and "sr" in tasks  # dark and small
    low = a["steps"][tasks.index("lowlight")]
    assert "darker than 128" in low["reason"] and low["model"] not in low["alternatives"]
    assert low["alternatives"], "seed 000's 'Another Model' choice must be offered"
    assert len(a["explanation"]) == len(a["steps"]) and a["explanation"][0].startswith("1. ")
    assert a["upload"]["name"] == "Dark Room.png" and (a["upload"]["width"], a["upload"]["height"]) == (64, 48)
    from vivid.models.base import TASKS

    assert set(a["models_by_task"]) == set(TASKS) >= {"sr", "denoise", "lowlight", "color", "colorize"}
    # stored like seed 000 (arrival time) plus the content hash, under a generated name
    files = [p for p in (settings.data_dir / "uploads").rglob("*") if p.is_file()]
    assert len(files) == 1
    rel = files[0].relative_to(settings.data_dir).as_posix()
    assert re.fullmatch(r"uploads/\d{4}/\d\d/\d\d/\d{8}T\d{6}Z_[0-9a-f]{16}\.png", rel), rel
    import hashlib

    assert rel.split("_")[-1][:16] == hashlib.sha256(files[0].read_bytes()).hexdigest()[:16]


def test_enhance_returns_the_image_with_provenance(client) -> None:  # noqa: ANN001
    src = png_bytes()
    r = client.post("/v1/enhance", data={"task": "sr", "model": "bicubic", "scale": "2"},
                    files={"image": ("photo.png", src, "image/png")})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/png"
    assert 'filename="photo_vivid.png"' in r.headers["content-disposition"]
    prov = json.loads(r.headers["x-vivid-provenance"])
    assert [s["model"] for s in prov["steps"]] == ["bicubic"] and prov["software"].startswith("vivid")
    out = read_image_bytes(r.content)
    assert (out.height, out.width) == (96, 128)
    # the same provenance is embedded in the file
    assert json.loads(read_text_metadata_bytes(r.content)["vivid"]) == prov
    # and the job record is in the history, with the result link
    job = client.get(f"/v1/jobs/{r.headers['x-vivid-job-id']}").json()
    assert job["status"] == "done" and job["mode"] == "sync" and job["progress"] == 1.0
    assert client.get(job["results"][0]["url"]).content == r.content


def read_text_metadata_bytes(data: bytes) -> dict[str, str]:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "x.png"
        p.write_bytes(data)
        return read_text_metadata(p)


def test_enhance_json_response_links_to_stored_results(client) -> None:  # noqa: ANN001
    r = client.post("/v1/enhance", params={"response": "json"}, data={"task": "color", "format": "jpeg",
                                                                      "quality": "90"},
                    files={"image": ("a.png", png_bytes(seed=3), "image/png")})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["explanation"] == ["1. color with grayworld: chosen by the user"]
    got = client.get(body["result_url"])
    assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
    assert got.content[:3] == b"\xff\xd8\xff"
    history = client.get("/v1/jobs").json()
    assert history["total"] == 1 and history["jobs"][0]["id"] == body["job"]["id"]
    thumb = client.get(history["jobs"][0]["thumbnail_url"])
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert PILImage.open(io.BytesIO(thumb.content)).size == (64, 48)
    # the input as it was sent: the "before" when the web app reopens this result from the history
    sent = client.get(history["jobs"][0]["results"][0]["upload"]["thumbnail_url"].replace("/thumbnail", "/file"))
    assert sent.status_code == 200 and sent.headers["content-type"] == "image/png"
    assert sent.content == png_bytes(seed=3)


def test_enhance_runs_an_edited_plan_and_reuses_the_upload(client) -> None:  # noqa: ANN001
    a = client.post("/v1/analyze", files={"image": ("d.png", png_bytes(dark=True), "image/png")}).json()
    steps = [dict(s) for s in a["steps"]]
    low = next(s for s in steps if s["task"] == "lowlight")
    low["model"] = "gamma" if low["model"] != "gamma" else low["alternatives"][0]  # "Another Model"
    r = client.post("/v1/enhance", data={"upload_id": a["upload"]["id"], "plan": json.dumps({"steps": steps}),
                                         "strength": "0.5"})
    assert r.status_code == 200, r.text
    ran = [s["model"] for s in json.loads(r.headers["x-vivid-provenance"])["steps"]]
    assert ran == [s["model"] for s in steps]
    assert client.get("/v1/jobs").json()["jobs"][0]["results"][0]["upload"]["id"] == a["upload"]["id"]


def test_strength_zero_gives_back_the_input(client) -> None:  # noqa: ANN001
    src = png_bytes(seed=5)
    r = client.post("/v1/enhance", data={"task": "color", "model": "grayworld", "strength": "0"},
                    files={"image": ("s.png", src, "image/png")})
    assert r.status_code == 200
    a, b = read_image_bytes(src).pixels, read_image_bytes(r.content).pixels
    assert np.abs(a - b).max() <= 1 / 255  # within one 8-bit level


FIELD = {"/v1/enhance": "image", "/v1/analyze": "image", "/v1/jobs": "files"}
ID_FIELD = {"/v1/enhance": "upload_id", "/v1/analyze": "upload_id", "/v1/jobs": "upload_ids"}

BAD_FILES = [  # (case, file name, content, status, code)
    ("text file", "notes.png", b"hello, not an image", 415, "unsupported_media_type"),
    ("corrupt png", "c.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, 422, "invalid_input"),
    ("truncated png", "t.png", png_bytes()[:300], 422, "invalid_input"),
    ("empty file", "e.png", b"", 422, "invalid_input"),
]


def test_bad_files_are_clear_4xx_never_500(client) -> None:  # noqa: ANN001
    for path, field in FIELD.items():
        for case, name, content, status, code in BAD_FILES:
            r = client.post(path, files={field: (name, content, "image/png")})
            assert r.status_code == status, f"{case} at {path}: {r.status_code} {r.text}"
            assert_error(r, status, code)


BAD_OPTIONS = [  # (case, form fields, status, code)
    ("unknown model", {"task": "sr", "model": "esrgan9000"}, 422, "invalid_model"),
    ("model of another task", {"task": "sr", "model": "nlm"}, 422, "invalid_model"),
    ("model file path", {"task": "sr", "model": "file:/etc/passwd"}, 422, "invalid_model"),
    ("model without task", {"model": "bicubic"}, 422, "invalid_option"),
    ("unknown task", {"task": "paint"}, 422, "invalid_option"),
    ("strength too big", {"task": "sr", "strength": "1.5"}, 422, "invalid_option"),
    ("strength not a number", {"task": "sr", "strength": "lots"}, 422, "invalid_request"),
    ("bad size", {"task": "sr", "size": "big"}, 422, "invalid_option"),
    ("bad format", {"task": "sr", "format": "gif"}, 422, "invalid_option"),
    ("plan not json", {"plan": "{steps"}, 422, "invalid_option"),
    ("plan with unknown task", {"plan": '{"steps": [{"task": "x", "model": "bicubic"}]}'}, 422, "invalid_option"),
    ("plan with wrong model", {"plan": '{"steps": [{"task": "sr", "model": "gamma"}]}'}, 422, "invalid_model"),
    ("plan and model", {"task": "sr", "model": "bicubic", "plan": '{"steps": [{"task": "sr", "model": "bicubic"}]}'},
     422, "invalid_option"),
]


def test_bad_options_are_clear_4xx_never_500(client) -> None:  # noqa: ANN001
    image = png_bytes()
    for path in ("/v1/enhance", "/v1/jobs"):
        for case, fields, status, code in BAD_OPTIONS:
            r = client.post(path, data=fields, files={FIELD[path]: ("ok.png", image, "image/png")})
            assert r.status_code == status, f"{case} at {path}: {r.status_code} {r.text}"
            assert_error(r, status, code)
    assert client.get("/v1/jobs").json()["total"] == 0  # nothing half-accepted


def test_missing_or_unknown_inputs(client) -> None:  # noqa: ANN001
    for path in FIELD:
        assert_error(client.post(path, data={"task": "sr"} if path != "/v1/analyze" else {}), 422, "invalid_option")
        for bad_id in ("0123456789abcdef", "../../etc"):
            assert_error(client.post(path, data={ID_FIELD[path]: bad_id}), 404, "not_found")
    for p in ("/v1/jobs/nope", "/v1/jobs/nope/result", "/v1/jobs/nope/result/0", "/v1/jobs/nope/events",
              "/v1/uploads/nope/thumbnail", "/v1/uploads/..%2F..%2Fetc/thumbnail", "/v1/uploads/nope/file"):
        assert_error(client.get(p), 404, "not_found")
    assert_error(client.delete("/v1/jobs/nope"), 404, "not_found")


def test_pixel_limits(client, settings) -> None:  # noqa: ANN001
    # a decompression bomb: tiny file, huge header; refused from the header, before decoding
    bomb = io.BytesIO()
    PILImage.new("L", (2000, 1200)).save(bomb, format="PNG")
    assert len(bomb.getvalue()) < 20_000
    err = assert_error(client.post("/v1/enhance", files={"image": ("bomb.png", bomb.getvalue(), "image/png")}), 413,
                       "image_too_large")
    assert "2.4 MP" in err["message"] and "VIVID_MAX_PIXELS" in err["message"]
    # bigger than the synchronous limit (but fine for a job): 413 that says to use jobs
    big = png_bytes(400, 600)
    err = assert_error(client.post("/v1/enhance", data={"task": "color"}, files={"image": ("big.png", big, "image/png")}),
                       413, "too_large_for_sync")
    assert "POST /v1/jobs" in err["message"]
    upload_id = re.search(r"upload_id=([0-9a-f]+)", err["message"]).group(1)
    job = client.post("/v1/jobs", data={"upload_ids": upload_id, "task": "color"})
    assert job.status_code == 202, job.text


def test_upload_size_limit(client, settings) -> None:  # noqa: ANN001
    too_big = b"\x89PNG\r\n\x1a\n" + bytes(settings.max_upload_bytes)
    assert_error(client.post("/v1/enhance", files={"image": ("huge.png", too_big, "image/png")}), 413,
                 "upload_too_large")

    def chunks():  # no Content-Length: the limit is enforced while the body streams in
        yield b"--x\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n\r\n"
        for _ in range(6):
            yield bytes(1024 * 1024)
        yield b"\r\n--x--\r\n"

    r = client.post("/v1/enhance", content=chunks(), headers={"content-type": "multipart/form-data; boundary=x"})
    assert_error(r, 413, "upload_too_large")
    assert client.get("/healthz").status_code == 200


def test_file_names_never_reach_the_file_system(client, settings) -> None:  # noqa: ANN001
    evil = "../../../../tmp/evil name.png"  # (control characters: see test_storage's sanitising test)
    r = client.post("/v1/analyze", files={"image": (evil, png_bytes(), "image/png")})
    assert r.status_code == 200, r.text
    assert r.json()["upload"]["name"] == "evil name.png"
    stored = [p for p in settings.data_dir.rglob("*") if p.is_file()]
    assert all(p.resolve().is_relative_to(settings.data_dir.resolve()) for p in stored)
    assert not any("evil" in p.name for p in stored)
    r = client.post("/v1/enhance", data={"task": "color", "upload_id": r.json()["upload"]["id"]})
    assert 'filename="evil_name_vivid.png"' in r.headers["content-disposition"]


def test_api_keys_guard_v1_when_configured(client, settings) -> None:  # noqa: ANN001
    keyed = settings.model_copy(update={"api_keys": ["s3cret", "other"]})
    client.app.dependency_overrides[get_settings] = lambda: keyed
    try:
        assert_error(client.get("/v1/models"), 401, "unauthorized")
        assert_error(client.get("/v1/jobs", headers={"X-API-Key": "wrong"}), 401, "unauthorized")
        assert client.get("/v1/models", headers={"X-API-Key": "s3cret"}).status_code == 200
        assert client.get("/v1/info", headers={"X-API-Key": "other"}).json()["auth"] is True
        assert client.get("/healthz").status_code == 200 and client.get("/").status_code == 200
    finally:
        client.app.dependency_overrides.clear()
    assert client.get("/v1/models").status_code == 200


def test_ui_is_served_offline(client) -> None:  # noqa: ANN001
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "default-src 'self'" in page.headers["content-security-policy"]
    html = page.text
    assert "http://" not in html and "https://" not in html  # no CDN
    for asset in ("/static/app.js", "/static/app.css"):
        r = client.get(asset)
        assert r.status_code == 200 and "http://" not in r.text.replace("http://www.w3.org", "")


def test_unexpected_errors_are_a_generic_500(settings, monkeypatch) -> None:  # noqa: ANN001
    from fastapi.testclient import TestClient

    import vivid.models.registry as registry
    from vivid.server.app import create_app

    def broken(task=None):  # noqa: ANN001, ANN202
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(registry, "list_models", broken)
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        r = c.get("/v1/models")
        err = assert_error(r, 500, "internal_error")
        assert "secret" not in r.text and "Traceback" not in r.text
        assert "logged" in err["message"]
        assert c.get("/healthz").status_code == 200


def test_colorize_of_a_colour_image_is_a_422_unless_recolor(client) -> None:  # noqa: ANN001
    files = {"image": ("c.png", png_bytes(), "image/png")}
    r = client.post("/v1/enhance", files=files, data={"task": "colorize"})
    assert_error(r, 422, "invalid_input")
    assert "recolor" in r.json()["error"]["message"]
    r = client.post("/v1/enhance", files=files, data={"task": "colorize", "recolor": "true"})
    assert r.status_code == 200, r.text
