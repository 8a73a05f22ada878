package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// A write lane (migration 0008) keeps kinds that write the same Shopify
// values from running at the same time, across every process on the
// database: a job in a lane carries the lane's name, and of the PENDING or
// RUNNING jobs of one lane only the oldest (the lane's head) may run. The
// head is decided by the committed rows alone, so two processes can never
// both see themselves at the head; a job leaves the lane when it ends
// (COMPLETED, FAILED or CANCELLED), which hands the lane to the next one.

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
