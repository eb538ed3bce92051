from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from intakeflow.errors import IntakeflowError
from intakeflow.provider.operators.hl7 import (
    ListHl7ShardsOperator,
    StageHl7ArchiveOperator,
    resolve_inside,
    shard,
)
from tools.demo_data import DemoText, write_hl7_archive

DAY = datetime(2024, 3, 4, tzinfo=UTC)


@pytest.mark.parametrize(
    ("n", "per", "most", "sizes"),
    [(0, 3, 5, []), (7, 3, 5, [3, 3, 1]), (10, 1, 3, [4, 4, 2]), (3, 8, 2, [3])],
)
def test_shard(n: int, per: int, most: int, sizes: list[int]) -> None:
    items = [f"f{i}" for i in range(n)]
    shards = shard(items, per, most)
    assert [len(s) for s in shards] == sizes
    assert [x for s in shards for x in s] == items


def test_shard_rejects_zero() -> None:
    with pytest.raises(IntakeflowError, match="E050"):
        shard(["a"], 0, 1)


def test_resolve_inside(tmp_path: Path) -> None:
    assert resolve_inside(tmp_path, "2024/03/04/a.hl7") == (tmp_path / "2024/03/04/a.hl7").resolve()
    with pytest.raises(IntakeflowError, match="leaves the archive root"):
        resolve_inside(tmp_path, "../outside.hl7")


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    texts = [DemoText(id=f"t{i}", text=f"please check my bill, chart 12345{i:02d}") for i in range(12)]
    write_hl7_archive(tmp_path / "archive", texts, DAY, days=2, files_per_day=3, without_text_every=4)
    return tmp_path / "archive"


def test_list_shards_reads_only_the_interval(archive: Path, make_context: Any) -> None:
    op = ListHl7ShardsOperator(task_id="list", archive_root=str(archive), files_per_shard=2)
    shards = op.execute(make_context(DAY, datetime(2024, 3, 5, tzinfo=UTC)))
    assert [len(s) for s in shards] == [2, 1]
    assert all(f.startswith("2024/03/04/") for s in shards for f in s)
    empty = op.execute(make_context(datetime(2024, 3, 9, tzinfo=UTC), datetime(2024, 3, 10, tzinfo=UTC)))
    assert empty == []


def test_stage_is_idempotent_and_filters_adt_without_text(
    archive: Path, make_context: Any, pg_conn_id: str, store_schema: str, fake_model: str
) -> None:
    from intakeflow.provider.operators.store import MigrateStoreOperator

    MigrateStoreOperator(task_id="m", postgres_conn_id=pg_conn_id, store_schema=store_schema).execute(make_context())
    files = ListHl7ShardsOperator(task_id="l", archive_root=str(archive), files_per_shard=10).execute(make_context())[0]
    op = StageHl7ArchiveOperator(
        task_id="s", archive_root=str(archive), files=files,
        postgres_conn_id=pg_conn_id, store_schema=store_schema, model_path=fake_model,
    )
    first = op.execute(make_context())
    # day one holds messages 0-2 and 6-8; message 7, an ADT^A08, has no text -> filtered at the source
    assert first == {"files": 3, "staged": 5, "duplicates": 0, "quarantined": 0, "filtered": 1}
    again = op.execute(make_context(run_id="retry"))
    assert again == {"files": 3, "staged": 0, "duplicates": 5, "quarantined": 0, "filtered": 1}


def test_stage_refuses_paths_outside_the_root(archive: Path, make_context: Any, pg_conn_id: str, fake_model: str) -> None:
    op = StageHl7ArchiveOperator(
        task_id="s", archive_root=str(archive), files=["../../etc/passwd"], postgres_conn_id=pg_conn_id, model_path=fake_model
    )
    with pytest.raises(IntakeflowError, match="E050"):
        op.execute(make_context())
