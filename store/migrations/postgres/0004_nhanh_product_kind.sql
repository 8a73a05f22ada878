-- What kind of unit a Nhanh product is (issue 11 item 9): a parent product
-- (parent_id -2, or named as another product's parent_id) and a combo (a
-- bundle of other products) are not sellable units, and matching leaves them
-- to the operator. parent_id keeps Nhanh's value as sent: the parent's id for
-- a child, -2 for a parent, 0 or -1 for a standalone product.
ALTER TABLE nhanh_products ADD COLUMN parent_id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE nhanh_products ADD COLUMN combo INTEGER NOT NULL DEFAULT 0;
