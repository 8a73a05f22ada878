package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// A write lane (migration 0008) keeps kinds that write the same Shopify
// values from running at the same time, across every process on the
// database: a job in a lane carries the lane's name, and of the PENDING or
// RUNNING jobs of one lane only the oldest (the lane's head) may run, once
// it holds the lane (write_lanes, taken by AcquireLane's compare-and-set:
// job ids are allocated before their rows commit, so the head alone could
// change under a running job when an older Start commits late). A job
// leaves the lane when it ends (COMPLETED, FAILED or CANCELLED), which lets
// the next one take it.

// SetJobLane puts a job in a lane ("" takes it out).
func (s *Store) SetJobLane(ctx context.Context, q Querier, id int64, lane string) error {
	var v sql.NullString
	if lane != "" {
		v = sql.NullString{String: lane, Valid: true}
	}
	if _, err := q.ExecContext(ctx, `UPDATE jobs SET lane = $1 WHERE id = $2`, v, id); err != nil {
		return fmt.Errorf("set lane of job %d: %w", id, err)
	}
	return nil
}

// JobLane returns the lane of a job; "" when it has none.
func (s *Store) JobLane(ctx context.Context, q Querier, id int64) (string, error) {
	var lane sql.NullString
	err := q.QueryRowContext(ctx, `SELECT lane FROM jobs WHERE id = $1`, id).Scan(&lane)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("lane of job %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("lane of job %d: %w", id, err)
	}
	return lane.String, nil
}

// LaneHead returns the oldest PENDING or RUNNING job of a lane, the one that
// may run; ErrNotFound when the lane is free.
func (s *Store) LaneHead(ctx context.Context, q Querier, lane string) (JobRecord, error) {
	row := q.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM jobs
		WHERE lane = $1 AND status IN ('PENDING', 'RUNNING') ORDER BY id LIMIT 1`, lane)
	j, err := scanJob(row)
	if errors.Is(err, sql.ErrNoRows) {
		return JobRecord{}, ErrNotFound
	}
	if err != nil {
		return JobRecord{}, fmt.Errorf("head of lane %s: %w", lane, err)
	}
	return j, nil
}

// AcquireLane makes job the holder of lane if the lane is free: it has no
// holder, or its holder is job itself or a job no longer PENDING or
// RUNNING. It returns the holder after the call: job when it holds the
// lane, else the job that does. Each step is a single atomic statement (an
// insert that does nothing on conflict, then a compare-and-set on the
// holder), so two callers never both hold a lane, on either database.
func (s *Store) AcquireLane(ctx context.Context, q Querier, lane string, job int64, now time.Time) (int64, error) {
	res, err := q.ExecContext(ctx, `INSERT INTO write_lanes (lane, job_id, acquired_at) VALUES ($1, $2, $3)
		ON CONFLICT (lane) DO NOTHING`, lane, job, Millis(now))
	if err != nil {
		return 0, fmt.Errorf("acquire lane %s: %w", lane, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 1 {
		return job, nil
	}
	res, err = q.ExecContext(ctx, `UPDATE write_lanes SET job_id = $2, acquired_at = $3
		WHERE lane = $1 AND (job_id = $2 OR NOT EXISTS (
			SELECT 1 FROM jobs WHERE jobs.id = write_lanes.job_id AND jobs.status IN ('PENDING', 'RUNNING')))`,
		lane, job, Millis(now))
	if err != nil {
		return 0, fmt.Errorf("acquire lane %s: %w", lane, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 1 {
		return job, nil
	}
	var holder int64
	if err := q.QueryRowContext(ctx, `SELECT job_id FROM write_lanes WHERE lane = $1`, lane).Scan(&holder); err != nil {
		return 0, fmt.Errorf("holder of lane %s: %w", lane, err)
	}
	return holder, nil
}
