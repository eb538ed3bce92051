-- intakeflow schema v8: what waits for processing, by source and age, read often and cheaply.
-- The live feed's watcher (a trigger in Airflow's triggerer) re-checks the queue every few
-- seconds and a watchdog asks for the oldest queued age per source; this partial index holds
-- only the rows still waiting (status received), so both stay index-only lookups however many
-- processed rows the table keeps.

CREATE INDEX IF NOT EXISTS messages_queued_idx ON {schema}.messages (source, created_at) WHERE status = 'received';
