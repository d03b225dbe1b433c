"""``vivid serve --engine ray``: job items run on Ray workers (the replica loads no model itself), two API
replicas on one database run every job exactly once, and a cancel still stops a running job."""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator

import numpy as np
import pytest

from tests.server.support import png_bytes, wait_for
from vivid.server.app import create_app
from vivid.server.settings import Settings

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*httpx.*starlette.testclient.*")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.ray
pytest.importorskip("ray")
#: tests of the engine itself run on SQLite only (the database is what the two-replica test is about)
ONE_DATABASE = pytest.mark.parametrize("database_url", [None])


@pytest.fixture(scope="module", autouse=True)
def ray_local() -> Iterator[object]:
    from vivid.cluster.pool import connect

    ray = connect(None)
    yield ray
    ray.shutdown()


@pytest.fixture
def ray_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"engine": "ray", "workers": 2})


def submit(client: TestClient, n: int, **fields: str) -> str:
    files = [("files", (f"p{i}.png", png_bytes(seed=i), "image/png")) for i in range(n)]
    r = client.post("/v1/jobs", data={"task": "sr", "model": "vivid-sr", "scale": "2", **fields}, files=files)
    assert r.status_code == 202, r.text
    return r.json()["id"]


@ONE_DATABASE
def test_job_items_run_on_ray_workers_with_the_local_results(ray_settings: Settings, settings: Settings) -> None:
    from PIL import Image

    with TestClient(create_app(ray_settings)) as client:
        job = wait_for(client, submit(client, 3), timeout=120)
        services = client.app.state.services
        assert services.runner.engine is not None and services.models.loads == 0  # nothing ran here
        on_ray = [client.get(r["url"]).content for r in job["results"]]
    assert job["status"] == "done" and [r["status"] for r in job["results"]] == ["done"] * 3
    here = settings.model_copy(update={"data_dir": settings.data_dir.parent / "local"})
    with TestClient(create_app(here)) as client:
        job = wait_for(client, submit(client, 3), timeout=120)
        local = [client.get(r["url"]).content for r in job["results"]]
    for a, b in zip(on_ray, local, strict=True):
        pa, pb = (np.asarray(Image.open(io.BytesIO(x)).convert("RGB"), np.int16) for x in (a, b))
        assert pa.shape == pb.shape == (96, 128, 3) and np.abs(pa - pb).max() <= 1  # within 1/255


def test_two_replicas_on_one_database_run_each_job_once(ray_settings: Settings) -> None:
    """Two API replicas (one data folder, one database: SQLite here, PostgreSQL with VIVID_TEST_POSTGRES_URL)
    hand their items to Ray; the row-locked claim gives every job to exactly one of them."""
    from vivid.server.db import Database
    from vivid.server.records import Job

    one_each = ray_settings.model_copy(update={"workers": 1})  # two replicas, one Ray worker each: 2 CPUs here
    with TestClient(create_app(one_each)) as a, TestClient(create_app(one_each)) as b:
        ids = [submit(c, 1) for c in (a, b) * 5]
        jobs = [wait_for(a, job_id, timeout=60) for job_id in ids]
    assert [j["status"] for j in jobs] == ["done"] * 10
    db = Database(ray_settings.resolved_database_url())
    with db.session() as s:
        rows = {j.id: (j.attempts, j.status) for j in s.query(Job).all()}
    db.close()
    assert rows == {job_id: (1, "done") for job_id in ids}  # each claimed once, by one replica


@ONE_DATABASE
def test_a_cancel_stops_a_job_whose_item_runs_on_ray(ray_settings: Settings) -> None:
    from vivid.server.jobs import JobCancelled

    with TestClient(create_app(ray_settings)) as client:
        engine = client.app.state.services.runner.engine
        checks = []

        class Cancelled:
            def check(self) -> None:
                checks.append(1)
                raise JobCancelled()

        from vivid.server.enhancement import EnhanceOptions

        opts = EnhanceOptions(task="sr", model="vivid-sr", scale=2)
        with pytest.raises(JobCancelled):
            engine.enhance(png_bytes(h=480, w=640), opts, settings=ray_settings, name="big.png", checked=True,
                           progress=Cancelled())
        assert checks and engine.idle.qsize() == 2  # the actor is lent again
        files = [("files", (f"p{i}.png", png_bytes(h=480, w=640, seed=i), "image/png")) for i in range(3)]
        r = client.post("/v1/jobs", data={"task": "sr", "model": "vivid-sr", "scale": "2"}, files=files)
        job_id = r.json()["id"]
        wait_for(client, job_id, timeout=60, states=("running",))
        assert client.delete(f"/v1/jobs/{job_id}").status_code == 200
        job = wait_for(client, job_id, timeout=60)
        assert job["status"] == "cancelled" and "done" not in {x["status"] for x in job["results"][1:]}


@ONE_DATABASE
def test_a_ray_worker_killed_mid_item_is_replaced_and_the_job_finishes(ray_settings: Settings) -> None:
    import os
    import signal
    import time
    from pathlib import Path

    with TestClient(create_app(ray_settings)) as client:
        engine = client.app.state.services.runner.engine
        files = [("files", (f"p{i}.png", png_bytes(h=480, w=640, seed=i), "image/png")) for i in range(2)]
        job_id = client.post("/v1/jobs", data={"task": "sr", "model": "vivid-sr", "scale": "2"}, files=files).json()["id"]
        deadline, killed = time.monotonic() + 60, None
        while killed is None and time.monotonic() < deadline:
            for pid in engine.pids:
                try:
                    busy = Path(f"/proc/{pid}/cmdline").read_bytes().startswith(b"ray::ServiceWorker.enhance")
                except OSError:
                    continue
                if busy:
                    os.kill(pid, signal.SIGKILL)
                    killed = pid
                    break
            time.sleep(0.05)
        assert killed is not None
        job = wait_for(client, job_id, timeout=120)
        assert job["status"] == "done" and [r["status"] for r in job["results"]] == ["done", "done"], job
        assert engine.lost == 1
