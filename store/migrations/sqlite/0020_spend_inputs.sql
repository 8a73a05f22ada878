-- A customer auto-sync visits only the mappings whose write could differ
-- from the last: not SYNCED, or an input changed since their last write.
-- Reading and planning all of them (465,000 at the scale run) took five
-- times the run's API time to find the few thousand whose spend moved.
--
-- input_version counts changes of what a mapping's write is planned from:
-- its Nhanh customer's total_amount or deletion, its Shopify customer's
-- deletion or a total_spent that differs from the value last written. The
-- triggers below keep it, so no writer of either mirror (pulls, deletion
-- marking, order re-reads, reconcile, webhooks, a hand edit) can forget.
-- synced_version is the input_version a sync planned from when it last
-- wrote the mapping (or found Nhanh's value already written): a change
-- that lands while a write is under way leaves the two apart.
--
-- Existing rows start apart (1, 0): the first auto-sync after this
-- migration visits them all once. New rows start at (0, 0) and PENDING.
-- A migration that rebuilds either mirror table drops its triggers: it
-- must create them again.
ALTER TABLE customer_mappings ADD COLUMN input_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE customer_mappings ADD COLUMN synced_version BIGINT NOT NULL DEFAULT 0;
UPDATE customer_mappings SET input_version = 1;

-- An auto-sync pages the PENDING and the FAILED mappings by the status
-- index (status, then rowid: in id order) and the changed ones by this
-- partial index, whose predicate the queries write as it stands here
-- (store.unsettledKinds). New mappings, PENDING at (0, 0), are not in it: an
-- index that held them too cost automatic matching about 0.45 s more per
-- 465,000 mappings created.
CREATE INDEX customer_mappings_changed ON customer_mappings (id) WHERE input_version <> synced_version;

CREATE TRIGGER nhanh_customers_spend_moved AFTER UPDATE OF total_amount, deleted_at ON nhanh_customers
WHEN OLD.total_amount IS NOT NEW.total_amount OR OLD.deleted_at IS NOT NEW.deleted_at
BEGIN
    UPDATE customer_mappings SET input_version = input_version + 1 WHERE nhanh_customer_id = NEW.nhanh_id;
END;

CREATE TRIGGER nhanh_customers_gone AFTER DELETE ON nhanh_customers
BEGIN
    UPDATE customer_mappings SET input_version = input_version + 1 WHERE nhanh_customer_id = OLD.nhanh_id;
END;

-- Shopify's value equal to the one last written is no change: a sync's own
-- write, recorded on the mapping first, does not unsettle it.
CREATE TRIGGER shopify_customers_spend_moved AFTER UPDATE OF total_spent, deleted_at ON shopify_customers
WHEN OLD.total_spent IS NOT NEW.total_spent OR OLD.deleted_at IS NOT NEW.deleted_at
BEGIN
    UPDATE customer_mappings SET input_version = input_version + 1
    WHERE shopify_customer_gid = NEW.gid
      AND (OLD.deleted_at IS NOT NEW.deleted_at OR last_synced_value IS NULL
           OR CAST(last_synced_value AS TEXT) IS NOT NEW.total_spent);
END;

CREATE TRIGGER shopify_customers_gone AFTER DELETE ON shopify_customers
BEGIN
    UPDATE customer_mappings SET input_version = input_version + 1 WHERE shopify_customer_gid = OLD.gid;
END;
