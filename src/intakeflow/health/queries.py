"""SQL of the health checks; ``{s}`` is the schema identifier, filled in by psycopg.sql.

Every query reads figures, times and codes: none selects message text, patient references,
source ids or meta. Each is bounded by an index so that running them every minute stays
cheap on a large store: the status index (``received``/``failed`` rows), ``processed_at``
and ``created_at`` over a recent range, ``quarantine.last_seen``, ``filtered.last_seen``
and the partial index on failed write-backs (migrations 0003 and 0005). The quarantine
share reuses the monitoring page's channel query (``intakeflow.plugins.monitoring.queries.
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

#: the last input of each source in ``sources`` within ``lookback`` seconds: a message staged,
#: an input quarantined at staging, an input filtered (or seen again), or what its listener
#: last reported taking (a resent duplicate stages no row, but is input all the same)
LAST_INPUT = """
SELECT s.source, EXTRACT(EPOCH FROM now() - GREATEST(m.t, q.t, f.t, h.t))::float8 AS last_input_s
FROM unnest(%(sources)s::text[]) AS s(source)
LEFT JOIN LATERAL (
    SELECT created_at AS t FROM {s}.messages
    WHERE source = s.source AND created_at > now() - make_interval(secs => %(lookback)s)
    ORDER BY created_at DESC LIMIT 1
) m ON true
LEFT JOIN LATERAL (
    SELECT last_seen AS t FROM {s}.quarantine
    WHERE source = s.source AND last_seen > now() - make_interval(secs => %(lookback)s)
    ORDER BY last_seen DESC LIMIT 1
) q ON true
LEFT JOIN LATERAL (
    SELECT last_seen AS t FROM {s}.filtered
    WHERE source = s.source AND last_seen > now() - make_interval(secs => %(lookback)s)
    ORDER BY last_seen DESC LIMIT 1
) f ON true
LEFT JOIN LATERAL (
    SELECT max(last_input_at) AS t FROM {s}.listener_heartbeats
    WHERE source = s.source AND last_input_at > now() - make_interval(secs => %(lookback)s)
) h ON true
ORDER BY s.source
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
