from __future__ import annotations

from pathlib import Path

import pytest

from intakeflow.embedded.postgres import EmbeddedPostgres
from intakeflow.errors import SinkError
from intakeflow.results import InboundMessage
from intakeflow.store.pg_migrate import load_migrations
from intakeflow.store.pg_store import Store

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_store_runs_on_embedded_postgres(tmp_path: Path) -> None:
    pytest.importorskip("pgserver")
    with EmbeddedPostgres(tmp_path / "pg", delete=True) as pg:
        store = Store(pg.dsn(), schema="demo", pipeline_version="v")
        assert store.migrate() == [m.version for m in load_migrations()]
        assert store.stage([InboundMessage("hl7v2", "F|1", "synthetic")], "r").staged == 1
        assert store.counts()["received"] == 1


def test_dsn_before_start_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SinkError):
        EmbeddedPostgres(tmp_path).dsn()
