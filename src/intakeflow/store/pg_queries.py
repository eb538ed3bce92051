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

# one quarantine row per message (source, source_id): a repeat updates it and counts the attempt;
# every statement that quarantines ends with this clause
_QUARANTINE_UPSERT = """ON CONFLICT (source, source_id) DO UPDATE
SET reason_code = EXCLUDED.reason_code, reason = EXCLUDED.reason, meta = EXCLUDED.meta,
    run_id = COALESCE(EXCLUDED.run_id, {s}.quarantine.run_id),
    dag_id = COALESCE(EXCLUDED.dag_id, {s}.quarantine.dag_id),
    attempts = {s}.quarantine.attempts + 1, last_seen = now()
"""

UPSERT_QUARANTINE = (
    """
INSERT INTO {s}.quarantine (source, source_id, reason_code, reason, meta, run_id, dag_id)
VALUES (%(source)s, %(source_id)s, %(code)s, %(reason)s, %(meta)s, %(run_id)s, %(dag_id)s)
"""
    + _QUARANTINE_UPSERT
)

UPSERT_FILTERED = """
INSERT INTO {s}.filtered (source, source_id, rule, meta, run_id, dag_id)
VALUES (%(source)s, %(source_id)s, %(rule)s, %(meta)s, %(run_id)s, %(dag_id)s)
ON CONFLICT (source, source_id) DO UPDATE
SET rule = EXCLUDED.rule, meta = EXCLUDED.meta, seen = {s}.filtered.seen + 1, last_seen = now()
"""

COUNT_FILTERED = "SELECT count(*) AS n FROM {s}.filtered"

# the listener's wake-up call, sent in the staging transaction (delivered only if it commits);
# the payload names the schema and sources and counts rows, never content
NOTIFY_STAGED = "SELECT pg_notify(%(channel)s, %(payload)s)"

# what waits for processing (status received) per source: how many, how many of them a run
# holds (claimed: being processed, or left by a killed run until its lease ends), and the age
# of the oldest, all and unclaimed. Every pipeline version counts: rows staged under a version
# no worker runs wait forever, which is what a watchdog is for. The comment names the query
# in pg_stat_activity. Served by the partial index messages_queued_idx.
QUEUE_AGES = """
/* intakeflow:queue-ages */
SELECT source, count(*) AS queued, count(*) FILTER (WHERE claimed_by IS NOT NULL) AS in_hand,
       EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS oldest_s,
       EXTRACT(EPOCH FROM now() - min(created_at) FILTER (WHERE claimed_by IS NULL))::float8 AS oldest_unclaimed_s
FROM {s}.messages
WHERE status = 'received' AND (%(sources)s::text[] IS NULL OR source = ANY(%(sources)s::text[]))
GROUP BY source ORDER BY source
"""

# ``busy``: ids this claimer holds in flight (claimed ahead, not saved yet); its own token
# would otherwise hand them out again (the resume rule) or quarantine them under E025
_CLAIMABLE = """
    pipeline_version = %(pv)s
    AND status IN ('received', 'failed')
    AND (claimed_by IS NULL OR claimed_by = %(token)s
         OR claimed_at < now() - make_interval(secs => %(lease)s))
    AND NOT (id = ANY(%(busy)s::bigint[]))
"""

# rows that used up their attempts -> quarantined (E025), message and quarantine row in one
# statement (no round trip to hand the ids back); meta and run as ``quarantine_row`` writes them
EXHAUST = (
    """
WITH exhausted AS (
    UPDATE {s}.messages
    SET status = 'quarantined', reason_code = 'E025', reason = %(reason)s,
        raw_text = CASE WHEN %(keep)s THEN raw_text ELSE NULL END, updated_at = now()
    WHERE attempts >= %(max)s AND """
    + _CLAIMABLE
    + """
    RETURNING id, source, source_id
)
INSERT INTO {s}.quarantine (source, source_id, reason_code, reason, meta, run_id, dag_id)
SELECT DISTINCT ON (source, source_id) source, source_id, 'E025', %(reason)s,
       jsonb_build_object('message_id', id), %(token)s, NULL
FROM exhausted
ORDER BY source, source_id, id DESC
"""
    + _QUARANTINE_UPSERT
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

# The results of a batch go in as one JSON array of row objects (``rows``: one json.dumps
# on the client, no per-value array quoting): one statement for messages + intents +
# insurance (data-modifying CTEs), one to clear and one to insert PHI spans. A row already
# ``delivered`` is left alone and gets nothing (``saved``: the rows that took their result;
# after SAVE_OK they are exactly the batch's rows in status ``processed``).
SAVE_OK = """
WITH u AS (
    SELECT * FROM jsonb_to_recordset(%(rows)s::jsonb)
        AS u(id bigint, redacted text, timings jsonb, fallback_calls integer, fallback_usd double precision,
             intent text, confidence double precision, review boolean, queue text, normalised jsonb, spans jsonb)
), saved AS (
    UPDATE {s}.messages AS m
    SET status = 'processed', redacted_text = u.redacted, reason_code = NULL, reason = NULL,
        raw_text = CASE WHEN %(keep)s THEN m.raw_text ELSE NULL END,
        processed_dag_id = %(dag_id)s, processed_run_id = %(run_id)s, timings_ms = u.timings,
        fallback_calls = u.fallback_calls, fallback_usd = u.fallback_usd,
        claimed_by = NULL, processed_at = clock_timestamp(), updated_at = now()
    FROM u
    WHERE m.id = u.id AND m.status <> 'delivered'
    RETURNING m.id
), intents AS (
    INSERT INTO {s}.intents (message_id, intent, confidence, needs_review, queue)
    SELECT u.id, u.intent, u.confidence, u.review, u.queue FROM u JOIN saved USING (id)
    ON CONFLICT (message_id) DO UPDATE
    SET intent = EXCLUDED.intent, confidence = EXCLUDED.confidence, needs_review = EXCLUDED.needs_review,
        queue = EXCLUDED.queue, updated_at = now()
), insurance AS (
    INSERT INTO {s}.insurance_fields (message_id, normalised, spans)
    SELECT u.id, u.normalised, u.spans FROM u JOIN saved USING (id)
    ON CONFLICT (message_id) DO UPDATE
    SET normalised = EXCLUDED.normalised, spans = EXCLUDED.spans, updated_at = now()
)
SELECT id FROM saved
"""

DELETE_SAVED_PHI = """
DELETE FROM {s}.phi_spans AS p USING {s}.messages AS m
WHERE p.message_id = m.id AND m.id = ANY(%(ids)s::bigint[]) AND m.status = 'processed'
"""

INSERT_SAVED_PHI = """
INSERT INTO {s}.phi_spans (message_id, start_offset, end_offset, phi_type, detector, score)
SELECT p.id, p.start_offset, p.end_offset, p.phi_type, p.detector, p.score
FROM jsonb_to_recordset(%(rows)s::jsonb)
     AS p(id bigint, start_offset integer, end_offset integer, phi_type text, detector text, score double precision)
JOIN {s}.messages AS m ON m.id = p.id AND m.status = 'processed'
ON CONFLICT DO NOTHING
"""

# error results: failed (retried) or quarantined (terminal), the quarantine row in the same
# statement; returns the rows that took their result
SAVE_ERRORS = (
    """
WITH u AS (
    SELECT * FROM jsonb_to_recordset(%(rows)s::jsonb)
        AS u(id bigint, status text, code text, reason text, keep boolean, timings jsonb, fallback_calls integer,
             fallback_usd double precision)
), saved AS (
    UPDATE {s}.messages AS m
    SET status = u.status, reason_code = u.code, reason = u.reason,
        raw_text = CASE WHEN u.keep THEN m.raw_text ELSE NULL END,
        processed_dag_id = %(dag_id)s, processed_run_id = %(run_id)s, timings_ms = u.timings,
        fallback_calls = u.fallback_calls, fallback_usd = u.fallback_usd,
        claimed_by = NULL, processed_at = clock_timestamp(), updated_at = now()
    FROM u
    WHERE m.id = u.id AND m.status <> 'delivered'
    RETURNING m.id, m.source, m.source_id, m.status
), quarantined AS (
    INSERT INTO {s}.quarantine (source, source_id, reason_code, reason, meta, run_id, dag_id)
    SELECT DISTINCT ON (saved.source, saved.source_id) saved.source, saved.source_id, u.code, u.reason,
           jsonb_build_object('message_id', u.id, 'stage', 'pipeline'), %(run_id)s, %(dag_id)s
    FROM u JOIN saved USING (id)
    WHERE saved.status = 'quarantined'
    ORDER BY saved.source, saved.source_id, u.id DESC
"""
    + _QUARANTINE_UPSERT
    + """)
SELECT id, status FROM saved
"""
)

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

# what a write-back pass did, for many messages in one transaction (rows: JSON array)
UPSERT_FHIR_WRITES = """
INSERT INTO {s}.fhir_writes (message_id, role, resource_type, fhir_id, version_id, status, reason_code)
SELECT r.id, r.role, r.type, r.fhir_id, r.version, r.status, r.code
FROM jsonb_to_recordset(%(rows)s::jsonb)
     AS r(id bigint, role text, type text, fhir_id text, version text, status text, code text)
ON CONFLICT (message_id, role) DO UPDATE
SET resource_type = EXCLUDED.resource_type,
    fhir_id = COALESCE(EXCLUDED.fhir_id, {s}.fhir_writes.fhir_id),
    version_id = COALESCE(EXCLUDED.version_id, {s}.fhir_writes.version_id),
    status = EXCLUDED.status, reason_code = EXCLUDED.reason_code, updated_at = now()
"""

# after UPSERT_FHIR_WRITES of a write without failures, the failed rows left are of roles it
# did not write (the ``bundle`` row of a failed attempt): superseded
CLEAR_FAILED_WRITES_OF = """
DELETE FROM {s}.fhir_writes WHERE message_id = ANY(%(ids)s::bigint[]) AND status = 'failed'
"""

MARK_DELIVERED_RETURNING = """
UPDATE {s}.messages SET status = 'delivered', delivered_at = now(), updated_at = now()
WHERE id = ANY(%(ids)s::bigint[]) AND status = 'processed'
RETURNING id
"""

# processed messages whose write-back can never succeed (E031), with their quarantine rows
QUARANTINE_MESSAGES = (
    """
WITH u AS (
    SELECT * FROM jsonb_to_recordset(%(rows)s::jsonb) AS u(id bigint, code text, reason text)
), moved AS (
    UPDATE {s}.messages AS m
    SET status = 'quarantined', reason_code = u.code, reason = u.reason,
        raw_text = CASE WHEN %(keep)s THEN m.raw_text ELSE NULL END, updated_at = now()
    FROM u
    WHERE m.id = u.id AND m.status IN ('processed', 'received', 'failed')
    RETURNING m.id, m.source, m.source_id
)
INSERT INTO {s}.quarantine (source, source_id, reason_code, reason, meta, run_id, dag_id)
SELECT DISTINCT ON (moved.source, moved.source_id) moved.source, moved.source_id, u.code, u.reason,
       jsonb_build_object('message_id', u.id, 'stage', 'writeback'), NULL, NULL
FROM u JOIN moved USING (id)
ORDER BY moved.source, moved.source_id, u.id DESC
"""
    + _QUARANTINE_UPSERT
)

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
