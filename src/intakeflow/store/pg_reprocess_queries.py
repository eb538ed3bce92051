"""SQL text of reprocessing (``pg_reprocess.py``). ``{s}`` is the schema, ``{field}`` the
period column (``received_at`` or ``created_at``); both are filled in by psycopg.sql.

Every selection parameter is nullable, so one statement serves ids, run and period."""

from __future__ import annotations

_SELECTED = """
    (%(ids)s::bigint[] IS NULL OR m.id = ANY(%(ids)s::bigint[]))
    AND (%(run)s::text IS NULL OR m.run_id = %(run)s::text)
    AND (%(since)s::timestamptz IS NULL OR m.{field} >= %(since)s::timestamptz)
    AND (%(until)s::timestamptz IS NULL OR m.{field} < %(until)s::timestamptz)
    AND (%(pv)s::text IS NULL OR m.pipeline_version = %(pv)s::text)
    AND (%(exclude)s::text IS NULL OR m.pipeline_version <> %(exclude)s::text)
"""

COUNT_SELECTED = "SELECT count(*) AS n FROM {s}.messages m WHERE" + _SELECTED

COUNT_IDS = "SELECT count(*) AS n FROM {s}.messages WHERE id = ANY(%(ids)s::bigint[])"

# Locks the rows so a concurrent claim (FOR UPDATE SKIP LOCKED) cannot take one half-reset.
REQUEUE_CANDIDATES = (
    """
SELECT m.id, m.raw_text IS NOT NULL AS has_text,
       (m.status = 'failed' AND m.claimed_by IS NOT NULL
        AND m.claimed_at >= now() - make_interval(secs => %(lease)s)) AS busy
FROM {s}.messages m
WHERE m.status IN ('failed', 'quarantined') AND"""
    + _SELECTED
    + """
ORDER BY m.id
FOR UPDATE OF m
"""
)

REQUEUE = """
UPDATE {s}.messages
SET status = 'received', attempts = 0, reason_code = NULL, reason = NULL,
    claimed_by = NULL, claimed_at = NULL,
    reprocess_count = reprocess_count + 1, reprocessed_at = now(), updated_at = now()
WHERE id = ANY(%(ids)s::bigint[]) AND status IN ('failed', 'quarantined') AND raw_text IS NOT NULL
"""

# Only the quarantine rows written for these message rows; source quarantines carry no message_id.
DELETE_MESSAGE_QUARANTINE = "DELETE FROM {s}.quarantine WHERE meta->>'message_id' = ANY(%(keys)s::text[])"

SOURCE_QUARANTINE = """
SELECT q.reason_code, count(*) AS n
FROM {s}.quarantine q
WHERE NOT EXISTS (SELECT 1 FROM {s}.messages m WHERE m.source = q.source AND m.source_id = q.source_id)
  AND (%(run)s::text IS NULL OR q.run_id = %(run)s::text)
  AND (%(since)s::timestamptz IS NULL OR q.first_seen >= %(since)s::timestamptz)
  AND (%(until)s::timestamptz IS NULL OR q.first_seen < %(until)s::timestamptz)
GROUP BY q.reason_code
"""

# One source row per message key: a row that still has its text first, then the newest.
COPY_CANDIDATES = (
    """
SELECT DISTINCT ON (m.source, m.source_id) m.id, m.raw_text IS NOT NULL AS has_text,
       EXISTS (SELECT 1 FROM {s}.messages b WHERE b.source = m.source AND b.source_id = m.source_id
               AND b.pipeline_version = %(new)s::text) AS present
FROM {s}.messages m
WHERE"""
    + _SELECTED
    + """
ORDER BY m.source, m.source_id, (m.raw_text IS NULL), m.id DESC
"""
)

COPY_TO_VERSION = """
INSERT INTO {s}.messages (source, source_id, pipeline_version, raw_text, channel, patient_ref, meta,
                          received_at, run_id, reprocessed_from, reprocessed_at)
SELECT source, source_id, %(new)s::text, raw_text, channel, patient_ref, meta,
       received_at, run_id, id, now()
FROM {s}.messages
WHERE id = ANY(%(ids)s::bigint[]) AND raw_text IS NOT NULL
ON CONFLICT (source, source_id, pipeline_version) DO NOTHING
"""
