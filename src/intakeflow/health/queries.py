"""SQL of the health checks; ``{s}`` is the schema identifier, filled in by psycopg.sql.

Every query reads figures, times and codes: none selects message text, patient references,
source ids or meta. Each is bounded by an index so that running them every minute stays
cheap on a large store: the partial index of waiting messages, ``(source, created_at)``,
``processed_at`` over a recent range, ``(source, last_seen)`` of quarantine and ``(source,
first_seen)`` of filtered inputs, the first-seen times the channel query reads, and the
partial index on failed write-backs (migrations 0003 and 0005). The quarantine
share reuses the monitoring page's channel query (``intakeflow.store.channels.
CHANNELS``), so the alert's figures are the page's channel row for the same period.
"""

from __future__ import annotations

NOW = "SELECT now() AS now"

#: per source: messages waiting (received: queued; failed: retried), the oldest queued, the
#: last claim of a waiting row, and the last result saved within ``horizon`` seconds
BACKLOG = """
WITH waiting AS (
    SELECT source,
           count(*) FILTER (WHERE status = 'received') AS queued,
           count(*) FILTER (WHERE status = 'failed') AS failed,
           count(*) FILTER (WHERE claimed_by IS NOT NULL) AS claimed,
           min(created_at) FILTER (WHERE status = 'received') AS oldest,
           max(claimed_at) FILTER (WHERE claimed_by IS NOT NULL) AS last_claim
    FROM {s}.messages
    WHERE status IN ('received', 'failed')
    GROUP BY source
)
SELECT w.source, w.queued, w.failed, w.claimed,
       EXTRACT(EPOCH FROM now() - w.oldest)::float8 AS oldest_queued_s,
       EXTRACT(EPOCH FROM now() - GREATEST(w.last_claim, r.last_result))::float8 AS idle_s
FROM waiting w
LEFT JOIN LATERAL (
    SELECT m.processed_at AS last_result FROM {s}.messages m
    WHERE m.processed_at > now() - make_interval(secs => %(horizon)s) AND m.source = w.source
    ORDER BY m.processed_at DESC LIMIT 1
) r ON true
WHERE w.queued > 0
ORDER BY w.source
"""

#: the freshest heartbeat of each listener source
HEARTBEATS = """
SELECT DISTINCT ON (source) source, instance,
       EXTRACT(EPOCH FROM now() - beat_at)::float8 AS beat_age_s,
       stopped_at IS NOT NULL AS stopped, last_input_at,
       count(*) OVER (PARTITION BY source) AS instances
FROM {s}.listener_heartbeats
ORDER BY source, beat_at DESC
"""

#: the last input of ``source``: a message staged, an input quarantined (or seen again), a new
#: input filtered, or what its listener last reported taking (a resent duplicate stages no
#: row, but is input all the same). Asked per source, with the name as a value the planner
#: sees: each part is then one probe of a per-source index (asked for many sources at once,
#: the planner scanned the time indexes of all of them instead)
LAST_INPUT = """
SELECT EXTRACT(EPOCH FROM now() - GREATEST(
    (SELECT max(created_at) FROM {s}.messages WHERE source = %(source)s),
    (SELECT max(last_seen) FROM {s}.quarantine WHERE source = %(source)s),
    (SELECT max(first_seen) FROM {s}.filtered WHERE source = %(source)s),
    (SELECT max(last_input_at) FROM {s}.listener_heartbeats WHERE source = %(source)s)
))::float8 AS last_input_s
"""

#: messages still waiting for write-back (``processed``) whose last attempt failed within
#: ``window`` seconds, by the failure's code; a message quarantined by its write-back (E031)
#: is counted by the quarantine share instead
WRITEBACK_FAILED = """
SELECT COALESCE(w.reason_code, 'none') AS code, count(DISTINCT w.message_id) AS n,
       EXTRACT(EPOCH FROM now() - max(w.updated_at))::float8 AS last_failed_s
FROM {s}.fhir_writes w JOIN {s}.messages m ON m.id = w.message_id
WHERE w.status = 'failed' AND w.updated_at > now() - make_interval(secs => %(window)s) AND m.status = 'processed'
GROUP BY 1 ORDER BY 1
"""

WRITEBACK_FAILED_MESSAGES = """
SELECT count(DISTINCT w.message_id) AS n
FROM {s}.fhir_writes w JOIN {s}.messages m ON m.id = w.message_id
WHERE w.status = 'failed' AND w.updated_at > now() - make_interval(secs => %(window)s) AND m.status = 'processed'
"""
