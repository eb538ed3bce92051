-- intakeflow schema v2: reprocessing bookkeeping (intakeflow/store/pg_reprocess.py).
-- reprocess_count / reprocessed_at: how often and when a failed or quarantined message was
-- put back to 'received' (same row, same id). reprocessed_from: for a copy staged under a
-- new pipeline version, the id of the row it was copied from (results stay side by side).

ALTER TABLE {schema}.messages ADD COLUMN IF NOT EXISTS reprocess_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE {schema}.messages ADD COLUMN IF NOT EXISTS reprocessed_at TIMESTAMPTZ;
ALTER TABLE {schema}.messages ADD COLUMN IF NOT EXISTS reprocessed_from BIGINT
    REFERENCES {schema}.messages (id) ON DELETE SET NULL;
CREATE INDEX IF NOT EXISTS messages_run_idx ON {schema}.messages (run_id);
