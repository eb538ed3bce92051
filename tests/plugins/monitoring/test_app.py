from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from fastapi import HTTPException, Request
from fastapi.testclient import TestClient
from page_reader import PageReader, number
from psycopg import sql
from seed_store import DAG_A, DAG_B, MODEL_NAME, MODEL_VERSION, RUN_A, TEXT_MARK, Seeded

from intakeflow.plugins.monitoring.airflow_view import DagSetup, RunState, TaskRun, Wait
from intakeflow.plugins.monitoring.app import create_app, parse_period
from intakeflow.plugins.monitoring.queries import CHANNEL_STATES

pytestmark = pytest.mark.integration

MISSING_ROOT = "/nonexistent/hl7-archive"


def _allow(request: Request) -> None:
    return None


@dataclass
class FakeAirflow:
    """Airflow's records as the plugin's metadata-database view returns them."""

    waiting: list[Wait] = field(default_factory=list)
    runs: dict[tuple[str, str], RunState] = field(default_factory=dict)
    setups: list[DagSetup] = field(default_factory=list)
    broken: bool = False

    def run(self, dag_id: str, run_id: str) -> RunState | None:
        self._check()
        return self.runs.get((dag_id, run_id))

    def waits(self, dag_id: str | None) -> list[Wait]:
        self._check()
        return [w for w in self.waiting if dag_id is None or w.dag_id == dag_id]

    def dags(self) -> list[DagSetup]:
        self._check()
        return self.setups

    def _check(self) -> None:
        if self.broken:
            raise ConnectionError("metadata database down")


SINCE = datetime(2026, 1, 2, 0, 5, tzinfo=UTC)
WAIT = Wait(dag_id=DAG_A, run_id="scheduled__2026-01-01T00:00:00+00:00", task_id="wait_for_files", map_index=-1,
            state="deferred", operator="Hl7ArchiveSensor", since=SINCE, until=SINCE + timedelta(hours=6),
            interval_start=datetime(2026, 1, 1, tzinfo=UTC), interval_end=datetime(2026, 1, 2, tzinfo=UTC),
            rendered={"archive_root": MISSING_ROOT})
RUN_A_TASKS = RunState(DAG_A, RUN_A, "success", tasks=[
    TaskRun("migrate_store", -1, "success", 1, "MigrateStoreOperator"),
    TaskRun("stage_shard", 0, "success", 1, "StageHl7ArchiveOperator"),
    TaskRun("process", -1, "success", 1, "ProcessMessagesOperator",
            datetime(2024, 3, 2, 0, 1, tzinfo=UTC), datetime(2024, 3, 2, 0, 3, tzinfo=UTC)),
    TaskRun("write_back", -1, "skipped", 0, "FhirWriteBackOperator"),
])


def _client(dsn: str, schema: str, *deps: object, airflow: FakeAirflow | None = None) -> TestClient:
    app = create_app(lambda: dsn, [schema, "other_store"], dependencies=deps or (_allow,), airflow=airflow,
                     store_conn_id="intakeflow_postgres", archive_default=MISSING_ROOT)
    return TestClient(app)


def _seeded_client(seeded: Seeded, *deps: object, airflow: FakeAirflow | None = None) -> TestClient:
    return _client(seeded.store.dsn, seeded.store.schema, *deps, airflow=airflow)


# -- first run ----------------------------------------------------------------------------------


@pytest.mark.parametrize("migrated", [False, True], ids=["schema-missing", "schema-empty"])
def test_a_store_without_data_shows_the_first_run_guide(pg_dsn: str, store_schema: str, migrated: bool) -> None:
    if migrated:
        from intakeflow.store.pg_store import Store

        Store(pg_dsn, schema=store_schema, pipeline_version="x@1").migrate()
    airflow = FakeAirflow(waiting=[WAIT], setups=[DagSetup(DAG_A, False, {"archive_root": MISSING_ROOT})])
    client = _client(pg_dsn, store_schema, airflow=airflow)
    resp = client.get("/")
    assert resp.status_code == 200 and "Internal Server Error" not in resp.text
    page = PageReader(resp.text)
    text = page.visible()
    assert "nothing to show yet" in text
    assert ("exists and is empty" if migrated else "does not exist yet") in text
    assert "intakeflow_postgres" in text and "Run hl7_archive_intake first" in text and "archive_root" in text
    # the run the user just unpaused, waiting for a folder that is not there, is on the page
    assert f"{MISSING_ROOT}/2026/01/01" in text and "does not exist" in text and "2026-01-02 06:05:00" in text
    assert "../dags/hl7_archive_intake/runs/scheduled__2026-01-01T00%3A00%3A00%2B00%3A00/tasks/wait_for_files" in page.links
    body = client.get("/api/dashboard").json()
    assert body["store"]["condition"] == ("empty" if migrated else "missing") and body["waits"][0]["task_id"] == "wait_for_files"
    # the run tab of a DAG run before anything was stored: no error either
    run = client.get("/run", params={"dag_id": DAG_A, "run_id": "manual__x"})
    assert run.status_code == 200 and "Internal Server Error" not in run.text
    assert client.get("/message", params={"id": 1}).status_code == 404


def test_an_undefined_connection_or_a_down_database_shows_the_guide_not_a_traceback() -> None:
    def no_connection() -> str:
        raise LookupError("The conn_id `intakeflow_postgres` isn't defined")

    for dsn in (no_connection, lambda: "postgresql://svc:s3cret-pw@127.0.0.1:1/none"):
        app = create_app(dsn, ["intakeflow"], dependencies=[_allow], store_conn_id="intakeflow_postgres")
        resp = TestClient(app).get("/")
        assert resp.status_code == 503 and "nothing to show yet" in resp.text and "s3cret" not in resp.text
        assert "intakeflow_postgres" in resp.text and "Internal Server Error" not in resp.text


# -- dashboard ----------------------------------------------------------------------------------


def test_dashboard_page_has_charts_and_figures_but_no_text(seeded: Seeded) -> None:
    resp = _seeded_client(seeded).get("/", params={"dag_id": DAG_A})
    assert resp.status_code == 200
    assert resp.headers["cache-control"] == "no-store"
    page = resp.text
    assert page.count("<svg") >= 6
    cards = PageReader(page).cards
    assert (cards["results"], cards["needs-review"], cards["received"], cards["quarantined"]) == ("4", "50.0%", "7", "2")
    assert "run?dag_id=hl7_archive_intake&amp;run_id=scheduled__2024-03-01T00%3A00%3A00%2B00%3A00" in page
    assert TEXT_MARK not in page


def test_channel_rows_add_up_to_the_totals_card_and_to_intakeflow_status(
    seeded: Seeded, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The identity on the page: per source, received = filtered + queued + processed +
    delivered + quarantined + failed; the rows sum to the table's total row and to the
    cards; and those equal ``intakeflow status --json`` on the same store (no DAG filter, a
    period covering everything). Read from the rendered HTML, as a user reads it."""
    from intakeflow.cli import main

    start = (seeded.started - timedelta(hours=1)).isoformat()
    page = PageReader(_seeded_client(seeded).get("/", params={"start": start}).text)
    table = page.tables["channels"]
    rows = {k: {c: number(v) for c, v in r.items() if c in ("received", *CHANNEL_STATES)}
            for k, r in table.items() if k != "total"}
    total = {c: number(v) for c, v in table["total"].items() if c in ("received", *CHANNEL_STATES)}
    assert set(rows) == {"fhir", "hl7v2", "mllp"}
    for source, row in rows.items():
        assert row["received"] == sum(row[s] for s in CHANNEL_STATES), source
    for col in ("received", *CHANNEL_STATES):
        assert total[col] == sum(r[col] for r in rows.values()) == number(page.cards[col]), col

    model = tmp_path / "model"
    model.mkdir()
    (model / "model.json").write_text(json.dumps({"name": MODEL_NAME, "version": MODEL_VERSION}))
    assert main(["status", "--dsn", seeded.store.dsn, "--schema", seeded.store.schema, "--model", str(model),
                 "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    # the CLI's keys are its own (``staged`` is the store's status received: queued here)
    assert {"queued": cli["staged"], **{k: cli[k] for k in CHANNEL_STATES if k != "queued"}} == {
        k: total[k] for k in CHANNEL_STATES}
    assert total["received"] == sum(cli[k] for k in ("staged", "filtered", "processed", "delivered", "quarantined",
                                                      "failed"))


def test_api_dashboard_matches_the_page_filters(seeded: Seeded) -> None:
    start = (seeded.started - timedelta(minutes=5)).isoformat()
    body = _seeded_client(seeded).get("/api/dashboard", params={"dag_id": DAG_A, "start": start}).json()
    assert body["totals"]["results"] == 4 and body["filters"]["dag_id"] == DAG_A
    assert body["store"]["condition"] == "ready"
    assert body["dags"] == sorted(["hl7_archive_intake", "fhir_communication_intake", "hl7_live_intake"])
    assert TEXT_MARK not in str(body)


def test_a_waiting_run_shows_its_path_and_since_when(seeded: Seeded) -> None:
    airflow = FakeAirflow(waiting=[WAIT])
    text = PageReader(_seeded_client(seeded, airflow=airflow).get("/").text).visible()
    assert "Waiting for input (1)" in text
    assert f"{MISSING_ROOT}/2026/01/01" in text and f"The archive root {MISSING_ROOT} does not exist" in text
    assert "since 2026-01-02 00:05:00 UTC" in text and "gives up at 2026-01-02 06:05:00 UTC" in text
    # filtered to another DAG: not its wait
    assert "Waiting for input" not in _seeded_client(seeded, airflow=airflow).get("/", params={"dag_id": DAG_B}).text


def test_when_airflow_cannot_be_read_the_page_says_so_and_still_shows_the_store(seeded: Seeded) -> None:
    resp = _seeded_client(seeded, airflow=FakeAirflow(broken=True)).get("/")
    assert resp.status_code == 200
    text = PageReader(resp.text).visible()
    assert "Task states could not be read from Airflow (ConnectionError)" in text
    # what the page can still tell without Airflow: the example DAG's default root, checked here
    assert f"the default, {MISSING_ROOT}, does not exist on the API server's filesystem" in text
    assert "Channels" in text


# -- run and message pages ----------------------------------------------------------------------


def test_run_page_is_labelled_links_on_and_says_who_wrote_back(seeded: Seeded) -> None:
    client = _seeded_client(seeded, airflow=FakeAirflow(runs={(DAG_A, RUN_A): RUN_A_TASKS}))
    resp = client.get("/run", params={"dag_id": DAG_A, "run_id": RUN_A})
    page = PageReader(resp.text)
    text = page.visible()
    assert "Quarantine (2)" in text and "E020" in text and "E001" in text
    assert TEXT_MARK not in resp.text
    # figures with human labels and units, not metric keys
    assert "Fallback cost (USD)" in text and "0.0020" in text and "fallback_microusd" not in text
    assert "Inputs rejected at staging (quarantined)" in text and "Write-back to FHIR" in text
    # "delivered" only for what this run wrote back: nothing; two were written back by another run since
    assert "This run wrote nothing back" in text
    assert page.tables["run-messages"]["hl7v2"]["written_back_since"] == "2"
    # links on: the run and its tasks in Airflow, the quarantined message's record
    run_url = "../dags/hl7_archive_intake/runs/scheduled__2024-03-01T00%3A00%3A00%2B00%3A00"
    assert run_url in page.links and f"{run_url}/tasks/process" in page.links
    assert f"{run_url}/tasks/stage_shard/mapped/0" in page.links and f"{run_url}/tasks/stage_shard/mapped" in page.links
    message_links = [link for link in page.links if link.startswith("message?")]
    assert len(message_links) == 1 and "dag_id=hl7_archive_intake" in message_links[0]  # E001; E020 has no message
    assert "none (never staged)" in text
    body = client.get("/api/run", params={"dag_id": DAG_A, "run_id": RUN_A}).json()
    assert body["quarantine_total"] == 2 and TEXT_MARK not in str(body)
    assert [t["task_id"] for t in body["airflow"]["tasks"]][:2] == ["migrate_store", "stage_shard"]


def test_run_page_says_another_runs_write_back_took_its_results(seeded: Seeded) -> None:
    """A backfill: this run's write-back task ran and found nothing, because another run's had
    already written back what this run processed (seen with two overlapping runs of
    hl7_archive_intake: "0" next to "written back since: 46")."""
    seeded.store.record_run(RUN_A, DAG_A, {"write_back": {"delivered": 0, "quarantined": 0, "failed": 0}})
    client = _seeded_client(seeded, airflow=FakeAirflow(runs={(DAG_A, RUN_A): RUN_A_TASKS}))
    page = PageReader(client.get("/run", params={"dag_id": DAG_A, "run_id": RUN_A}).text)
    text = page.visible()
    assert page.tables["run-messages"]["hl7v2"]["written_back_since"] == "2"
    assert "Written back by this run's write-back task: 0 messages" in text
    assert "At least 2 of the messages this run processed were written back by another run's write-back task" in text
    # a write-back task that wrote back at least what the run processed needs no such note
    seeded.store.record_run(RUN_A, DAG_A, {"write_back": {"delivered": 2, "quarantined": 0, "failed": 0}})
    text = PageReader(client.get("/run", params={"dag_id": DAG_A, "run_id": RUN_A}).text).visible()
    assert "Written back by this run's write-back task: 2 messages" in text and "another run's write-back" not in text


def test_message_record_shows_only_the_redacted_text_and_only_for_its_dag(seeded: Seeded) -> None:
    with psycopg.connect(seeded.store.dsn) as conn:
        conn.execute(sql.SQL("UPDATE {}.messages SET patient_ref = 'Patient/PT-SECRET-REF'").format(
            sql.Identifier(seeded.store.schema)))
    client = _seeded_client(seeded)
    message_id = seeded.delivered_by_b[0]
    resp = client.get("/message", params={"id": message_id, "dag_id": DAG_A})
    assert resp.status_code == 200
    text = PageReader(resp.text).visible()
    assert f"Message {message_id}" in text and "delivered: written back to the FHIR server" in text
    # the redacted text (the pipeline's output) is on the page; the inbound text and the patient reference never
    assert "[NAME] [DATE] note" in text
    assert TEXT_MARK not in resp.text and "PT-SECRET-REF" not in resp.text
    assert client.get("/message", params={"id": message_id, "dag_id": DAG_B}).status_code == 404
    body = client.get("/api/message", params={"id": message_id}).json()
    assert body["row"]["id"] == message_id and TEXT_MARK not in str(body) and "PT-SECRET-REF" not in str(body)


# -- filters and access -------------------------------------------------------------------------


@pytest.mark.parametrize(("params", "why"), [
    ({"start": "yesterday"}, "ISO 8601"),
    ({"start": "2024-03-02T00:00", "end": "2024-03-01T00:00"}, "after start"),
    ({"start": "2020-01-01T00:00", "end": "2024-01-01T00:00"}, "at most"),
    ({"schema": "not_offered"}, "unknown store"),
])
def test_bad_filters_get_a_clear_400(seeded: Seeded, params: dict[str, str], why: str) -> None:
    resp = _seeded_client(seeded).get("/api/dashboard", params=params)
    assert resp.status_code == 400 and why in resp.json()["detail"]


def test_guard_dependency_decides_access(seeded: Seeded) -> None:
    def deny(request: Request) -> None:
        raise HTTPException(401, "Not authenticated")

    client = _seeded_client(seeded, deny)
    for path in ("/", "/api/dashboard", f"/run?dag_id={DAG_A}&run_id=x", f"/api/run?dag_id={DAG_A}&run_id=x",
                 "/message?id=1", "/api/message?id=1"):
        assert client.get(path).status_code == 401


def test_unreachable_store_is_503_without_the_dsn() -> None:
    app = create_app(lambda: "postgresql://svc:s3cret-pw@127.0.0.1:1/none", ["intakeflow"], dependencies=[_allow])
    resp = TestClient(app).get("/api/dashboard")
    assert resp.status_code == 503
    assert "s3cret" not in resp.text and "OperationalError" in resp.text


def test_period_defaults_to_the_last_day_and_naive_times_are_utc() -> None:
    now = datetime(2026, 1, 2, 12, tzinfo=UTC)
    assert parse_period(None, None, None, now) == (now - timedelta(hours=24), now)
    assert parse_period("2026-01-01T08:00", None, None, now)[0] == datetime(2026, 1, 1, 8, tzinfo=UTC)
    assert parse_period(None, None, 3, now)[0] == now - timedelta(hours=3)
