"""The gold PHI check of the message browser's pages (``tests/gold_phi.py``) on a page the
console really renders: chance matches in the times and FHIR ids it shows pass, a value
of the message as it was written is still found."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from gold_phi import Gold, gold_found, gold_of

from intakeflow.plugins.monitoring.html import message_page
from intakeflow.plugins.monitoring.queries import MessageRecord

#: the gold DATE of the demo data that a full-suite run found on the message page
COLLIDED = Gold("1-20", "DATE")
FOUR_DIGITS = Gold("4780", "SSN")
LONG = Gold("Renée Katz", "NAME")
GOLD = [COLLIDED, FOUR_DIGITS, LONG]
#: ids as sekmet-fhir assigns them (uuid4): one holds "1-20" across a hyphen, one "4780" as a group
ISSUED = ["0c5e7a41-20d4-4b1e-9f3a-5d2c8e7b6a10", "5d2c8e7b-6a10-4780-9f3a-0c5e7a4120d4"]
#: a day whose timestamps hold "1-20"
JAN_20 = datetime(2027, 1, 20, 8, 0, 5, tzinfo=UTC)


def _page(redacted: str) -> str:
    row: dict[str, Any] = {
        "id": 7, "source": "hl7v2", "source_id": "DEMOFAC|DEMO0000000007", "pipeline_version": "v1",
        "status": "delivered", "attempts": 1, "created_at": JAN_20, "received_at": JAN_20, "processed_at": JAN_20,
        "delivered_at": JAN_20, "dag_id": "hl7_archive_intake", "run_id": "manual__2027-01-20T08:00:00+00:00",
    }
    writes = [{"role": role, "resource_type": kind, "fhir_id": fhir_id, "version_id": "1", "status": "created",
               "reason_code": None, "updated_at": JAN_20}
              for (role, kind), fhir_id in zip((("derived", "Communication"), ("task", "Task")), ISSUED, strict=True)]
    section = f'<pre class="redacted">{redacted}</pre>'
    return message_page(MessageRecord(row, writes=writes), schema="intakeflow", sections=[section])


def test_the_collision_of_the_flaky_run_is_no_finding() -> None:
    page = _page("Customer: my birthday [DATE], SSN ending [SSN].")
    # what the substring check matched: the page's own times and the server's ids
    assert all(g.value in page for g in (COLLIDED, FOUR_DIGITS))
    assert list(gold_found(page, GOLD, issued_ids=ISSUED)) == []


def test_a_short_value_as_the_message_wrote_it_is_found() -> None:
    page = _page("Customer: my birthday 1-20, SSN ending [SSN].")
    assert list(gold_found(page, GOLD, issued_ids=ISSUED)) == [COLLIDED]
    page = _page("Customer: my birthday [DATE], SSN ending 4780.")
    assert list(gold_found(page, GOLD, issued_ids=ISSUED)) == [FOUR_DIGITS]


def test_a_leak_in_the_redacted_text_escaped_or_glued_is_found() -> None:
    assert list(gold_found(_page("spouse Ren&#x27;e"), [Gold("Ren'e", "NAME")])) == [Gold("Ren'e", "NAME")]
    # a value the message had inside a longer token is searched inside one
    glued = Gold("4780", "SSN", glued_before=True)
    assert list(gold_found(_page("ref x4780 ok"), [glued], issued_ids=ISSUED)) == [glued]
    assert list(gold_found(_page("ref x4780 ok"), [FOUR_DIGITS], issued_ids=ISSUED)) == []


def test_a_long_value_is_found_anywhere() -> None:
    assert list(gold_found(_page("the subscriber is my spouse,Renée Katz2"), GOLD, issued_ids=ISSUED)) == [LONG]


def test_only_uuids_are_taken_out_of_a_page() -> None:
    page = _page("Customer: my birthday 1-20.")
    with pytest.raises(ValueError):
        list(gold_found(page, GOLD, issued_ids=["birthday 1-20"]))


def test_the_demo_gold_holds_the_collided_value_on_its_own() -> None:
    from models.generator import generate

    assert COLLIDED in gold_of(generate(96, 11))
