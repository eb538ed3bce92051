"""``python -m tools.try_in_airflow``: docs/run-in-your-airflow.md followed on a fresh
``airflow standalone``. Opt-in (``INTAKEFLOW_TRY_AIRFLOW=1``): it starts an Airflow of its own
and takes 2 to 4 minutes on a 2-core machine, more than the suite can spend on a check that
the session's stacks (test_backfill.py, test_monitoring_browser.py) mostly repeat; the page's
names are checked in every run by tests/test_run_in_airflow_doc.py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(os.environ.get("INTAKEFLOW_TRY_AIRFLOW") != "1",
                       reason="opt-in: INTAKEFLOW_TRY_AIRFLOW=1 runs tools/try_in_airflow.py (minutes)"),
]

ROOT = Path(__file__).resolve().parents[2]


def test_the_page_works_on_a_fresh_standalone(pg_dsn: str) -> None:
    server = pg_dsn.rsplit("/", 1)[0]  # the script creates and drops its own databases there
    done = subprocess.run([sys.executable, "-m", "tools.try_in_airflow", "--pg-url", server], cwd=ROOT,
                          capture_output=True, text=True, timeout=900, check=False)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-4000:]
    assert "PASS: " in out and "FAIL" not in out
