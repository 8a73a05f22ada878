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
