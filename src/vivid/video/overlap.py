"""Overlap the stages of a video job: decoding runs ahead in one thread, encoding behind in another, while the
model runs in the caller's thread, so the slowest stage sets the pace instead of the sum of all three.

PyAV releases the GIL while FFmpeg decodes and encodes, and ONNX Runtime and torch release it while they
compute, so threads overlap for real. Both helpers keep their threads on the normal scheduler
(:func:`vivid.video.codecs.keep_normal_scheduling`): SVT-AV1 run as root makes the thread that opens it
real-time, and a thread started from such a thread inherits that. Errors in a thread are raised in the
caller at its next call, never lost; closing stops a thread without waiting for the rest of its work.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from vivid.video.codecs import keep_normal_scheduling

_DONE = object()


class Prefetch:
    """Iterate ``items`` in a background thread, at most ``depth`` items ahead of the consumer.

    ``transform`` runs on each item in that thread too (copying a decoded frame's planes before the decoder
    reuses its buffers, converting to RGB). Iterating re-raises the producer's error where it happened.
    """

    def __init__(self, items: Iterable[Any], *, depth: int, transform: Callable[[Any], Any] | None = None,
                 name: str = "vivid-decode") -> None:
        self._items, self._transform = items, transform
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max(1, depth))
        self._stop = threading.Event()
        #: seconds the producer spent making items (decode + transform), for stage timings
        self.busy_seconds = 0.0
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        import time

        keep_normal_scheduling()
        try:
            it = iter(self._items)
            while not self._stop.is_set():
                t0 = time.perf_counter()
                item = next(it, _DONE)
                if item is not _DONE and self._transform is not None:
                    item = self._transform(item)
                self.busy_seconds += time.perf_counter() - t0
                if item is _DONE or not self._put(item):
                    break
        except BaseException as e:  # noqa: BLE001 - handed to the consumer
            self._put(_Failure(e))
            return
        finally:
            close = getattr(self._items, "close", None)
            if callable(close):  # a generator: release its file now, in this thread
                close()
        self._put(_DONE)

    def __iter__(self) -> Iterator[Any]:
        while True:
            item = self._queue.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item

    def close(self) -> None:
        """Stop the producer (it finishes the item in hand) and wait for its thread."""
        self._stop.set()
        while self._thread.is_alive():
            try:
                self._queue.get(timeout=0.05)
            except queue.Empty:
                pass
        self._thread.join()


class Worker:
    """One thread that runs submitted calls in the order they came (the encoder), ``depth`` calls at most
    waiting. :meth:`drain` waits until all ran; the first error is raised by the next submit or drain."""

    def __init__(self, *, depth: int, name: str = "vivid-encode") -> None:
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max(1, depth))
        self._error: BaseException | None = None
        #: seconds spent running calls, for stage timings
        self.busy_seconds = 0.0
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import time

        keep_normal_scheduling()
        while True:
            job = self._queue.get()
            try:
                if job is _DONE:
                    return
                if self._error is None:  # after an error the rest is skipped
                    t0 = time.perf_counter()
                    try:
                        job()
                    except BaseException as e:  # noqa: BLE001 - handed to the caller
                        self._error = e
                    finally:
                        keep_normal_scheduling()
                        self.busy_seconds += time.perf_counter() - t0
            finally:
                self._queue.task_done()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def submit(self, job: Callable[[], Any]) -> None:
        self._raise()
        self._queue.put(job)

    def drain(self) -> None:
        """Wait until every submitted call ran; raise the first error."""
        self._queue.join()
        self._raise()

    def close(self) -> None:
        """Let the call in hand finish, drop the ones waiting, stop the thread (errors are not raised)."""
        self._error = self._error or _Closed()
        while True:
            try:
                self._queue.get_nowait()
                self._queue.task_done()
            except queue.Empty:
                break
        self._queue.put(_DONE)
        self._thread.join()


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class _Closed(Exception):
    """Marks a closed worker: calls still waiting are skipped."""
