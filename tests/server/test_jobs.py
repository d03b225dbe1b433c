"""Background jobs: batches, progress events, cancellation, restart/resume, parallel requests."""

from __future__ import annotations

import io
import json
import threading
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tests.server.support import assert_error, mp4_bytes, png_bytes, wait_for
from vivid.io.read import read_image_bytes
from vivid.server.app import create_app


def submit(client: TestClient, n: int = 1, **fields: str) -> dict:
    files = [("files", (f"p{i}.png", png_bytes(seed=i), "image/png")) for i in range(n)]
    r = client.post("/v1/jobs", data={"task": "sr", "model": "bicubic", "scale": "2", **fields}, files=files)
    assert r.status_code == 202, r.text
    return r.json()


def test_batch_job_runs_in_the_background(client, settings) -> None:  # noqa: ANN001
    job = submit(client, 3)
    assert job["status"] in ("queued", "running") and job["kind"] == "image" and len(job["results"]) == 3
    done = wait_for(client, job["id"])
    assert done["status"] == "done" and done["progress"] == 1.0 and done["error"] is None
    assert done["started_at"] and done["finished_at"]
    for i, res in enumerate(done["results"]):
        assert res["status"] == "done" and res["upload"]["name"] == f"p{i}.png"
        out = read_image_bytes(client.get(res["url"]).content)
        assert (out.height, out.width) == (96, 128)
        assert res["provenance"]["steps"][0]["model"] == "bicubic"
    z = client.get(done["result_url"])
    assert z.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(z.content)) as zf:
        assert sorted(zf.namelist()) == ["p0_vivid.png", "p1_vivid.png", "p2_vivid.png"]
    assert not any((settings.data_dir / "tmp").iterdir()), "temporary files must be cleaned up"
    assert_error(client.get(f"/v1/jobs/{job['id']}/result/7"), 404, "not_found")


def test_batch_keeps_the_good_files_and_lists_the_bad_ones(client, settings) -> None:  # noqa: ANN001
    good = png_bytes(seed=1)
    files = [("files", ("a.png", png_bytes(seed=0), "image/png")), ("files", ("notes.png", b"plain text", "image/png")),
             ("files", ("cut.png", good[: len(good) // 2], "image/png")), ("files", ("b.png", good, "image/png"))]
    r = client.post("/v1/jobs", data={"task": "sr", "model": "bicubic", "scale": "2"}, files=files)
    assert r.status_code == 202, r.text
    job = r.json()
    assert [res["upload"]["name"] for res in job["results"]] == ["a.png", "b.png"]
    assert [x["name"] for x in job["rejected"]] == ["notes.png", "cut.png"]
    assert "not an image" in job["rejected"][0]["reason"] and "truncated" in job["rejected"][1]["reason"]
    assert all("\n" not in x["reason"] and str(settings.data_dir) not in x["reason"] for x in job["rejected"])
    done = wait_for(client, job["id"])
    assert done["status"] == "done" and [res["status"] for res in done["results"]] == ["done", "done"]
    assert done["rejected"] == job["rejected"]  # kept with the job (history)
    assert client.get("/v1/jobs").json()["jobs"][0]["rejected"] == job["rejected"]
    # a batch in which no file can be used is refused as a whole, with the first file's error
    bad = [("files", ("x.png", b"plain text", "image/png")), ("files", ("y.png", b"more text", "image/png"))]
    assert_error(client.post("/v1/jobs", data={"task": "color"}, files=bad), 415, "unsupported_media_type")


def test_auto_job_plans_each_image(client) -> None:  # noqa: ANN001
    files = [("files", ("dark.png", png_bytes(dark=True), "image/png")), ("files", ("ok.png", png_bytes(), "image/png"))]
    r = client.post("/v1/jobs", data={"task": "auto"}, files=files)
    done = wait_for(client, r.json()["id"])
    assert done["status"] == "done"
    dark, ok = ([s["task"] for s in res["plan"]["steps"]] for res in done["results"])
    assert "lowlight" in dark and "lowlight" not in ok


def test_history_is_newest_first_with_thumbnails(client) -> None:  # noqa: ANN001
    ids = [wait_for(client, submit(client)["id"])["id"] for _ in range(3)]
    hist = client.get("/v1/jobs").json()
    assert [j["id"] for j in hist["jobs"]] == ids[::-1] and hist["total"] == 3
    assert client.get(hist["jobs"][0]["thumbnail_url"]).headers["content-type"] == "image/jpeg"
    assert [j["id"] for j in client.get("/v1/jobs", params={"limit": 1, "offset": 1}).json()["jobs"]] == [ids[1]]


def events_of(client: TestClient, job_id: str) -> list[tuple[str, dict]]:
    out = []
    with client.stream("GET", f"/v1/jobs/{job_id}/events", params={"interval": 0.05}) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        event = None
        for line in r.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                out.append((event, json.loads(line[6:])))
    return out


def test_events_stream_progress_until_the_end(client) -> None:  # noqa: ANN001
    job = submit(client, 2)
    events = events_of(client, job["id"])
    seen = [(e, d.get("status"), d.get("progress")) for e, d in events]
    assert events[-1] == ("end", {"status": "done"}), seen
    progress = [d["progress"] for e, d in events if e == "progress"]
    assert progress == sorted(progress) and progress[-1] == 1.0, seen
    # a finished job: one progress event and the end
    again = events_of(client, job["id"])
    assert [e for e, _ in again] == ["progress", "end"], again


@dataclass
class Gate:
    """Holds every job's enhancement in a loop of progress calls until released."""

    started: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    calls: int = 0


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[Gate]:
    from vivid.server import enhancement as work

    g = Gate()
    real = work.run_enhance

    def held(image, opts, *, models, plan=None, progress):  # noqa: ANN001, ANN202
        g.started.set()
        while not g.release.wait(0.01):
            g.calls += 1
            progress(1, 4, "held by the test")  # like a tile of a long image: cancellation happens here
        return real(image, opts, models=models, plan=plan, progress=progress)

    monkeypatch.setattr(work, "run_enhance", held)
    yield g
    g.release.set()


def test_cancel_a_running_job_between_tiles(client, gate) -> None:  # noqa: ANN001
    job = submit(client)
    assert gate.started.wait(10)
    r = client.delete(f"/v1/jobs/{job['id']}")
    assert r.status_code == 200 and r.json()["status"] in ("running", "cancelled")
    final = wait_for(client, job["id"])
    assert final["status"] == "cancelled" and final["results"][0]["url"] is None
    assert_error(client.get(f"/v1/jobs/{job['id']}/result"), 409, "conflict")
    assert client.delete(f"/v1/jobs/{job['id']}").json()["status"] == "cancelled"  # idempotent


def test_each_input_says_whether_it_waits_runs_or_was_left(client, gate) -> None:  # noqa: ANN001
    job = submit(client, 2)
    assert gate.started.wait(10)
    running = client.get(f"/v1/jobs/{job['id']}").json()
    assert [r["status"] for r in running["results"]] == ["running", "pending"]  # not "pending" while it runs
    client.delete(f"/v1/jobs/{job['id']}")
    final = wait_for(client, job["id"])
    assert final["status"] == "cancelled"
    assert [r["status"] for r in final["results"]] == ["cancelled", "cancelled"]  # at once, not at the next sweep


def test_cancel_a_queued_job_at_once_and_finished_jobs_conflict(client, gate) -> None:  # noqa: ANN001
    first = submit(client)
    assert gate.started.wait(10)
    second = submit(client)
    r = client.delete(f"/v1/jobs/{second['id']}")
    assert r.json()["status"] == "cancelled"
    gate.release.set()
    assert wait_for(client, first["id"])["status"] == "done"
    assert client.get(f"/v1/jobs/{second['id']}").json()["status"] == "cancelled"
    assert_error(client.delete(f"/v1/jobs/{first['id']}"), 409, "conflict")


def test_jobs_survive_a_restart(settings, gate) -> None:  # noqa: ANN001
    with TestClient(create_app(settings)) as c:
        running = submit(c)
        assert gate.started.wait(10)
        queued = submit(c, 2)
        assert c.get(f"/v1/jobs/{running['id']}").json()["status"] == "running"
    # shut down mid-job: the running job went back to the queue, nothing was lost
    gate.release.set()
    with TestClient(create_app(settings)) as c:
        for job in (running, queued):
            done = wait_for(c, job["id"])
            assert done["status"] == "done", done
            assert all(c.get(r["url"]).status_code == 200 for r in done["results"])


def test_jobs_left_running_by_a_crash_resume_or_fail(settings) -> None:  # noqa: ANN001
    from vivid.server.db import Database
    from vivid.server.records import Job, Result

    with TestClient(create_app(settings)) as c:
        ids = [wait_for(c, submit(c)["id"])["id"] for _ in range(2)]
        sync = c.post("/v1/enhance", data={"task": "color"}, files={"image": ("s.png", png_bytes(), "image/png")})
        sync_id = sync.headers["x-vivid-job-id"]
    # make it look as if the process had died while these ran
    db = Database(settings.resolved_database_url())
    with db.session() as s:
        for job_id, attempts in ((ids[0], 1), (ids[1], settings.resume_attempts), (sync_id, 1)):
            job = s.get(Job, job_id)
            job.status, job.attempts, job.finished_at, job.progress = "running", attempts, None, 0.3
            for r in s.query(Result).filter_by(job_id=job_id):
                r.status, r.stored_path = "running", None
    db.close()
    with TestClient(create_app(settings)) as c:
        resumed = wait_for(c, ids[0])
        assert resumed["status"] == "done" and resumed["results"][0]["url"]
        gave_up = c.get(f"/v1/jobs/{ids[1]}").json()
        assert gave_up["status"] == "failed" and gave_up["error"]["code"] == "interrupted"
        assert "stopped" in gave_up["error"]["message"]
        lost = c.get(f"/v1/jobs/{sync_id}").json()
        assert lost["status"] == "failed" and "send it again" in lost["error"]["message"]


def test_parallel_requests_do_not_mix_results(live_server) -> None:  # noqa: ANN001
    import httpx

    from vivid.engine.api import enhance

    inputs = [png_bytes(32 + 8 * i, 40 + 8 * i, seed=i) for i in range(4)]

    def post(data: bytes) -> httpx.Response:
        with httpx.Client(base_url=live_server.url, timeout=60) as h:
            return h.post("/v1/enhance", data={"task": "sr", "model": "bicubic", "scale": "2"},
                          files={"image": ("x.png", data, "image/png")})

    with ThreadPoolExecutor(4) as pool:
        responses = list(pool.map(post, inputs))
    job_ids = set()
    for data, r in zip(inputs, responses):
        assert r.status_code == 200, r.text
        expected = enhance(read_image_bytes(data), task="sr", model="bicubic", scale=2).image.pixels
        got = read_image_bytes(r.content).pixels
        assert got.shape == expected.shape
        assert np.abs(got - expected).max() <= 1 / 255 + 1e-6  # within one 8-bit level
        job_ids.add(r.headers["x-vivid-job-id"])
    assert len(job_ids) == 4


def test_video_job_with_progress_and_thumbnail(client, tmp_path, settings) -> None:  # noqa: ANN001
    from vivid.video import probe

    r = client.post("/v1/jobs", data={"task": "sr", "model": "bicubic", "scale": "2"},
                    files={"files": ("clip.mp4", mp4_bytes(tmp_path), "video/mp4")})
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["kind"] == "video" and job["results"][0]["upload"]["media"] == "video"
    events = events_of(client, job["id"])
    assert events[-1] == ("end", {"status": "done"})
    done = wait_for(client, job["id"])
    res = done["results"][0]
    assert res["status"] == "done" and (res["width"], res["height"]) == (128, 96)
    out = tmp_path / "out.mp4"
    out.write_bytes(client.get(res["url"]).content)
    info = probe(out)
    assert (info.width, info.height) == (128, 96) and info.frames == 6
    thumb = client.get(done["thumbnail_url"])
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert not list((settings.data_dir / "results").rglob(".*vivid-work")), "the video work folder is removed"


def test_bad_video_requests(client, tmp_path, settings) -> None:  # noqa: ANN001
    clip = mp4_bytes(tmp_path, frames=2)
    corrupt = clip[:40] + bytes(200)
    assert_error(client.post("/v1/jobs", data={"task": "sr"}, files={"files": ("c.mp4", corrupt, "video/mp4")}),
                 422, "invalid_input")
    assert not [p for p in (settings.data_dir / "uploads").rglob("*") if p.is_file()], "refused uploads are not kept"
    assert_error(client.post("/v1/enhance", files={"image": ("v.mp4", clip, "video/mp4")}), 415,
                 "unsupported_media_type")
    assert_error(client.post("/v1/jobs", data={"task": "sr", "strength": "0.5"},
                             files={"files": ("v.mp4", clip, "video/mp4")}), 422, "invalid_option")
    two = [("files", ("v.mp4", clip, "video/mp4")), ("files", ("p.png", png_bytes(), "image/png"))]
    assert_error(client.post("/v1/jobs", data={"task": "sr"}, files=two), 422, "invalid_option")


def test_video_job_resumes_from_its_checkpoint_after_a_restart(settings, tmp_path, monkeypatch) -> None:  # noqa: ANN001
    import time

    import vivid.video as video_pkg

    real = video_pkg.enhance_video
    started, release = threading.Event(), threading.Event()
    resumed: list[bool] = []

    def held(src, dst, options, *, models, progress):  # noqa: ANN001, ANN202
        def gated(done, total, message=""):  # noqa: ANN001, ANN202
            started.set()
            while not release.is_set():
                progress(done, total, message)  # raises at shutdown: the pipeline keeps its checkpoint
                time.sleep(0.01)
            progress(done, total, message)

        resumed.append(options.resume)
        return real(src, dst, options, models=models, progress=gated)

    monkeypatch.setattr(video_pkg, "enhance_video", held)
    clip = mp4_bytes(tmp_path)
    with TestClient(create_app(settings)) as c:
        job = c.post("/v1/jobs", data={"task": "color", "model": "grayworld"},
                     files={"files": ("clip.mp4", clip, "video/mp4")}).json()
        assert started.wait(20)
    release.set()
    with TestClient(create_app(settings)) as c:
        done = wait_for(c, job["id"], timeout=60)
    assert done["status"] == "done", done
    assert resumed == [False, True]
