-- Retention deletes old sync log entries and scheduled ticks in batches by
-- age; without these indexes every batch would scan the whole table.
CREATE INDEX sync_log_created ON sync_log (created_at);
CREATE INDEX scheduled_ticks_tick ON scheduled_ticks (tick_at);
