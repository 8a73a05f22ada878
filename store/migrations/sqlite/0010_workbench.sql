-- The operator's workbench (issue 12).
--
-- search_terms: the words of every mirrored record an operator searches by
-- (folded name words, e-mail, phone keys, SKU, barcode, id), one row per
-- (record, term), so a search is an index range per word instead of a scan
-- of every row (a LIKE over 500,000 rows takes about 65 ms on SQLite). side
-- is nc (Nhanh customer), sc (Shopify customer), np (Nhanh product) or sv
-- (Shopify variant); rec is the record's id as text. The store writes the
-- terms of every mirror row it writes.
CREATE TABLE search_terms (
    side  TEXT NOT NULL,
    rec   TEXT NOT NULL,
    term  TEXT NOT NULL,
    PRIMARY KEY (side, rec, term)
) WITHOUT ROWID;
CREATE INDEX search_terms_term ON search_terms (side, term, rec);

-- match_reasons: why the last automatic match left a Nhanh record without
-- a mapping, one row per record (kind customer or product): a code an
-- operator can filter on, the message, and the other side's candidates
-- (space-separated ids) it named.
CREATE TABLE match_reasons (
    kind        TEXT   NOT NULL,
    nhanh_id    BIGINT NOT NULL,
    code        TEXT   NOT NULL,
    message     TEXT   NOT NULL DEFAULT '',
    candidates  TEXT   NOT NULL DEFAULT '',
    job_id      BIGINT,
    at          BIGINT NOT NULL,
    PRIMARY KEY (kind, nhanh_id)
);

-- Manual mappings and orphans (a side deleted at the source) are tabs of the
-- mapping list and counted on every refresh.
CREATE INDEX customer_mappings_method ON customer_mappings (match_method);
CREATE INDEX product_mappings_method ON product_mappings (match_method);
CREATE INDEX nhanh_customers_gone ON nhanh_customers (nhanh_id) WHERE deleted_at IS NOT NULL;
CREATE INDEX shopify_customers_gone ON shopify_customers (gid) WHERE deleted_at IS NOT NULL;
CREATE INDEX nhanh_products_gone ON nhanh_products (nhanh_id) WHERE deleted_at IS NOT NULL;
CREATE INDEX shopify_variants_gone ON shopify_variants (gid) WHERE deleted_at IS NOT NULL;
