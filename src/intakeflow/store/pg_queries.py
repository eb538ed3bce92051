"""SQL text of the store; ``{s}`` is the schema identifier, filled in by psycopg.sql."""

from __future__ import annotations

CREATE_STAGE_TEMP = """
CREATE TEMP TABLE IF NOT EXISTS intakeflow_stage_in (
    source TEXT, source_id TEXT, pipeline_version TEXT, raw_text TEXT, channel TEXT,
    patient_ref TEXT, meta JSONB, received_at TIMESTAMPTZ, run_id TEXT, dag_id TEXT
) ON COMMIT DELETE ROWS
"""

COPY_STAGE_TEMP = """
COPY intakeflow_stage_in (source, source_id, pipeline_version, raw_text, channel, patient_ref, meta,
                          received_at, run_id, dag_id) FROM STDIN
"""

INSERT_FROM_STAGE_TEMP = """
INSERT INTO {s}.messages (source, source_id, pipeline_version, raw_text, channel, patient_ref, meta,
                          received_at, run_id, dag_id)
SELECT source, source_id, pipeline_version, raw_text, channel, patient_ref, meta, received_at, run_id, dag_id
FROM intakeflow_stage_in
ON CONFLICT (source, source_id, pipeline_version) DO NOTHING
"""

UPSERT_QUARANTINE = """
INSERT INTO {s}.quarantine (source, source_id, reason_code, reason, meta, run_id, dag_id)
VALUES (%(source)s, %(source_id)s, %(code)s, %(reason)s, %(meta)s, %(run_id)s, %(dag_id)s)
ON CONFLICT (source, source_id) DO UPDATE
SET reason_code = EXCLUDED.reason_code, reason = EXCLUDED.reason, meta = EXCLUDED.meta,
    run_id = COALESCE(EXCLUDED.run_id, {s}.quarantine.run_id),
    dag_id = COALESCE(EXCLUDED.dag_id, {s}.quarantine.dag_id),
    attempts = {s}.quarantine.attempts + 1, last_seen = now()
"""

UPSERT_FILTERED = """
INSERT INTO {s}.filtered (source, source_id, rule, meta, run_id, dag_id)
VALUES (%(source)s, %(source_id)s, %(rule)s, %(meta)s, %(run_id)s, %(dag_id)s)
ON CONFLICT (source, source_id) DO UPDATE
SET rule = EXCLUDED.rule, meta = EXCLUDED.meta, seen = {s}.filtered.seen + 1, last_seen = now()
"""

COUNT_FILTERED = "SELECT count(*) AS n FROM {s}.filtered"

_CLAIMABLE = """
    pipeline_version = %(pv)s
    AND status IN ('received', 'failed')
    AND (claimed_by IS NULL OR claimed_by = %(token)s
         OR claimed_at < now() - make_interval(secs => %(lease)s))
"""

EXHAUST = (
    """
UPDATE {s}.messages
SET status = 'quarantined', reason_code = 'E025', reason = %(reason)s,
    raw_text = CASE WHEN %(keep)s THEN raw_text ELSE NULL END, updated_at = now()
WHERE attempts >= %(max)s AND """
    + _CLAIMABLE
    + """
RETURNING id, source, source_id
"""
)

CLAIM = (
    """
UPDATE {s}.messages AS m
SET attempts = m.attempts + 1, claimed_by = %(token)s, claimed_at = now(), updated_at = now()
FROM (
    SELECT id FROM {s}.messages
    WHERE attempts < %(max)s AND """
    + _CLAIMABLE
    + """
      AND (%(sources)s::text[] IS NULL OR source = ANY(%(sources)s::text[]))
    ORDER BY id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
) AS c
WHERE m.id = c.id
RETURNING m.id, m.source, m.source_id, m.pipeline_version, m.raw_text, m.channel, m.patient_ref,
          m.received_at, m.attempts, m.meta
"""
)

MARK_PROCESSED = """
UPDATE {s}.messages
SET status = 'processed', redacted_text = %(redacted)s, reason_code = NULL, reason = NULL,
    raw_text = CASE WHEN %(keep)s THEN raw_text ELSE NULL END,
    processed_dag_id = %(dag_id)s, processed_run_id = %(run_id)s, timings_ms = %(timings)s,
    fallback_calls = %(fallback_calls)s, fallback_usd = %(fallback_usd)s,
    claimed_by = NULL, processed_at = clock_timestamp(), updated_at = now()
WHERE id = %(id)s AND status <> 'delivered'
RETURNING id
"""

MARK_ERROR = """
UPDATE {s}.messages
SET status = %(status)s, reason_code = %(code)s, reason = %(reason)s,
    raw_text = CASE WHEN %(keep)s THEN raw_text ELSE NULL END,
    processed_dag_id = %(dag_id)s, processed_run_id = %(run_id)s, timings_ms = %(timings)s,
    fallback_calls = %(fallback_calls)s, fallback_usd = %(fallback_usd)s,
    claimed_by = NULL, processed_at = clock_timestamp(), updated_at = now()
WHERE id = %(id)s AND status <> 'delivered'
"""

UPSERT_INTENT = """
INSERT INTO {s}.intents (message_id, intent, confidence, needs_review, queue)
VALUES (%(id)s, %(intent)s, %(confidence)s, %(review)s, %(queue)s)
ON CONFLICT (message_id) DO UPDATE
SET intent = EXCLUDED.intent, confidence = EXCLUDED.confidence, needs_review = EXCLUDED.needs_review,
    queue = EXCLUDED.queue, updated_at = now()
"""

DELETE_PHI = "DELETE FROM {s}.phi_spans WHERE message_id = ANY(%(ids)s)"

INSERT_PHI = """
INSERT INTO {s}.phi_spans (message_id, start_offset, end_offset, phi_type, detector, score)
VALUES (%(id)s, %(start)s, %(end)s, %(type)s, %(detector)s, %(score)s)
ON CONFLICT DO NOTHING
"""

UPSERT_INSURANCE = """
INSERT INTO {s}.insurance_fields (message_id, normalised, spans)
VALUES (%(id)s, %(normalised)s, %(spans)s)
ON CONFLICT (message_id) DO UPDATE
SET normalised = EXCLUDED.normalised, spans = EXCLUDED.spans, updated_at = now()
"""

PENDING_WRITEBACK = """
SELECT m.id, m.source, m.source_id, m.pipeline_version, m.raw_text, m.channel, m.patient_ref,
       m.received_at, m.attempts, m.meta, m.redacted_text,
       i.intent, i.confidence, i.needs_review, i.queue,
       f.normalised, f.spans AS insurance_spans,
       (SELECT COALESCE(json_agg(json_build_object('start', p.start_offset, 'end', p.end_offset,
                                                   'label', p.phi_type, 'source', p.detector)
                                 ORDER BY p.start_offset), '[]'::json)
        FROM {s}.phi_spans p WHERE p.message_id = m.id) AS phi
FROM {s}.messages m
LEFT JOIN {s}.intents i ON i.message_id = m.id
LEFT JOIN {s}.insurance_fields f ON f.message_id = m.id
WHERE m.pipeline_version = %(pv)s AND m.status = 'processed'
  AND (%(sources)s::text[] IS NULL OR m.source = ANY(%(sources)s::text[]))
ORDER BY m.id
LIMIT %(limit)s
"""

UPSERT_FHIR_WRITE = """
INSERT INTO {s}.fhir_writes (message_id, role, resource_type, fhir_id, version_id, status, reason_code)
VALUES (%(id)s, %(role)s, %(type)s, %(fhir_id)s, %(version)s, %(status)s, %(code)s)
ON CONFLICT (message_id, role) DO UPDATE
SET resource_type = EXCLUDED.resource_type,
    fhir_id = COALESCE(EXCLUDED.fhir_id, {s}.fhir_writes.fhir_id),
    version_id = COALESCE(EXCLUDED.version_id, {s}.fhir_writes.version_id),
    status = EXCLUDED.status, reason_code = EXCLUDED.reason_code, updated_at = now()
"""

# a write that succeeded supersedes the failed attempts before it: their rows (role
# ``bundle``, status ``failed``) would otherwise report a failure that no longer holds
CLEAR_FAILED_WRITES = """
DELETE FROM {s}.fhir_writes
WHERE message_id = %(id)s AND status = 'failed' AND NOT (role = ANY(%(roles)s))
"""

MARK_DELIVERED = """
UPDATE {s}.messages SET status = 'delivered', delivered_at = now(), updated_at = now()
WHERE id = ANY(%(ids)s) AND status = 'processed'
"""

QUARANTINE_MESSAGE = """
UPDATE {s}.messages
SET status = 'quarantined', reason_code = %(code)s, reason = %(reason)s,
    raw_text = CASE WHEN %(keep)s THEN raw_text ELSE NULL END, updated_at = now()
WHERE id = %(id)s AND status IN ('processed', 'received', 'failed')
RETURNING source, source_id
"""

UPSERT_RUN = """
INSERT INTO {s}.run_stats (dag_id, run_id, counts, timings_ms)
VALUES (%(dag)s, %(run)s, %(counts)s, %(timings)s)
ON CONFLICT (dag_id, run_id) DO UPDATE
SET counts = {s}.run_stats.counts || EXCLUDED.counts,
    timings_ms = {s}.run_stats.timings_ms || EXCLUDED.timings_ms, updated_at = now()
"""

SELECT_RUN = """
SELECT dag_id, run_id, counts, timings_ms, created_at, updated_at
FROM {s}.run_stats WHERE dag_id = %(dag)s AND run_id = %(run)s
"""

COUNT_STATUS = """
SELECT status, count(*) AS n FROM {s}.messages WHERE pipeline_version = %(pv)s GROUP BY status
"""

COUNT_QUARANTINE = "SELECT count(*) AS n FROM {s}.quarantine"
