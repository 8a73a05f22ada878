-- A write lane: kinds that write the same Shopify values (inventory) never
-- run at the same time, across processes. A job in a lane carries its name;
-- of the active jobs of one lane, only the oldest (lowest id) runs, the
-- others wait behind it or are refused (engine.LaneParam). NULL: no lane
-- (other kinds, and previews, which write nothing).
ALTER TABLE jobs ADD COLUMN lane TEXT;
CREATE INDEX jobs_active_lane ON jobs (lane, id) WHERE lane IS NOT NULL AND status IN ('PENDING', 'RUNNING');

-- The lane's holder: the job that runs in it now. A job runs only once it
-- holds its lane (taken with a compare-and-set, so two processes can never
-- both hold it, even when a job with a lower id commits late); the holder
-- stays until it ends, and the next job takes the lane from an ended one.
CREATE TABLE write_lanes (
    lane        TEXT   PRIMARY KEY,
    job_id      BIGINT NOT NULL,
    acquired_at BIGINT NOT NULL
);
