-- intakeflow schema v1. The placeholder {schema} is replaced by the quoted schema name.
-- Text policy: messages.raw_text holds the inbound text only while the message waits for
-- processing (status received, or failed with attempts left). Once processed, delivered or
-- quarantined it is set to NULL unless the store was configured with store_raw=true.
-- redacted_text is kept always once processed. PHI tables hold offsets and types, never values.

CREATE TABLE IF NOT EXISTS {schema}.messages (
    id               BIGSERIAL PRIMARY KEY,
    source           TEXT        NOT NULL,
    source_id        TEXT        NOT NULL,
    pipeline_version TEXT        NOT NULL,
    status           TEXT        NOT NULL DEFAULT 'received'
        CHECK (status IN ('received', 'processed', 'delivered', 'failed', 'quarantined')),
    attempts         INTEGER     NOT NULL DEFAULT 0,
    reason_code      TEXT,
    reason           TEXT,
    raw_text         TEXT,
    redacted_text    TEXT,
    channel          TEXT,
    patient_ref      TEXT,
    meta             JSONB       NOT NULL DEFAULT '{}'::jsonb,
    received_at      TIMESTAMPTZ,
    run_id           TEXT,
    claimed_by       TEXT,
    claimed_at       TIMESTAMPTZ,
    processed_at     TIMESTAMPTZ,
    delivered_at     TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT messages_key UNIQUE (source, source_id, pipeline_version)
);
CREATE INDEX IF NOT EXISTS messages_status_idx ON {schema}.messages (pipeline_version, status, id);

CREATE TABLE IF NOT EXISTS {schema}.intents (
    message_id   BIGINT PRIMARY KEY REFERENCES {schema}.messages (id) ON DELETE CASCADE,
    intent       TEXT,
    confidence   DOUBLE PRECISION NOT NULL DEFAULT 0,
    needs_review BOOLEAN NOT NULL DEFAULT TRUE,
    queue        TEXT,
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS {schema}.phi_spans (
    message_id   BIGINT  NOT NULL REFERENCES {schema}.messages (id) ON DELETE CASCADE,
    start_offset INTEGER NOT NULL,
    end_offset   INTEGER NOT NULL,
    phi_type     TEXT    NOT NULL,
    detector     TEXT,
    score        DOUBLE PRECISION,
    PRIMARY KEY (message_id, start_offset, end_offset, phi_type),
    CHECK (0 <= start_offset AND start_offset < end_offset)
);

CREATE TABLE IF NOT EXISTS {schema}.insurance_fields (
    message_id BIGINT PRIMARY KEY REFERENCES {schema}.messages (id) ON DELETE CASCADE,
    normalised JSONB NOT NULL DEFAULT '{}'::jsonb,
    spans      JSONB NOT NULL DEFAULT '[]'::jsonb,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS {schema}.run_stats (
    dag_id      TEXT NOT NULL,
    run_id      TEXT NOT NULL,
    counts      JSONB NOT NULL DEFAULT '{}'::jsonb,
    timings_ms  JSONB NOT NULL DEFAULT '{}'::jsonb,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (dag_id, run_id)
);

CREATE TABLE IF NOT EXISTS {schema}.quarantine (
    id          BIGSERIAL PRIMARY KEY,
    source      TEXT NOT NULL,
    source_id   TEXT NOT NULL,
    reason_code TEXT NOT NULL,
    reason      TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 1,
    meta        JSONB NOT NULL DEFAULT '{}'::jsonb,
    run_id      TEXT,
    first_seen  TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen   TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT quarantine_key UNIQUE (source, source_id)
);

CREATE TABLE IF NOT EXISTS {schema}.fhir_writes (
    id            BIGSERIAL PRIMARY KEY,
    message_id    BIGINT NOT NULL REFERENCES {schema}.messages (id) ON DELETE CASCADE,
    resource_type TEXT NOT NULL,
    role          TEXT NOT NULL,
    fhir_id       TEXT,
    version_id    TEXT,
    status        TEXT NOT NULL,
    reason_code   TEXT,
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT fhir_writes_key UNIQUE (message_id, role)
);
