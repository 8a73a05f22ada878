-- A job's failed items are counted as they are written, so the unfiltered
-- count a job's detail shows on every refresh is one row read instead of a
-- scan of its failed items (100,000 of them took milliseconds each time).
-- Triggers keep the count, so every writer of failed items (the store's
-- upserts, retention's deletes) keeps it exact. An upsert that updates an
-- existing item is an UPDATE to SQLite and fires neither trigger.
ALTER TABLE jobs ADD COLUMN failed_items INTEGER NOT NULL DEFAULT 0;
UPDATE jobs SET failed_items = (SELECT COUNT(*) FROM job_failed_items f WHERE f.job_id = jobs.id);

CREATE TRIGGER job_failed_items_counted AFTER INSERT ON job_failed_items
BEGIN
    UPDATE jobs SET failed_items = failed_items + 1 WHERE id = NEW.job_id;
END;

CREATE TRIGGER job_failed_items_uncounted AFTER DELETE ON job_failed_items
BEGIN
    UPDATE jobs SET failed_items = failed_items - 1 WHERE id = OLD.job_id;
END;

-- The job that created a mapping (NULL: by hand, or before jobs recorded
-- it). An automatic match that resumes after an interruption takes the
-- mappings its earlier attempts made as its own work, not as mappings in
-- its way.
ALTER TABLE customer_mappings ADD COLUMN created_by_job BIGINT;
ALTER TABLE product_mappings ADD COLUMN created_by_job BIGINT;
