"""Deferrable wait for HL7 archive files of a window to appear."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from intakeflow.sources import list_archive_files


class Hl7ArchiveFilesTrigger(BaseTrigger):
    """Fire once the day folders of ``[start, end)`` hold at least ``min_files`` archive
    files; checks every ``poll_interval`` seconds. The event carries the file count only.

    The directory listing runs in a thread, off the triggerer's event loop. Fires
    ``{"status": "found", "files": <count>}``. Used by ``Hl7ArchiveSensor`` in deferrable
    mode.

    :param archive_root: Root folder of the HL7 v2 archive (``<root>/YYYY/MM/DD/<file>``).
    :param start: Start of the window, as an ISO 8601 string (naive times are UTC).
    :param end: End of the window, exclusive, as an ISO 8601 string.
    :param min_files: Archive files needed to fire. Default 1.
    :param poll_interval: Seconds between checks. Default 60.
    """

    def __init__(
        self, archive_root: str, start: str, end: str, min_files: int = 1, poll_interval: float = 60.0
    ) -> None:
        super().__init__()
        self.archive_root = archive_root
        self.start = start
        self.end = end
        self.min_files = min_files
        self.poll_interval = poll_interval

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "archive_root": self.archive_root,
                "start": self.start,
                "end": self.end,
                "min_files": self.min_files,
                "poll_interval": self.poll_interval,
            },
        )

    def count_files(self) -> int:
        start, end = datetime.fromisoformat(self.start), datetime.fromisoformat(self.end)
        return len(list_archive_files(Path(self.archive_root), start, end))

    async def run(self) -> AsyncIterator[TriggerEvent]:
        while True:
            # directory listing blocks; keep it off the triggerer's event loop
            found = await asyncio.to_thread(self.count_files)
            if found >= self.min_files:
                yield TriggerEvent({"status": "found", "files": found})
                return
            await asyncio.sleep(self.poll_interval)
