"""Bulk Data ``$export`` into the store against the local peer (SMART auth on every call):
10,000 Communications in several NDJSON files staged exactly once across a kill
mid-download and a re-run (resumed by HTTP Range, or by line count where the server serves
no ranges), a connection broken mid-file, an incremental ``_since`` run, group and patient
kick-offs, error-file lines quarantined with E039, and the job DELETEd at the end."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg import sql

from intakeflow.bulk_export import BulkExporter, ExportCounts, outcome_items
from intakeflow.errors import IntakeflowError
from intakeflow.fhir_auth import OAuthSettings, TokenSource
from intakeflow.sources.fhir_bulk import ExportRequest, FileProgress, FileStream, Manifest, format_instant
from intakeflow.sources.fhir_client import FhirAuth, FhirClient
from intakeflow.store import Store
from intakeflow.store.pg_bulk import BulkExportLog
from tests.fhir_peer import PeerConfig, PeerServer, communication, communications

TOTAL = 10_000
FILE_SIZE = 2_500  # -> four Communication files
ERROR_LINES = 3


class Killed(BaseException):
    """Stands in for SIGKILL inside the process: nothing after it runs, no handler sees it."""


@pytest.fixture
def client(peer: PeerServer, smart_settings: OAuthSettings) -> Iterator[FhirClient]:
    tokens = TokenSource(smart_settings, peer.base_url)
    with FhirClient(peer.base_url, FhirAuth("smart", tokens=tokens)) as c:
        yield c


def exporter(client: FhirClient, store: Store, **kw: Any) -> BulkExporter:
    kw.setdefault("lines_per_batch", 500)
    return BulkExporter(client, store, sleep=lambda s: None, **kw)


def staged_ids(store: Store) -> list[str]:
    with store.connect() as conn:
        rows = conn.execute(sql.SQL("SELECT source_id FROM {}.messages ORDER BY source_id").format(
            sql.Identifier(store.schema))).fetchall()
    return [r["source_id"] for r in rows]


def quarantine_rows(store: Store) -> list[dict[str, Any]]:
    with store.connect() as conn:
        return conn.execute(sql.SQL("SELECT source_id, reason_code, reason, meta FROM {}.quarantine ORDER BY source_id")
                            .format(sql.Identifier(store.schema))).fetchall()


def expected_ids(n: int, start: int = 0) -> list[str]:
    return [f"c{i:06d}" for i in range(start, start + n)]


def kill_after(lines: int) -> Any:
    def on_batch(counts: ExportCounts) -> None:
        if counts.lines >= lines:
            raise Killed

    return on_batch


# -- 10,000 Communications, killed mid-download, re-run -----------------------------------------


@pytest.mark.parametrize("peer_config", [
    PeerConfig(file_size=FILE_SIZE, error_lines=ERROR_LINES, polls_before_ready=2),
    PeerConfig(file_size=FILE_SIZE, error_lines=ERROR_LINES, polls_before_ready=2, ranges=False),
], ids=["range", "line-count"])
@pytest.mark.parametrize("kill", ["after-checkpoint", "before-checkpoint"])
def test_ten_thousand_staged_exactly_once_across_a_kill_and_a_rerun(
    peer: PeerServer, client: FhirClient, store: Store, kill: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    peer.peer.add(communications(TOTAL))
    first = exporter(client, store)
    if kill == "after-checkpoint":
        first.on_batch = kill_after(3_500)  # inside the second file, its first 1,000 lines checkpointed
    else:
        # the worst moment: the batch is committed in the store, its checkpoint is not written
        real = first.exports.checkpoint
        calls = {"n": 0}

        def checkpoint_then_die(job: Any, url: str, progress: dict[str, Any]) -> None:
            calls["n"] += 1
            if calls["n"] == 8:  # 5 batches + done of file 1, then 2 batches of file 2 are checkpointed
                raise Killed
            real(job, url, progress)

        monkeypatch.setattr(first.exports, "checkpoint", checkpoint_then_die)
    with pytest.raises(Killed):
        first.run()
    partial = len(staged_ids(store))
    assert 2_500 < partial < TOTAL
    job = BulkExportLog(store).open_job("fhir", ExportRequest().key)
    assert job is not None and job.state == "downloading" and not job.deleted
    assert peer.peer.deleted_jobs == [] and len(peer.peer.kickoffs) == 1

    second = exporter(client, store).run()  # a fresh process would do the same: all state is in the store

    ids = staged_ids(store)
    assert ids == expected_ids(TOTAL), "every Communication once, none missing"
    assert partial + second.staged == TOTAL, "each one staged (counted new) exactly once across both runs"
    assert second.duplicates == (0 if kill == "after-checkpoint" else 500), "at most the one uncheckpointed batch"
    assert len(peer.peer.kickoffs) == 1, "the re-run resumed the export instead of starting another"
    assert second.files == 5 and second.resumed_files == 1 and second.outcome_lines == ERROR_LINES
    file_two = [d for d in peer.peer.downloads if d[0] == "Communication-2.ndjson"]
    if peer.peer.config.ranges:
        assert file_two[-1][1] > 0 and file_two[-1][2] == 206, "resumed by HTTP Range"
    else:
        assert file_two[-1] == ("Communication-2.ndjson", 0, 200), "resumed by skipping the staged lines"
    assert [d[0] for d in peer.peer.downloads].count("Communication-1.ndjson") == 1, "a finished file is not fetched again"
    # the error file's OperationOutcome lines: quarantined with their code, once
    outcomes = [r for r in quarantine_rows(store) if r["reason_code"] == "E039"]
    assert len(outcomes) == ERROR_LINES
    assert all("processing" in r["reason"] and "serialised" not in r["reason"] for r in outcomes)
    # complete, watermark kept, job deleted at the server
    assert second.deleted and len(peer.peer.deleted_jobs) == 1 and not peer.peer.jobs
    log = BulkExportLog(store)
    done = log.get(second.job_id)  # type: ignore[arg-type]
    assert done is not None and done.state == "complete"
    lines = sorted((url.rsplit("/", 1)[-1], p["lines"], p["done"]) for url, p in done.files.items())
    assert lines == [*((f"Communication-{n}.ndjson", FILE_SIZE, True) for n in range(1, 5)),
                     ("errors.ndjson", ERROR_LINES, True)], "the checkpoints end at each file's last line"
    assert log.open_job("fhir", ExportRequest().key) is None
    assert log.watermark("fhir", ExportRequest().key) is not None
    assert format_instant(log.watermark("fhir", ExportRequest().key)) == second.transaction_time  # type: ignore[arg-type]


@pytest.mark.parametrize("peer_config", [PeerConfig(file_size=400, break_file="-2.", break_after_bytes=30_000)])
def test_a_connection_broken_mid_file_resumes_in_the_same_run(peer: PeerServer, client: FhirClient, store: Store) -> None:
    peer.peer.add(communications(1_000))
    counts = exporter(client, store, lines_per_batch=50).run()
    assert counts.staged == 1_000 and counts.duplicates == 0 and counts.resumed_files == 1
    assert staged_ids(store) == expected_ids(1_000)
    resumed = [d for d in peer.peer.downloads if d[0] == "Communication-2.ndjson"]
    assert len(resumed) == 2 and resumed[1][1] > 0 and resumed[1][2] == 206


# -- incremental --------------------------------------------------------------------------------


def test_incremental_run_picks_up_only_new_resources(peer: PeerServer, client: FhirClient, store: Store) -> None:
    peer.peer.add(communications(300))
    first = exporter(client, store).run()
    assert first.staged == 300 and first.since is None
    assert "_since" not in peer.peer.kickoffs[0]

    now = datetime.now(UTC) + timedelta(milliseconds=5)
    peer.peer.add(communications(25, start=300, last_updated=now))
    peer.peer.add([communication(7, last_updated=now, version=2)])  # an old one, updated since
    second = exporter(client, store).run()

    assert peer.peer.kickoffs[1]["_since"] == [first.transaction_time], "_since = the last transactionTime"
    assert second.since == first.transaction_time
    assert second.lines == 26, "only what changed since was exported"
    assert second.staged == 25 and second.duplicates == 1  # the update of c000007 keeps its staged row
    assert staged_ids(store) == expected_ids(325)
    third = exporter(client, store).run()
    assert third.lines == 0 and third.staged == 0 and third.since == second.transaction_time


def test_an_explicit_since_wins_over_the_watermark(peer: PeerServer, client: FhirClient, store: Store) -> None:
    peer.peer.add(communications(10))
    exporter(client, store).run()
    since = datetime(2026, 1, 5, 8, 0, 5, tzinfo=UTC)  # after c000000..c000005
    counts = exporter(client, store, request=ExportRequest(since=since)).run()
    assert peer.peer.kickoffs[-1]["_since"] == ["2026-01-05T08:00:05.000Z"] and counts.lines == 4


# -- levels, statuses, expiry -------------------------------------------------------------------


def test_group_and_patient_level_exports(peer: PeerServer, client: FhirClient, store: Store) -> None:
    peer.peer.add(communications(200))
    peer.peer.groups["g1"] = ["p1", "p2"]
    group = exporter(client, store, request=ExportRequest(level="group", group_id="g1"), source="fhir:g1").run()
    assert peer.peer.kickoffs[-1] == {"_type": ["Communication"]}
    members = [f"c{i:06d}" for i in range(200) if i % 97 in (1, 2)]
    assert group.staged == len(members) == 6
    patient = exporter(client, store, request=ExportRequest(level="patient"), source="fhir:all").run()
    assert patient.staged == 200
    log = BulkExportLog(store)
    assert log.watermark("fhir:g1", ExportRequest(level="group", group_id="g1").key) is not None
    assert log.watermark("fhir:g1", ExportRequest().key) is None, "each source and key keeps its own watermark"


def test_other_statuses_are_filtered_as_in_stage_fhir(peer: PeerServer, client: FhirClient, store: Store) -> None:
    resources = list(communications(10))
    for r in resources[:3]:
        r["status"] = "in-progress"
    peer.peer.add(resources)
    counts = exporter(client, store).run()
    assert (counts.staged, counts.filtered) == (7, 3)
    everything = exporter(client, store, request=ExportRequest(since=datetime(2020, 1, 1, tzinfo=UTC)), statuses=None)
    assert everything.run().staged == 3


def test_an_export_the_server_forgot_is_started_again(peer: PeerServer, client: FhirClient, store: Store) -> None:
    peer.peer.add(communications(50))
    first = exporter(client, store)
    job = first.begin()
    peer.peer.jobs.clear()  # expired at the server before the manifest was read
    counts = exporter(client, store).run()
    assert counts.staged == 50 and len(peer.peer.kickoffs) == 2
    assert BulkExportLog(store).get(job.id).state == "expired"  # type: ignore[union-attr]


def test_kick_off_refused_is_coded(peer: PeerServer, client: FhirClient, store: Store) -> None:
    with pytest.raises(IntakeflowError) as refused:
        exporter(client, store, request=ExportRequest(level="group", group_id="nope")).run()
    assert refused.value.code_id == "E030" and "404" in str(refused.value)


@pytest.mark.parametrize(("kw", "why"), [
    ({"level": "group"}, "group id"), ({"group_id": "g"}, "group id"), ({"types": ()}, "types"),
    ({"types": ("Communication?x=1",)}, "types"), ({"level": "all"}, "level"),
])
def test_export_request_checks(kw: dict[str, Any], why: str) -> None:
    with pytest.raises(IntakeflowError, match=why):
        ExportRequest(**kw)


# -- pieces -------------------------------------------------------------------------------------


class FakeResponse:
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    def iter_bytes(self) -> Iterator[bytes]:
        yield from self.chunks


def test_file_stream_lines_offsets_and_skips() -> None:
    data = [b'{"a":1}\r\n{"b"', b':2}\n\n{"c":3}']
    stream = FileStream(FakeResponse(data), 1, 0, 0, True, "no")  # type: ignore[arg-type]
    assert list(stream.lines()) == [(b'{"a":1}', 1, 9), (b'{"b":2}', 2, 17), (b"", 3, 18), (b'{"c":3}', 4, 25)]
    skipped = FileStream(FakeResponse(data), 1, 0, 2, True, "lines")  # type: ignore[arg-type]
    assert list(skipped.lines()) == [(b"", 3, 18), (b'{"c":3}', 4, 25)]
    ranged = FileStream(FakeResponse([b'{"c":3}\n']), 4, 18, 0, True, "range")  # type: ignore[arg-type]
    assert list(ranged.lines()) == [(b'{"c":3}', 4, 26)]
    assert FileProgress.of({"lines": 3, "bytes": 9, "ranged": True}).as_dict() == {
        "lines": 3, "bytes": 9, "ranged": True, "done": False}


def test_outcome_lines_keep_codes_not_diagnostics() -> None:
    lines = [b'{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"too-costly","diagnostics":"Jane"}]}',
             b"not json", b'{"resourceType":"Patient"}', b""]
    items = list(outcome_items(lines, "bulk-export-1/err.ndjson", "fhir"))
    assert [(i.source_id, i.reason_code) for i in items] == [
        ("file:bulk-export-1/err.ndjson#line1", "E039"), ("file:bulk-export-1/err.ndjson#line2", "E006"),
        ("file:bulk-export-1/err.ndjson#line3", "E031")]
    assert "too-costly" in items[0].reason and "Jane" not in items[0].reason + str(items[0].meta)


def test_manifest_parse_rejects_bad_answers() -> None:
    good = Manifest.parse({"transactionTime": "2026-01-01T00:00:00Z", "request": "x", "requiresAccessToken": True,
                           "output": [{"type": "Communication", "url": "http://x/f1", "count": 3}], "error": []})
    assert good.output[0].count == 3 and good.transaction_time.tzinfo is not None
    bad: Any
    for bad in ([], {"output": []}, {"transactionTime": "2026-01-01T00:00:00Z", "output": {}},
                {"transactionTime": "2026-01-01T00:00:00Z", "output": [{"type": "x"}]},
                {"transactionTime": "yesterday"}):
        with pytest.raises(IntakeflowError, match="E036"):
            Manifest.parse(bad)


def test_migration_adds_the_export_table(store: Store, pg_dsn: str) -> None:
    with psycopg.connect(pg_dsn) as conn:
        row = conn.execute("SELECT to_regclass(%s)", [f'"{store.schema}".bulk_exports']).fetchone()
    assert row is not None and row[0] is not None


@pytest.mark.parametrize("peer_config", [PeerConfig(file_size=500)])
def test_killed_between_the_last_batch_and_the_done_mark(
    peer: PeerServer, client: FhirClient, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every line of file 1 staged and checkpointed, its done mark not written: the resumed
    Range request is past the end (416), which means the file is complete."""
    peer.peer.add(communications(1_000))
    first = exporter(client, store, lines_per_batch=250)
    real = first.exports.checkpoint
    calls = {"n": 0}

    def die_at_the_done_mark(job: Any, url: str, progress: dict[str, Any]) -> None:
        calls["n"] += 1
        if calls["n"] == 3:  # two batches of file 1, then its done mark
            raise Killed
        real(job, url, progress)

    monkeypatch.setattr(first.exports, "checkpoint", die_at_the_done_mark)
    with pytest.raises(Killed):
        first.run()
    second = exporter(client, store, lines_per_batch=250).run()
    assert (second.staged, second.duplicates, second.resumed_files) == (500, 0, 1)
    assert staged_ids(store) == expected_ids(1_000)
    assert [d[0] for d in peer.peer.downloads].count("Communication-1.ndjson") == 1  # the 416 is not a download


def test_credentials_never_travel_to_another_server(peer: PeerServer, client: FhirClient) -> None:
    """A file on another origin is fetched only when the manifest says it needs no token,
    and then without the Authorization header."""
    from intakeflow.sources.fhir_bulk import kick_off, open_file, poll

    peer.peer.add(communications(5))
    status_url = kick_off(client, ExportRequest(), None)
    while not (status := poll(client, status_url)).done:
        pass
    assert status.manifest is not None
    url = status.manifest.output[0].url
    elsewhere = url.replace("127.0.0.1", "localhost")  # same peer, another origin
    with pytest.raises(IntakeflowError, match="another server"), open_file(
            client, elsewhere, FileProgress(), requires_token=True):
        pass
    with pytest.raises(IntakeflowError) as refused, open_file(client, elsewhere, FileProgress(), requires_token=False):
        pass
    assert "401" in str(refused.value)  # the peer wants a token: none was sent
    with open_file(client, url, FileProgress(), requires_token=True) as stream:
        assert len(list(stream.lines())) == 5
