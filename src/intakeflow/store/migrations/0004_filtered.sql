-- intakeflow schema v4: inputs filtered at the source (intakeflow/sources/filters.py): expected
-- traffic without text, such as ADT messages, recorded with the rule that matched instead of
-- quarantined. One row per input (source, source_id); seen counts how often it was read, so
-- re-reading a day or a resend creates no new row. Identifiers and counts only, no text.

CREATE TABLE IF NOT EXISTS {schema}.filtered (
    id          BIGSERIAL PRIMARY KEY,
    source      TEXT NOT NULL,
    source_id   TEXT NOT NULL,
    rule        TEXT NOT NULL,
    meta        JSONB NOT NULL DEFAULT '{}'::jsonb,
    run_id      TEXT,
    dag_id      TEXT,
    seen        INTEGER NOT NULL DEFAULT 1,
    first_seen  TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen   TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT filtered_key UNIQUE (source, source_id)
);
CREATE INDEX IF NOT EXISTS filtered_rule_idx ON {schema}.filtered (rule);
