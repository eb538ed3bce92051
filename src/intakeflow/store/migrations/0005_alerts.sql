-- intakeflow schema v5: the watchdog (intakeflow/health/). Figures, codes and names only, no text.
-- alerts: one row per alert key (check:subject, e.g. backlog:mllp), its state now. An alert
--   fires once when its condition starts and resolves once it has been clear for the
--   configured resolve_after_s; notified maps each notifier's name to the state it was last
--   told ('firing' or 'resolved'), so a notifier that failed is told again at the next check
--   and one that succeeded never twice.
-- watchdog: the last evaluation (one row): when, with which thresholds, and its results.
-- listener_heartbeats: each MLLP listener (source, host:port) says it is alive every few
--   seconds; stopped_at is set at a clean shutdown.
-- Indexes for the checks that run every minute, so that none reads the whole table: waiting
-- messages per source (partial: only received and failed rows; a claim changes none of its
-- columns, so claims stay heap-only updates), each source's last input (source, created_at),
-- failed write-backs by time (partial), filtered inputs by time and per source (a feed of
-- only filtered ADT is still a live feed), inputs quarantined by when first seen (the
-- quarantine share reads the channel query's period) and per source by when last seen.
-- Only that last one indexes a time that changes (quarantine.last_seen was indexed already):
-- claims and filtered re-reads keep their heap-only updates.

CREATE TABLE IF NOT EXISTS {schema}.alerts (
    key             TEXT PRIMARY KEY,
    check_name      TEXT NOT NULL,
    subject         TEXT NOT NULL,
    code            TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('firing', 'resolved')),
    figures         JSONB NOT NULL DEFAULT '{}'::jsonb,
    thresholds      JSONB NOT NULL DEFAULT '{}'::jsonb,
    fired_at        TIMESTAMPTZ NOT NULL,
    clear_since     TIMESTAMPTZ,
    resolved_at     TIMESTAMPTZ,
    last_checked_at TIMESTAMPTZ NOT NULL,
    fire_count      INTEGER NOT NULL DEFAULT 1,
    notified        JSONB NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX IF NOT EXISTS alerts_state_idx ON {schema}.alerts (state);

CREATE TABLE IF NOT EXISTS {schema}.watchdog (
    id          SMALLINT PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    checked_at  TIMESTAMPTZ NOT NULL,
    thresholds  JSONB NOT NULL DEFAULT '{}'::jsonb,
    results     JSONB NOT NULL DEFAULT '[]'::jsonb,
    notifiers   JSONB NOT NULL DEFAULT '[]'::jsonb
);

CREATE TABLE IF NOT EXISTS {schema}.listener_heartbeats (
    source        TEXT NOT NULL,
    instance      TEXT NOT NULL,
    pid           INTEGER,
    started_at    TIMESTAMPTZ NOT NULL,
    beat_at       TIMESTAMPTZ NOT NULL,
    stopped_at    TIMESTAMPTZ,
    last_input_at TIMESTAMPTZ,
    counts        JSONB NOT NULL DEFAULT '{}'::jsonb,
    PRIMARY KEY (source, instance)
);

CREATE INDEX IF NOT EXISTS messages_waiting_idx ON {schema}.messages (source, created_at)
    WHERE status IN ('received', 'failed');
CREATE INDEX IF NOT EXISTS messages_source_created_idx ON {schema}.messages (source, created_at);
CREATE INDEX IF NOT EXISTS fhir_writes_failed_idx ON {schema}.fhir_writes (updated_at) WHERE status = 'failed';
CREATE INDEX IF NOT EXISTS filtered_first_seen_idx ON {schema}.filtered (first_seen);
CREATE INDEX IF NOT EXISTS filtered_source_first_seen_idx ON {schema}.filtered (source, first_seen);
CREATE INDEX IF NOT EXISTS quarantine_first_seen_idx ON {schema}.quarantine (first_seen);
CREATE INDEX IF NOT EXISTS quarantine_source_seen_idx ON {schema}.quarantine (source, last_seen);
