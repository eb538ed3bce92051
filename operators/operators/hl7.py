"""Operators for HL7 v2 archives: list a window's files in shards, stage a shard."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from airflow.sdk import BaseOperator, Context

from intakeflow.errors import E, IntakeflowError
from intakeflow.provider.operators._common import interval, open_store, pipeline_version, store_outage_coded
from intakeflow.provider.operators._metrics import publish, with_default_outlets
from intakeflow.sources import list_archive_files, read_file
from intakeflow.sources.filters import load_filters


def shard(items: Sequence[str], per_shard: int, max_shards: int) -> list[list[str]]:
    """Split into consecutive shards of ``per_shard`` items; when that would give more
    than ``max_shards`` shards, widen them (Airflow limits mapped task counts)."""
    if per_shard < 1 or max_shards < 1:
        raise IntakeflowError(E.E050_CONFIG, why="per_shard and max_shards must be at least 1")
    if not items:
        return []
    size = max(per_shard, -(-len(items) // max_shards))
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def resolve_inside(root: Path, relative: str) -> Path:
    """``root / relative``, refusing paths that leave the archive root."""
    path = (root / relative).resolve()
    if not path.is_relative_to(root.resolve()):
        raise IntakeflowError(E.E050_CONFIG, why="archive file path leaves the archive root")
    return path


class ListHl7ShardsOperator(BaseOperator):
    """List the archive files of the data interval and return them in shards.

    Reads the day folders (``<archive_root>/YYYY/MM/DD/``) overlapping ``[start, end)``;
    no file is opened and nothing is staged, so the task can run any number of times. The shards are
    meant to be mapped over with ``StageHl7ArchiveOperator.partial(...).expand(files=...)``.
    XCom: a list of shards, each a list of archive-relative file paths (no message data);
    empty when the window has no files.

    :param archive_root: Root folder of the HL7 v2 archive. (templated)
    :param start: Start of the window (datetime or ISO 8601 string). Default: the start of
        the run's data interval. (templated)
    :param end: End of the window, exclusive (datetime or ISO 8601 string). Default: the end
        of the run's data interval. (templated)
    :param files_per_shard: Files per shard. Default 8. (templated)
    :param max_shards: Most shards to return (Airflow limits mapped task counts); when
        ``files_per_shard`` would give more, the shards are widened. Default 64. (templated)
    """

    template_fields: Sequence[str] = ("archive_root", "start", "end", "files_per_shard", "max_shards")

    def __init__(
        self,
        *,
        archive_root: str,
        start: datetime | str | None = None,
        end: datetime | str | None = None,
        files_per_shard: int | str = 8,
        max_shards: int | str = 64,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.archive_root = archive_root
        self.start = start
        self.end = end
        self.files_per_shard = files_per_shard
        self.max_shards = max_shards

    def execute(self, context: Context) -> list[list[str]]:
        root = Path(self.archive_root)
        lo, hi = interval(context, self.start, self.end)
        files = [p.relative_to(root).as_posix() for p in list_archive_files(root, lo, hi)]
        shards = shard(files, int(self.files_per_shard), int(self.max_shards))
        self.log.info("%d archive files in %d shards", len(files), len(shards))
        return shards


class StageHl7ArchiveOperator(BaseOperator):
    """Read archive files (one shard) and stage their messages; bad ones are quarantined.

    Staging is idempotent, so a retry or a backfill of the same day adds no rows.
    Unreadable or truncated files and unparseable messages are quarantined, never raised; a
    path that leaves ``archive_root`` fails the task (E050). Unless ``outlets`` is given,
    the task's outlet is the store's ``staged`` asset (none when ``store_schema`` is
    templated). XCom: counts (``files``, ``staged``, ``duplicates``, ``quarantined``), also
    sent as ``intakeflow.stage.hl7.*`` metrics and as the extra of the ``staged`` asset event.

    :param archive_root: Root folder of the HL7 v2 archive. (templated)
    :param files: Archive-relative paths of the files to stage, e.g. one shard from
        ``ListHl7ShardsOperator``. (templated)
    :param postgres_conn_id: Postgres connection of the staging store. Default
        ``postgres_default``. (templated)
    :param store_schema: Database schema of the store. Default ``intakeflow``. (templated)
    :param model_path: Model artifact folder whose ``name@version`` becomes the pipeline
        version the messages are staged under; use the same value as the process task.
        Default: the bundled model. (templated)
    :param filters: Path of a JSON file of filter rules for this source: which message types
        without text are recorded as filtered instead of quarantined (see
        ``intakeflow.sources.filters``). Default ``None``: the file ``$INTAKEFLOW_FILTERS``
        names, else the built-in rules (ADT, SIU, ACK, MFN). (templated)
    """

    template_fields: Sequence[str] = (
        "archive_root", "files", "postgres_conn_id", "store_schema", "model_path", "filters",
    )

    def __init__(
        self,
        *,
        archive_root: str,
        files: Sequence[str],
        postgres_conn_id: str = "postgres_default",
        store_schema: str = "intakeflow",
        model_path: str | None = None,
        filters: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**with_default_outlets(kwargs, store_schema, "staged"))
        self.archive_root = archive_root
        self.files = files
        self.postgres_conn_id = postgres_conn_id
        self.store_schema = store_schema
        self.model_path = model_path
        self.filters = filters

    @store_outage_coded
    def execute(self, context: Context) -> dict[str, int]:
        root = Path(self.archive_root)
        paths = [resolve_inside(root, f) for f in self.files]
        rules = load_filters(self.filters)  # a bad file fails here (E050), before anything is staged
        store = open_store(self.postgres_conn_id, self.store_schema, pipeline_version(self.model_path))
        items = (item for path in paths for item in read_file(path, root, rules))
        counts = store.stage(items, str(context["run_id"]), self.dag_id)
        result = {"files": len(paths), **counts.as_dict()}
        self.log.info("staged %(staged)d, duplicates %(duplicates)d, quarantined %(quarantined)d", result)
        publish(self, context, "stage.hl7", result)
        return result
