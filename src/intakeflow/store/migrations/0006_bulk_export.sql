-- intakeflow schema v6: FHIR Bulk Data exports (intakeflow/bulk_export.py). One row per export
-- job: the status URL it polls, the manifest once the server has it, and per output file a
-- checkpoint of the lines (and bytes) already staged, so a killed download resumes where the
-- last committed batch ended. The watermark of the next incremental export (its _since) is the
-- transaction_time of the last complete export of the same source and export_key (level, group
-- and resource types). URLs, times and counts only: no resource content.

CREATE TABLE IF NOT EXISTS {schema}.bulk_exports (
    id               BIGSERIAL PRIMARY KEY,
    source           TEXT        NOT NULL,
    export_key       TEXT        NOT NULL,
    status_url       TEXT        NOT NULL,
    since            TIMESTAMPTZ,
    state            TEXT        NOT NULL DEFAULT 'exporting'
        CHECK (state IN ('exporting', 'downloading', 'complete', 'failed', 'expired')),
    transaction_time TIMESTAMPTZ,
    manifest         JSONB,
    files            JSONB       NOT NULL DEFAULT '{}'::jsonb,
    counts           JSONB       NOT NULL DEFAULT '{}'::jsonb,
    deleted          BOOLEAN     NOT NULL DEFAULT FALSE,
    run_id           TEXT,
    dag_id           TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    completed_at     TIMESTAMPTZ
);
-- at most one unfinished export per source and key: a second run resumes it instead
CREATE UNIQUE INDEX IF NOT EXISTS bulk_exports_open_idx ON {schema}.bulk_exports (source, export_key)
    WHERE state IN ('exporting', 'downloading');
CREATE INDEX IF NOT EXISTS bulk_exports_watermark_idx ON {schema}.bulk_exports (source, export_key, transaction_time)
    WHERE state = 'complete';
