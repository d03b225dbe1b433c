"""Recovery: two server processes on one database never run a job twice; jobs of a dead process are run
again (or failed with a reason); stale rows are closed; kill -9 mid-job, restart, nothing lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from tests.server.support import free_port, png_bytes
from vivid.server.db import Database, migrate
from vivid.server.jobs import JobRunner
from vivid.server.records import DONE, FAILED, PENDING, QUEUED, RUNNING, Job, Result, Upload, utcnow
from vivid.server.settings import Settings
from vivid.server.store import Store


def _runner(settings: Settings, **kw: object) -> JobRunner:
    """A runner with its own engine (as a second server process would have)."""
    db = Database(settings.resolved_database_url())
    store = Store(settings.data_dir)
    store.prepare()
    return JobRunner(db=db, store=store, models=None, settings=settings, **kw)


def _add_jobs(runner: JobRunner, n: int, *, status: str = QUEUED, **values: object) -> list[str]:
    ids = [f"job{i:04d}{os.urandom(4).hex()}" for i in range(n)]
    with runner.db.session() as s:
        for job_id in ids:
            s.add(Job(id=job_id, created_at=utcnow(), kind="image", mode="queued", status=status, progress=0.0,
                      message="", options={"task": "color", "model": "grayworld"}, attempts=0, **values))
    return ids


def test_two_servers_on_one_database_never_run_a_job_twice(settings, monkeypatch) -> None:  # noqa: ANN001
    settings = settings.model_copy(update={"workers": 2})
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    runs: Counter[str] = Counter()
    lock = threading.Lock()
    real = JobRunner._run_images

    def counted(self, job_id, options, items, progress, *, created_at):  # noqa: ANN001, ANN202
        with lock:
            runs[job_id] += 1
        time.sleep(0.005)
        return real(self, job_id, options, items, progress, created_at=created_at)

    monkeypatch.setattr(JobRunner, "_run_images", counted)
    a, b = _runner(settings, poll_seconds=0.02), _runner(settings, poll_seconds=0.02)
    migrate(a.db.engine)
    ids = _add_jobs(a, 40)
    a.start()
    b.start()  # both resume every queued job into their own queues, and both poll the database
    try:
        for job_id in ids:
            b.queue.put(job_id)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with a.db.session() as s:
                left = s.query(Job).filter(Job.status != DONE).count()
            if not left:
                break
            time.sleep(0.05)
    finally:
        a.stop()
        b.stop()
        a.db.close()
        b.db.close()
    assert left == 0
    assert set(runs) == set(ids) and max(runs.values()) == 1, runs.most_common(3)


def test_a_live_claim_is_respected_and_a_silent_one_recovered(settings) -> None:  # noqa: ANN001
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    a, b = _runner(settings), _runner(settings)
    migrate(a.db.engine)
    (job_id,) = _add_jobs(a, 1)
    assert a.claim(job_id) == job_id and b.claim(job_id) is None and a.claim(job_id) is None
    b.recover()
    with a.db.session() as s:
        job = s.get(Job, job_id)
        assert (job.status, job.claimed_by, job.attempts) == (RUNNING, a.worker_id, 1)
        job.heartbeat_at = utcnow() - timedelta(seconds=2 * b.lease)  # a's process stopped answering
    b.recover()
    with a.db.session() as s:
        job = s.get(Job, job_id)
        assert (job.status, job.claimed_by) == (QUEUED, None) and "resumed" in job.message
    assert b.claim() == job_id
    with a.db.session() as s:  # its second process dies too: resume_attempts (2) reached → failed with a reason
        s.get(Job, job_id).heartbeat_at = utcnow() - timedelta(seconds=2 * b.lease)
    a.recover()
    with a.db.session() as s:
        job = s.get(Job, job_id)
        assert (job.status, job.error_code) == (FAILED, "interrupted") and "2 times" in job.error_message
    a.db.close()
    b.db.close()


def test_a_job_of_a_dead_process_on_this_host_is_recovered_at_once(settings) -> None:  # noqa: ANN001
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    r = _runner(settings)
    migrate(r.db.engine)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    (job_id,) = _add_jobs(r, 1, status=RUNNING, claimed_by=f"{r.host}:{dead.stdout.strip()}:feedbeef",
                          heartbeat_at=utcnow())
    (live_id,) = _add_jobs(r, 1, status=RUNNING, claimed_by=f"{r.host}:{os.getppid()}:cafe", heartbeat_at=utcnow())
    r.recover()
    with r.db.session() as s:
        assert s.get(Job, job_id).status == QUEUED
        assert s.get(Job, live_id).status == RUNNING  # a live process (our parent) with a fresh heartbeat
    r.db.close()


def test_pending_rows_of_finished_jobs_are_closed(settings) -> None:  # noqa: ANN001
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    r = _runner(settings)
    migrate(r.db.engine)
    (job_id,) = _add_jobs(r, 1, status=FAILED)
    with r.db.session() as s:
        s.add(Upload(id="u1", created_at=utcnow(), original_name="a.png", stored_path="uploads/a.png", sha256="0" * 64,
                     media="image", format="png", size_bytes=1))
        s.flush()
        s.add(Result(job_id=job_id, index=0, upload_id="u1", status=PENDING))
    r.recover()
    with r.db.session() as s:
        row = s.query(Result).filter_by(job_id=job_id).one()
        assert row.status == FAILED and "not processed" in row.error_message
    r.db.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_kill_9_mid_job_then_restart_resumes_and_cleans_up(tmp_path: Path, database_url) -> None:  # noqa: ANN001
    import httpx

    data = tmp_path / "data"
    env = {**os.environ, "VIVID_DATA_DIR": str(data)}
    env.pop("VIVID_API_KEYS", None)

    def start() -> tuple[subprocess.Popen, str]:
        port = free_port()
        proc = subprocess.Popen([sys.executable, "-m", "vivid.cli.main", "serve", "--port", str(port),
                                 "--log-level", "warning"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env=env)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    return proc, url
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and proc.poll() is None, "server did not come up"
            time.sleep(0.1)

    proc, url = start()
    try:
        files = [("files", (f"p{i}.png", png_bytes(150, 200, seed=i), "image/png")) for i in range(16)]
        r = httpx.post(f"{url}/v1/jobs", data={"task": "sr", "model": "lanczos", "scale": "3"}, files=files,
                       timeout=60)
        assert r.status_code == 202, r.text
        job_id = r.json()["id"]
        deadline = time.monotonic() + 60
        while (j := httpx.get(f"{url}/v1/jobs/{job_id}", timeout=10).json())["progress"] <= 0.05:
            assert j["status"] in ("queued", "running") and time.monotonic() < deadline, j
            time.sleep(0.02)
        assert j["status"] == "running"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    # leftovers a crash can leave: an atomic-write temporary and a work folder of a job that is over
    day = next((data / "uploads").glob("*/*/*"))
    orphan = day / ".20261206T194720Z_9c38441be5fe1e47.png.5yim1d99.tmp"
    orphan.write_bytes(b"half")
    os.utime(orphan, (time.time() - 3600, time.time() - 3600))
    work = data / "results" / ".0123abcd_0.mp4.vivid-work"
    work.mkdir(parents=True, exist_ok=True)
    proc, url = start()
    try:
        deadline = time.monotonic() + 120
        while (j := httpx.get(f"{url}/v1/jobs/{job_id}", timeout=10).json())["status"] in ("queued", "running"):
            assert time.monotonic() < deadline, j
            time.sleep(0.2)
        assert j["status"] == "done", j
        assert j["message"] == "done" and all(r["status"] == "done" for r in j["results"])
        assert len(list((data / "uploads").rglob("*.png"))) == 16  # no upload lost
        assert not orphan.exists() and not work.exists()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_a_job_running_in_another_process_can_be_cancelled(settings, monkeypatch) -> None:  # noqa: ANN001
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    started = threading.Event()

    def slow(self, job_id, options, items, progress, *, created_at):  # noqa: ANN001, ANN202
        started.set()
        for _ in range(2000):  # a long job that reports progress (as tiles do)
            progress(1, 4, "working")
            time.sleep(0.01)
        raise AssertionError("the job was not cancelled")

    monkeypatch.setattr(JobRunner, "_run_images", slow)
    a, b = _runner(settings, poll_seconds=0.05), _runner(settings)
    migrate(a.db.engine)
    (job_id,) = _add_jobs(a, 1)
    a.start()
    try:
        assert started.wait(20)
        assert b.cancel(job_id) == RUNNING  # b does not run it: the request goes through the database
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with b.db.session() as s:
                if s.get(Job, job_id).status != RUNNING:
                    break
            time.sleep(0.05)
        with b.db.session() as s:
            assert s.get(Job, job_id).status == "cancelled"
    finally:
        a.stop()
        a.db.close()
        b.db.close()


def test_two_server_processes_share_the_queue_without_running_a_job_twice(tmp_path, database_url) -> None:  # noqa: ANN001
    """Two real ``vivid serve`` processes on one database (and one data folder): jobs submitted to either are
    run by whichever is free, each exactly once (a job's ``attempts`` counts its claims)."""
    import httpx

    data = tmp_path / "data"
    env = {**os.environ, "VIVID_DATA_DIR": str(data), "VIVID_WORKERS": "2"}
    env.pop("VIVID_API_KEYS", None)
    if database_url:
        env["VIVID_DATABASE_URL"] = database_url
    procs, urls = [], []
    try:
        for _ in range(2):
            port = free_port()
            procs.append(subprocess.Popen([sys.executable, "-m", "vivid.cli.main", "serve", "--port", str(port),
                                           "--log-level", "warning"], stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL, env=env))
            urls.append(f"http://127.0.0.1:{port}")
            deadline = time.monotonic() + 60
            while True:  # one after the other: both migrate the same database
                try:
                    if httpx.get(f"{urls[-1]}/readyz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline and procs[-1].poll() is None, "server did not come up"
                time.sleep(0.1)
        ids = []
        for i in range(24):
            r = httpx.post(f"{urls[i % 2]}/v1/jobs", data={"task": "sr", "model": "bicubic", "scale": "2"},
                           files={"files": (f"p{i}.png", png_bytes(seed=i), "image/png")}, timeout=60)
            assert r.status_code == 202, r.text
            ids.append(r.json()["id"])
        deadline = time.monotonic() + 120
        while True:
            jobs = httpx.get(f"{urls[0]}/v1/jobs", params={"limit": 200}, timeout=30).json()["jobs"]
            if all(j["status"] == "done" for j in jobs) and len(jobs) == 24:
                break
            assert time.monotonic() < deadline, [j["status"] for j in jobs]
            time.sleep(0.2)
    finally:
        for p in procs:
            p.send_signal(signal.SIGINT)
        for p in procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
    db = Database(Settings(data_dir=data, database_url=database_url).resolved_database_url())
    with db.session() as s:
        rows = {j.id: (j.attempts, j.status) for j in s.query(Job).all()}
    db.close()
    assert set(rows) == set(ids) and all(v == (1, DONE) for v in rows.values()), rows
