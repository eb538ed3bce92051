"""Where the sink tests find PostgreSQL (override with INTAKEFLOW_TEST_DSN)."""

from __future__ import annotations

import os

DSN = os.environ.get("INTAKEFLOW_TEST_DSN", "postgresql://postgres@127.0.0.1:5432/test")
