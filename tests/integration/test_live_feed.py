"""The live feed through real Airflow, as deployed: ``intakeflow mllp-listen`` (a process of
its own) stages what python-hl7 sends and NOTIFYs; the ``hl7_live_intake`` DAG's asset
watcher, run by the session stack's triggerer, starts a run on the LocalExecutor; the run
processes with the bundled model, lingers and takes a second burst woken by its NOTIFY.

This is the path that once stalled silently inside the full suite, so it can be repeated
there: ``--live-rounds N`` (or ``INTAKEFLOW_LIVE_ROUNDS``) runs N rounds spread evenly over
the whole suite (tests/conftest.py), each starting from an idle feed. A stall shows as a
round whose messages wait for the 5-minute cron, which the run-type check below tells apart."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from statistics import median
from typing import Any

import psycopg
import pytest
from it_support import LIVE_LINGER_S, LIVE_STORE, store_dsn
from live_probe import wait_watching

from tools.bench_live import Listener, build_messages, send_at_rate
from tools.devstack import AirflowStack

pytestmark = [pytest.mark.integration, pytest.mark.slow]

LIVE_DAG = "hl7_live_intake"
#: the first burst waits for a run to start (scheduler, task processes, model load); the second
#: is claimed by the lingering run as soon as its NOTIFY comes
FIRST_BURST, SECOND_BURST = 8, 4
START_BOUND_S, LINGER_BOUND_S = 90.0, 10.0


@dataclass
class LiveFeed:
    stack: AirflowStack
    dsn: str
    listener: Listener

    def runs(self) -> list[dict[str, Any]]:
        """The live DAG's runs, newest first."""
        return self.stack.dag_runs(LIVE_DAG, order_by="-run_after")

    def wait_idle(self, timeout: float) -> None:
        """Until no run of the live DAG is queued or running: the next burst must start one."""
        self.stack.wait_until("the live DAG idle", lambda: all(
            r["state"] in ("success", "failed") for r in self.runs()), timeout, interval=1)

    def processed(self, control_ids: set[str]) -> dict[str, tuple[float, str]]:
        """Control id -> (when its results were saved, epoch seconds; the run that saved them)."""
        with psycopg.connect(self.dsn) as conn:
            rows = conn.execute(
                f"SELECT source_id, EXTRACT(EPOCH FROM processed_at)::float8, processed_run_id "
                f"FROM {LIVE_STORE}.messages WHERE source = 'mllp' AND processed_at IS NOT NULL").fetchall()
        got = {str(r[0]).split("|", 1)[-1]: (float(r[1]), str(r[2])) for r in rows}
        return {cid: v for cid, v in got.items() if cid in control_ids}

    def send(self, messages: list[tuple[str, bytes]]) -> dict[str, float]:
        """Sends over one MLLP connection, 20 a second; control id -> when its AA came."""
        assert self.listener.proc.poll() is None, "the MLLP listener exited"
        sent = asyncio.run(send_at_rate(self.listener.port, messages, rate=20.0, connections=1))
        assert dict(sent.codes) == {"AA": len(messages)}
        return sent.acked_at

    def wait_stored(self, acked: dict[str, float], timeout: float) -> dict[str, tuple[float, str]]:
        deadline = time.monotonic() + timeout
        while len(done := self.processed(set(acked))) < len(acked):
            if time.monotonic() > deadline:
                runs = [(r["run_type"], r["state"]) for r in self.runs()[:5]]
                raise AssertionError(f"{len(acked) - len(done)} of {len(acked)} live messages not stored within "
                                     f"{timeout:.0f} s of the send; latest runs {runs}")
            time.sleep(0.2)
        return done


@pytest.fixture(scope="session")
def live_feed(local_airflow: AirflowStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveFeed]:
    dsn = store_dsn(local_airflow)
    log = Path(tmp_path_factory.mktemp("live-feed")) / "listener.log"
    listener = Listener(dsn, log, schema=LIVE_STORE)
    try:
        feed = LiveFeed(local_airflow, dsn, listener)
        local_airflow.api("PATCH", f"/api/v2/dags/{LIVE_DAG}", {"is_paused": False})
        # unpausing starts the cron's latest run, which finds nothing and ends; the watcher
        # listens once the triggerer has picked up its trigger
        wait_watching(dsn, LIVE_STORE, timeout=180)
        yield feed
    finally:
        local_airflow.api("PATCH", f"/api/v2/dags/{LIVE_DAG}", {"is_paused": True})
        listener.stop()


def test_live_feed_lands_in_seconds_through_airflow(
    live_feed: LiveFeed, live_round: int, request: pytest.FixtureRequest
) -> None:
    live_feed.wait_idle(timeout=LIVE_LINGER_S + 120)
    tag = f"R{live_round:02d}{int(time.time()) % 100000:05d}"  # control ids unique across rounds and sessions
    first = live_feed.send(build_messages(FIRST_BURST, f"{tag}A", seed=live_round))
    first_sent = min(first.values())
    stored = live_feed.wait_stored(first, START_BOUND_S)

    # figures for the run's summary (tests/conftest.py): seconds only
    request.node.user_properties.append(("live_first_burst_max_s", max(stored[cid][0] - at for cid, at in first.items())))

    # the event path started the run: an asset-triggered run, or a run already going when the
    # burst came (a cron run that was starting anyway); never a cron run that came after it
    (run_id,) = {run for _, run in stored.values()}
    run = live_feed.stack.api("GET", f"/api/v2/dags/{LIVE_DAG}/dagRuns/{run_id}")
    started = datetime.fromisoformat(run["start_date"]).timestamp() if run["start_date"] else None
    assert run["run_type"] == "asset_triggered" or (started is not None and started < first_sent), (
        run["run_type"], started, first_sent)

    # the run lingers: a second burst is taken by the same run, woken by its NOTIFY
    second = live_feed.send(build_messages(SECOND_BURST, f"{tag}B", seed=live_round + 1000))
    later = live_feed.wait_stored(second, LINGER_BOUND_S + 20)
    assert {run for _, run in later.values()} == {run_id}
    waits = [later[cid][0] - at for cid, at in second.items()]
    request.node.user_properties.append(("live_second_burst_max_s", max(waits)))
    assert max(waits) < LINGER_BOUND_S, f"lingering run took {max(waits):.1f} s (median {median(waits):.1f} s)"
