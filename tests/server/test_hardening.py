"""Service hardening: memory budget before decoding, owners per key, Host/Origin checks, back-pressure."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from PIL import Image as PILImage

from tests.server.support import assert_error, png_bytes, wait_for
from vivid.server.app import create_app
from vivid.server.settings import Settings

A, B, ADMIN = {"X-API-Key": "alice-key"}, {"X-API-Key": "bob-key"}, {"X-API-Key": "root-key"}


def png_of(w: int, h: int) -> bytes:
    buf = io.BytesIO()
    PILImage.new("RGB", (w, h), "gray").save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files the server decoded (a refusal before decoding leaves none)."""
    from vivid.io import read

    seen: list[str] = []
    real = read._decode

    def spy(data, *, name, **kw):  # noqa: ANN001, ANN202
        seen.append(name)
        return real(data, name=name, **kw)

    monkeypatch.setattr(read, "_decode", spy)
    return seen


# --- memory budget ------------------------------------------------------------------------------------
def test_output_size_is_refused_before_decoding(client, settings, decodes) -> None:  # noqa: ANN001
    tiny = png_bytes()  # 64x48
    plan = json.dumps({"steps": [{"task": "sr", "model": "bicubic", "scale": 8}] * 3})
    for fields in ({"task": "sr", "model": "bicubic", "size": "6000x6000"}, {"plan": plan}):
        for url in ("/v1/enhance", "/v1/jobs"):
            field = "image" if url == "/v1/enhance" else "files"
            err = assert_error(client.post(url, data=fields, files={field: ("tiny.png", tiny, "image/png")}),
                               413, "over_budget")
            assert "max_output_pixels" in err["message"] and "VIVID_MAX_OUTPUT_PIXELS" in err["message"]
    assert decodes == []
    assert client.get("/v1/jobs").json()["total"] == 0  # nothing was queued


def test_memory_budget_names_its_setting(client, settings, decodes) -> None:  # noqa: ANN001
    small = settings.model_copy(update={"memory_budget_mb": 1.0, "max_output_pixels": 10**9})
    with TestClient(create_app(small)) as c:
        err = assert_error(c.post("/v1/enhance", data={"task": "sr", "model": "bicubic", "scale": "4"},
                                  files={"image": ("p.png", png_bytes(), "image/png")}), 413, "over_budget")
        assert "VIVID_MEMORY_BUDGET_MB" in err["message"] and "1 MB" in err["message"]
        # an input whose decoding alone is over the budget (a small file with a big header)
        err = assert_error(c.post("/v1/analyze", files={"image": ("big.png", png_of(300, 300), "image/png")}),
                           413, "over_budget")
        assert "300x300" in err["message"] and "VIVID_MEMORY_BUDGET_MB" in err["message"]
    assert decodes == []


def test_allowed_output_runs_and_matches_the_plan_geometry(client) -> None:  # noqa: ANN001
    from vivid.server.budget import plan_geometry

    r = client.post("/v1/enhance", data={"task": "sr", "model": "bicubic", "size": "200x150"},
                    files={"image": ("p.png", png_bytes(), "image/png")})
    assert r.status_code == 200, r.text
    out = PILImage.open(io.BytesIO(r.content))
    g = plan_geometry(48, 64, [("sr", "bicubic", 4)], scale=None, size=(150, 200))
    assert out.size == (g.width, g.height) == (200, 150)


def test_plan_geometry_follows_every_step() -> None:
    from vivid.server.budget import plan_geometry

    g = plan_geometry(48, 64, [("sr", "bicubic", 8)] * 3, scale=None, size=None)
    assert (g.height, g.width, g.peak_pixels) == (24576, 32768, 24576 * 32768)
    # a model with a native scale runs at it, then is resampled to the asked size: both count
    g = plan_geometry(100, 100, [("denoise", "nlm", 1), ("sr", "vivid-sr", 4)], scale=3.0, size=None)
    assert (g.height, g.width, g.peak_pixels) == (300, 300, 400 * 400)


def test_video_frames_times_pixels_are_limited(settings, tmp_path) -> None:  # noqa: ANN001
    from tests.server.support import mp4_bytes

    clip = mp4_bytes(tmp_path, frames=6)  # 64x48
    s = settings.model_copy(update={"max_video_pixels": 50_000})
    with TestClient(create_app(s)) as c:
        err = assert_error(c.post("/v1/jobs", data={"task": "sr", "model": "bicubic", "scale": "2"},
                                  files={"files": ("clip.mp4", clip, "video/mp4")}), 413, "over_budget")
        assert "6 frames of 128x96" in err["message"] and "VIVID_MAX_VIDEO_PIXELS" in err["message"]
        assert "clip.mp4" in err["message"] and str(s.data_dir.resolve()) not in err["message"]
        assert not list((s.data_dir / "uploads").rglob("*.mp4")), "a refused video is not kept"
        ok = c.post("/v1/jobs", data={"task": "color", "model": "grayworld"},
                    files={"files": ("clip.mp4", clip, "video/mp4")})
        assert ok.status_code == 202, ok.text
    with TestClient(create_app(settings.model_copy(update={"max_pixels": 3000}))) as c:  # 64x48 = 3072
        err = assert_error(c.post("/v1/jobs", data={"task": "color", "model": "grayworld"},
                                  files={"files": ("clip.mp4", clip, "video/mp4")}), 413, "image_too_large")
        assert "'clip.mp4'" in err["message"] and "64x48" in err["message"]
    with TestClient(create_app(settings.model_copy(update={"max_output_pixels": 10_000}))) as c:
        err = assert_error(c.post("/v1/jobs", data={"task": "sr", "model": "bicubic", "scale": "2"},
                                  files={"files": ("clip.mp4", clip, "video/mp4")}), 413, "over_budget")
        assert "128x96 frames" in err["message"] and "VIVID_MAX_OUTPUT_PIXELS" in err["message"]


def test_info_shows_the_limits(client, settings) -> None:  # noqa: ANN001
    info = client.get("/v1/info").json()
    assert (info["max_output_pixels"], info["memory_budget_mb"], info["max_video_pixels"]) == (
        settings.max_output_pixels, settings.memory_budget_mb, settings.max_video_pixels)


def test_sync_limit_is_checked_from_the_header(client, settings, decodes) -> None:  # noqa: ANN001
    err = assert_error(client.post("/v1/enhance", data={"task": "color"},
                                   files={"image": ("wide.png", png_of(600, 400), "image/png")}), 413,
                       "too_large_for_sync")
    assert "VIVID_SYNC_MAX_PIXELS" in err["message"] and "upload_id=" in err["message"]
    assert decodes == []


# --- owners ---------------------------------------------------------------------------------------------
@pytest.fixture
def keyed(settings: Settings) -> Iterator[TestClient]:
    s = settings.model_copy(update={"api_keys": ["alice-key", "bob-key"], "admin_keys": ["root-key"]})
    with TestClient(create_app(s)) as c:
        yield c


def test_keys_own_their_jobs_and_uploads(keyed) -> None:  # noqa: ANN001
    c = keyed
    r = c.post("/v1/jobs", headers=A, data={"task": "sr", "model": "bicubic", "scale": "2"},
               files={"files": ("alice.png", png_bytes(), "image/png")})
    assert r.status_code == 202, r.text
    job = wait_for(type("C", (), {"get": lambda self, u: c.get(u, headers=A)})(), r.json()["id"])
    upload = job["results"][0]["upload"]["id"]
    jid = job["id"]
    # bob sees none of it: 404 everywhere, an empty history
    for url in (f"/v1/jobs/{jid}", f"/v1/jobs/{jid}/result", f"/v1/jobs/{jid}/result/0", f"/v1/jobs/{jid}/events",
                f"/v1/uploads/{upload}", f"/v1/uploads/{upload}/thumbnail", f"/v1/uploads/{upload}/file"):
        assert_error(c.get(url, headers=B), 404, "not_found")
    assert c.get("/v1/jobs", headers=B).json() == {"jobs": [], "total": 0}
    assert_error(c.delete(f"/v1/jobs/{jid}", headers=B), 404, "not_found")
    assert_error(c.post("/v1/enhance", headers=B, data={"upload_id": upload, "task": "color"}), 404, "not_found")
    assert_error(c.post("/v1/jobs", headers=B, data={"upload_ids": upload, "task": "color"}), 404, "not_found")
    assert_error(c.post("/v1/analyze", headers=B, data={"upload_id": upload}), 404, "not_found")
    # alice sees hers; the admin key sees everyone's
    assert c.get(f"/v1/jobs/{jid}/result/0", headers=A).status_code == 200
    assert c.get(f"/v1/uploads/{upload}/thumbnail", headers=A).status_code == 200
    assert c.get(f"/v1/uploads/{upload}/file", headers=A).content == png_bytes()
    assert [j["id"] for j in c.get("/v1/jobs", headers=A).json()["jobs"]] == [jid]
    assert [j["id"] for j in c.get("/v1/jobs", headers=ADMIN).json()["jobs"]] == [jid]
    assert c.get(f"/v1/uploads/{upload}", headers=ADMIN).status_code == 200
    # bob's own work is his
    r = c.post("/v1/enhance", headers=B, data={"task": "color"}, files={"image": ("b.png", png_bytes(), "image/png")})
    assert r.status_code == 200
    bob_job = r.headers["X-Vivid-Job-Id"]
    assert [j["id"] for j in c.get("/v1/jobs", headers=B).json()["jobs"]] == [bob_job]
    assert_error(c.get(f"/v1/jobs/{bob_job}", headers=A), 404)
    assert {j["id"] for j in c.get("/v1/jobs", headers=ADMIN).json()["jobs"]} == {jid, bob_job}


def test_stored_owner_is_a_hash_not_the_key(keyed, settings) -> None:  # noqa: ANN001
    import sqlite3

    r = keyed.post("/v1/analyze", headers=A, files={"image": ("a.png", png_bytes(), "image/png")})
    assert r.status_code == 200
    if settings.database_url is None:
        with sqlite3.connect(settings.data_dir / "vivid.db") as db:
            owners = {row[0] for row in db.execute("SELECT owner FROM uploads")}
        assert len(owners) == 1 and owners.pop().startswith("key:")
        assert b"alice-key" not in (settings.data_dir / "vivid.db").read_bytes()


# --- browser safety -----------------------------------------------------------------------------------
def test_unknown_host_names_are_refused(client) -> None:  # noqa: ANN001
    assert_error(client.get("/v1/jobs", headers={"Host": "attacker.example:8000"}), 403, "forbidden")
    assert_error(client.get("/", headers={"Host": "attacker.example"}), 403, "forbidden")
    for host in ("localhost:8000", "127.0.0.1:8000", "[::1]:8000", "testserver"):
        assert client.get("/v1/jobs", headers={"Host": host}).status_code == 200, host


def test_cross_site_writes_are_refused(client) -> None:  # noqa: ANN001
    files = {"files": ("p.png", png_bytes(), "image/png")}
    data = {"task": "sr", "model": "bicubic", "scale": "2"}
    for headers in ({"Origin": "https://evil.example"}, {"Referer": "https://evil.example/page.html"},
                    {"Origin": "null"}, {"Origin": "http://testserver.evil.example"},
                    {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site", "Origin": "http://testserver"},
                    {"Origin": "http://testserver:8080"}):
        assert_error(client.post("/v1/jobs", headers=headers, data=data, files=files), 403, "forbidden")
    assert client.get("/v1/jobs").json()["total"] == 0
    # the web UI (same origin) and API clients (no Origin) keep working; reads are not affected
    assert client.post("/v1/jobs", headers={"Origin": "http://testserver"}, data=data, files=files).status_code == 202
    same = {"Origin": "null", "Sec-Fetch-Site": "same-origin"}  # a same-origin page under a no-referrer policy
    assert client.post("/v1/jobs", headers=same, data=data, files=files).status_code == 202
    assert client.post("/v1/jobs", data=data, files=files).status_code == 202
    assert client.get("/v1/jobs", headers={"Origin": "https://evil.example"}).status_code == 200


def test_host_setting_and_wildcard(settings) -> None:  # noqa: ANN001
    s = settings.model_copy(update={"allowed_hosts": ["vivid.example.org"], "host": "10.0.0.5"})
    assert s.host_names() == {"vivid.example.org", "10.0.0.5"} and s.binds_publicly()
    assert not settings.model_copy(update={"host": "localhost"}).binds_publicly()
    assert not settings.model_copy(update={"host": "::1"}).binds_publicly()
    with TestClient(create_app(settings.model_copy(update={"allowed_hosts": ["*"]}))) as c:
        assert c.get("/v1/info", headers={"Host": "anything.example"}).status_code == 200


def test_environment_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIVID_ALLOWED_HOSTS", "a.example, b.example")
    monkeypatch.setenv("VIVID_ADMIN_KEYS", "k1")
    s = Settings()
    assert s.allowed_hosts == ["a.example", "b.example"] and s.admin_keys == ["k1"] and s.all_keys == ["k1"]


# --- back-pressure --------------------------------------------------------------------------------------
def test_full_queue_is_a_429_with_retry_after(settings, monkeypatch) -> None:  # noqa: ANN001
    from vivid.server.jobs import JobRunner

    monkeypatch.setattr(JobRunner, "_work", lambda self: None)  # no worker: everything stays queued
    s = settings.model_copy(update={"max_queued_jobs": 3, "max_queued_jobs_per_key": 2,
                                    "api_keys": ["alice-key", "bob-key"]})
    data = {"task": "sr", "model": "bicubic", "scale": "2"}

    def post(headers: dict) -> object:
        return c.post("/v1/jobs", headers=headers, data=data, files={"files": ("p.png", png_bytes(), "image/png")})

    with TestClient(create_app(s)) as c:
        assert [post(A).status_code for _ in range(2)] == [202, 202]
        r = post(A)
        assert_error(r, 429, "too_many_requests")
        assert r.headers["Retry-After"] == "30" and "VIVID_MAX_QUEUED_JOBS_PER_KEY" in r.json()["error"]["message"]
        assert post(B).status_code == 202
        r = post(B)
        assert_error(r, 429, "too_many_requests")
        assert "VIVID_MAX_QUEUED_JOBS " in r.json()["error"]["message"] or "VIVID_MAX_QUEUED_JOBS)" in r.text


def test_without_keys_only_the_whole_queue_is_limited(settings, monkeypatch) -> None:  # noqa: ANN001
    from vivid.server.jobs import JobRunner

    monkeypatch.setattr(JobRunner, "_work", lambda self: None)
    s = settings.model_copy(update={"max_queued_jobs": 3, "max_queued_jobs_per_key": 1})
    with TestClient(create_app(s)) as c:
        codes = [c.post("/v1/jobs", data={"task": "color", "model": "grayworld"},
                        files={"files": ("p.png", png_bytes(), "image/png")}).status_code for _ in range(4)]
    assert codes == [202, 202, 202, 429]


def test_sync_requests_are_bounded(settings, monkeypatch) -> None:  # noqa: ANN001
    from vivid.server import routers

    s = settings.model_copy(update={"api_keys": ["alice-key", "bob-key"], "sync_per_key": 1,
                                    "sync_wait_seconds": 0.2})
    entered, release = threading.Event(), threading.Event()
    real = routers.enhance.run_enhance

    def held(*a, **kw):  # noqa: ANN002, ANN003, ANN202
        entered.set()
        release.wait(20)
        return real(*a, **kw)

    monkeypatch.setattr(routers.enhance, "run_enhance", held)

    def post(headers: dict) -> object:
        return c.post("/v1/enhance", headers=headers, data={"task": "color"},
                      files={"image": ("p.png", png_bytes(), "image/png")})

    with TestClient(create_app(s)) as c:
        first: list = []
        t = threading.Thread(target=lambda: first.append(post(A)))
        t.start()
        try:
            assert entered.wait(20)
            r = post(A)  # alice's second request while her first runs: per-key limit
            assert_error(r, 429, "too_many_requests")
            assert r.headers["Retry-After"] and "VIVID_SYNC_PER_KEY" in r.json()["error"]["message"]
            r = post(B)  # bob waits for the one slot (workers=1), then gets a 503
            assert_error(r, 503, "busy")
            assert r.headers["Retry-After"]
        finally:
            release.set()
            t.join(30)
        assert first[0].status_code == 200
        assert post(B).status_code == 200


# --- malformed requests -----------------------------------------------------------------------------------
def test_huge_paging_values_and_bad_plans_are_4xx(client) -> None:  # noqa: ANN001
    for q in ("offset=9223372036854775808", "offset=9223372036854775807", "limit=100000", "offset=-1"):
        assert_error(client.get(f"/v1/jobs?{q}"), 422, "invalid_request")
    files = {"image": ("p.png", png_bytes(), "image/png")}
    for plan in ("{", "[]", '{"steps": []}', '{"steps": [{"task": "sr", "model": "bicubic", "scale": 99}]}',
                 '{"steps": [{"task": "sr", "model": "file:/etc/passwd"}]}', '"x"', "1e999",
                 '{"steps": [' + '{"task": "color", "model": "grayworld"},' * 20 + "]}"):
        r = client.post("/v1/enhance", data={"plan": plan}, files=files)
        assert 400 <= r.status_code < 500, (plan, r.status_code, r.text)


def test_openapi_documents_the_key_and_errors(client) -> None:  # noqa: ANN001
    doc = client.get("/openapi.json").json()
    scheme = next(iter(doc["components"]["securitySchemes"].values()))
    assert scheme == {**scheme, "type": "apiKey", "in": "header", "name": "X-API-Key"}
    for path, ops in doc["paths"].items():
        if path.startswith("/v1/"):
            for op in ops.values():
                assert {"400", "401", "403"} <= set(op["responses"]), (path, sorted(op["responses"]))
                assert op.get("security"), path
    assert {"413", "429", "503"} <= set(doc["paths"]["/v1/enhance"]["post"]["responses"])
    assert {"429"} <= set(doc["paths"]["/v1/jobs"]["post"]["responses"])


# --- exposure and slow clients ----------------------------------------------------------------------------
def test_public_address_without_keys_is_refused_unless_forced(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    import uvicorn
    from typer.testing import CliRunner

    from vivid.cli.main import app

    calls: list = []
    monkeypatch.setattr(uvicorn, "run", lambda application, **kw: calls.append(kw))
    monkeypatch.delenv("VIVID_API_KEYS", raising=False)
    base = ["serve", "--data-dir", str(tmp_path), "--host", "0.0.0.0"]
    res = CliRunner().invoke(app, base, env={"COLUMNS": "200"})
    assert res.exit_code == 2 and not calls
    assert "refusing to serve 0.0.0.0 without API keys" in res.output and "VIVID_API_KEYS" in res.output
    res = CliRunner().invoke(app, [*base, "--allow-public"], env={"COLUMNS": "200"})
    assert res.exit_code == 0 and calls and "WITHOUT API KEYS" in res.output
    res = CliRunner().invoke(app, base, env={"COLUMNS": "200", "VIVID_API_KEYS": "k"})
    assert res.exit_code == 0 and "WITHOUT" not in res.output and "VIVID_ALLOWED_HOSTS" in res.output
    res = CliRunner().invoke(app, base, env={"COLUMNS": "200", "VIVID_API_KEYS": "k",
                                             "VIVID_ALLOWED_HOSTS": "vivid.example.org"})
    assert res.exit_code == 0 and "VIVID_ALLOWED_HOSTS" not in res.output
    assert calls[-1]["limit_concurrency"] == 200


def test_a_stalled_body_is_cut_off(live_server) -> None:  # noqa: ANN001
    import socket

    from vivid.server.settings import Settings

    assert Settings().client_timeout_seconds == 30.0
    with socket.create_connection(("127.0.0.1", live_server.port), timeout=10) as s:  # builds the middleware
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        assert s.recv(100).startswith(b"HTTP/1.1 200")
    _body_limit(live_server).timeout = 0.5
    with socket.create_connection(("127.0.0.1", live_server.port), timeout=10) as s:
        s.sendall(b"POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=x\r\n"
                  b"Content-Length: 1000\r\n\r\n--x\r\n")
        reply = b""
        while chunk := s.recv(4096):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 408") and b"VIVID_CLIENT_TIMEOUT_SECONDS" in reply


def _body_limit(live_server):  # noqa: ANN001, ANN202
    """The BodyLimitMiddleware instance inside the running app's middleware stack."""
    from vivid.server.limits import BodyLimitMiddleware

    node = live_server.server.config.loaded_app
    while node is not None and not isinstance(node, BodyLimitMiddleware):
        node = getattr(node, "app", None) or getattr(node, "middleware_stack", None)
    assert node is not None
    return node


def test_sync_waiting_room_is_bounded() -> None:
    from vivid.server.errors import ServiceBusyError
    from vivid.server.gate import SyncGate

    gate = SyncGate(slots=1, per_key=5, wait=30, waiting=1)
    held, waiting_started, release = threading.Event(), threading.Event(), threading.Event()

    def hold() -> None:
        with gate.enter("key:a"):
            held.set()
            release.wait(20)

    def wait_in_line() -> None:
        waiting_started.set()
        with gate.enter("key:b"):
            pass

    t1 = threading.Thread(target=hold)
    t1.start()
    assert held.wait(10)
    t2 = threading.Thread(target=wait_in_line)
    t2.start()
    assert waiting_started.wait(10)
    deadline = time.monotonic() + 10
    while gate._total < 2 and time.monotonic() < deadline:  # the second request is in the waiting room
        time.sleep(0.01)
    with pytest.raises(ServiceBusyError, match="VIVID_SYNC_QUEUE") as info:  # a third: no room, at once
        with gate.enter("key:c"):
            pass
    assert info.value.retry_after == 2
    release.set()
    t1.join(10)
    t2.join(10)
    assert gate._total == 0 and gate.in_flight("key:a") == 0


def test_limits_lowered_at_a_restart_apply_to_queued_jobs(settings, tmp_path, monkeypatch) -> None:  # noqa: ANN001
    from tests.server.support import mp4_bytes
    from vivid.server.jobs import JobRunner

    real_work = JobRunner._work
    monkeypatch.setattr(JobRunner, "_work", lambda self: None)  # the first server accepts but runs nothing
    with TestClient(create_app(settings)) as c:
        image_job = c.post("/v1/jobs", data={"task": "sr", "model": "bicubic", "scale": "4"},
                           files={"files": ("p.png", png_bytes(), "image/png")}).json()["id"]
        video_job = c.post("/v1/jobs", data={"task": "sr", "model": "bicubic", "scale": "2"},
                           files={"files": ("clip.mp4", mp4_bytes(tmp_path, frames=6), "video/mp4")}).json()["id"]
    monkeypatch.setattr(JobRunner, "_work", real_work)
    lower = settings.model_copy(update={"max_output_pixels": 10_000, "max_video_pixels": 10_000,
                                        "max_stream_output_pixels": 10_000})
    with TestClient(create_app(lower)) as c:  # (a single bicubic step into PNG could stream: that limit too)
        for job_id, text in ((image_job, "VIVID_MAX_STREAM_OUTPUT_PIXELS"), (video_job, "VIVID_MAX_OUTPUT_PIXELS")):
            job = wait_for(c, job_id)
            assert job["status"] == "failed" and job["error"]["code"] == "over_budget", job
            assert text in job["error"]["message"] and str(settings.data_dir.resolve()) not in job["error"]["message"]


def test_big_job_takes_the_bounded_streaming_path(settings) -> None:  # noqa: ANN001
    """A tall image whose x2 output is over the in-memory budget, but whose output strips are not: the job
    accepts it without decoding it in the request and streams it; the same work in memory is refused."""
    from vivid.server.budget import check_stream, estimate_bytes, plan_geometry

    tall = png_bytes(4000, 100)  # 100x4000
    s = settings.model_copy(update={"memory_budget_mb": 50.0})
    assert estimate_bytes(400_000, plan_geometry(4000, 100, [("sr", "bicubic", 2)], scale=2.0, size=None)) > 50 * 2**20
    check_stream(100, 4000, [("sr", "bicubic", 2)], s, name="tall.png")  # fits streamed
    with TestClient(create_app(s)) as c:
        assert_error(c.post("/v1/enhance", data={"task": "sr", "model": "bicubic", "scale": "2"},
                            files={"image": ("tall.png", tall, "image/png")}), 413)
        err = assert_error(c.post("/v1/jobs", data={"task": "sr", "model": "bicubic", "scale": "2", "format": "jpeg"},
                                  files={"files": ("tall.png", tall, "image/png")}), 413, "over_budget")
        assert "VIVID_MEMORY_BUDGET_MB" in err["message"]  # JPEG output cannot be streamed
        r = c.post("/v1/jobs", data={"task": "sr", "model": "bicubic", "scale": "2"},
                   files={"files": ("tall.png", tall, "image/png")})
        assert r.status_code == 202, r.text
        job = wait_for(c, r.json()["id"])
        assert job["status"] == "done", job
        res = job["results"][0]
        assert (res["width"], res["height"]) == (200, 8000) and res["provenance"]["streamed"] is True
        out = PILImage.open(io.BytesIO(c.get(res["url"]).content))
        assert out.size == (200, 8000)
        import numpy as np

        from vivid.engine.api import enhance
        from vivid.io.read import read_image_bytes

        ref = enhance(read_image_bytes(tall), task="sr", model="bicubic", scale=2).image.color
        got = np.asarray(out.convert("RGB"), dtype=np.float32).transpose(2, 0, 1) / 255
        assert np.abs(got - ref).max() * 255 <= 1.01  # the in-memory result, to 8-bit rounding
        # a plan with two steps cannot be streamed: refused with the in-memory reason
        plan = json.dumps({"steps": [{"task": "color", "model": "grayworld"},
                                     {"task": "sr", "model": "bicubic", "scale": 2}]})
        assert_error(c.post("/v1/jobs", data={"plan": plan}, files={"files": ("tall.png", tall, "image/png")}),
                     413, "over_budget")


def test_405_lists_every_method_of_the_path(client) -> None:  # noqa: ANN001
    r = client.request("OPTIONS", "/v1/jobs")
    assert_error(r, 405, "method_not_allowed")
    assert set(r.headers["Allow"].split(", ")) == {"GET", "POST"}
    r = client.request("PUT", "/v1/jobs/abc")
    assert set(r.headers["Allow"].split(", ")) == {"GET", "DELETE"}


def test_connections_slow_to_send_headers_are_closed(settings) -> None:  # noqa: ANN001
    import socket

    from tests.server.support import LiveServer

    with LiveServer(settings.model_copy(update={"client_timeout_seconds": 1.0})) as server:
        def closed_within(sock: socket.socket, seconds: float) -> bool:
            sock.settimeout(seconds)
            try:
                return sock.recv(100) == b""
            except TimeoutError:
                return False

        idle = socket.create_connection(("127.0.0.1", server.port))
        dribble = socket.create_connection(("127.0.0.1", server.port))
        dribble.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        t0 = time.monotonic()
        for _ in range(3):  # a header line every 0.4 s never completes the request
            time.sleep(0.4)
            try:
                dribble.sendall(b"X-Slow: 1\r\n")
            except OSError:
                break
        assert closed_within(idle, 5) and closed_within(dribble, 5)
        assert time.monotonic() - t0 < 5
        # a normal client on a kept-alive connection is not affected
        with socket.create_connection(("127.0.0.1", server.port)) as ok:
            for _ in range(2):
                ok.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                reply = b""
                while b'{"status":"ok"}' not in reply:
                    chunk = ok.recv(1000)
                    assert chunk, reply
                    reply += chunk
                assert reply.startswith(b"HTTP/1.1 200")
                time.sleep(0.6)
        idle.close()
        dribble.close()


def test_plans_accept_every_engine_task() -> None:
    """A plan the engine's routing recommends always validates when sent back (the UI does that)."""
    from typing import get_args

    from vivid.models.base import TASKS
    from vivid.models.registry import list_models
    from vivid.server.enhancement import StepIn, StepTask, TaskName

    assert set(get_args(StepTask)) == set(TASKS) and set(get_args(TaskName)) == {"auto", *TASKS}
    for task in TASKS:
        for entry in list_models(task)[:1]:
            StepIn(task=task, model=entry.name, scale=entry.scales[0] if task == "sr" else 1)
