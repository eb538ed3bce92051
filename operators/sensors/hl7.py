"""Sensor that waits until the HL7 archive has files for the data interval."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.sdk import BaseSensorOperator, Context

from intakeflow.provider.operators._common import interval
from intakeflow.provider.triggers.hl7 import Hl7ArchiveFilesTrigger
from intakeflow.sources import list_archive_files


class Hl7ArchiveSensor(BaseSensorOperator):
    """Succeed once the interval's day folders hold ``min_files`` archive files.

    ``deferrable=True`` (default) checks once, then hands the wait to the triggerer
    (``Hl7ArchiveFilesTrigger``, polling every ``poke_interval`` seconds, up to ``timeout``)
    so no worker slot is held. With ``deferrable=False`` it pokes like any sensor
    (``mode``, ``poke_interval``, ``timeout``). Only the file count is checked; no file is
    read. XCom: the number of files found.

    :param archive_root: Root folder of the HL7 v2 archive (``<root>/YYYY/MM/DD/<file>``).
        (templated)
    :param start: Start of the window (datetime or ISO 8601 string). Default: the start of
        the run's data interval. (templated)
    :param end: End of the window, exclusive. Default: the end of the run's data interval.
        (templated)
    :param min_files: Archive files the window's day folders must hold. Default 1.
    :param deferrable: Wait in the triggerer instead of a worker slot. Default ``True``.
    """

    template_fields: Sequence[str] = ("archive_root", "start", "end")

    def __init__(
        self,
        *,
        archive_root: str,
        start: datetime | str | None = None,
        end: datetime | str | None = None,
        min_files: int = 1,
        deferrable: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.archive_root = archive_root
        self.start = start
        self.end = end
        self.min_files = min_files
        self.deferrable = deferrable

    def count(self, context: Context) -> int:
        lo, hi = interval(context, self.start, self.end)
        return len(list_archive_files(Path(self.archive_root), lo, hi))

    def poke(self, context: Context) -> bool:
        return self.count(context) >= int(self.min_files)

    def execute(self, context: Context) -> Any:
        if not self.deferrable:
            super().execute(context)
            return self.count(context)
        found = self.count(context)
        if found >= int(self.min_files):
            return found
        lo, hi = interval(context, self.start, self.end)
        if not Path(self.archive_root).is_dir():
            # the usual first-run mistake (the DAG's placeholder default): say so before a long wait
            self.log.warning("archive_root %s does not exist here; waiting up to %ss for it and the interval's "
                             "day folders", self.archive_root, int(float(self.timeout)))
        self.defer(
            trigger=Hl7ArchiveFilesTrigger(
                self.archive_root, lo.isoformat(), hi.isoformat(), int(self.min_files), float(self.poke_interval)
            ),
            method_name="execute_complete",
            timeout=timedelta(seconds=float(self.timeout)),
        )

    def execute_complete(self, context: Context, event: dict[str, Any]) -> int:
        return int(event["files"])
