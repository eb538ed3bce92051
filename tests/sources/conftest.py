from __future__ import annotations

from collections.abc import Iterator

import pytest
from fhir_stub import StubServer


@pytest.fixture
def stub() -> Iterator[StubServer]:
    server = StubServer().start()
    try:
        yield server
    finally:
        server.stop()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line per fuzz suite that ran: counts and timings only (fuzz_harness)."""
    from fuzz_harness import SUMMARIES, summary_line

    for summary in SUMMARIES.values():
        terminalreporter.write_line(summary_line(summary))
