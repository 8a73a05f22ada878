-- A job's failed items are counted as they are written, so the unfiltered
-- count a job's detail shows on every refresh is one row read instead of a
-- scan of its failed items (100,000 of them took milliseconds each time).
-- Statement triggers keep the count, one UPDATE per statement and job
-- however many rows it wrote, so every writer of failed items (the store's
-- upserts, retention's deletes) keeps it exact. The insert trigger's
-- transition table holds only the rows an upsert inserted, not those it
-- updated.
ALTER TABLE jobs ADD COLUMN failed_items BIGINT NOT NULL DEFAULT 0;
UPDATE jobs SET failed_items = (SELECT COUNT(*) FROM job_failed_items f WHERE f.job_id = jobs.id);

CREATE FUNCTION job_failed_items_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE jobs j SET failed_items = j.failed_items + n.c
    FROM (SELECT job_id, COUNT(*) AS c FROM inserted_items GROUP BY job_id) n
    WHERE j.id = n.job_id;
    RETURN NULL;
END
$$;

CREATE FUNCTION job_failed_items_count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE jobs j SET failed_items = j.failed_items - n.c
    FROM (SELECT job_id, COUNT(*) AS c FROM deleted_items GROUP BY job_id) n
    WHERE j.id = n.job_id;
    RETURN NULL;
END
$$;

CREATE TRIGGER job_failed_items_counted AFTER INSERT ON job_failed_items
    REFERENCING NEW TABLE AS inserted_items
    FOR EACH STATEMENT EXECUTE FUNCTION job_failed_items_count_inserted();

CREATE TRIGGER job_failed_items_uncounted AFTER DELETE ON job_failed_items
    REFERENCING OLD TABLE AS deleted_items
    FOR EACH STATEMENT EXECUTE FUNCTION job_failed_items_count_deleted();

-- The job that created a mapping (NULL: by hand, or before jobs recorded
-- it). An automatic match that resumes after an interruption takes the
-- mappings its earlier attempts made as its own work, not as mappings in
-- its way.
ALTER TABLE customer_mappings ADD COLUMN created_by_job BIGINT;
ALTER TABLE product_mappings ADD COLUMN created_by_job BIGINT;
