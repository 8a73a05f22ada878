-- The API rate budgets shared by every instance on one database (issue 14).
-- Nhanh counts requests per app, business and endpoint in a sliding window
-- and locks an endpoint (ERR_429) for everyone calling it: one row per key
-- holds the lock and serialises reservations (it is locked while a slot is
-- taken), and one row per request in the window is a slot. Times are unix ms.
CREATE TABLE api_budget (
    api          TEXT   NOT NULL,
    scope        TEXT   NOT NULL,
    endpoint     TEXT   NOT NULL,
    locked_until BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (api, scope, endpoint)
);

CREATE TABLE api_budget_slots (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    api        TEXT   NOT NULL,
    scope      TEXT   NOT NULL,
    endpoint   TEXT   NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX api_budget_slots_key ON api_budget_slots (api, scope, endpoint, expires_at);

-- Shopify's cost bucket as last known by any instance, less what instances
-- reserved since: one row per app and shop.
CREATE TABLE api_bucket (
    api          TEXT             NOT NULL,
    scope        TEXT             NOT NULL,
    maximum      REAL NOT NULL,
    available    REAL NOT NULL,
    restore_rate REAL NOT NULL,
    at           BIGINT           NOT NULL,
    PRIMARY KEY (api, scope)
);
