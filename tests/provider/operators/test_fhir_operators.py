from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from intakeflow.provider.operators.fhir import FhirWriteBackOperator, StageFhirCommunicationsOperator
from intakeflow.provider.operators.process import PipelineLike, ProcessMessagesOperator
from intakeflow.provider.operators.store import MigrateStoreOperator
from tools.demo_data import DemoText, communication


class _Process(ProcessMessagesOperator):
    pipeline: PipelineLike

    def build_pipeline(self) -> PipelineLike:
        return self.pipeline


def _post(base_url: str, resources: list[dict[str, Any]]) -> None:
    for r in resources:
        httpx.post(f"{base_url}/Communication", json=r, timeout=10).raise_for_status()


def test_stage_process_and_write_back(
    fhir_server: str, fhir_conn_id: str, pg_conn_id: str, store_schema: str,
    fake_model: str, fake_pipeline: Any, make_context: Any,
) -> None:
    start = datetime.now(UTC) - timedelta(seconds=1)
    now = datetime.now(UTC)
    good = [communication(DemoText(f"d{i}", f"question about my bill {i}", "sms"), patient_id="p1", when=now)
            for i in range(3)]
    empty = {**communication(DemoText("x", "unused"), patient_id="p1", when=now), "payload": [{"contentString": " "}]}
    _post(fhir_server, [*good, empty])
    ctx = make_context(start, datetime.now(UTC) + timedelta(seconds=1))
    store_args: dict[str, Any] = {"postgres_conn_id": pg_conn_id, "store_schema": store_schema}
    MigrateStoreOperator(task_id="m", **store_args).execute(ctx)

    stage = StageFhirCommunicationsOperator(
        task_id="s", fhir_conn_id=fhir_conn_id, model_path=fake_model, **store_args
    )
    assert stage.execute(ctx) == {"staged": 3, "duplicates": 0, "quarantined": 1, "filtered": 0}
    assert stage.execute(ctx) == {"staged": 0, "duplicates": 3, "quarantined": 1, "filtered": 0}
    earlier = make_context(start - timedelta(hours=2), start - timedelta(hours=1))
    assert stage.execute(earlier) == {"staged": 0, "duplicates": 0, "quarantined": 0, "filtered": 0}

    process = _Process(task_id="p", sources=["fhir"], **store_args)
    process.pipeline = fake_pipeline
    assert process.execute(ctx)["processed"] == 3

    write = FhirWriteBackOperator(task_id="w", fhir_conn_id=fhir_conn_id, model_path=fake_model, batch_size=2, **store_args)
    assert write.execute(ctx) == {"delivered": 3, "quarantined": 0, "failed": 0}
    assert write.execute(ctx) == {"delivered": 0, "quarantined": 0, "failed": 0}
    tasks = httpx.get(f"{fhir_server}/Task", params={"_count": "50"}, timeout=10).json()
    assert tasks.get("total", len(tasks.get("entry", []))) >= 3
