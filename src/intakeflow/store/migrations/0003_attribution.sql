-- intakeflow schema v3: which DAG run staged and which processed each row, and per-message
-- figures for the monitoring page (intakeflow/monitoring). All counts and offsets, no text.
-- dag_id: DAG whose run staged the row (NULL for the MLLP listener and the CLI).
-- processed_dag_id / processed_run_id: the run whose process task saved the last result.
-- timings_ms: pipeline stage timings of that result; fallback_*: its API fallback usage.
-- processed_at is from now on set for every saved result, success or error (status tells
-- which). Indexes: only columns that change at most once per row (created_at, processed_at),
-- so that claims stay heap-only (HOT) updates.

ALTER TABLE {schema}.messages ADD COLUMN IF NOT EXISTS dag_id TEXT;
ALTER TABLE {schema}.messages ADD COLUMN IF NOT EXISTS processed_dag_id TEXT;
ALTER TABLE {schema}.messages ADD COLUMN IF NOT EXISTS processed_run_id TEXT;
ALTER TABLE {schema}.messages ADD COLUMN IF NOT EXISTS timings_ms JSONB;
ALTER TABLE {schema}.messages ADD COLUMN IF NOT EXISTS fallback_calls INTEGER NOT NULL DEFAULT 0;
ALTER TABLE {schema}.messages ADD COLUMN IF NOT EXISTS fallback_usd DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE {schema}.quarantine ADD COLUMN IF NOT EXISTS dag_id TEXT;
CREATE INDEX IF NOT EXISTS messages_created_idx ON {schema}.messages (created_at);
CREATE INDEX IF NOT EXISTS messages_processed_at_idx ON {schema}.messages (processed_at);
CREATE INDEX IF NOT EXISTS quarantine_run_idx ON {schema}.quarantine (dag_id, run_id);
CREATE INDEX IF NOT EXISTS quarantine_last_seen_idx ON {schema}.quarantine (last_seen);
