-- Retention deletes old sync log entries and scheduled ticks in batches by
-- age; without these indexes every batch would scan the whole table.
CREATE INDEX sync_log_created ON sync_log (created_at);
CREATE INDEX scheduled_ticks_tick ON scheduled_ticks (tick_at);

-- Searches fold case by one rule on both databases (store.FoldSearch, in
-- Go: SQLite's LOWER folds ASCII only), so the searchable text is kept
-- folded beside the original: a job's error, and a failed item's key,
-- message and class joined by the unit separator (char 31). LOWER is a first
-- guess for existing rows; the store refolds in Go, in the same
-- transaction, the rows where FoldSearch differs (non-ASCII text).
ALTER TABLE jobs ADD COLUMN error_search TEXT NOT NULL DEFAULT '';
UPDATE jobs SET error_search = LOWER(error);
ALTER TABLE job_failed_items ADD COLUMN search TEXT NOT NULL DEFAULT '';
UPDATE job_failed_items SET search = LOWER(item_key || char(31) || message || char(31) || error_class);
