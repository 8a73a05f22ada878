package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// JobStatus is a job's state as operators see it.
//
//	PENDING ──> RUNNING ──> COMPLETED (failed items may be > 0)
//	   │           │  └───> FAILED    (the job itself could not go on)
//	   └───────────┴──────> CANCELLED (an operator, or a forced restart)
//
// A RUNNING job whose process died goes back to RUNNING on its next attempt
// after River rescues it; it resumes from its checkpoint.
type JobStatus string

// Job statuses.
const (
	JobPending   JobStatus = "PENDING"
	JobRunning   JobStatus = "RUNNING"
	JobCompleted JobStatus = "COMPLETED"
	JobFailed    JobStatus = "FAILED"
	JobCancelled JobStatus = "CANCELLED"
)

// Terminal reports whether the status is final.
func (s JobStatus) Terminal() bool {
	return s == JobCompleted || s == JobFailed || s == JobCancelled
}

// Counters are a job's progress counters. Processed is always
// Successful + Failed + Skipped.
type Counters struct {
	Total      int64 `json:"total"`
	Processed  int64 `json:"processed"`
	Successful int64 `json:"successful"`
	Failed     int64 `json:"failed"`
	Skipped    int64 `json:"skipped"`
}

// JobRecord is one tracked job.
type JobRecord struct {
	ID          int64
	Type        string
	Params      json.RawMessage
	UniqueKey   string
	Status      JobStatus
	Counters    Counters
	Metadata    json.RawMessage
	Error       string
	Checkpoint  json.RawMessage // nil when the job never checkpointed
	Attempt     int
	RetryOf     int64
	RequestedBy string
	CreatedAt   time.Time
	StartedAt   time.Time
	CompletedAt time.Time
	UpdatedAt   time.Time
}

// JobAttempt is one run of a job by a worker.
type JobAttempt struct {
	Attempt    int
	StartedAt  time.Time
	FinishedAt time.Time
	Outcome    string // "", completed, failed, cancelled, snoozed, interrupted
	Error      string
}

// FailedItem is one item a job could not process.
type FailedItem struct {
	ID         int64
	JobID      int64
	ItemKey    string
	Message    string
	ErrorClass string
	Request    string
	Attempts   int
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

const jobColumns = `id, type, params, unique_key, status, total, processed, successful, failed, skipped,
	metadata, error, checkpoint, attempt, retry_of, requested_by, created_at, started_at, completed_at, updated_at`

func scanJob(row interface{ Scan(...any) error }) (JobRecord, error) {
	var (
		j                  JobRecord
		params, meta       string
		checkpoint         sql.NullString
		retryOf            sql.NullInt64
		created, updated   int64
		started, completed sql.NullInt64
	)
	err := row.Scan(&j.ID, &j.Type, &params, &j.UniqueKey, &j.Status,
		&j.Counters.Total, &j.Counters.Processed, &j.Counters.Successful, &j.Counters.Failed, &j.Counters.Skipped,
		&meta, &j.Error, &checkpoint, &j.Attempt, &retryOf, &j.RequestedBy, &created, &started, &completed, &updated)
	if err != nil {
		return JobRecord{}, err
	}
	j.Params = json.RawMessage(params)
	j.Metadata = json.RawMessage(meta)
	if checkpoint.Valid {
		j.Checkpoint = json.RawMessage(checkpoint.String)
	}
	j.RetryOf = retryOf.Int64
	j.CreatedAt, j.UpdatedAt = FromMillis(created), FromMillis(updated)
	j.StartedAt, j.CompletedAt = fromNullMillis(started), fromNullMillis(completed)
	return j, nil
}

// InsertJob records a new PENDING job. It fails with ErrConflict when a job
// with the same unique key is PENDING or RUNNING.
func (s *Store) InsertJob(ctx context.Context, q Querier, j JobRecord) error {
	var retryOf sql.NullInt64
	if j.RetryOf != 0 {
		retryOf = sql.NullInt64{Int64: j.RetryOf, Valid: true}
	}
	meta := j.Metadata
	if len(meta) == 0 {
		meta = json.RawMessage(`{}`)
	}
	_, err := q.ExecContext(ctx, `INSERT INTO jobs (id, type, params, unique_key, status, total, metadata,
		retry_of, requested_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)`,
		j.ID, j.Type, string(j.Params), j.UniqueKey, JobPending, j.Counters.Total, string(meta),
		retryOf, j.RequestedBy, Millis(j.CreatedAt))
	if isUniqueViolation(err) {
		return fmt.Errorf("insert job: %w", ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("insert job: %w", err)
	}
	return nil
}

// ActiveJobByKey returns the PENDING or RUNNING job with the unique key.
func (s *Store) ActiveJobByKey(ctx context.Context, q Querier, key string) (JobRecord, error) {
	row := q.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM jobs
		WHERE unique_key = $1 AND status IN ('PENDING', 'RUNNING')`, key)
	j, err := scanJob(row)
	if errors.Is(err, sql.ErrNoRows) {
		return JobRecord{}, ErrNotFound
	}
	if err != nil {
		return JobRecord{}, fmt.Errorf("active job by key: %w", err)
	}
	return j, nil
}

// Job returns one job.
func (s *Store) Job(ctx context.Context, q Querier, id int64) (JobRecord, error) {
	j, err := scanJob(q.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM jobs WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return JobRecord{}, fmt.Errorf("job %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return JobRecord{}, fmt.Errorf("job %d: %w", id, err)
	}
	return j, nil
}

// JobFilter selects jobs for listing. Jobs are listed newest first and paged
// by id (keyset), so paging stays cheap at any history size.
type JobFilter struct {
	Types    []string
	Statuses []JobStatus
	// Search matches the type, status, requester or error text, case
	// folded by FoldSearch.
	Search string
	// ID selects the one job with that id (0 = any); unlike the paging
	// bounds it is part of what the filter selects, so counts honour it.
	ID       int64
	BeforeID int64 // only jobs with id < BeforeID; 0 = from the newest
	Limit    int
	// Oldest lists oldest first (ids > AfterID) instead.
	Oldest  bool
	AfterID int64
}

// DefaultJobListLimit is the page size when JobFilter.Limit is unset.
const DefaultJobListLimit = 50

func (f JobFilter) where() (string, []any) {
	var conds []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if len(f.Types) > 0 {
		ph := make([]string, len(f.Types))
		for i, t := range f.Types {
			ph[i] = arg(t)
		}
		conds = append(conds, "type IN ("+strings.Join(ph, ", ")+")")
	}
	if len(f.Statuses) > 0 {
		ph := make([]string, len(f.Statuses))
		for i, s := range f.Statuses {
			ph[i] = arg(string(s))
		}
		conds = append(conds, "status IN ("+strings.Join(ph, ", ")+")")
	}
	if f.Search != "" {
		p := arg(likePattern(f.Search))
		// Types and statuses are ASCII, which LOWER folds the same way on
		// both databases, and so are requesters ("local:ops", "ssh:alice",
		// "scheduler:nightly"); the error is free text, folded by FoldSearch.
		conds = append(conds, "(LOWER(type) LIKE "+p+` ESCAPE '\' OR LOWER(status) LIKE `+p+` ESCAPE '\' OR LOWER(requested_by) LIKE `+p+` ESCAPE '\' OR error_search LIKE `+p+` ESCAPE '\')`)
	}
	if f.ID > 0 {
		conds = append(conds, "id = "+arg(f.ID))
	}
	if f.BeforeID > 0 {
		conds = append(conds, "id < "+arg(f.BeforeID))
	}
	if f.AfterID > 0 {
		conds = append(conds, "id > "+arg(f.AfterID))
	}
	if len(conds) == 0 {
		return "", args
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// ListJobs returns one page of jobs.
func (s *Store) ListJobs(ctx context.Context, q Querier, f JobFilter) ([]JobRecord, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultJobListLimit
	}
	where, args := f.where()
	order := " ORDER BY id DESC"
	if f.Oldest {
		order = " ORDER BY id ASC"
	}
	rows, err := q.QueryContext(ctx, `SELECT `+jobColumns+` FROM jobs`+where+order+
		fmt.Sprintf(" LIMIT %d", limit), args...)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	defer rows.Close()
	var out []JobRecord
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("list jobs: %w", err)
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// CountJobsByStatus counts the jobs matching f (its status filter and its
// paging bounds ignored) per status, for the state tabs of the console.
func (s *Store) CountJobsByStatus(ctx context.Context, q Querier, f JobFilter) (map[JobStatus]int64, error) {
	f.Statuses, f.BeforeID, f.AfterID = nil, 0, 0
	where, args := f.where()
	rows, err := q.QueryContext(ctx, `SELECT status, COUNT(*) FROM jobs`+where+` GROUP BY status`, args...)
	if err != nil {
		return nil, fmt.Errorf("count jobs: %w", err)
	}
	defer rows.Close()
	out := map[JobStatus]int64{}
	for rows.Next() {
		var st JobStatus
		var n int64
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("count jobs: %w", err)
		}
		out[st] = n
	}
	return out, rows.Err()
}

// LatestJobPerType returns the newest job of each type.
func (s *Store) LatestJobPerType(ctx context.Context, q Querier) (map[string]JobRecord, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+jobColumns+` FROM jobs
		WHERE id IN (SELECT MAX(id) FROM jobs GROUP BY type)`)
	if err != nil {
		return nil, fmt.Errorf("latest jobs: %w", err)
	}
	defer rows.Close()
	out := map[string]JobRecord{}
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("latest jobs: %w", err)
		}
		out[j.Type] = j
	}
	return out, rows.Err()
}

// JobsUpdatedSince returns jobs whose row changed at or after since (unix
// ms), oldest change first (ties by id): how a process follows jobs run by
// another one. Of the rows changed exactly at since only those with an id
// above afterID are returned (0: all of them), so a caller pages through
// many rows changed in one millisecond by passing the last row it read.
func (s *Store) JobsUpdatedSince(ctx context.Context, q Querier, since, afterID int64, limit int) ([]JobRecord, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+jobColumns+` FROM jobs
		WHERE updated_at > $1 OR (updated_at = $1 AND id > $2) ORDER BY updated_at, id LIMIT $3`, since, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("jobs updated since: %w", err)
	}
	defer rows.Close()
	var out []JobRecord
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("jobs updated since: %w", err)
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// StartJobAttempt marks a job RUNNING for a new attempt, records the
// attempt and returns its number (1, 2, ... per job; River's own attempt
// count does not grow when an attempt is continued after a checkpoint, so
// the history numbers attempts itself). It returns ok false, changing
// nothing, when the job is already terminal (cancelled while it waited).
func (s *Store) StartJobAttempt(ctx context.Context, q Querier, id int64, now time.Time) (attempt int, ok bool, err error) {
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(attempt), 0) + 1 FROM job_attempts WHERE job_id = $1`,
		id).Scan(&attempt); err != nil {
		return 0, false, fmt.Errorf("next job attempt: %w", err)
	}
	res, err := q.ExecContext(ctx, `UPDATE jobs SET status = $1, attempt = $2,
		started_at = COALESCE(started_at, $3), updated_at = $3
		WHERE id = $4 AND status IN ('PENDING', 'RUNNING')`, JobRunning, attempt, Millis(now), id)
	if err != nil {
		return 0, false, fmt.Errorf("start job attempt: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return 0, false, nil
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO job_attempts (job_id, attempt, started_at) VALUES ($1, $2, $3)`,
		id, attempt, Millis(now)); err != nil {
		return 0, false, fmt.Errorf("record job attempt: %w", err)
	}
	return attempt, true, nil
}

// FinishJobAttempt records how an attempt ended.
func (s *Store) FinishJobAttempt(ctx context.Context, q Querier, id int64, attempt int, outcome, errMsg string, now time.Time) error {
	_, err := q.ExecContext(ctx, `UPDATE job_attempts SET finished_at = $1, outcome = $2, error = $3
		WHERE job_id = $4 AND attempt = $5`, Millis(now), outcome, errMsg, id, attempt)
	if err != nil {
		return fmt.Errorf("finish job attempt: %w", err)
	}
	return nil
}

// JobAttempts lists a job's attempts in order.
func (s *Store) JobAttempts(ctx context.Context, q Querier, id int64) ([]JobAttempt, error) {
	rows, err := q.QueryContext(ctx, `SELECT attempt, started_at, finished_at, outcome, error
		FROM job_attempts WHERE job_id = $1 ORDER BY attempt`, id)
	if err != nil {
		return nil, fmt.Errorf("job attempts: %w", err)
	}
	defer rows.Close()
	var out []JobAttempt
	for rows.Next() {
		var a JobAttempt
		var started int64
		var finished sql.NullInt64
		if err := rows.Scan(&a.Attempt, &started, &finished, &a.Outcome, &a.Error); err != nil {
			return nil, fmt.Errorf("job attempts: %w", err)
		}
		a.StartedAt, a.FinishedAt = FromMillis(started), fromNullMillis(finished)
		out = append(out, a)
	}
	return out, rows.Err()
}

// SaveJobProgress writes a job's counters and metadata.
func (s *Store) SaveJobProgress(ctx context.Context, q Querier, id int64, c Counters, metadata json.RawMessage, now time.Time) error {
	_, err := q.ExecContext(ctx, `UPDATE jobs SET total = $1, processed = $2, successful = $3, failed = $4,
		skipped = $5, metadata = $6, updated_at = $7 WHERE id = $8`,
		c.Total, c.Processed, c.Successful, c.Failed, c.Skipped, string(metadata), Millis(now), id)
	if err != nil {
		return fmt.Errorf("save job progress: %w", err)
	}
	return nil
}

// SaveJobCheckpoint writes a checkpoint together with the counters and
// metadata that belong to it, so a resumed attempt restarts from a consistent
// state.
func (s *Store) SaveJobCheckpoint(ctx context.Context, q Querier, id int64, checkpoint json.RawMessage, c Counters, metadata json.RawMessage, now time.Time) error {
	_, err := q.ExecContext(ctx, `UPDATE jobs SET checkpoint = $1, total = $2, processed = $3, successful = $4,
		failed = $5, skipped = $6, metadata = $7, updated_at = $8 WHERE id = $9`,
		string(checkpoint), c.Total, c.Processed, c.Successful, c.Failed, c.Skipped, string(metadata), Millis(now), id)
	if err != nil {
		return fmt.Errorf("save job checkpoint: %w", err)
	}
	return nil
}

// FinishJob sets a job's final status, counters and metadata. A job already
// CANCELLED stays CANCELLED (the operator's word is final), but still gets
// its final counters.
func (s *Store) FinishJob(ctx context.Context, q Querier, id int64, status JobStatus, c Counters, metadata json.RawMessage, errMsg string, now time.Time) error {
	_, err := q.ExecContext(ctx, `UPDATE jobs SET
		status = CASE WHEN status = 'CANCELLED' THEN status ELSE $1 END,
		total = $2, processed = $3, successful = $4, failed = $5, skipped = $6, metadata = $7,
		error = CASE WHEN status = 'CANCELLED' AND $8 = '' THEN error ELSE $8 END,
		error_search = CASE WHEN status = 'CANCELLED' AND $8 = '' THEN error_search ELSE $11 END,
		completed_at = COALESCE(completed_at, $9), updated_at = $9 WHERE id = $10`,
		status, c.Total, c.Processed, c.Successful, c.Failed, c.Skipped, string(metadata), errMsg, Millis(now), id,
		SearchText(errMsg))
	if err != nil {
		return fmt.Errorf("finish job: %w", err)
	}
	return nil
}

// RequeueInterruptedJob shows a RUNNING job as PENDING again: the process
// running it is stopping, and the next start resumes it from its checkpoint.
// A job in any other status is left alone.
func (s *Store) RequeueInterruptedJob(ctx context.Context, q Querier, id int64, now time.Time) error {
	_, err := q.ExecContext(ctx, `UPDATE jobs SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4`,
		JobPending, Millis(now), id, JobRunning)
	if err != nil {
		return fmt.Errorf("requeue job %d: %w", id, err)
	}
	return nil
}

// CancelJobRecord marks a PENDING or RUNNING job CANCELLED at once; a running
// body writes its final counters when it stops. It returns false when the job
// was not active.
func (s *Store) CancelJobRecord(ctx context.Context, q Querier, id int64, reason string, now time.Time) (bool, error) {
	res, err := q.ExecContext(ctx, `UPDATE jobs SET status = $1, error = $2, error_search = $5, completed_at = $3,
		updated_at = $3 WHERE id = $4 AND status IN ('PENDING', 'RUNNING')`, JobCancelled, reason, Millis(now), id,
		SearchText(reason))
	if err != nil {
		return false, fmt.Errorf("cancel job: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// UpsertFailedItem records a failed item as it happens. The same item failing
// again in the same job (a resumed attempt redoing work after its checkpoint)
// updates the row and counts the attempt instead of adding a duplicate.
func (s *Store) UpsertFailedItem(ctx context.Context, q Querier, it FailedItem) error {
	_, err := q.ExecContext(ctx, `INSERT INTO job_failed_items
		(job_id, item_key, message, error_class, request, attempts, created_at, updated_at, search)
		VALUES ($1, $2, $3, $4, $5, 1, $6, $6, $7)
		ON CONFLICT (job_id, item_key) DO UPDATE SET message = excluded.message,
		error_class = excluded.error_class, request = excluded.request,
		attempts = job_failed_items.attempts + 1, updated_at = excluded.updated_at, search = excluded.search`,
		it.JobID, it.ItemKey, it.Message, it.ErrorClass, it.Request, Millis(it.CreatedAt), it.searchText())
	if err != nil {
		return fmt.Errorf("record failed item: %w", err)
	}
	return nil
}

// searchText is the failed item's search column.
func (it FailedItem) searchText() string {
	return SearchText(it.ItemKey, it.Message, it.ErrorClass)
}

// FailedItemFilter pages through a job's failed items, oldest first.
type FailedItemFilter struct {
	JobID   int64
	Search  string // matches key, message or class, case folded by FoldSearch
	AfterID int64
	Limit   int
}

func (f FailedItemFilter) where() (string, []any) {
	conds := []string{"job_id = $1"}
	args := []any{f.JobID}
	if f.Search != "" {
		args = append(args, likePattern(f.Search))
		p := fmt.Sprintf("$%d", len(args))
		conds = append(conds, "search LIKE "+p+` ESCAPE '\'`)
	}
	if f.AfterID > 0 {
		args = append(args, f.AfterID)
		conds = append(conds, fmt.Sprintf("id > $%d", len(args)))
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// FailedItems returns one page of a job's failed items.
func (s *Store) FailedItems(ctx context.Context, q Querier, f FailedItemFilter) ([]FailedItem, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultJobListLimit
	}
	where, args := f.where()
	rows, err := q.QueryContext(ctx, `SELECT id, job_id, item_key, message, error_class, request, attempts,
		created_at, updated_at FROM job_failed_items`+where+fmt.Sprintf(" ORDER BY id LIMIT %d", limit), args...)
	if err != nil {
		return nil, fmt.Errorf("failed items: %w", err)
	}
	defer rows.Close()
	var out []FailedItem
	for rows.Next() {
		var it FailedItem
		var created, updated int64
		if err := rows.Scan(&it.ID, &it.JobID, &it.ItemKey, &it.Message, &it.ErrorClass, &it.Request, &it.Attempts,
			&created, &updated); err != nil {
			return nil, fmt.Errorf("failed items: %w", err)
		}
		it.CreatedAt, it.UpdatedAt = FromMillis(created), FromMillis(updated)
		out = append(out, it)
	}
	return out, rows.Err()
}

// CountFailedItems counts the failed items matching f (paging ignored).
// Without a search the job's kept count answers (keptFailedItemCount).
func (s *Store) CountFailedItems(ctx context.Context, q Querier, f FailedItemFilter) (int64, error) {
	if f.Search == "" {
		return keptFailedItemCount(ctx, q, f.JobID)
	}
	f.AfterID = 0
	where, args := f.where()
	var n int64
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM job_failed_items`+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count failed items: %w", err)
	}
	return n, nil
}

// FailedItemKeys returns every failed item key of a job (for a retry job).
func (s *Store) FailedItemKeys(ctx context.Context, q Querier, jobID int64) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT item_key FROM job_failed_items WHERE job_id = $1 ORDER BY id`, jobID)
	if err != nil {
		return nil, fmt.Errorf("failed item keys: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("failed item keys: %w", err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// ClaimScheduledTick records that the tick of a schedule at tickAt started
// job jobID. It fails with ErrConflict when another instance already claimed
// that tick.
func (s *Store) ClaimScheduledTick(ctx context.Context, q Querier, jobType string, tickAt time.Time, jobID int64) error {
	_, err := q.ExecContext(ctx, `INSERT INTO scheduled_ticks (job_type, tick_at, job_id) VALUES ($1, $2, $3)`,
		jobType, Millis(tickAt), jobID)
	if isUniqueViolation(err) {
		return fmt.Errorf("claim tick of %s at %s: %w", jobType, tickAt.UTC().Format(time.RFC3339), ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("claim scheduled tick: %w", err)
	}
	return nil
}
