-- Nhanh may send totalAmount as null or leave it out: the spend is unknown,
-- which is not 0. The mirror keeps it as NULL so nothing reads it as a known
-- zero (a sync writing 0 over a real spend is data loss). SQLite cannot drop
-- NOT NULL in place, so the table is rebuilt.
CREATE TABLE nhanh_customers_new (
    nhanh_id          BIGINT  PRIMARY KEY,
    customer_type     INTEGER NOT NULL DEFAULT 0,
    name              TEXT    NOT NULL DEFAULT '',
    mobile            TEXT    NOT NULL DEFAULT '',
    email             TEXT    NOT NULL DEFAULT '',
    address           TEXT    NOT NULL DEFAULT '',
    city              TEXT    NOT NULL DEFAULT '',
    total_amount      REAL,
    last_bought_date  TEXT    NOT NULL DEFAULT '',
    remote_updated_at BIGINT  NOT NULL DEFAULT 0,
    deleted_at        BIGINT,
    pulled_at         BIGINT  NOT NULL
);
INSERT INTO nhanh_customers_new SELECT nhanh_id, customer_type, name, mobile, email, address, city,
    total_amount, last_bought_date, remote_updated_at, deleted_at, pulled_at FROM nhanh_customers;
DROP TABLE nhanh_customers;
ALTER TABLE nhanh_customers_new RENAME TO nhanh_customers;
CREATE INDEX nhanh_customers_mobile ON nhanh_customers (mobile);

-- Shopify's current custom.total_spent as the last customer pull read it
-- (NULL: the customer has none, or no pull has read it yet): what an
-- auto-sync compares Nhanh's spend with to find a hand edit.
ALTER TABLE shopify_customers ADD COLUMN total_spent TEXT;
