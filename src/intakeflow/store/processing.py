"""The claim -> process -> save loop over a store, and the counts it keeps (no Airflow here).

``ProcessMessagesOperator``, the archive benchmark and the CLI share this loop, so a fix to
claiming or saving lands everywhere at once. The tally is the only thing handed on (XCom,
metrics, asset extras): counts by outcome and label, never text.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import socket
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from intakeflow.errors import E, IntakeflowError
from intakeflow.parent_watch import exit_with_parent
from intakeflow.results import PipelineInput, PipelineResult
from intakeflow.store.pg_store import Store
from intakeflow.store.staged import RunRef, StagedMessage

if TYPE_CHECKING:
    from intakeflow.pipeline import PipelineConfig

#: while lingering without a notification waiter, the queue is polled this often (seconds);
#: with one, the claim is still retried this often in case a notification went missing
LINGER_POLL_S = 1.0

#: with a worker free and batches in flight, the notification wait is cut into slices this
#: long (seconds) so the oldest batch is saved at most this late after it finishes
BUSY_WAIT_SLICE_S = 0.02

#: outcome keys of the tally, in the order they are reported
OUTCOMES: tuple[str, ...] = ("claimed", "processed", "failed", "quarantined", "skipped")


class PipelineLike(Protocol):
    version: str

    def process(self, messages: Sequence[PipelineInput]) -> list[PipelineResult]: ...


@dataclass
class RunTally:
    """Counts over processed batches."""

    outcomes: Counter[str] = field(default_factory=Counter)
    intents: Counter[str] = field(default_factory=Counter)
    queues: Counter[str] = field(default_factory=Counter)
    phi: Counter[str] = field(default_factory=Counter)
    insurance: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    timings_ms: Counter[str] = field(default_factory=Counter)
    batches: int = 0
    needs_review: int = 0
    fallback_calls: int = 0
    fallback_usd: float = 0.0
    pipeline_s: float = 0.0

    def add_results(self, results: Sequence[PipelineResult]) -> None:
        self.batches += 1
        for r in results:
            self.fallback_calls += r.fallback_calls
            self.fallback_usd += r.fallback_usd
            self.timings_ms.update(r.timings_ms)
            if not r.ok:
                self.errors[r.error_code or "unknown"] += 1
                continue
            self.needs_review += int(r.needs_review)
            self.intents[r.intent or "none"] += 1
            self.queues[r.queue or "none"] += 1
            self.phi.update(s.label for s in r.phi)
            self.insurance.update(s.label for s in r.insurance)

    def merge(self, other: RunTally) -> None:
        """Add another run's counts (one of several processes sharing the work)."""
        for name in ("outcomes", "intents", "queues", "phi", "insurance", "errors", "timings_ms"):
            getattr(self, name).update(getattr(other, name))
        self.batches += other.batches
        self.needs_review += other.needs_review
        self.fallback_calls += other.fallback_calls
        self.fallback_usd += other.fallback_usd
        self.pipeline_s += other.pipeline_s

    def as_dict(self) -> dict[str, Any]:
        return {
            **{k: self.outcomes[k] for k in OUTCOMES},
            "batches": self.batches,
            "needs_review": self.needs_review,
            "fallback_calls": self.fallback_calls,
            # integer micro-dollars: metrics are integer counters and sums stay exact
            "fallback_microusd": round(self.fallback_usd * 1e6),
            "intents": dict(self.intents),
            "queues": dict(self.queues),
            "phi": dict(self.phi),
            "insurance": dict(self.insurance),
            "errors": dict(self.errors),
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
        }


def process_pending(
    store: Store,
    pipeline: PipelineLike,
    token: str,
    *,
    batch_size: int = 64,
    sources: Sequence[str] | None = None,
    max_batches: int | None = None,
    run: RunRef | None = None,
    workers: int = 1,
    linger_s: float = 0.0,
    max_run_s: float | None = None,
    wait: Callable[[float], bool] | None = None,
    stop: Callable[[], bool] | None = None,
) -> RunTally:
    """Claim staged messages with claim token ``token``, run the pipeline and save the
    results, batch by batch, until none are left or ``max_batches`` ran. One bad message
    never stops the loop: the store quarantines input errors and re-claims other failures.

    ``workers`` threads run ``pipeline.process``, each on its own batch, and one more batch
    is claimed ahead so that none waits while this thread saves the oldest finished batch
    and claims the next (on one kept connection): the database work overlaps the pipeline.
    Each worker can keep a core busy (a model of ``threads=1`` runs one window at a time
    per worker), so two workers are how a single-threaded model uses two cores; with a
    multi-threaded model a second worker adds little (measured on 2 cores: the Python of
    one batch holds the GIL the other's model threads need to hand back their results).
    Batches are saved in claim order, each in its own transaction, as before; a claim
    ahead leaves out the rows still in flight. If a save fails the loop stops and raises
    once the threads are idle, and every claimed row not saved stays claimed by ``token``:
    the retry resumes it, as after a kill.

    ``linger_s`` (a live feed's consumer): once the queue is empty, keep claiming as new
    messages arrive until none has come for ``linger_s`` seconds; only a run that found work
    lingers, so a run started for nothing ends at once. ``wait(timeout)`` sleeps until the
    next staging commit (``QueueWaiter.wait``; without it the loop polls every
    ``LINGER_POLL_S``). With ``wait`` a run never holds a message back behind a batch: while
    a worker is idle and batches are in flight, it waits for whichever comes first, the
    oldest batch finishing or a staging commit, and claims that commit's rows at once, so
    a steady feed is taken in small batches as it is committed (up to ``batch_size``,
    whatever is waiting; never waiting to fill one). ``max_run_s``: claim no new batch after
    this many seconds (the batches in flight are finished), so a run under a steady feed
    hands over to the next in time. ``stop()`` true: claim nothing more (the batches in
    flight are finished)."""
    tally = RunTally()
    started = last_work = time.monotonic()
    workers = max(1, workers)
    depth = workers + 1  # batches claimed and not saved: one queued behind the running ones
    busy: set[int] = set()  # claimed, not saved yet
    inflight: deque[tuple[list[StagedMessage], Future[tuple[list[PipelineResult], float]]]] = deque()
    claimed_batches = 0

    def timed_process(batch: list[StagedMessage]) -> tuple[list[PipelineResult], float]:
        t = time.perf_counter()
        results = pipeline.process([m.to_pipeline_input() for m in batch])
        return results, time.perf_counter() - t

    def may_claim() -> bool:
        return (len(inflight) < depth and (max_batches is None or claimed_batches < max_batches)
                and (max_run_s is None or time.monotonic() - started < max_run_s) and not (stop and stop()))

    pool = ThreadPoolExecutor(workers, thread_name_prefix="intakeflow-process")
    try:
        with store.session():
            while True:
                while may_claim():
                    batch = store.claim(batch_size, token, sources, exclude=busy)
                    if not batch:
                        break
                    last_work = time.monotonic()
                    claimed_batches += 1
                    busy.update(m.id for m in batch)
                    inflight.append((batch, pool.submit(timed_process, batch)))
                if not inflight:  # nothing claimable and nothing in flight
                    now = time.monotonic()
                    left = min(linger_s - (now - last_work), math.inf if max_run_s is None else max_run_s - (now - started))
                    if (not claimed_batches or left <= 0 or (max_batches is not None and claimed_batches >= max_batches)
                            or (stop is not None and stop())):
                        return tally
                    if wait is not None:
                        wait(min(left, LINGER_POLL_S))  # a staging commit, or time to look again
                    else:
                        time.sleep(min(left, LINGER_POLL_S))
                    continue
                batch, fut = inflight[0]
                if wait is not None and len(inflight) < workers and may_claim():
                    # a worker is free: a staging commit is claimed at once rather than after
                    # the oldest batch (which a steady feed would otherwise keep one batch behind)
                    notified = False
                    while not fut.done() and not (notified := wait(BUSY_WAIT_SLICE_S)):
                        pass
                    if notified:
                        continue
                inflight.popleft()
                results, seconds = fut.result()
                tally.pipeline_s += seconds
                tally.outcomes["claimed"] += len(batch)
                tally.outcomes.update(store.save_results(zip(batch, results, strict=True), run).as_dict())
                busy.difference_update(m.id for m in batch)  # failed rows may be claimed again
                tally.add_results(results)
    finally:
        for _, fut in inflight:
            fut.cancel()
        pool.shutdown(wait=True, cancel_futures=True)


@dataclass(frozen=True)
class ProcessShare:
    """What each process of a run in several processes needs to take its share of the queue:
    the store and its settings, the pipeline's configuration, and the run's batch size,
    threads and id."""

    dsn: str
    schema: str
    config: PipelineConfig
    batch_size: int
    workers: int
    run_id: str
    store_raw: bool = False
    max_attempts: int = 3
    claim_lease_s: float = 900.0

    @classmethod
    def of(cls, store: Store, config: PipelineConfig, batch_size: int, workers: int, run_id: str) -> ProcessShare:
        """A share on ``store`` with the same settings in every process (raw text kept or not,
        attempts, lease): which process claims a row must not change what happens to it."""
        return cls(store.dsn, store.schema, config, batch_size, workers, run_id, store_raw=store.store_raw,
                   max_attempts=store.max_attempts, claim_lease_s=store.claim_lease_s)

    def run(self, pipeline: PipelineLike, store: Store, token: str, stop: Callable[[], bool] | None = None) -> RunTally:
        return process_pending(store, pipeline, token, batch_size=self.batch_size, run=RunRef(None, self.run_id),
                               workers=self.workers, stop=stop)


#: set in a spawned process by :func:`_share_process_started`: the run's stop signal
_stop_signal: Any = None


def _share_process_started(stop: Any) -> None:
    global _stop_signal
    exit_with_parent()
    _stop_signal = stop


def _run_share(share: ProcessShare) -> RunTally:
    """A spawned process's share: a model and an interpreter lock of its own, and its own
    claim token, so that no two processes resume each other's rows."""
    from intakeflow.pipeline import Pipeline

    pipeline = Pipeline(share.config)
    store = Store(share.dsn, schema=share.schema, pipeline_version=pipeline.version, store_raw=share.store_raw,
                  max_attempts=share.max_attempts, claim_lease_s=share.claim_lease_s)
    stop = _stop_signal.is_set if _stop_signal is not None else None
    return share.run(pipeline, store, f"{share.run_id}:{socket.gethostname()}:{os.getpid()}", stop)


def process_in_processes(share: ProcessShare, processes: int, pipeline: PipelineLike, store: Store, token: str) -> RunTally:
    """:func:`process_pending` in this process and ``processes - 1`` spawned ones, all
    claiming from the same queue until it is empty; their counts add up.

    The pipeline's Python (tokenising, recognizers, decoding) holds the interpreter lock, so
    threads of one process overlap only their onnxruntime calls; processes overlap it all
    (``tools.bench_archive``, 10,000 messages on 2 cores: 363 messages/s through PostgreSQL
    for 2 processes of 1 worker, 297 for 1 process of 2). Each process loads its own model.

    When any process fails, the others claim nothing more: they finish the batches they
    hold and stop, and the first error is raised (a process that died: E053; its claimed
    rows return to the queue when their lease ends). The fallback's budget is per process,
    so it is refused here rather than multiplied."""
    if processes <= 1:
        return share.run(pipeline, store, token)
    share.config.fallback.check_processes(processes)
    context = multiprocessing.get_context("spawn")
    stop = context.Event()
    failures: list[BaseException] = []
    with ProcessPoolExecutor(processes - 1, mp_context=context, initializer=_share_process_started,
                             initargs=(stop,)) as pool:
        others = [pool.submit(_run_share, share) for _ in range(processes - 1)]
        try:
            tally = share.run(pipeline, store, token, stop.is_set)
        except BaseException:
            stop.set()  # the others finish their batches and stop, then this raises
            raise
        for future in others:
            try:
                tally.merge(future.result())
            except BrokenProcessPool:
                stop.set()
                failures.append(IntakeflowError(E.E053_PROCESS_LOST, kind="BrokenProcessPool"))
            except Exception as exc:  # noqa: BLE001 - raised below, once every process has stopped
                stop.set()
                failures.append(exc)
    if failures:
        raise failures[0]
    return tally
