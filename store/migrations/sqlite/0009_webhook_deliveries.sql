-- Webhook deliveries (issue 13): each one is stored, deduplicated on a
-- digest of its body (Nhanh sends no delivery id and retries with the same
-- body), in the transaction that answers it, before the sender gets 200.
-- A drain processes the pending ones (processed_at NULL) through River and
-- records what each caused. Times are unix ms.
CREATE TABLE webhook_deliveries (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    source       TEXT    NOT NULL,
    event        TEXT    NOT NULL,
    digest       TEXT    NOT NULL,
    body         TEXT    NOT NULL,
    received_at  BIGINT  NOT NULL,
    duplicates   INTEGER NOT NULL DEFAULT 0,
    processed_at BIGINT,
    outcome      TEXT    NOT NULL DEFAULT '',
    detail       TEXT    NOT NULL DEFAULT '',
    job_id       BIGINT  NOT NULL DEFAULT 0,
    -- A drain claims the deliveries it processes until this time, so the
    -- drains of several instances never process one twice.
    claimed_until BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX webhook_deliveries_digest ON webhook_deliveries (source, digest);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (id) WHERE processed_at IS NULL;
CREATE INDEX webhook_deliveries_received ON webhook_deliveries (received_at);
