"""Parse and stage messages from the listener, and decide each one's acknowledgement.

Messages from all connections are parsed in chunks and committed in groups (see
:class:`Intake` for when a group is committed): one transaction per group instead of one
per message, and still no answer before the commit. A group that fails is retried message
by message, so one bad row cannot take its neighbours' answers down.
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
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from typing import Protocol

import psycopg

from intakeflow.errors import E
from intakeflow.mllp.ack import AckCode, AckError
from intakeflow.mllp.staging import KeptConnectionStore
from intakeflow.results import Filtered, InboundMessage, Quarantined, SourceItem
from intakeflow.sources.filters import DEFAULT_HL7_FILTERS, FilterRule
from intakeflow.sources.hl7_parse import parse_hl7, validation_mode
from intakeflow.store import Store
from intakeflow.store.staged import StageCounts

log = logging.getLogger("intakeflow.mllp")

#: staging source name of the live feed; ``mllp:<name>`` tells several listeners apart
MLLP_SOURCE = "mllp"
#: HL7 table 0357 code per quarantine reason of the parser
_QUARANTINE_HL7_CODE = {"E020": "102", "E021": "100", "E022": "101", "E024": "100"}


class StagingArea(Protocol):
    def stage(self, items: Iterable[SourceItem], run_id: str) -> StageCounts: ...


#: payload, source name, filters -> item; module level, so that it can be sent to the workers
ParseFunction = Callable[[bytes, str, Sequence[FilterRule]], SourceItem]


@dataclass(frozen=True)
class Verdict:
    """The answer to one message: AA only once it is committed."""

    code: AckCode
    error: AckError | None = None


@dataclass
class _Pending:
    payload: bytes
    conn: int
    answer: asyncio.Future[Verdict]
    note: Mapping[str, str] | None = None
    item: SourceItem | None = None


class Intake:
    """Parse with :func:`parse_hl7` (source renamed to ``source``; in ``parse_workers``
    processes, else in a thread: hl7apy parsing is CPU-bound and would hold the event
    loop's GIL) and stage with ``store.stage`` in a thread, answering:

    * AA: committed (a resent control id is committed once and answered AA again);
    * AE: the parser quarantined it (committed to the quarantine table), with ERR;
    * AR: it could not be committed (database down, ...): the sender should resend.

    Throughput comes from doing per group what would otherwise be done per message:

    * parsing: messages that arrived together go to the workers as a few chunks (one per
      worker), not one inter-process round trip each;
    * committing: one transaction (one COPY) per group. A group is committed when it holds
      ``max_batch`` messages, when every connection that took part in the previous group
      has its next message in it (a sender waits for its ACK, so nothing more can come from
      it), or ``max_wait`` seconds after its first message, whichever is first;
    * a :class:`~intakeflow.store.Store` is used over one kept connection
      (:class:`~intakeflow.mllp.staging.KeptConnectionStore`).
    """

    def __init__(
        self,
        store: StagingArea,
        *,
        source: str = MLLP_SOURCE,
        run_id: str = "mllp-listen",
        max_batch: int = 200,
        max_wait: float = 0.005,
        parse_workers: int = 0,
        filters: Sequence[FilterRule] = DEFAULT_HL7_FILTERS,
        parse: ParseFunction | None = None,
    ) -> None:
        validation_mode()  # a bad INTAKEFLOW_HL7_VALIDATION stops the listener now (E050), not each message
        self.store: StagingArea = KeptConnectionStore(store) if isinstance(store, Store) else store
        #: which messages without text are filtered (answered AA, recorded as filtered)
        self.filters = tuple(filters)
        self.parse_workers = max(0, parse_workers)
        #: the parser, run in the workers; a module-level function (it is pickled)
        self.parse: ParseFunction = parse or parse_message
        self.source = source
        self.run_id = run_id
        self.max_batch = max(1, max_batch)
        self.max_wait = max(0.0, max_wait)
        self.counts: Counter[str] = Counter()
        self._pool: ProcessPoolExecutor | None = None
        self._committer: ThreadPoolExecutor | None = None
        self._unparsed: list[_Pending] = []
        self._in_parse = 0
        self._parsed: list[_Pending] = []
        self._open: set[int] = set()
        self._last_group: set[int] = set()
        self._parse_wakeup = asyncio.Event()
        self._commit_wakeup = asyncio.Event()
        self._parsing: set[asyncio.Task[None]] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False

    @property
    def queued(self) -> int:
        """Parsed messages waiting for their commit."""
        return len(self._parsed)

    def connection_opened(self, conn: int) -> None:
        self._open.add(conn)

    def connection_closed(self, conn: int) -> None:
        self._open.discard(conn)
        self._commit_wakeup.set()  # the group may be waiting for this connection

    async def start(self) -> None:
        if self._tasks:
            return
        self._stopping = False
        self._committer = ThreadPoolExecutor(1, thread_name_prefix="mllp-commit")
        if self.parse_workers and self._pool is None:
            self._pool = self._new_pool()
            loop = asyncio.get_running_loop()
            warm = ([b"MSH|^~\\&|"], self.source, self.filters, self.parse)
            await asyncio.gather(*(loop.run_in_executor(self._pool, parse_batch, *warm)
                                   for _ in range(self.parse_workers)))  # start the workers before traffic
        self._tasks = [asyncio.create_task(self._parse_loop(), name="mllp-intake-parser"),
                       asyncio.create_task(self._write_loop(), name="mllp-intake-writer")]

    def _new_pool(self) -> ProcessPoolExecutor:
        # spawn: the listener has threads, and a forked child would inherit their locks
        return ProcessPoolExecutor(
            self.parse_workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=die_with_parent, initargs=(os.getpid(),),
        )

    async def close(self) -> None:
        """Parse and commit what was submitted, then stop."""
        self._stopping = True
        self._parse_wakeup.set()
        self._commit_wakeup.set()
        if self._tasks:
            await asyncio.gather(*self._tasks)
            self._tasks = []
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._committer is not None:
            closing = getattr(self.store, "close", None)
            if callable(closing):
                await asyncio.get_running_loop().run_in_executor(self._committer, closing)
            self._committer.shutdown(wait=True)
            self._committer = None

    async def submit(self, payload: bytes, *, conn: int = 0, note: Mapping[str, str] | None = None) -> Verdict:
        """Stage one message (``conn``: the connection it came on; ``note``: facts added to
        the item's meta) and return its answer once its group is committed."""
        if self._stopping or not self._tasks or any(t.done() for t in self._tasks):
            return _not_stored("listener stopping")
        pending = _Pending(payload, conn, asyncio.get_running_loop().create_future(), note)
        self._unparsed.append(pending)
        self._in_parse += 1
        self._parse_wakeup.set()
        return await pending.answer

    # -- parsing ------------------------------------------------------------------------------

    async def _parse_loop(self) -> None:
        while True:
            await self._parse_wakeup.wait()
            self._parse_wakeup.clear()
            if self._unparsed:
                waiting, self._unparsed = self._unparsed, []
                parts = max(1, min(len(waiting), self.parse_workers))
                size = -(-len(waiting) // parts)
                for i in range(0, len(waiting), size):
                    task = asyncio.create_task(self._parse_chunk(waiting[i : i + size]))
                    self._parsing.add(task)
                    task.add_done_callback(self._parsing.discard)
            elif self._stopping:
                if self._parsing:
                    await asyncio.gather(*self._parsing)
                    continue
                return

    async def _parse_chunk(self, chunk: list[_Pending]) -> None:
        loop = asyncio.get_running_loop()
        payloads = [p.payload for p in chunk]
        items: list[SourceItem] | None = None
        try:
            items = await loop.run_in_executor(self._pool, parse_batch, payloads, self.source, self.filters, self.parse)
        except BrokenProcessPool:  # a worker died (killed, out of memory): a new pool, the sender resends
            kind = "BrokenProcessPool"
            log.warning("parse worker died; %d messages answered AR, workers restarted", len(chunk))
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._new_pool()
        except Exception as exc:  # noqa: BLE001 - e.g. a result that cannot be pickled: never leave a sender waiting
            kind = type(exc).__name__
            log.warning("parsing %d messages failed (%s); answered AR", len(chunk), kind)
        finally:
            self._in_parse -= len(chunk)
        if items is None:
            self.counts["not_stored"] += len(chunk)
            for p in chunk:
                _answer(p, _not_stored(kind))
        else:
            for p, item in zip(chunk, items):
                p.item = replace(item, meta={**item.meta, **p.note}) if p.note else item
            self._parsed.extend(chunk)
        self._commit_wakeup.set()
        if self._stopping:
            self._parse_wakeup.set()

    # -- committing ---------------------------------------------------------------------------

    def _parsing_now(self) -> bool:
        return bool(self._in_parse or self._unparsed)

    def _group_complete(self) -> bool:
        """Nothing more can join this group soon: no message is being parsed, and every
        connection of the previous group that is still open has its next message here."""
        if self._parsing_now():
            return False
        here = {p.conn for p in self._parsed}
        return (self._last_group & self._open) <= here

    async def _write_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._commit_wakeup.wait()
            self._commit_wakeup.clear()
            if not self._parsed:
                if self._stopping and not (self._parsing_now() or self._parsing):
                    return
                continue
            # a fuller group for at most max_wait: when parsing is slower than that (hl7apy),
            # committing what is parsed keeps the commits overlapping with the parsing
            deadline = loop.time() + self.max_wait
            while len(self._parsed) < self.max_batch and not self._stopping and not self._group_complete():
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                self._commit_wakeup.clear()
                try:
                    async with asyncio.timeout(remaining):
                        await self._commit_wakeup.wait()
                except TimeoutError:
                    break
            batch, self._parsed = self._parsed[: self.max_batch], self._parsed[self.max_batch :]
            self._last_group = {p.conn for p in batch}
            await self._commit(batch)
            self._commit_wakeup.set()  # look again: messages may have come during the commit

    async def _stage(self, items: list[SourceItem]) -> StageCounts:
        return await asyncio.get_running_loop().run_in_executor(self._committer, self.store.stage, items, self.run_id)

    async def _commit(self, batch: list[_Pending]) -> None:
        try:
            counts = await self._stage([_item(p) for p in batch])
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
                           filtered=counts.filtered, commits=1)
        for p in batch:
            _answer(p, _verdict_for(_item(p)))

    async def _quarantine_rejected(self, pending: _Pending, kind: str) -> bool:
        """The database is up but refused this one message: keep a quarantine record and
        answer AE, so that one poison message never stalls an in-order sender with AR."""
        item = _item(pending)
        record = Quarantined(item.source, item.source_id, "E113", E.E113_MLLP_STORE_REJECTED.format(kind=kind))
        try:
            await self._stage([record])
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
        return _internal_error(payload, source, exc)
    return replace(parsed, source=source)


def parse_batch(
    payloads: Sequence[bytes], source: str, filters: Sequence[FilterRule], parse: ParseFunction = parse_message
) -> list[SourceItem]:
    """``parse`` over a chunk of messages (one call to a worker); never raises for a message."""
    out: list[SourceItem] = []
    for payload in payloads:
        try:
            out.append(parse(payload, source, filters))
        except Exception as exc:  # noqa: BLE001 - a parser bug must not cost the message its answer
            out.append(_internal_error(payload, source, exc))
    return out


def _internal_error(payload: bytes, source: str, exc: Exception) -> Quarantined:
    digest = hashlib.sha256(payload).hexdigest()[:16]
    return Quarantined(source, f"{source}|sha256:{digest}", "E007", E.E007_INTERNAL.format(kind=type(exc).__name__))


def _item(pending: _Pending) -> SourceItem:
    assert pending.item is not None, "committed before parsed"
    return pending.item


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
