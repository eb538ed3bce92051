"""Parse and stage messages from the listener, and decide each one's acknowledgement.

Messages from all connections go through one queue and are committed in groups (whatever
arrived while the previous commit ran, up to ``max_batch``): one transaction per group
instead of one per message, and still no answer before the commit. A group that fails is
retried message by message, so one bad row cannot take its neighbours' answers down.
"""

from __future__ import annotations

import asyncio
import ctypes
import hashlib
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from typing import Protocol

import psycopg

from intakeflow.errors import E
from intakeflow.mllp.ack import AckCode, AckError
from intakeflow.results import Filtered, InboundMessage, Quarantined, SourceItem
from intakeflow.sources.filters import DEFAULT_HL7_FILTERS, FilterRule
from intakeflow.sources.hl7_parse import parse_hl7
from intakeflow.store.staged import StageCounts

log = logging.getLogger("intakeflow.mllp")

#: staging source name of the live feed; ``mllp:<name>`` tells several listeners apart
MLLP_SOURCE = "mllp"
#: HL7 table 0357 code per quarantine reason of the parser
_QUARANTINE_HL7_CODE = {"E020": "102", "E021": "100", "E022": "101", "E024": "100"}


class StagingArea(Protocol):
    def stage(self, items: Iterable[SourceItem], run_id: str) -> StageCounts: ...


@dataclass(frozen=True)
class Verdict:
    """The answer to one message: AA only once it is committed."""

    code: AckCode
    error: AckError | None = None


@dataclass
class _Pending:
    item: SourceItem
    answer: asyncio.Future[Verdict]


class Intake:
    """Parse with :func:`parse_hl7` (source renamed to ``source``; in ``parse_workers``
    processes, else in a thread: hl7apy parsing is CPU-bound and would hold the event
    loop's GIL) and stage with ``store.stage`` in a thread, answering:

    * AA: committed (a resent control id is committed once and answered AA again);
    * AE: the parser quarantined it (committed to the quarantine table), with ERR;
    * AR: it could not be committed (database down, ...): the sender should resend.
    """

    def __init__(self, store: StagingArea, *, source: str = MLLP_SOURCE, run_id: str = "mllp-listen",
                 max_batch: int = 200, parse_workers: int = 0,
                 filters: Sequence[FilterRule] = DEFAULT_HL7_FILTERS,
                 parse: Callable[[bytes, str, Sequence[FilterRule]], SourceItem] | None = None) -> None:
        self.store = store
        #: payload, source, filters -> item; a module-level function (it is pickled to the workers)
        self.parse = parse or parse_message
        #: which messages without text are filtered (answered AA, recorded as filtered)
        self.filters = tuple(filters)
        self.parse_workers = max(0, parse_workers)
        self._pool: ProcessPoolExecutor | None = None
        self.source = source
        self.run_id = run_id
        self.max_batch = max(1, max_batch)
        self.counts: Counter[str] = Counter()
        self._queue: asyncio.Queue[_Pending | None] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None

    @property
    def queued(self) -> int:
        """Parsed messages waiting for their commit."""
        return self._queue.qsize()

    async def start(self) -> None:
        if self.parse_workers and self._pool is None:
            # spawn: the listener has threads, and a forked child would inherit their locks
            self._pool = ProcessPoolExecutor(
                self.parse_workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=die_with_parent, initargs=(os.getpid(),),
            )
            loop = asyncio.get_running_loop()
            warm = (b"MSH|^~\\&|", self.source, self.filters)
            await asyncio.gather(*(loop.run_in_executor(self._pool, self.parse, *warm)
                                   for _ in range(self.parse_workers)))  # start the workers before traffic
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_loop(), name="mllp-intake-writer")

    async def close(self) -> None:
        """Commit what is queued, then stop."""
        if self._writer is not None:
            self._queue.put_nowait(None)
            await self._writer
            self._writer = None
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    async def submit(self, payload: bytes) -> Verdict:
        if self._writer is None or self._writer.done():
            return _not_stored("listener stopping")
        loop = asyncio.get_running_loop()
        item = await loop.run_in_executor(self._pool, self.parse, payload, self.source, self.filters)
        pending = _Pending(item, loop.create_future())
        self._queue.put_nowait(pending)
        return await pending.answer

    async def _write_loop(self) -> None:
        stopping = False
        while not stopping:
            first = await self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < self.max_batch and not self._queue.empty():
                nxt = self._queue.get_nowait()
                if nxt is None:
                    stopping = True
                    break
                batch.append(nxt)
            await self._commit(batch)

    async def _commit(self, batch: list[_Pending]) -> None:
        loop = asyncio.get_running_loop()
        try:
            counts = await loop.run_in_executor(None, self.store.stage, [p.item for p in batch], self.run_id)
        except Exception as exc:  # noqa: BLE001 - any failure means "not stored": answer AR
            if len(batch) > 1 and not _unreachable(exc):
                for p in batch:
                    await self._commit([p])
                return
            if not _unreachable(exc) and await self._quarantine_rejected(batch[0], type(exc).__name__):
                return
            log.warning("store failed for %d messages (%s); answered AR", len(batch), type(exc).__name__)
            self.counts["not_stored"] += len(batch)
            for p in batch:
                _answer(p, _not_stored(type(exc).__name__))
            return
        self.counts.update(staged=counts.staged, duplicates=counts.duplicates, quarantined=counts.quarantined,
                           filtered=counts.filtered)
        for p in batch:
            _answer(p, _verdict_for(p.item))


    async def _quarantine_rejected(self, pending: _Pending, kind: str) -> bool:
        """The database is up but refused this one message: keep a quarantine record and
        answer AE, so that one poison message never stalls an in-order sender with AR."""
        item = pending.item
        record = Quarantined(item.source, item.source_id, "E113", E.E113_MLLP_STORE_REJECTED.format(kind=kind))
        try:
            await asyncio.get_running_loop().run_in_executor(None, self.store.stage, [record], self.run_id)
        except Exception:  # noqa: BLE001 - not even the record went in: AR, the sender resends
            return False
        log.warning("store rejected one message (%s); quarantined E113, answered AE", kind)
        self.counts["quarantined"] += 1
        _answer(pending, Verdict("AE", AckError("207", "E113", record.reason)))
        return True


def die_with_parent(parent_pid: int) -> None:
    """Parse-worker initializer: the worker ends when the listener does, also when the
    listener is SIGKILLed and never shuts its pool down (an orphan would hold memory and,
    under a supervisor, pile up with every restart). Linux's parent-death signal where
    available, and everywhere a watch on the parent's pid."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the watch below does it

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os._exit(0)

    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        os._exit(0)
    threading.Thread(target=watch, name="intakeflow-parent-watch", daemon=True).start()


def parse_message(
    payload: bytes, source: str, filters: Sequence[FilterRule] = DEFAULT_HL7_FILTERS
) -> SourceItem:
    """:func:`parse_hl7` under the listener's source name; never raises."""
    try:
        parsed = parse_hl7(payload, source, filters)
    except Exception as exc:  # noqa: BLE001 - a parser bug must not cost the message its answer
        digest = hashlib.sha256(payload).hexdigest()[:16]
        parsed = Quarantined(source, f"{source}|sha256:{digest}", "E007", E.E007_INTERNAL.format(kind=type(exc).__name__))
    return replace(parsed, source=source)


def _verdict_for(item: SourceItem) -> Verdict:
    if isinstance(item, InboundMessage | Filtered):  # a filtered ADT is accepted: AA, not AE
        return Verdict("AA")
    hl7_code = _QUARANTINE_HL7_CODE.get(item.reason_code, "207")
    return Verdict("AE", AckError(hl7_code, item.reason_code, item.reason))


def _unreachable(exc: Exception) -> bool:
    """The database itself failed (not one row): retrying message by message would only
    multiply connection timeouts."""
    if isinstance(exc, psycopg.errors.TransactionRollback):
        return False
    return isinstance(exc, psycopg.OperationalError | OSError)


def _not_stored(kind: str) -> Verdict:
    return Verdict("AR", AckError("207", "E112", E.E112_MLLP_NOT_STORED.format(kind=kind)))


def _answer(pending: _Pending, verdict: Verdict) -> None:
    if not pending.answer.done():  # the connection may have been cancelled meanwhile
        pending.answer.set_result(verdict)
