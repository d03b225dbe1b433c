"""Back-pressure for the work done inside requests (decoding, analysis, synchronous enhancement).

``slots`` requests do heavy work at once; at most ``waiting`` more wait for a slot, each up to ``wait``
seconds, and anything beyond is answered 503 with ``Retry-After`` at once (instead of piling up in the
thread pool). One owner (API key) may have ``per_key`` such requests in flight, waiting included; more
is a 429 at once. Without API keys there is one local user, and only the slots and the waiting room apply.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from vivid.server.errors import ServiceBusyError, TooManyRequestsError
from vivid.server.records import LOCAL_OWNER


class SyncGate:
    def __init__(self, *, slots: int, per_key: int, wait: float, waiting: int) -> None:
        self.slots, self.per_key, self.wait, self.waiting = slots, per_key, wait, waiting
        self._sem = threading.BoundedSemaphore(slots)
        self._lock = threading.Lock()
        self._in_flight: dict[str, int] = {}
        self._total = 0  # requests holding or waiting for a slot

    def in_flight(self, owner: str) -> int:
        with self._lock:
            return self._in_flight.get(owner, 0)

    @contextmanager
    def enter(self, owner: str) -> Iterator[None]:
        """Hold one slot for ``owner`` (429 over the per-owner limit, 503 when no slot frees in time)."""
        with self._lock:
            n = self._in_flight.get(owner, 0)
            if n >= self.per_key and owner != LOCAL_OWNER:
                raise TooManyRequestsError(
                    f"{n} requests of this API key are already running or waiting (limit {self.per_key}, setting "
                    "VIVID_SYNC_PER_KEY): wait for one to finish, or submit a job (POST /v1/jobs)", retry_after=2)
            if self._total >= self.slots + self.waiting:
                raise ServiceBusyError(
                    f"{self.slots} request(s) are running and {self.waiting} waiting, the most this server holds "
                    "(setting VIVID_SYNC_QUEUE): try again shortly, or submit a job (POST /v1/jobs)", retry_after=2)
            self._in_flight[owner] = n + 1
            self._total += 1
        try:
            if not self._sem.acquire(timeout=self.wait):
                raise ServiceBusyError(
                    f"all {self.slots} slots for immediate work stayed busy for {self.wait:g} s: try again "
                    "shortly, or submit a job (POST /v1/jobs)", retry_after=5)
            try:
                yield
            finally:
                self._sem.release()
        finally:
            with self._lock:
                self._total -= 1
                left = self._in_flight[owner] - 1
                if left:
                    self._in_flight[owner] = left
                else:
                    del self._in_flight[owner]
