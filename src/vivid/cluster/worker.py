"""One batch worker: a model cache loaded once, then :func:`vivid.engine.stream.enhance_file` per item.

The worker runs the very call ``vivid enhance`` makes for a file (same options, same result), on a local
copy of the input when it lives in a store, and publishes the output atomically
(:func:`vivid.cluster.storage.publish`). Errors come back as outcomes, never as exceptions: a vivid error
(a bad input, a model that does not fit) is final; anything else (a storage hiccup) may be retried.
"""

from __future__ import annotations

import os
import posixpath
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from vivid.cluster import storage
from vivid.engine.cache import ModelCache
from vivid.engine.plan import step_names
from vivid.errors import ImageTooLargeError, VividError

#: outcome statuses: finished, skipped (content unchanged since the recorded run), failed for good, retry
DONE, SKIPPED, FAILED, RETRY = "done", "skipped", "failed", "retry"


@dataclass(frozen=True)
class Item:
    """One input and its output, as the driver hands it out."""

    src: str
    dst: str
    fingerprint: str = ""
    #: the input hash recorded by a finished run with the same plan (the worker skips on a match)
    known_sha256: str | None = None
    output_present: bool = False


@dataclass(frozen=True)
class Outcome:
    dst: str
    status: str
    input_sha256: str | None = None
    plan: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None
    #: ``host:pid`` of the worker, and how many models it has loaded so far
    worker: str = ""
    loads: int = 0
    #: the error was an oversize input (the CLI names --max-pixels)
    too_large: bool = False
    #: what else the worker reports (a video segment's record, :mod:`vivid.cluster.video`)
    detail: dict[str, Any] = field(default_factory=dict)


class Worker:
    """Holds one :class:`~vivid.engine.cache.ModelCache` for all the items it is given."""

    def __init__(self, *, options: dict[str, Any], cache: dict[str, Any], output_root: str,
                 preload: tuple[str, int | None, str | None] | None = None) -> None:
        self.options = options
        self.cache = ModelCache(**cache)
        self.parts = storage.parts_folder(output_root)
        self.preload = preload
        self.name = f"{socket.gethostname()}:{os.getpid()}"

    def ready(self) -> str:
        """Load the named model (a bad one fails here, before any item); return this worker's name."""
        if self.preload is not None:
            name, scale, family = self.preload
            self.cache.get(name, scale, family=family)
        return self.name

    def loads(self) -> int:
        return self.cache.loads

    def process(self, item: Item) -> Outcome:
        t0 = time.perf_counter()
        try:
            with tempfile.TemporaryDirectory(prefix="vivid-item-") as tmp:
                return self._process(item, tmp, t0)
        except _StorageFailed as e:  # reading or writing the store: it may work the next time
            return self._outcome(item, RETRY, t0, error=str(e))
        except VividError as e:
            return self._outcome(item, FAILED, t0, error=str(e), too_large=isinstance(e, ImageTooLargeError))
        except Exception as e:  # noqa: BLE001 - e.g. a storage timeout: the driver retries it
            return self._outcome(item, RETRY, t0, error=f"{type(e).__name__}: {e}")

    def _process(self, item: Item, tmp: str, t0: float) -> Outcome:
        from vivid.engine.stream import enhance_file

        src = storage.local_path(item.src)
        if src is None:
            src = os.path.join(tmp, "in", posixpath.basename(item.src.rstrip("/")))
            os.makedirs(os.path.dirname(src))
            with _storage():
                storage.fetch(item.src, src)
        digest = storage.sha256_file(src)
        if item.output_present and item.known_sha256 == digest:
            return self._outcome(item, SKIPPED, t0, input_sha256=digest)
        out = os.path.join(tmp, "out" + posixpath.splitext(item.dst)[1])
        try:
            result = enhance_file(src, out, models=self.cache, overwrite=True, **self.options)
        except VividError as e:  # name the input as the user gave it, not the local copy
            raise type(e)(str(e).replace(src, item.src).replace(out, item.dst)) from None
        with _storage():
            storage.publish(out, item.dst, parts=self.parts)
        steps, models = step_names(result.plan)
        return self._outcome(item, DONE, t0, input_sha256=digest, plan=steps, models=models)

    def _outcome(self, item: Item, status: str, t0: float, **values: Any) -> Outcome:
        return Outcome(item.dst, status, seconds=round(time.perf_counter() - t0, 3), worker=self.name,
                       loads=self.cache.loads, **values)


class _StorageFailed(Exception):
    """Reading an input from, or writing an output to, the store failed (retried by the driver)."""


@contextmanager
def _storage() -> Iterator[None]:
    try:
        yield
    except (VividError, OSError) as e:
        raise _StorageFailed(str(e)) from None
