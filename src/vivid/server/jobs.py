"""Background jobs: a small pool of worker threads running the same library calls as everything else.

A job is a database record (:class:`vivid.server.records.Job`) plus files in the store. Workers pick
job ids from a queue, run ``vivid.enhance`` (or the video pipeline) and report progress through the
engine's one ``Progress`` callback type. Live progress is kept in memory for ``GET /v1/jobs/{id}``
and the server-sent events stream, and written to the database now and then.

Cancellation is cooperative: ``cancel()`` sets a flag that the progress callback turns into
:class:`JobCancelled` at the next tile, step, frame or file. At startup, jobs that were queued or
running when the previous process ended are queued again (``resume_attempts`` times), so nothing
accepted is lost; a shutdown puts the running job back in the queue.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from vivid.errors import InputError, VividError
from vivid.server.budget import header_size, route_job_input
from vivid.server.db import Database
from vivid.server.interrupts import JobCancelled, ServerStopping
from vivid.server.records import (
    CANCELLED,
    DONE,
    FAILED,
    FINAL_STATES,
    PENDING,
    QUEUED,
    RUNNING,
    Job,
    Result,
    utcnow,
)
from vivid.server.store import Store

log = logging.getLogger("vivid.server")

_DB_PROGRESS_INTERVAL = 1.0  # seconds between progress writes to the database
#: the message of a running job that a client cancelled (the running process stops it at its next write)
CANCELLING = "cancelling"


@dataclass
class Live:
    """In-memory state of a queued or running job (what SSE and GET /v1/jobs/{id} show)."""

    status: str = QUEUED
    progress: float = 0.0
    message: str = ""
    started: float | None = None  # time.monotonic() when it started running
    version: int = 0  # bumped on every change (SSE sends only changes)
    last_db: float = 0.0  # time.monotonic() of the last progress write to the database
    cancel: threading.Event = field(default_factory=threading.Event)

    def eta_seconds(self) -> float | None:
        if self.status != RUNNING or self.started is None or self.progress < 0.02:
            return None
        elapsed = time.monotonic() - self.started
        return max(0.0, elapsed * (1.0 - self.progress) / self.progress)


class StepProgress:
    """Turns the engine's per-step ``(done, total)`` calls into one job fraction.

    The engine reports each step's tiles from 1..total; a call after a completed step starts the next
    step. ``n_items`` inputs of ``n_steps`` steps each share the job's 0..1.
    """

    def __init__(self, runner: JobRunner, job_id: str, live: Live, *, n_items: int) -> None:
        self.runner, self.job_id, self.live = runner, job_id, live
        self.n_items = max(1, n_items)
        self.item = 0
        self.n_steps = 1
        self.step = 0
        self._step_done = False
        self._last_db = 0.0
        self._marked: int | None = None

    def start_item(self, index: int, n_steps: int, message: str) -> None:
        self.item, self.n_steps, self.step, self._step_done = index, max(1, n_steps), 0, False
        self.set(self.item / self.n_items, message)
        if index != self._marked:  # the input's own row says it is being worked on (not "pending")
            self._marked = index
            self.runner.save_item(self.job_id, index, RUNNING)

    def set(self, fraction: float, message: str) -> None:
        self.check()
        self.runner._update(self.job_id, self.live, min(max(fraction, 0.0), 1.0), message)

    def check(self) -> None:
        if self.live.cancel.is_set():
            raise JobCancelled()
        if self.runner.stopping.is_set():
            raise ServerStopping()

    def __call__(self, done: float, total: float, message: str = "") -> None:
        if total <= 0:  # the amount of work is not known yet (e.g. a video without a frame count)
            self.check()
            return
        if self._step_done:
            self.step = min(self.step + 1, self.n_steps - 1)
            self._step_done = False
        frac_step = (done / total) if total else 1.0
        if done >= total:
            self._step_done = True
        within_item = (self.step + min(frac_step, 1.0)) / self.n_steps
        label = f"input {self.item + 1}/{self.n_items}: {message}" if self.n_items > 1 else message
        self.set((self.item + within_item) / self.n_items, label)


def _pid_alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


class JobRunner:
    """Worker threads over a queue of job ids, sharing the database's queue with other server processes.

    A job is taken by an atomic claim (``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, then an
    ``UPDATE ... WHERE status = 'queued'`` that only one process can win), so two servers on one
    database never run the same job. The claimant writes a heartbeat every ``lease/6`` seconds; a
    running job whose claimant is gone (a dead process on this host, or no heartbeat for ``lease``
    seconds) is queued again, or failed after ``resume_attempts``.
    """

    def __init__(self, *, db: Database, store: Store, models: Any, settings: Any,
                 poll_seconds: float = 2.0, engine: Any = None) -> None:
        import os
        import socket
        import uuid

        self.db, self.store, self.models, self.settings = db, store, models, settings
        self.queue: queue.Queue[str | None] = queue.Queue()
        self.stopping = threading.Event()
        self._live: dict[str, Live] = {}
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self.host, self.pid = socket.gethostname()[:40], os.getpid()
        self.worker_id = f"{self.host}:{self.pid}:{uuid.uuid4().hex[:12]}"
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()  # set at stop: the heartbeat thread ends at once
        self.lease = float(getattr(settings, "job_lease_seconds", 60.0))
        #: where image items run: None in this process, or a :class:`vivid.server.cluster.RayEngine`
        self.engine = engine

    # --- lifecycle -----------------------------------------------------------------------------------
    def start(self) -> None:
        self.resume()
        self.sweep(min_age=60.0)
        for i in range(self.settings.workers):
            t = threading.Thread(target=self._work, name=f"vivid-worker-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        t = threading.Thread(target=self._beat, name="vivid-heartbeat", daemon=True)
        t.start()
        self._threads.append(t)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the workers; a running job goes back to the queue (it resumes at the next start)."""
        self.stopping.set()
        for _ in self._threads:
            self.queue.put(None)
        self._wake.set()
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        self._threads.clear()

    def alive(self) -> bool:
        return bool(self._threads) and all(t.is_alive() for t in self._threads)

    def resume(self) -> None:
        """Queue again what a previous (or a dead) process accepted but did not finish."""
        self.recover(queue_all=True)

    def orphaned(self, job: Job, now: Any) -> bool:
        """Whether a running job's claimant is gone (never claimed, dead on this host, or silent too long)."""
        if job.claimed_by is None:
            return True
        host, _, rest = job.claimed_by.partition(":")
        pid = rest.partition(":")[0]
        if host == self.host and pid.isdigit() and int(pid) != self.pid and not _pid_alive(int(pid)):
            return True
        return job.heartbeat_at is None or (now - job.heartbeat_at).total_seconds() > self.lease

    def recover(self, *, queue_all: bool = False) -> None:
        """Re-queue (or fail, after ``resume_attempts``) running jobs whose process is gone; close the
        pending result rows of finished jobs. ``queue_all``: also hand every queued job to this process."""
        now = utcnow()
        with self.db.session() as s:
            jobs = s.scalars(select(Job).where(Job.status.in_((QUEUED, RUNNING))).order_by(Job.created_at)).all()
            for job in jobs:
                if job.status == RUNNING and not self.orphaned(job, now):
                    continue  # another live process runs it
                if job.status == RUNNING and job.message == CANCELLING:  # its process died before it could stop
                    self.finish(job, CANCELLED, None, None, note="cancelled")
                elif job.mode == "sync" and job.status == RUNNING:  # its client's connection ended with its process
                    self.finish(job, FAILED, "interrupted", "the server restarted while this request ran; "
                                                            "send it again")
                elif job.status == RUNNING and job.attempts >= self.settings.resume_attempts:
                    self.finish(job, FAILED, "interrupted",
                                 f"the server stopped {job.attempts} times while this job ran; not retried again "
                                 f"(submit it again to retry)")
                elif job.status == RUNNING or queue_all:
                    if job.status == RUNNING:
                        job.status, job.claimed_by, job.heartbeat_at = QUEUED, None, None
                        job.message = "resumed after a server restart"
                        log.info("resuming job %s (attempt %d)", job.id, job.attempts + 1)
                    with self._lock:
                        self._live[job.id] = Live(status=QUEUED, progress=job.progress, message=job.message)
                    self.queue.put(job.id)
        self._close_stale_rows()

    def _close_stale_rows(self, job_id: str | None = None, session: Any = None) -> None:
        """Result rows still pending or running under a finished job (a crash between writes, or the input
        a cancelled or failed job was working on) get its end; ``job_id``: that job's rows only. With
        ``session``, in that transaction (so nobody sees the job ended and its rows not)."""
        from sqlalchemy import update

        if session is None:
            with self.db.session() as s:
                self._close_stale_rows(job_id, s)
            return
        for final, state, note in ((FAILED, FAILED, "not processed: the job failed"),
                                   (CANCELLED, CANCELLED, "not processed: the job was cancelled"),
                                   (DONE, FAILED, "not processed")):
            ended = select(Job.id).where(Job.status == final)
            if job_id is not None:
                ended = ended.where(Job.id == job_id)
            session.execute(update(Result).where(Result.status.in_((PENDING, RUNNING)), Result.job_id.in_(ended))
                            .values(status=state, error_message=note).execution_options(synchronize_session=False))

    def sweep(self, *, min_age: float) -> None:
        """Remove files that no live work owns: temporary files older than ``min_age`` seconds and the
        video work folders of jobs that are no longer queued or running."""
        with self.db.session() as s:
            active = set(s.scalars(select(Job.id).where(Job.status.in_((QUEUED, RUNNING)))).all())
        removed = self.store.sweep(min_age=min_age, keep_work=lambda job_id: job_id in active)
        if removed:
            log.info("removed %d orphan temporary file(s) or work folder(s)", removed)

    def _beat(self) -> None:
        """Heartbeats for this process's running jobs; recovery of other processes' orphans."""
        from sqlalchemy import update

        interval = max(0.2, self.lease / 6)
        beats = 0
        while not self._wake.wait(interval):
            if self.stopping.is_set():
                return
            try:
                with self.db.session() as s:
                    s.execute(update(Job).where(Job.claimed_by == self.worker_id, Job.status == RUNNING)
                              .values(heartbeat_at=utcnow()).execution_options(synchronize_session=False))
                self.recover()
                beats += 1
                if beats % 60 == 0:  # now and then, while it runs: temporary files of crashed writes
                    self.sweep(min_age=600.0)
            except Exception:  # noqa: BLE001 - a database hiccup must not stop the heartbeats
                log.exception("heartbeat failed")

    # --- API -----------------------------------------------------------------------------------------
    def submit(self, job_id: str) -> None:
        with self._lock:
            self._live[job_id] = Live()
        self.queue.put(job_id)

    def live(self, job_id: str) -> Live | None:
        with self._lock:
            return self._live.get(job_id)

    def cancel(self, job_id: str) -> str:
        """Cancel a job; returns the status it has now (queued jobs are cancelled at once)."""
        live = self.live(job_id)
        with self.db.session() as s:
            job = s.get(Job, job_id)
            if job is None:
                raise KeyError(job_id)
            if job.status in FINAL_STATES:
                return job.status
            if live is not None:
                live.cancel.set()
            if job.status == QUEUED:
                self.finish(job, CANCELLED, None, None, note="cancelled before it started")
                self._set_live(job_id, CANCELLED, message="cancelled before it started")
                return CANCELLED
            job.message = CANCELLING  # the process running it (maybe another one) sees this within a second
            return job.status

    def scrub(self, message: str) -> str:
        """A message without the server's paths (the library names files by path; clients see names)."""
        from vivid.server.errors import scrub_paths

        return scrub_paths(message, self.store.root)

    # --- internals -----------------------------------------------------------------------------------
    def _set_live(self, job_id: str, status: str, *, progress: float | None = None, message: str | None = None) -> None:
        with self._lock:
            live = self._live.setdefault(job_id, Live())
            live.status = status
            if progress is not None:
                live.progress = progress
            if message is not None:
                live.message = message
            live.version += 1
            if status in FINAL_STATES:
                self._prune()

    def _prune(self, keep: int = 256) -> None:
        """Forget the live state of old finished jobs (their records say everything); lock held."""
        finished = [k for k, v in self._live.items() if v.status in FINAL_STATES]
        for k in finished[:-keep] if len(finished) > keep else ():
            del self._live[k]

    def _update(self, job_id: str, live: Live, progress: float, message: str) -> None:
        with self._lock:
            live.progress, live.message = progress, message[:300]
            live.version += 1
        now = time.monotonic()
        if now - live.last_db >= _DB_PROGRESS_INTERVAL:
            live.last_db = now
            from sqlalchemy import update

            with self.db.session() as s:  # never over a cancel request that another server process wrote
                n = s.execute(update(Job).where(Job.id == job_id, Job.status == RUNNING, Job.message != CANCELLING)
                              .values(progress=progress, message=message[:300])
                              .execution_options(synchronize_session=False)).rowcount
                if not n and s.scalar(select(Job.message).where(Job.id == job_id)) == CANCELLING:
                    live.cancel.set()

    @staticmethod
    def finish(job: Job, status: str, code: str | None, message: str | None, *,
                progress: float | None = None, note: str | None = None) -> None:
        """Put a job in a final state; ``note`` is its one-line status message (default: ``message``)."""
        job.status = status
        job.error_code, job.error_message = code, message
        job.finished_at = utcnow()
        job.claimed_by = job.heartbeat_at = None
        if progress is not None:
            job.progress = progress
        job.message = (note or message or status)[:300]

    def _work(self) -> None:
        while True:
            try:
                job_id = self.queue.get(timeout=self.poll_seconds)
            except queue.Empty:
                job_id = ""  # nothing handed to this process: look for queued work in the database
            if job_id is None or self.stopping.is_set():
                return
            try:
                claimed = self.claim(job_id or None)
                if claimed is not None:
                    self._run(claimed)
            except Exception:  # never let one job kill the worker
                log.exception("job %s crashed the worker loop", job_id)

    def claim(self, job_id: str | None = None) -> str | None:
        """Take a queued job (this one, or the oldest) for this process; None when another took it first."""
        from sqlalchemy import update
        from sqlalchemy.exc import OperationalError

        try:
            with self.db.session() as s:
                q = select(Job.id).where(Job.status == QUEUED, Job.mode == "queued")
                q = q.where(Job.id == job_id) if job_id else q.order_by(Job.created_at).limit(1)
                picked = s.scalars(q.with_for_update(skip_locked=True)).first()
                if picked is None:
                    return None
                now = utcnow()
                won = s.execute(update(Job).where(Job.id == picked, Job.status == QUEUED)
                                .values(status=RUNNING, claimed_by=self.worker_id, heartbeat_at=now,
                                        attempts=Job.attempts + 1, message="started")
                                .execution_options(synchronize_session=False)).rowcount == 1
                if won:
                    job = s.get(Job, picked)
                    job.started_at = job.started_at or now
                return picked if won else None
        except OperationalError:  # SQLite: another process wrote first ("database is locked"); try later
            return None

    def _run(self, job_id: str) -> None:
        """Run a job this process has claimed."""
        with self.db.session() as s:
            job = s.get(Job, job_id)
            if job is None or job.status != RUNNING or job.claimed_by != self.worker_id:
                return
            kind, options, created_at = job.kind, dict(job.options), job.created_at
            items = [(r.index, r.status, r.upload.stored_path, r.upload.original_name) for r in job.results]
        live = self.live(job_id) or Live()
        with self._lock:
            self._live[job_id] = live
            live.status, live.started, live.version = RUNNING, time.monotonic(), live.version + 1
        progress = StepProgress(self, job_id, live, n_items=len(items))
        try:
            if kind == "video":
                from vivid.server.video import run_video_job

                run_video_job(self, job_id, options, items, progress, created_at=created_at)
            else:
                self._run_images(job_id, options, items, progress, created_at=created_at)
        except JobCancelled:
            self.end(job_id, CANCELLED, None, None, note="cancelled")
        except ServerStopping:
            with self.db.session() as s:
                job = s.get(Job, job_id)
                if job is not None:
                    job.status, job.message = QUEUED, "interrupted by a shutdown; resumes at the next start"
                    job.claimed_by = job.heartbeat_at = None
                    job.attempts = max(0, job.attempts - 1)  # a clean shutdown is not the job's fault
            self._set_live(job_id, QUEUED, message="interrupted by a shutdown")
        except VividError as e:
            from vivid.server.errors import error_code

            self.end(job_id, FAILED, error_code(e), self.scrub(str(e)))
        except Exception as e:
            log.exception("job %s failed unexpectedly", job_id)
            self.end(job_id, FAILED, "internal_error", f"internal error ({type(e).__name__}); it was logged")

    def end(self, job_id: str, status: str, code: str | None, message: str | None, *,
             note: str | None = None) -> None:
        """Put job ``job_id`` in a final state (its own session; see :meth:`finish`)."""
        with self.db.session() as s:
            job = s.get(Job, job_id)
            if job is None:
                return
            progress = 1.0 if status == DONE else None
            self.finish(job, status, code, message, progress=progress, note=note or message or status)
            s.flush()  # the job's end, then its unfinished inputs', in one commit
            self._close_stale_rows(job_id, s)
        self._set_live(job_id, status, progress=1.0 if status == DONE else None, message=note or message or status)

    def _run_images(self, job_id: str, options: dict[str, Any], items: list[tuple[int, str, str, str]],
                    progress: StepProgress, *, created_at: Any) -> None:
        from vivid.server.enhancement import EnhanceRequest, enhance_upload

        opts = EnhanceRequest.model_validate(options)
        failures: list[str] = []
        first_error: VividError | None = None
        for index, status, upload_path, name in items:
            if status == DONE:  # finished before a restart
                continue
            progress.start_item(index, 1, f"reading {name}")
            try:
                # the limits may have changed since the job was accepted: check them again before decoding
                dims = header_size(self.store.path(upload_path))
                if dims is not None and route_job_input(opts, *dims, self.settings, self.models,
                                                        name=name) == "stream":
                    self._run_streamed(job_id, index, upload_path, opts, progress, created_at=created_at)
                    continue
                data = self.store.path(upload_path).read_bytes()
                if self.engine is not None:  # a Ray worker does it (vivid serve --engine ray)
                    out = self.engine.enhance(data, opts, settings=self.settings, name=name,
                                              checked=dims is not None, progress=progress)
                else:
                    out = enhance_upload(data, opts, settings=self.settings, models=self.models, name=name,
                                         checked=dims is not None, progress=progress,
                                         on_plan=lambda plan, i=index: progress.start_item(
                                             i, len(plan.steps), f"{len(plan.steps)} step(s) planned"))
                progress.check()
                rel = self.store.save_result(out.data, job_id=job_id, index=index, ext=opts.extension,
                                             when=created_at)
                self.save_item(job_id, index, DONE, stored_path=rel, format=opts.format, width=out.width,
                                height=out.height, size_bytes=len(out.data), plan=out.plan,
                                provenance=out.provenance)
            except (JobCancelled, ServerStopping):
                raise
            except VividError as e:  # one bad input does not stop the others
                message = self.scrub(str(e))
                failures.append(f"{name}: {message}")
                if first_error is None:
                    try:
                        first_error = type(e)(message)  # the same class (and code), without server paths
                    except TypeError:
                        first_error = e
                self.save_item(job_id, index, FAILED, error_message=message)
        n = len(items)
        if failures and len(failures) == n:
            if n == 1 and first_error is not None:  # keeps its code (e.g. over_budget)
                raise first_error
            raise InputError(f"all {n} inputs failed; first: {failures[0]}")
        note = f"{n - len(failures)} of {n} done; failed: " + "; ".join(failures) if failures else "done"
        self.end(job_id, DONE, "partial" if failures else None, note if failures else None, note=note)

    def _run_streamed(self, job_id: str, index: int, upload_path: str, opts: Any, progress: StepProgress, *,
                      created_at: Any) -> None:
        """One input through :func:`vivid.engine.stream.enhance_file`: memory is the input as decoded plus
        a few output strips, whatever the output size (PNG only; see :func:`budget.stream_problem`)."""
        import os

        from vivid.engine.stream import enhance_file

        progress.start_item(index, 1, "streaming")
        rel = self.store.result_name(job_id, index, opts.extension, created_at)
        dst = self.store.path(rel)
        dst.parent.mkdir(parents=True, exist_ok=True)
        with self.store.temp_path(suffix=".png") as tmp:
            result = enhance_file(self.store.path(upload_path), tmp, options=opts.engine_options(),
                                  models=self.models.with_runtime(opts.runtime, opts.precision), max_pixels=self.settings.max_pixels,
                                  stream=True, overwrite=True, progress=progress)
            progress.check()
            os.replace(tmp, dst)
        width, height = header_size(dst) or (None, None)
        self.save_item(job_id, index, DONE, stored_path=rel, format=opts.format, width=width, height=height,
                        size_bytes=dst.stat().st_size, plan=result.plan.to_dict(),
                        provenance={**result.provenance(), "streamed": True})

    def save_item(self, job_id: str, index: int, status: str, **values: Any) -> None:
        """Record input ``index`` of job ``job_id``: its status and result columns (``values``)."""
        with self.db.session() as s:
            row = s.scalars(select(Result).where(Result.job_id == job_id, Result.index == index)).one()
            row.status = status
            for k, v in values.items():
                setattr(row, k, v)


__all__ = ["JobCancelled", "JobRunner", "Live", "ServerStopping", "StepProgress"]
