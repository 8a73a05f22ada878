-- One row per schedule tick that started a job: several syncops instances on
-- one database each fire the same tick, and this key lets exactly one of them
-- start the job.
CREATE TABLE scheduled_ticks (
    job_type  TEXT   NOT NULL,
    tick_at   BIGINT NOT NULL,
    job_id    BIGINT NOT NULL,
    PRIMARY KEY (job_type, tick_at)
);
