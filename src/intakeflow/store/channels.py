"""Channel accounting: every input a source sent in a period, followed to where it is now.

Channels (one row per source, as interface engines show them) follow every input received
in the period to where it is now. Each input is in exactly one of these states, so

    received = filtered + queued + processed + delivered + quarantined + failed

holds for every row and for their sum (``CHANNEL_STATES``): *filtered* is a ``filtered``
row (a filter rule matched: expected traffic without text), *quarantined* a message row
with status ``quarantined`` or a ``quarantine`` row without a message (rejected at
staging), and the other states are the message statuses (``received`` is *queued*;
``processed`` means a result is saved and nothing wrote it back yet). Without filters these
equal ``intakeflow status``: staged, filtered, processed, delivered, quarantined, failed.

Shared by the monitoring console (``intakeflow.plugins.monitoring.queries``) and the alerts'
quarantine-share check (``intakeflow.health``), so an alert's figures are the console's row.
SQL only: ``{s}`` is the store schema, ``%(start)s``/``%(end)s``/``%(dag)s`` the filters.
"""

from __future__ import annotations

#: where an input can be now; they add up to ``received`` (see the module docstring)
CHANNEL_STATES: tuple[str, ...] = ("filtered", "queued", "processed", "delivered", "quarantined", "failed")

#: staged by a run of the DAG or, staged outside Airflow (MLLP listener, CLI), processed by one
IN_DAG = "(%(dag)s::text IS NULL OR m.dag_id = %(dag)s OR (m.dag_id IS NULL AND m.processed_dag_id = %(dag)s))"
IN_PERIOD = f"m.created_at >= %(start)s AND m.created_at < %(end)s AND {IN_DAG}"

#: quarantined before a message row existed (rejected at staging): no message_id in meta
AT_SOURCE = "NOT (q.meta ? 'message_id')"

#: every input first seen in the period, one row each, with where it is now: message rows
#: (status ``received`` reads as queued), filtered inputs and inputs rejected at staging
INPUTS = f"""
inputs AS (
    SELECT m.source, CASE m.status WHEN 'received' THEN 'queued' ELSE m.status END AS state,
           m.created_at AS received_at
    FROM {{s}}.messages m WHERE {IN_PERIOD}
    UNION ALL
    SELECT f.source, 'filtered', f.first_seen FROM {{s}}.filtered f
    WHERE f.first_seen >= %(start)s AND f.first_seen < %(end)s AND (%(dag)s::text IS NULL OR f.dag_id = %(dag)s)
    UNION ALL
    SELECT q.source, 'rejected', q.first_seen FROM {{s}}.quarantine q
    WHERE {AT_SOURCE} AND q.first_seen >= %(start)s AND q.first_seen < %(end)s
      AND (%(dag)s::text IS NULL OR q.dag_id = %(dag)s)
)"""

CHANNELS = f"""
WITH {INPUTS}
SELECT source, count(*) AS received,
       count(*) FILTER (WHERE state = 'filtered') AS filtered,
       count(*) FILTER (WHERE state = 'queued') AS queued,
       count(*) FILTER (WHERE state = 'processed') AS processed,
       count(*) FILTER (WHERE state = 'delivered') AS delivered,
       count(*) FILTER (WHERE state IN ('quarantined', 'rejected')) AS quarantined,
       count(*) FILTER (WHERE state = 'rejected') AS rejected_at_staging,
       count(*) FILTER (WHERE state = 'failed') AS failed,
       max(received_at) AS last_received_at,
       EXTRACT(EPOCH FROM now() - min(received_at) FILTER (WHERE state = 'queued'))::float8 AS oldest_queued_s
FROM inputs GROUP BY source ORDER BY source
"""
