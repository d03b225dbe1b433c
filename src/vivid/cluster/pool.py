"""Where batch workers run: in this process, or as Ray actors across a cluster.

Both pools take items with ``submit`` and give back ``(item, outcome)`` pairs from ``next()``; the driver
(:mod:`vivid.cluster.batch`) decides about retries. The Ray pool keeps one actor per worker, each
holding its models for the whole batch; an actor that dies (its process killed, its node lost) turns its
item into a ``retry`` outcome and is replaced by a new actor, wherever the cluster has room.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any

from vivid.cluster.worker import RETRY, Item, Outcome, Worker
from vivid.errors import ConfigError, VividError

#: how long a batch waits for a worker to start when it has none (nodes lost, no free CPU)
START_TIMEOUT = 120.0
#: object store of a local cluster started for one batch (bytes)
LOCAL_OBJECT_STORE = 256 << 20


class WorkersLost(VividError):
    """No worker is left and none could be started (the cluster lost its nodes or has no free CPU)."""

    exit_code = 1
    http_status = 503


class InProcessPool:
    """One worker in this process, items one after the other (``worker_class``: :class:`Worker` for images,
    :class:`vivid.cluster.video.SegmentWorker` for a video's segments, made with the arguments ``worker``)."""

    def __init__(self, worker: dict[str, Any], *, worker_class: type = Worker) -> None:
        self.worker = worker_class(**worker)
        self.queue: deque[Item] = deque()
        self.size = 1

    def start(self) -> None:
        self.worker.ready()

    def submit(self, item: Item) -> None:
        self.queue.append(item)

    def busy(self) -> bool:
        return bool(self.queue)

    def next(self) -> list[tuple[Item, Outcome]]:
        item = self.queue.popleft()
        return [(item, self.worker.process(item))]

    def close(self) -> None:
        self.worker.cache.clear()


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ConfigError("--engine ray needs Ray, an optional extra: pip install 'vivid-restore[ray]' "
                          "(on this machine and every node of the cluster)") from None
    return ray


def connect(address: str | None) -> Any:
    """Join the Ray cluster at ``address`` (``auto``: the one running on this machine; None: start a
    local one); returns the ``ray`` module. An unreachable cluster is a one-line :class:`ConfigError`."""
    import logging

    ray = import_ray()
    if address not in (None, "auto", "local") and not address.startswith("ray://"):
        _check_reachable(address)
    if ray.is_initialized():  # this process joined a cluster already (a library user, the tests)
        return ray
    # items travel through storage, the object store carries only small records: a local one stays small
    local = {"object_store_memory": LOCAL_OBJECT_STORE} if address is None else {}
    try:
        ray.init(address=address, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING,
                 configure_logging=True, **local)
    except (ConnectionError, RuntimeError, ValueError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        where = "on this machine" if address == "auto" else f"at {address}"
        raise ConfigError(f"cannot join the Ray cluster {where} ({first}): start one with 'ray start --head', "
                          f"or leave out --ray-address to run on a local one") from None
    return ray


def _check_reachable(address: str, timeout: float = 5.0) -> None:
    """Fail fast on a cluster address nobody listens on (``ray.init`` retries for minutes)."""
    import socket

    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"--ray-address {address!r} is not HOST:PORT (such as 10.0.0.5:6379), auto or ray://...")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as e:
        raise ConfigError(f"cannot reach the Ray cluster at {address} ({e.strerror or e}): start it with "
                          f"'ray start --head --port {port}' on {host}, or check --ray-address") from None


class RayPool:
    """``workers`` Ray actors of ``worker_class`` (default: one per CPU of the cluster), each with ``cpus`` CPUs."""

    def __init__(self, worker: dict[str, Any], *, workers: int | None = None, cpus: float = 1.0,
                 start_timeout: float = START_TIMEOUT, worker_class: type = Worker) -> None:
        self.worker_args = worker
        self.worker_class = worker_class
        self.want = workers
        self.cpus = cpus
        self.start_timeout = start_timeout
        self.pending: deque[Item] = deque()
        self.idle: list[Any] = []
        self.inflight: dict[Any, tuple[Any, Item]] = {}
        self.starting: dict[Any, Any] = {}
        self.size = 0
        self.lost = 0  # actors that died
        self._no_worker_since: float | None = None

    def start(self) -> None:
        self.ray = import_ray()
        self.actor_class = self.ray.remote(self.worker_class).options(num_cpus=self.cpus, max_restarts=0)
        cpus = self.ray.cluster_resources().get("CPU", 1.0)
        self.size = self.want or max(1, int(cpus // self.cpus))
        self.replacements_left = 2 * self.size + 8
        for _ in range(self.size):
            self._spawn()

    def _spawn(self) -> None:
        actor = self.actor_class.remote(**self.worker_args)
        self.starting[actor.ready.remote()] = actor

    def submit(self, item: Item) -> None:
        self.pending.append(item)

    def busy(self) -> bool:
        return bool(self.pending or self.inflight)

    def next(self) -> list[tuple[Item, Outcome]]:
        """Wait for the next finished item (or worker start); returns what finished (maybe nothing)."""
        ray = self.ray
        while self.idle and self.pending:
            actor = self.idle.pop()
            item = self.pending.popleft()
            self.inflight[actor.process.remote(item)] = (actor, item)
        self._check_workers()
        ready, rest = ray.wait([*self.inflight, *self.starting], num_returns=1, timeout=1.0)
        if ready and rest:  # take everything that is ready in one go (one wait per item would not scale)
            ready += ray.wait(rest, num_returns=len(rest), timeout=0)[0]
        done: list[tuple[Item, Outcome]] = []
        for ref in ready:
            if ref in self.starting:
                self._started(ref)
            else:
                done.append(self._finished(ref))
        return done

    def _check_workers(self) -> None:
        """Raise :class:`WorkersLost` when no worker has been alive for ``start_timeout`` seconds."""
        if self.idle or self.inflight:
            self._no_worker_since = None
            return
        now = time.monotonic()
        self._no_worker_since = self._no_worker_since or now
        if not self.starting and self.replacements_left > 0:
            self.replacements_left -= 1
            self._spawn()
        if now - self._no_worker_since > self.start_timeout or not self.starting:
            raise WorkersLost(
                f"no Ray worker is running and none could start for {now - self._no_worker_since:.0f} s "
                f"({self.lost} lost): the cluster has no free CPU or lost its nodes; check 'ray status', "
                "then run the same command again (finished items are kept)")

    def _started(self, ref: Any) -> None:
        actor = self.starting.pop(ref)
        try:
            self.ray.get(ref)
        except self.ray.exceptions.RayTaskError as e:
            cause = getattr(e, "cause", None)
            if isinstance(cause, VividError):  # the named model cannot be loaded: no item could succeed
                raise type(cause)(str(cause)) from None
            self.lost += 1
            self._replace(actor, e)
            return
        except Exception as e:  # noqa: BLE001 - the actor could not start (vivid missing on the node, ...)
            self.lost += 1
            self._replace(actor, e)
            return
        self.idle.append(actor)

    def _finished(self, ref: Any) -> tuple[Item, Outcome]:
        actor, item = self.inflight.pop(ref)
        try:
            outcome = self.ray.get(ref)
        except Exception as e:  # noqa: BLE001 - its worker (process or node) died; the item goes back
            self.lost += 1
            self._replace(actor, e)
            return item, Outcome(item.dst, RETRY, error=f"the Ray worker running it was lost ({_first_line(e)})")
        self.idle.append(actor)
        return item, outcome

    def _replace(self, actor: Any, error: Exception) -> None:
        self.last_error = _first_line(error)
        try:
            self.ray.kill(actor, no_restart=True)
        except Exception:  # noqa: BLE001, S110 - already gone
            pass
        if self.replacements_left > 0:
            self.replacements_left -= 1
            self._spawn()

    def close(self) -> None:
        for actor in [*self.idle, *(a for a, _ in self.inflight.values()), *self.starting.values()]:
            try:
                self.ray.kill(actor)
            except Exception:  # noqa: BLE001, S110
                pass
        self.idle.clear()
        self.inflight.clear()
        self.starting.clear()


def _first_line(e: Exception) -> str:
    lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
    return f"{type(e).__name__}: {lines[0][:200]}" if lines else type(e).__name__
