"""The audit trail of actions taken from the monitoring console (schema v7, ``audit``).

An action and its audit row commit together: ``Store.reprocess_audited`` inserts the row
keyed by the form's one-time ``request_id`` first, in the transaction that then re-queues
the messages through the same code as ``intakeflow reprocess`` and the
``ReprocessMessagesOperator`` (``pg_reprocess``). A second submit of the same form finds
the row already there, waits for the first transaction if it is still open (the unique
key), and does nothing: one audit row, one action. ``result`` holds counts only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from intakeflow.errors import E, IntakeflowError

#: what a reason may hold at most (characters); the form says so too
MAX_REASON = 500
#: request ids are the form's token: URL-safe, bounded
MAX_REQUEST_ID = 100


@dataclass(frozen=True)
class AuditEntry:
    """Who asked for what, and why. ``message_ids`` are store row ids; ``dag_ids`` the DAGs
    the messages belong to (the ones the user's permission was checked on)."""

    action: str
    username: str
    reason: str
    request_id: str
    message_ids: tuple[int, ...] = ()
    dag_ids: tuple[str, ...] = ()
    origin: str = "console"

    def check(self) -> None:
        reason = self.reason.strip()
        if not reason:
            raise IntakeflowError(E.E093_REPROCESS_SELECTION, why="a reason is required")
        if len(reason) > MAX_REASON:
            raise IntakeflowError(E.E093_REPROCESS_SELECTION, why=f"the reason may be at most {MAX_REASON} characters")
        if not self.request_id or len(self.request_id) > MAX_REQUEST_ID:
            raise IntakeflowError(E.E093_REPROCESS_SELECTION, why="the form's request token is missing or too long")
        if not self.username:
            raise IntakeflowError(E.E093_REPROCESS_SELECTION, why="no user name")

    def params(self) -> dict[str, Any]:
        return {"action": self.action, "user": self.username, "reason": self.reason.strip(),
                "request": self.request_id, "ids": sorted(set(self.message_ids)),
                "dags": sorted(set(self.dag_ids)), "origin": self.origin}


@dataclass(frozen=True)
class AuditedOutcome:
    """The audit row of an action. ``repeated``: the request had been recorded before, so
    nothing was done now and ``result`` is what the first submit did."""

    audit_id: int
    at: datetime
    result: dict[str, Any] = field(default_factory=dict)
    repeated: bool = False


class AuditConflict(IntakeflowError):
    """A request id already recorded for another user, action or set of messages."""

    def __init__(self) -> None:
        super().__init__(E.E093_REPROCESS_SELECTION, why="this form was already used for another request; reload it")


INSERT = """
INSERT INTO {s}.audit (action, username, message_ids, dag_ids, reason, request_id, origin)
VALUES (%(action)s, %(user)s, %(ids)s::bigint[], %(dags)s::text[], %(reason)s, %(request)s, %(origin)s)
ON CONFLICT (request_id) DO NOTHING
RETURNING id, at
"""

BY_REQUEST = """
SELECT id, at, action, username, message_ids, result FROM {s}.audit WHERE request_id = %(request)s
"""

SET_RESULT = "UPDATE {s}.audit SET result = %(result)s WHERE id = %(id)s"
