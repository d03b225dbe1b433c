"""``vivid serve --engine ray`` (``VIVID_ENGINE=ray``): job items run on Ray workers instead of this process.

The job queue stays in the database: each API replica claims jobs with the row-locked claim of
:class:`vivid.server.jobs.JobRunner` (so several replicas on one PostgreSQL never run a job twice), and its
worker threads hand each image item to a Ray actor. An actor holds its models for its whole life; the item's
encoded bytes go to it and the encoded result comes back through Ray's object store, so the replicas and
the Ray nodes share no disk. Progress is reported per item; a cancel is seen within half a second. An actor
that dies is replaced and the item given to another one, at most :data:`ATTEMPTS` times.
A video job borrows every idle actor (at least one) and has them make its segments
(:mod:`vivid.cluster.video`): the actors read the upload from the store and write segments next to the result by
path, so on several machines the data folder (``VIVID_DATA_DIR``) must be on a filesystem every node mounts at
the same path. Large inputs that only the streaming path fits (PNG output, :mod:`vivid.engine.stream`) still run
in the replica's own process.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from typing import Any

from vivid.cluster.pool import connect
from vivid.engine.cache import ModelCache
from vivid.errors import ConfigError, VividError

ATTEMPTS = 3
#: seconds the service waits at startup for its Ray workers to run
START_TIMEOUT = 60.0


class WorkerLostError(VividError):
    """The Ray workers running an item kept dying."""

    exit_code = 1
    http_status = 503


class ServiceWorker:
    """One Ray actor: the service's in-memory item path with its own model cache."""

    def __init__(self) -> None:
        self.models = ModelCache()

    def ready(self) -> int:
        """The worker's process id (once it runs)."""
        import os

        return os.getpid()

    def enhance(self, data: bytes, options: dict[str, Any], settings: Any, name: str, checked: bool) -> Any:
        from vivid.server.enhancement import EnhanceRequest, enhance_upload

        return enhance_upload(data, EnhanceRequest.model_validate(options), settings=settings, models=self.models,
                              name=name, checked=checked)

    def loads(self) -> int:
        return self.models.loads

    def segment(self, args: dict[str, Any], cell: Any) -> Any:
        """Make one segment of a video job (:class:`vivid.cluster.video.SegmentWorker` on this worker's models)."""
        from vivid.cluster.video import SegmentWorker

        options = args["options"]
        models = self.models.with_runtime(options["runtime"], options["precision"])
        return SegmentWorker(**args, models=models).process(cell)


class RayEngine:
    """``workers`` actors (one CPU each) that the job threads borrow one item at a time."""

    def __init__(self, *, address: str | None, workers: int) -> None:
        self.address, self.workers = address, workers
        self.idle: queue.Queue[Any] = queue.Queue()
        self._lock = threading.Lock()
        self.lost = 0

    def start(self, timeout: float = START_TIMEOUT) -> RayEngine:
        """Start the actors and wait until each runs (a full cluster is an error now, not a job that waits)."""
        self.ray = connect(self.address)
        self.actor_class = self.ray.remote(ServiceWorker).options(num_cpus=1, max_restarts=0)
        actors = [self.actor_class.remote() for _ in range(self.workers)]
        try:
            self.pids = self.ray.get([a.ready.remote() for a in actors], timeout=timeout)
        except self.ray.exceptions.GetTimeoutError:
            for a in actors:
                self.ray.kill(a)
            free = self.ray.available_resources().get("CPU", 0)
            raise ConfigError(f"the Ray cluster did not start {self.workers} vivid workers (one CPU each) within "
                              f"{timeout:.0f} s ({free:g} CPUs free): add nodes, or lower VIVID_WORKERS") from None
        for a in actors:
            self.idle.put(a)
        return self

    def enhance(self, data: bytes, opts: Any, *, settings: Any, name: str, checked: bool, progress: Any) -> Any:
        """:func:`vivid.server.enhancement.enhance_upload` on a Ray worker; ``progress.check()`` is called while it runs
        (a cancelled job or a stopping server ends the wait)."""
        ray = self.ray
        last = ""
        for _ in range(ATTEMPTS):
            actor = self._borrow(progress)
            ref = actor.enhance.remote(data, opts.model_dump(), settings, name, checked)
            try:
                while not ray.wait([ref], timeout=0.5)[0]:
                    progress.check()
                out = ray.get(ref)
            except ray.exceptions.RayTaskError as e:  # the item itself failed: the vivid error, as raised there
                self.idle.put(actor)
                cause = getattr(e, "cause", None)
                if isinstance(cause, VividError):
                    raise cause from None
                raise
            except ray.exceptions.RayError as e:  # the actor died (its process or node): another one tries
                last = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                self._replace(actor)
                continue
            except BaseException:  # cancelled or stopping: let the actor finish, then lend it again
                ray.cancel(ref)
                self.idle.put(actor)
                raise
            self.idle.put(actor)
            return out
        raise WorkerLostError(f"the Ray workers running {name} died {ATTEMPTS} times (last: {last[:200]}); check the "
                              "cluster's nodes ('ray status') and submit the job again")

    def _borrow(self, progress: Any) -> Any:
        while True:
            try:
                return self.idle.get(timeout=0.5)
            except queue.Empty:
                progress.check()

    def _replace(self, actor: Any) -> None:
        with self._lock:
            self.lost += 1
        try:
            self.ray.kill(actor, no_restart=True)
        except Exception:  # noqa: BLE001, S110 - already gone
            pass
        self.idle.put(self.actor_class.remote())

    def segment_pool(self, args: dict[str, Any], progress: Any) -> _SegmentPool:
        """A pool (:mod:`vivid.cluster.pool`'s interface) of this engine's actors for one video job's segments."""
        return _SegmentPool(self, args, progress)

    def close(self) -> None:
        while True:
            try:
                actor = self.idle.get_nowait()
            except queue.Empty:
                return
            try:
                self.ray.kill(actor)
            except Exception:  # noqa: BLE001, S110
                pass


class _SegmentPool:
    """The service's own actors as a segment pool for :func:`vivid.cluster.video.enhance_video_on_cluster`: a
    video job borrows every idle actor (waiting for the first), takes more as they come free, and gives them all
    back when it ends; ``progress.check()`` runs at least every half second (a cancel ends the wait)."""

    def __init__(self, engine: RayEngine, args: dict[str, Any], progress: Any) -> None:
        self.engine, self.args, self.progress = engine, args, progress
        self.ray = engine.ray
        self.pending: deque[Any] = deque()
        self.idle: list[Any] = []
        self.inflight: dict[Any, tuple[Any, Any]] = {}
        self.size = 0
        self.lost = 0

    def start(self) -> None:
        self.idle.append(self.engine._borrow(self.progress))
        self._take_idle()

    def _take_idle(self) -> None:
        while True:
            try:
                self.idle.append(self.engine.idle.get_nowait())
            except queue.Empty:
                break
        self.size = max(self.size, len(self.idle) + len(self.inflight))

    def submit(self, cell: Any) -> None:
        self.pending.append(cell)

    def busy(self) -> bool:
        return bool(self.pending or self.inflight)

    def next(self) -> list[tuple[Any, Any]]:
        from vivid.cluster.worker import RETRY, Outcome

        self.progress.check()
        if self.pending:
            self._take_idle()
            if not self.idle and not self.inflight:  # every actor of this job died: wait for a replacement
                self.idle.append(self.engine._borrow(self.progress))
        while self.idle and self.pending:
            actor = self.idle.pop()
            cell = self.pending.popleft()
            self.inflight[actor.segment.remote(self.args, cell)] = (actor, cell)
        ready, _ = self.ray.wait(list(self.inflight), num_returns=1, timeout=0.5)
        done = []
        for ref in ready:
            actor, cell = self.inflight.pop(ref)
            try:
                outcome = self.ray.get(ref)
            except self.ray.exceptions.RayError as e:  # the actor died (its process or node): another one tries
                self.lost += 1
                self.engine._replace(actor)
                first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                outcome = Outcome(cell.dst, RETRY, error=f"the Ray worker running it was lost ({first[:200]})")
            else:
                self.idle.append(actor)
            done.append((cell, outcome))
        return done

    def close(self) -> None:
        for ref, (actor, _) in self.inflight.items():  # cancelled or stopping: let each finish, then lend it again
            self.ray.cancel(ref)
            self.engine.idle.put(actor)
        for actor in self.idle:
            self.engine.idle.put(actor)
        self.inflight.clear()
        self.idle.clear()
