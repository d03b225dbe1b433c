"""The driver of a cluster batch: skip what is finished, hand out the rest, retry, record every outcome.

``run_batch(pairs, output_root=..., options=..., pool=...)`` takes ``(input, output)`` locations (paths or
fsspec URLs) and returns one :class:`~vivid.cluster.worker.Outcome` per pair, in their order. Outputs are
written by the workers atomically; the manifest (:mod:`vivid.cluster.manifest`) is rewritten every few
seconds and at the end (also after Ctrl-C or a lost cluster), so a rerun redoes at most the items of the
last few seconds. An item is tried at most ``attempts`` times when its worker dies or its storage fails;
a vivid error (a bad input) is final at once.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from vivid.cluster import storage
from vivid.cluster.manifest import Entry, Manifest, plan_hash
from vivid.cluster.pool import WorkersLost
from vivid.cluster.worker import DONE, FAILED, RETRY, SKIPPED, Item, Outcome
from vivid.errors import OutputError

ATTEMPTS = 3
#: seconds between manifest writes while a batch runs
SAVE_EVERY = 5.0


@dataclass(frozen=True)
class Source:
    """An input and where its output goes; ``fingerprint`` from the listing (size and change time)."""

    src: str
    dst: str
    fingerprint: str = ""


@dataclass
class BatchResult:
    outcomes: list[Outcome]
    seconds: float
    #: workers the pool ran (and how many of them died), models loaded by all workers together
    workers: int = 0
    lost_workers: int = 0
    loads: int = 0
    #: what stopped the batch early (no worker left), else None
    error: str | None = None
    attempts: dict[str, int] = field(default_factory=dict)

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)


def run_batch(
    sources: list[Source],
    *,
    output_root: str,
    options: dict[str, Any],
    pool: Any,
    overwrite: bool = False,
    skip_existing: bool = False,
    attempts: int = ATTEMPTS,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> BatchResult:
    """Run ``sources`` on ``pool`` (an in-process or Ray pool made with the same ``options``)."""
    t0 = time.perf_counter()
    manifest = Manifest(output_root).load()
    present = storage.existing(output_root)
    plan = plan_hash(options)
    final: dict[str, Outcome] = {}
    todo: list[Item] = []
    for s in sources:
        here = s.dst in present
        if manifest.finished(output=s.dst, fingerprint=s.fingerprint, plan=plan, present=here):
            final[s.dst] = Outcome(s.dst, SKIPPED, input_sha256=manifest.get(s.dst).input_sha256)
            continue
        known = manifest.known_hash(output=s.dst, plan=plan)
        if here and known is None:  # an output this batch did not make
            if skip_existing:
                final[s.dst] = Outcome(s.dst, SKIPPED)
                continue
            if not overwrite:
                why = ("was made with other options (see its manifest)" if manifest.get(s.dst) is not None
                       else "exists and is not in this folder's manifest")
                raise OutputError(f"output {s.dst} {why}: add --overwrite to replace, or --skip-existing to keep")
        todo.append(Item(s.src, s.dst, s.fingerprint, known_sha256=known, output_present=here))
    by_dst = {s.dst: s for s in sources}
    result = BatchResult([], 0.0)
    loads: dict[str, int] = {}
    last_save = time.monotonic()
    try:
        for item, outcome, tries in settle(pool, todo, attempts=attempts, loads=loads):
            final[item.dst] = outcome
            result.attempts[item.dst] = tries
            _record(manifest, by_dst[item.dst], outcome, plan, tries)
            if on_outcome is not None:
                on_outcome(outcome)
            if time.monotonic() - last_save > SAVE_EVERY:
                manifest.save()
                last_save = time.monotonic()
    except WorkersLost as e:  # what finished stays finished; the rest is reported as not run
        result.error = str(e)
    finally:
        manifest.save()
        if todo:
            pool.close()
            storage.remove_parts(storage.parts_folder(output_root))
    not_run = f"not run: {result.error}" if result.error else "not run"
    result.outcomes = [final.get(s.dst) or Outcome(s.dst, FAILED, error=not_run) for s in sources]
    result.seconds = time.perf_counter() - t0
    result.workers, result.lost_workers = getattr(pool, "size", 0), getattr(pool, "lost", 0)
    result.loads = sum(loads.values())
    return result


def settle(pool: Any, items: list[Any], *, attempts: int,
           loads: dict[str, int]) -> Iterator[tuple[Any, Outcome, int]]:
    """Start ``pool`` (when there are ``items``), hand it the items and give the last outcome of each, with its
    number of tries, as they come: an item whose outcome is ``retry`` (its worker died, its storage failed) is
    handed out again, at most ``attempts`` times in all, then ``failed`` with the last reason. ``loads``
    collects the model loads of each worker (by name)."""
    if items:
        pool.start()
        for item in items:
            pool.submit(item)
    tries: Counter[str] = Counter()
    while pool.busy():
        for item, outcome in pool.next():
            tries[item.dst] += 1
            if outcome.worker:
                loads[outcome.worker] = max(loads.get(outcome.worker, 0), outcome.loads)
            if outcome.status == RETRY and tries[item.dst] < attempts:
                pool.submit(item)
                continue
            if outcome.status == RETRY:
                outcome = replace(outcome, status=FAILED,
                                  error=f"failed {tries[item.dst]} times; the last time: {outcome.error}")
            yield item, outcome, tries[item.dst]


def _record(manifest: Manifest, source: Source, outcome: Outcome, plan: str, tries: int) -> None:
    if outcome.status == SKIPPED:  # unchanged content: the entry stays, with this listing's fingerprint
        old = manifest.get(source.dst)
        if old is not None:
            old.input_fingerprint = source.fingerprint
        return
    manifest.record(Entry(output=manifest.key(source.dst), input=source.src, input_sha256=outcome.input_sha256,
                          input_fingerprint=source.fingerprint, plan_hash=plan,
                          status=DONE if outcome.status == DONE else FAILED, attempts=tries, error=outcome.error,
                          plan=outcome.plan, models=outcome.models, seconds=outcome.seconds))
