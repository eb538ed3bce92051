from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from intakeflow.provider.triggers.hl7 import Hl7ArchiveFilesTrigger

START, END = datetime(2024, 3, 4, tzinfo=UTC).isoformat(), datetime(2024, 3, 5, tzinfo=UTC).isoformat()


def test_serialize_round_trip(tmp_path: Path) -> None:
    trigger = Hl7ArchiveFilesTrigger(str(tmp_path), START, END, 2, 5.0)
    path, kwargs = trigger.serialize()
    assert path == "intakeflow.provider.triggers.hl7.Hl7ArchiveFilesTrigger"
    assert Hl7ArchiveFilesTrigger(**kwargs).serialize() == (path, kwargs)


async def _first_event(trigger: Hl7ArchiveFilesTrigger, timeout: float) -> dict[str, object]:
    async def first() -> dict[str, object]:
        async for event in trigger.run():
            return dict(event.payload)
        raise AssertionError("trigger ended without an event")

    return await asyncio.wait_for(first(), timeout)


def test_fires_when_files_arrive(tmp_path: Path) -> None:
    trigger = Hl7ArchiveFilesTrigger(str(tmp_path), START, END, min_files=1, poll_interval=0.05)

    async def scenario() -> dict[str, object]:
        task = asyncio.create_task(_first_event(trigger, 5))
        await asyncio.sleep(0.2)
        assert not task.done()  # nothing there yet: still waiting
        folder = tmp_path / "2024" / "03" / "04"
        folder.mkdir(parents=True)
        (folder / "a.hl7").write_text("MSH|^~\\&|")
        (folder / "ignored.csv").write_text("x")
        return await task

    assert asyncio.run(scenario()) == {"status": "found", "files": 1}


def test_other_days_do_not_fire(tmp_path: Path) -> None:
    (tmp_path / "2024" / "03" / "05").mkdir(parents=True)
    (tmp_path / "2024" / "03" / "05" / "b.hl7").write_text("x")
    trigger = Hl7ArchiveFilesTrigger(str(tmp_path), START, END, poll_interval=0.05)
    with pytest.raises(TimeoutError):
        asyncio.run(_first_event(trigger, 0.3))
