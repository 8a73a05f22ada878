package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Schedule is the operator's cron setting for one job type.
type Schedule struct {
	JobType   string
	Cron      string // validated by the scheduler, which knows the cron dialect
	Enabled   bool
	Params    json.RawMessage // the job's parameters; empty means {}
	UpdatedBy string
	UpdatedAt time.Time
}

// ScheduleVersion changes whenever any schedule row is written, so a running
// scheduler can poll it cheaply to notice edits made by another process.
// Compare versions with ==.
type ScheduleVersion struct {
	Count        int64 // schedule rows
	Revisions    int64 // sum of the rows' revision counters; every write adds one
	MaxUpdatedAt int64 // unix ms of the latest write
}

const scheduleColumns = `job_type, cron, enabled, params, updated_by, updated_at`

func scanSchedule(sc scanner) (Schedule, error) {
	var sch Schedule
	var params string
	var updated int64
	if err := sc.Scan(&sch.JobType, &sch.Cron, &sch.Enabled, &params, &sch.UpdatedBy, &updated); err != nil {
		return sch, err
	}
	sch.Params, sch.UpdatedAt = json.RawMessage(params), FromMillis(updated)
	return sch, nil
}

// Schedules returns every schedule, by job type.
func (s *Store) Schedules(ctx context.Context, q Querier) ([]Schedule, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+scheduleColumns+` FROM schedules ORDER BY job_type`)
	if err != nil {
		return nil, fmt.Errorf("list schedules: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var out []Schedule
	for rows.Next() {
		sch, err := scanSchedule(rows)
		if err != nil {
			return nil, fmt.Errorf("scan schedule: %w", err)
		}
		out = append(out, sch)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("list schedules: %w", err)
	}
	return out, nil
}

// Schedule returns one job type's schedule, or ErrNotFound.
func (s *Store) Schedule(ctx context.Context, q Querier, jobType string) (Schedule, error) {
	sch, err := scanSchedule(q.QueryRowContext(ctx,
		`SELECT `+scheduleColumns+` FROM schedules WHERE job_type = $1`, jobType))
	if errors.Is(err, sql.ErrNoRows) {
		return Schedule{}, fmt.Errorf("schedule %q: %w", jobType, ErrNotFound)
	}
	if err != nil {
		return Schedule{}, fmt.Errorf("schedule %q: %w", jobType, err)
	}
	return sch, nil
}

// UpsertSchedule creates or replaces a job type's schedule and bumps its
// revision. UpdatedAt must be set.
func (s *Store) UpsertSchedule(ctx context.Context, q Querier, sch Schedule) error {
	params := sch.Params
	if len(params) == 0 {
		params = json.RawMessage(`{}`)
	}
	switch {
	case sch.JobType == "":
		return errors.New("save schedule: no job type")
	case sch.Cron == "":
		return fmt.Errorf("save schedule %q: no cron expression", sch.JobType)
	case !json.Valid(params):
		return fmt.Errorf("save schedule %q: params are not JSON", sch.JobType)
	case sch.UpdatedAt.IsZero():
		return fmt.Errorf("save schedule %q: no update time", sch.JobType)
	}
	_, err := q.ExecContext(ctx, `INSERT INTO schedules (`+scheduleColumns+`, revision)
		VALUES ($1, $2, $3, $4, $5, $6, 1)
		ON CONFLICT (job_type) DO UPDATE SET cron = excluded.cron, enabled = excluded.enabled,
			params = excluded.params, updated_by = excluded.updated_by, updated_at = excluded.updated_at,
			revision = schedules.revision + 1`,
		sch.JobType, sch.Cron, sch.Enabled, string(params), sch.UpdatedBy, Millis(sch.UpdatedAt))
	if err != nil {
		return fmt.Errorf("save schedule %q: %w", sch.JobType, err)
	}
	return nil
}

// SchedulesVersion returns the current ScheduleVersion with one small query.
func (s *Store) SchedulesVersion(ctx context.Context, q Querier) (ScheduleVersion, error) {
	var v ScheduleVersion
	err := q.QueryRowContext(ctx, `SELECT COUNT(*), CAST(COALESCE(SUM(revision), 0) AS BIGINT),
		COALESCE(MAX(updated_at), 0) FROM schedules`).Scan(&v.Count, &v.Revisions, &v.MaxUpdatedAt)
	if err != nil {
		return v, fmt.Errorf("schedules version: %w", err)
	}
	return v, nil
}
