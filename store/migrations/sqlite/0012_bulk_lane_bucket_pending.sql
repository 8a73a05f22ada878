-- One Shopify bulk operation per shop at a time, across jobs and instances
-- (issue 14): the row of a shop names the job that holds its bulk lane and
-- the operation that job started ('' before it has one), so a job that
-- finds the lane held by a job that is no longer running cancels the
-- operation it left behind and takes the lane. Times are unix ms.
CREATE TABLE bulk_lanes (
    shop         TEXT   NOT NULL PRIMARY KEY,
    job_id       BIGINT NOT NULL DEFAULT 0,
    operation_id TEXT   NOT NULL DEFAULT '',
    updated_at   BIGINT NOT NULL DEFAULT 0
);

-- Requests that took points from a shared Shopify bucket (api_bucket) and
-- whose reply has not come back yet, from every instance: an observation
-- of the bucket (a reply's currentlyAvailable) does not include them yet,
-- so the shared level is the observation less these. A row of a process
-- that died leaves at expires_at (unix ms, the request timeout).
CREATE TABLE api_bucket_pending (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    api        TEXT   NOT NULL,
    scope      TEXT   NOT NULL,
    cost       REAL NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX api_bucket_pending_key ON api_bucket_pending (api, scope, expires_at);
