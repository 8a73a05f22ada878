-- A preview (a sync started with dryRun) writes nothing to Shopify; what it
-- would have written is kept here, one row per mapping and, for inventory,
-- per location: the value Shopify holds now (NULL when not known, with
-- where it was read in old_source) and the value the sync would write, or
-- why the item would be left alone or fail. search_text is the row's
-- searchable text folded to lower case in Go (SQLite's LOWER folds ASCII
-- only), so a search finds Vietnamese names on both databases alike.
CREATE TABLE sync_diffs (
    job_id        BIGINT  NOT NULL,
    mapping_id    BIGINT  NOT NULL,
    location_gid  TEXT    NOT NULL DEFAULT '',
    location_name TEXT    NOT NULL DEFAULT '',
    item_name     TEXT    NOT NULL DEFAULT '',
    nhanh_id      TEXT    NOT NULL DEFAULT '',
    shopify_id    TEXT    NOT NULL DEFAULT '',
    action        TEXT    NOT NULL,
    old_value     BIGINT,
    old_source    TEXT    NOT NULL DEFAULT '',
    new_value     BIGINT,
    reason        TEXT    NOT NULL DEFAULT '',
    search_text   TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (job_id, mapping_id, location_gid)
);
