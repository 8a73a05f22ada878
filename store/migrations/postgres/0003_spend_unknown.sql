-- Nhanh may send totalAmount as null or leave it out: the spend is unknown,
-- which is not 0. The mirror keeps it as NULL so nothing reads it as a known
-- zero (a sync writing 0 over a real spend is data loss).
ALTER TABLE nhanh_customers ALTER COLUMN total_amount DROP NOT NULL;
ALTER TABLE nhanh_customers ALTER COLUMN total_amount DROP DEFAULT;

-- Shopify's current custom.total_spent as the last customer pull read it
-- (NULL: the customer has none, or no pull has read it yet): what an
-- auto-sync compares Nhanh's spend with to find a hand edit.
ALTER TABLE shopify_customers ADD COLUMN total_spent TEXT;
