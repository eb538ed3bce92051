"""Fixtures for running the example DAGs with real Airflow (``dag.test()``) against the
PostgreSQL at 127.0.0.1:5432 and the embedded FHIR server."""

from __future__ import annotations

import os
import tempfile

# Airflow reads its settings on first import: point it at a throw-away home before that.
_HOME = tempfile.mkdtemp(prefix="intakeflow-airflow-")
os.environ.setdefault("AIRFLOW_HOME", _HOME)
os.environ.setdefault("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", f"sqlite:///{_HOME}/airflow.db")
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(__import__("pathlib").Path(__file__).parents[2] / "dags"))

import json  # noqa: E402
import re  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Iterator, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

import psycopg  # noqa: E402
import pytest  # noqa: E402

from intakeflow.results import PipelineInput, PipelineResult  # noqa: E402
from intakeflow.spans import Span  # noqa: E402

PG_DSN = os.environ.get("INTAKEFLOW_TEST_DSN", "postgresql://postgres@127.0.0.1:5432/test")
DAGS = Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"])


class FakePipeline:
    """Deterministic stand-in for the model pipeline: these tests check the Airflow wiring."""

    version = "fake-model@1"

    def process(self, messages: Sequence[PipelineInput]) -> list[PipelineResult]:
        out = []
        for m in messages:
            spans = [Span(x.start(), x.end(), "MRN", source="fake") for x in re.finditer(r"\b\d{7}\b", m.text)]
            intent = "billing_inquiry" if "bill" in m.text.lower() else "appointment_request"
            out.append(PipelineResult(id=m.id, intent=intent, intent_confidence=0.9, needs_review=False, queue="q",
                                      phi=spans, redacted_text="[redacted]", pipeline_version=self.version))
        return out


@pytest.fixture(scope="session")
def airflow_db() -> None:
    from airflow.utils.db import initdb

    initdb()


@pytest.fixture
def fake_pipeline(monkeypatch: pytest.MonkeyPatch) -> FakePipeline:
    from intakeflow.operators.operators.process import ProcessMessagesOperator

    pipeline = FakePipeline()
    monkeypatch.setattr(ProcessMessagesOperator, "build_pipeline", lambda self: pipeline)
    return pipeline


@pytest.fixture
def fake_model(tmp_path: Path) -> str:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "model.json").write_text(json.dumps({"name": "fake-model", "version": "1"}))
    return str(folder)


@pytest.fixture
def store_schema() -> Iterator[str]:
    try:
        psycopg.connect(PG_DSN, connect_timeout=3).close()
    except psycopg.Error:
        pytest.skip("PostgreSQL at 127.0.0.1:5432 is not reachable")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    yield schema
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def pg_conn_id(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AIRFLOW_CONN_TEST_PG", json.dumps({"conn_type": "postgres", "host": PG_DSN}))
    return "test_pg"


@pytest.fixture(scope="session")
def fhir_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from intakeflow.embedded.fhir_server import EmbeddedFhirServer

    with EmbeddedFhirServer(tmp_path_factory.mktemp("fhir")) as server:
        yield server.base_url


@pytest.fixture
def fhir_conn_id(fhir_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AIRFLOW_CONN_TEST_FHIR", json.dumps({"conn_type": "fhir", "host": fhir_server}))
    return "test_fhir"
