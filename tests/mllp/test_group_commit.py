"""Throughput machinery of the listener, over real MLLP and PostgreSQL: commit groups fill
up with lockstep senders without holding a lone sender, the store connection is kept
across commits (and replaced when the server drops it), parsing goes to the workers in
chunks and survives a worker's death."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable

import psycopg
from mllp_peer import FACILITY, ListenerThread, Peer, message, parse_or_die_for_test, rows_by_source_id

from intakeflow.mllp.staging import KeptConnectionStore
from intakeflow.results import SourceItem
from intakeflow.store import Store
from intakeflow.store.staged import StageCounts


def key(control_id: str) -> str:
    return f"{FACILITY}|{control_id}"


class GroupSizes:
    """The listener's store (on its kept connection), noting the size of every commit."""

    def __init__(self, store: Store) -> None:
        self.kept = KeptConnectionStore(store)
        self.sizes: list[int] = []

    def stage(self, items: Iterable[SourceItem], run_id: str) -> StageCounts:
        batch = list(items)
        self.sizes.append(len(batch))
        return self.kept.stage(batch, run_id)

    def close(self) -> None:
        self.kept.close()


def send_in_threads(port: int, clients: int, per_client: int, prefix: str) -> dict[str, str]:
    codes: dict[str, str] = {}
    failures: list[BaseException] = []

    def run(c: int) -> None:
        try:
            with Peer(port) as peer:
                for i in range(per_client):
                    cid = f"{prefix}{c}-{i}"
                    codes[cid] = peer.send(message(cid)).code
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not failures
    return codes


def test_lockstep_senders_share_commits_without_waiting_out_max_wait(store: Store, pg_dsn: str,
                                                                      store_schema: str) -> None:
    # max_wait is long on purpose: a group must end because every sender of the previous
    # group is in it, not because the wait ran out (else 15 rounds would take 15 s and more)
    sizes = GroupSizes(store)
    with ListenerThread(sizes, parse_workers=2, intake={"max_wait": 1.0}) as running:
        started = time.monotonic()
        codes = send_in_threads(running.port, 8, 15, "G")
        elapsed = time.monotonic() - started
    assert set(codes.values()) == {"AA"} and len(codes) == 120
    assert rows_by_source_id(pg_dsn, store_schema) == {key(cid): 1 for cid in codes}
    assert sum(sizes.sizes) == 120
    assert max(sizes.sizes) == 8 and len(sizes.sizes) <= 40, Counter(sizes.sizes)
    assert elapsed < 10, f"{elapsed:.1f}s: groups waited for senders that had nothing to send"


def test_a_lone_sender_is_not_held_for_max_wait(store: Store) -> None:
    sizes = GroupSizes(store)
    with ListenerThread(sizes, intake={"max_wait": 2.0}) as running, Peer(running.port) as peer:
        started = time.monotonic()
        answers = [peer.send(message(f"LONE-{i}")).code for i in range(5)]
        elapsed = time.monotonic() - started
    assert answers == ["AA"] * 5 and sizes.sizes == [1] * 5
    assert elapsed < 2.0


def test_the_store_connection_is_kept_and_replaced_when_lost(pg_dsn: str, store_schema: str) -> None:
    app = f"mllp-kept-{uuid.uuid4().hex[:8]}"
    store = Store(f"{pg_dsn}?application_name={app}", store_schema, "test-model@1")
    store.migrate()
    with ListenerThread(store) as running, Peer(running.port) as peer:
        assert running.server is not None
        kept = running.server.intake.store
        assert isinstance(kept, KeptConnectionStore)
        assert [peer.send(message(f"KEPT-{i}")).code for i in range(20)] == ["AA"] * 20
        assert kept.connects == 1
        with psycopg.connect(pg_dsn, autocommit=True) as conn:  # the server drops the idle connection
            ended = conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
                                 (app,)).fetchall()
        assert ended == [(True,)]
        assert peer.send(message("KEPT-AFTER")).code == "AA"  # not AR: a new connection, the same commit
        assert kept.connects == 2
    assert rows_by_source_id(pg_dsn, store_schema) == {key(f"KEPT-{i}"): 1 for i in range(20)} | {key("KEPT-AFTER"): 1}


def test_a_parse_failure_costs_only_its_chunk(store: Store, pg_dsn: str, store_schema: str) -> None:
    with (ListenerThread(store, parse_workers=1, intake={"parse": parse_or_die_for_test}) as running,
          Peer(running.port, timeout=60) as peer):
        dead = peer.send(message("DIE-1", "KILL-WORKER"))
        after = peer.send(message("LIVE-1"))
        odd = peer.send(message("ODD-1", "UNPICKLABLE"))
        last = peer.send(message("LIVE-2"))
    assert (dead.code, dead.ack_of, dead.err5) == ("AR", "DIE-1", "E112")  # not stored: the sender resends
    assert (after.code, after.ack_of) == ("AA", "LIVE-1")  # a new worker took over
    assert (odd.code, odd.ack_of, odd.err5) == ("AR", "ODD-1", "E112")
    assert (last.code, last.ack_of) == ("AA", "LIVE-2")
    assert rows_by_source_id(pg_dsn, store_schema) == {key("LIVE-1"): 1, key("LIVE-2"): 1}
