"""Actions from the console (reprocess, for now): who may take them, the request checks, and
the call into the store's one reprocess path with its audit row.

No Airflow imports: the Airflow plugin supplies the ``Actor`` (the logged-in user and
Airflow's auth manager, ``intakeflow.plugins.airflow_actor``), tests supply their own.
An action needs edit permission (``PUT``) on every DAG the message belongs to: the DAG whose
run staged it and the DAG whose run processed it; a message of neither (staged and processed
outside Airflow) needs edit permission on DAGs in general.

Cross-site requests: the app's other routes are GET only, so there is no CSRF token to reuse.
A POST from a browser must carry an ``Origin`` (or, without one, a ``Referer``) naming the
host it was sent to, and no ``Sec-Fetch-Site`` other than ``same-origin``; requests
authenticated by an ``Authorization: Bearer`` header (API clients, never sent by a browser on
its own) need neither. Airflow's session cookie is ``SameSite=Lax`` as a second line.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from fastapi import HTTPException, Request

from intakeflow.errors import IntakeflowError
from intakeflow.store import AuditConflict, AuditedOutcome, AuditEntry, ReprocessSelection, Store
from intakeflow.store.pg_audit import MAX_REASON

REPROCESS = "reprocess"
#: ids one request may name at most
MAX_IDS = 500


class Actor(Protocol):
    """The user behind a request, as far as actions are concerned."""

    @property
    def name(self) -> str:
        """The user name recorded in the audit trail."""
        ...

    def can_edit(self, dag_id: str | None) -> bool:
        """Edit permission on the DAG (``None``: on DAGs in general)."""
        ...


@dataclass(frozen=True)
class NoActions:
    """The actor when the app was built without one: nothing is allowed."""

    name: str = ""

    def can_edit(self, dag_id: str | None) -> bool:
        return False


def no_actions() -> Actor:
    return NoActions()


def new_request_id() -> str:
    """The one-time token a form carries: a double submit of the form acts once."""
    return secrets.token_urlsafe(18)


def same_origin(request: Request) -> bool:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return True
    site = request.headers.get("sec-fetch-site")
    if site is not None and site != "same-origin":
        return False
    origin = request.headers.get("origin")
    if origin in (None, "", "null"):
        origin = request.headers.get("referer")
    if not origin:
        return False
    hosts = {request.headers.get("host"), request.headers.get("x-forwarded-host")} - {None, ""}
    return urlsplit(origin).netloc in hosts


def dags_of(row: Mapping[str, Any]) -> list[str | None]:
    """The DAGs a message belongs to (staged it, processed it); ``[None]`` for neither."""
    found = sorted({d for d in (row.get("dag_id"), row.get("processed_dag_id")) if d})
    return list(found) or [None]


def permitted(actor: Actor, rows: Iterable[Mapping[str, Any]]) -> bool:
    verdicts: dict[str | None, bool] = {}
    for row in rows:
        for dag in dags_of(row):
            if dag not in verdicts:
                verdicts[dag] = bool(actor.can_edit(dag))
            if not verdicts[dag]:
                return False
    return True


def may_reprocess(actor: Actor, row: Mapping[str, Any]) -> bool:
    """Whether the console offers the reprocess button for this message."""
    return row.get("status") == "quarantined" and permitted(actor, [row])


@dataclass(frozen=True)
class ReprocessAsk:
    ids: tuple[int, ...]
    reason: str
    request_id: str

    def check(self) -> None:
        if not self.ids:
            raise HTTPException(400, "no message ids")
        if len(self.ids) > MAX_IDS:
            raise HTTPException(400, f"at most {MAX_IDS} messages per request")
        if not self.reason.strip():
            raise HTTPException(400, "a reason is required")
        if len(self.reason.strip()) > MAX_REASON:
            raise HTTPException(400, f"the reason may be at most {MAX_REASON} characters")
        if not self.request_id or len(self.request_id) > 100:
            raise HTTPException(400, "the form's request token is missing; reload the page")


def reprocess(
    ask: ReprocessAsk, actor: Actor, *, schema: str, schema_version: int, states: Callable[[list[int]], dict[int, Any]],
    store: Callable[[], Store], audit_version: int, prior: Callable[[str], Mapping[str, Any] | None],
) -> AuditedOutcome:
    """Re-queue quarantined messages as the ``actor``, with an audit row, through
    ``Store.reprocess_audited`` (the code ``intakeflow reprocess`` and the reprocess operator
    run). Raises HTTPException: 400 bad request, 404 unknown id, 403 no edit permission,
    409 store without the audit table or a message that is not quarantined (a double submit
    of a form that worked returns its first outcome instead)."""
    ask.check()
    if schema_version < audit_version:
        raise HTTPException(409, f"store {schema} is at migration {schema_version}: actions need migration "
                                 f"{audit_version} (the next run of any intakeflow DAG applies it) so that they are audited")
    ids = sorted(set(ask.ids))
    rows = states(ids)
    missing = [i for i in ids if i not in rows]
    if missing:
        raise HTTPException(404, f"no such message: {', '.join(map(str, missing[:10]))}")
    if not permitted(actor, rows.values()):
        raise HTTPException(403, "reprocessing needs edit permission on the message's DAG")
    earlier = prior(ask.request_id)
    if earlier is None:
        not_quarantined = [i for i in ids if rows[i]["status"] != "quarantined"]
        if not_quarantined:
            raise HTTPException(409, "only quarantined messages can be reprocessed from the console: "
                                     + ", ".join(map(str, not_quarantined[:10])))
    dags = sorted({d for r in rows.values() for d in dags_of(r) if d})
    entry = AuditEntry(REPROCESS, actor.name, ask.reason.strip(), ask.request_id, tuple(ids), tuple(dags))
    try:
        return store().reprocess_audited(ReprocessSelection(ids=tuple(ids)), entry)
    except AuditConflict as exc:
        raise HTTPException(409, str(exc)) from None
    except IntakeflowError as exc:
        raise HTTPException(400, str(exc)) from None
