"""Chaos: FHIR write-back through a proxy that answers 5xx and 429 storms, hangs past the
client's timeout, and (the hard case) lets the server commit a transaction but loses the
answer. Write-back passes repeat (as task retries do) until nothing is pending; afterwards
every message has exactly one resource of each kind on the server (counted by the
identifiers this project puts on them), and no failed fhir_writes row is left. Run with one
message per transaction Bundle and with several (a lost answer then covers many messages)."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from psycopg import sql

from intakeflow.embedded.fhir_server import EmbeddedFhirServer
from intakeflow.results import InboundMessage, PipelineResult
from intakeflow.sources.fhir_client import FhirClient, RetryPolicy
from intakeflow.store.pg_store import Store
from intakeflow.store.staged import StagedMessage
from intakeflow.writeback import resources as fr
from intakeflow.writeback.writer import FhirWriter, deliver_pending

pytestmark = [pytest.mark.integration, pytest.mark.slow]
pytest.importorskip("sekmet")

COUNT = 24
CLIENT_TIMEOUT = 1.0
#: what the proxy does with a request, and how often (seeded: the same storm every run)
FAULTS = {"pass": 45, "503": 15, "500": 5, "429": 10, "hang": 8, "commit_then_502": 10, "commit_then_hang": 7}


class ChaosProxy:
    """Forwards to ``upstream``; each request meets a fault drawn from FAULTS. ``metadata``
    and searches (GET) pass untouched so the test itself can count resources."""

    def __init__(self, upstream: str, seed: int = 11) -> None:
        self.upstream = upstream.rstrip("/")
        self.rng = random.Random(seed)
        self.seen: Counter[str] = Counter()
        self.storm = True
        self.lock = threading.Lock()
        proxy = self
        names, weights = list(FAULTS), list(FAULTS.values())

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> tuple[int, bytes, dict[str, str]]:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = self.path.split("/fhir", 1)[1] if "/fhir" in self.path else self.path
                headers = {k: v for k, v in self.headers.items() if k.lower() in ("content-type", "accept", "if-match")}
                r = httpx.request(self.command, proxy.upstream + path, content=body, headers=headers, timeout=30)
                return r.status_code, r.content, {"Content-Type": r.headers.get("Content-Type", "application/fhir+json")}

            def _reply(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _hang(self) -> None:
                time.sleep(CLIENT_TIMEOUT * 1.5)  # past the client's timeout, then drop the socket
                self.close_connection = True

            def _serve(self) -> None:
                fault = "pass"
                if proxy.storm and self.command != "GET":
                    with proxy.lock:
                        fault = proxy.rng.choices(names, weights)[0]
                elif proxy.storm and "/Communication/" in self.path:  # reads of a source Communication
                    fault = proxy.rng.choice(["pass", "pass", "503", "hang"])
                proxy.seen[fault] += 1
                if fault in ("503", "500"):
                    self._drain()
                    self._reply(int(fault), b'{"resourceType":"OperationOutcome"}', {"Content-Type": "application/fhir+json"})
                elif fault == "429":
                    self._drain()
                    self._reply(429, b"{}", {"Retry-After": "0", "Content-Type": "application/fhir+json"})
                elif fault == "hang":
                    self._drain()
                    self._hang()
                elif fault == "commit_then_502":
                    self._forward()  # the server commits; the client never hears of it
                    self._reply(502, b"bad gateway", {"Content-Type": "text/plain"})
                elif fault == "commit_then_hang":
                    self._forward()
                    self._hang()
                else:
                    self._reply(*self._forward())

            def _drain(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)

            do_GET = _serve
            do_POST = _serve
            do_PUT = _serve

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}/fhir"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> ChaosProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="module")
def sekmet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with EmbeddedFhirServer(Path(tmp_path_factory.mktemp("sekmet-chaos"))) as server:
        yield server.base_url


def _result(staged: StagedMessage) -> PipelineResult:
    return PipelineResult(
        id=str(staged.id), intent="billing_inquiry", intent_confidence=0.8, needs_review=False, queue="billing",
        redacted_text="[NAME] asks about a bill", pipeline_version=staged.pipeline_version,
        insurance_json={"CARRIER": ["Acme Health"], "MEMBER_ID": ["ZZ0042"]},
    )


def _by_key(base: str, rtype: str, system: str | None, keys: set[str]) -> Counter[str]:
    """How many resources of ``rtype`` carry each of ``keys`` (identifier or tag)."""
    out: Counter[str] = Counter()
    with FhirClient(base) as client:
        for res in client.search(rtype, [("_count", "200")]):
            values = [i.get("value") for i in res.get("identifier", []) if i.get("system") == system] if system else \
                [t.get("code") for t in (res.get("meta") or {}).get("tag", []) if t.get("system") == fr.KEY_TAG_SYSTEM]
            for v in values:
                if str(v) in keys:
                    out[str(v)] += 1
    return out


@pytest.mark.parametrize(("bundle_size", "count"), [(1, COUNT), (4, 3 * COUNT)])
def test_writeback_storm_loses_and_duplicates_nothing(sekmet: str, store: Store, bundle_size: int,
                                                      count: int) -> None:
    now = datetime.now(UTC)
    store.stage([InboundMessage("hl7v2", f"STORM{bundle_size}|{i}", f"synthetic note {i}", "hl7_note",
                                f"STORM|P{i}", now) for i in range(count)], "run-storm")
    claimed = store.claim(count, "run-storm:t")
    store.save_results([(m, _result(m)) for m in claimed])
    keys = {fr.idempotency_key(m) for m in claimed}
    assert len(keys) == count

    retry = RetryPolicy(max_attempts=3, backoff_base=0.01, max_backoff=0.05)
    passes: list[dict[str, int]] = []
    with ChaosProxy(sekmet) as proxy, FhirClient(proxy.base_url, timeout=CLIENT_TIMEOUT, retry=retry) as client:
        writer = FhirWriter(client, bundle_size=bundle_size)
        while store.counts()["processed"] and len(passes) < 30:  # each pass is a task (re)try
            # one Bundle at a time: the proxy draws its faults in request order, the same every run
            passes.append(deliver_pending(store, writer, limit=count, workers=1))
        storm = dict(proxy.seen)

    failed_attempts = sum(p["failed"] for p in passes)
    # the storm really hit: every kind of fault happened, and some messages needed another pass
    assert all(storm.get(f, 0) > 0 for f in FAULTS), storm
    assert failed_attempts > 0 and len(passes) > 1, passes
    assert sum(p["quarantined"] for p in passes) == 0
    assert sum(p["delivered"] for p in passes) == count
    counts = store.counts()
    assert (counts["delivered"], counts["processed"]) == (count, 0)

    # on the server: one of each resource per message, none missing, none twice
    expected = Counter({k: 1 for k in keys})
    assert _by_key(sekmet, "Communication", fr.DERIVED_ID_SYSTEM, keys) == expected
    assert _by_key(sekmet, "Task", fr.TASK_ID_SYSTEM, keys) == expected
    assert _by_key(sekmet, "Coverage", fr.COVERAGE_ID_SYSTEM, keys) == expected
    assert _by_key(sekmet, "Provenance", None, keys) == expected

    # every earlier failure was superseded by the later success (issue 11, minor b)
    with psycopg.connect(store.dsn) as conn:
        rows = conn.execute(sql.SQL("SELECT status, count(*) FROM {}.fhir_writes GROUP BY 1").format(
            sql.Identifier(store.schema))).fetchall()
    statuses: dict[str, int] = {str(k): int(n) for k, n in rows}
    assert "failed" not in statuses and sum(statuses.values()) >= 4 * count, statuses
