-- Manual mappings are a handful among hundreds of thousands: index only them.
-- A full index on match_method made every automatic match pay one more
-- B-tree insert per mapping (AUTO_MATCH_CUSTOMERS at 500,000 spent about a
-- tenth of its write time on it) for a tab that only ever asks for
-- match_method = 'manual'. The queries write that literal so both planners
-- can use the partial index.
DROP INDEX customer_mappings_method;
DROP INDEX product_mappings_method;
CREATE INDEX customer_mappings_manual ON customer_mappings (id) WHERE match_method = 'manual';
CREATE INDEX product_mappings_manual ON product_mappings (id) WHERE match_method = 'manual';
