-- intakeflow schema v7: the audit trail of actions taken from the monitoring console, and an
-- index for the message browser's control-id search (intakeflow/plugins/monitoring/browser*).
-- audit: one row per action ('reprocess' so far): who (the Airflow user name), when, which
-- message ids, the DAGs they belong to, the reason the user typed, and what the action did
-- (counts only: ReprocessCounts.as_dict). request_id is the one-time token of the form that
-- asked for it: submitting one form twice records, and runs, the action once. No message text.
-- messages_control_idx: the last '|'-separated part of source_id, i.e. the HL7 message control
-- id (MSH-10) of a "FACILITY|CONTROL_ID" key, the whole id for other sources. source_id never
-- changes, so claims stay heap-only (HOT) updates; the index costs one entry per staged row.

CREATE TABLE IF NOT EXISTS {schema}.audit (
    id          BIGSERIAL PRIMARY KEY,
    action      TEXT        NOT NULL,
    username    TEXT        NOT NULL,
    at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    message_ids BIGINT[]    NOT NULL DEFAULT '{}',
    dag_ids     TEXT[]      NOT NULL DEFAULT '{}',
    reason      TEXT        NOT NULL,
    request_id  TEXT        NOT NULL,
    origin      TEXT        NOT NULL DEFAULT 'console',
    result      JSONB       NOT NULL DEFAULT '{}'::jsonb,
    CONSTRAINT audit_request_key UNIQUE (request_id)
);
CREATE INDEX IF NOT EXISTS audit_at_idx ON {schema}.audit (at);
CREATE INDEX IF NOT EXISTS audit_message_ids_idx ON {schema}.audit USING gin (message_ids);
CREATE INDEX IF NOT EXISTS messages_control_idx ON {schema}.messages (split_part(source_id, '|', -1));
