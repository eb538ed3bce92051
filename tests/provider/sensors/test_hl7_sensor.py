from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk.exceptions import TaskDeferred

from intakeflow.provider.sensors.hl7 import Hl7ArchiveSensor
from intakeflow.provider.triggers.hl7 import Hl7ArchiveFilesTrigger


def _file(root: Path, day: str) -> None:
    folder = root.joinpath(*day.split("-"))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "x.hl7").write_text("MSH|")


def test_poke_and_execute_with_files(tmp_path: Path, make_context: Any) -> None:
    sensor = Hl7ArchiveSensor(task_id="w", archive_root=str(tmp_path), min_files=1)
    assert sensor.poke(make_context()) is False
    _file(tmp_path, "2024-03-04")
    assert sensor.poke(make_context()) is True
    assert sensor.execute(make_context()) == 1


def test_execute_defers_when_nothing_is_there(tmp_path: Path, make_context: Any) -> None:
    sensor = Hl7ArchiveSensor(task_id="w", archive_root=str(tmp_path), poke_interval=30, timeout=600)
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute(make_context())
    trigger = deferred.value.trigger
    assert isinstance(trigger, Hl7ArchiveFilesTrigger)
    assert (trigger.start, trigger.poll_interval) == (datetime(2024, 3, 4, tzinfo=UTC).isoformat(), 30.0)
    assert deferred.value.method_name == "execute_complete"
    assert sensor.execute_complete(make_context(), {"status": "found", "files": 4}) == 4
