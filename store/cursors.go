package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// PullState is where a resumable pull stands.
type PullState string

// Pull states.
const (
	PullRunning PullState = "running" // pages are being stored
	PullPaused  PullState = "paused"  // stopped early (cancel, crash, attempt timeout); resumable
	PullDone    PullState = "done"    // the last page was stored
)

// Valid reports whether st is a known state.
func (st PullState) Valid() bool { return st == PullRunning || st == PullPaused || st == PullDone }

// PullCursor is the resumable position of one pull stream (e.g. Nhanh
// customers, Shopify variants).
type PullCursor struct {
	Stream      string
	Cursor      json.RawMessage // the source's opaque next-page token; nil = from the start
	State       PullState
	TotalPulled int64
	JobID       int64 // the job that last moved it; 0 = none
	StartedAt   time.Time
	UpdatedAt   time.Time
	CompletedAt time.Time
}

const pullCursorColumns = `stream, cursor, state, total_pulled, job_id, started_at, updated_at, completed_at`

func scanPullCursor(sc scanner) (PullCursor, error) {
	var c PullCursor
	var cursor sql.NullString
	var job, started, completed sql.NullInt64
	var updated int64
	if err := sc.Scan(&c.Stream, &cursor, &c.State, &c.TotalPulled, &job, &started, &updated, &completed); err != nil {
		return c, err
	}
	if cursor.Valid {
		c.Cursor = json.RawMessage(cursor.String)
	}
	c.JobID = job.Int64
	c.StartedAt, c.UpdatedAt, c.CompletedAt = fromNullMillis(started), FromMillis(updated), fromNullMillis(completed)
	return c, nil
}

// PullCursor reads a stream's cursor through q, or returns ErrNotFound when
// the stream has never been pulled (or was reset).
func (s *Store) PullCursor(ctx context.Context, q Querier, stream string) (PullCursor, error) {
	c, err := scanPullCursor(q.QueryRowContext(ctx, `SELECT `+pullCursorColumns+` FROM pull_cursors WHERE stream = $1`, stream))
	if errors.Is(err, sql.ErrNoRows) {
		return PullCursor{}, fmt.Errorf("pull cursor %q: %w", stream, ErrNotFound)
	}
	if err != nil {
		return PullCursor{}, fmt.Errorf("pull cursor %q: %w", stream, err)
	}
	return c, nil
}

// SavePullCursor creates or replaces a stream's cursor in q. Save it in the
// transaction that stores the page it points after, so a crash can neither
// skip nor repeat a page. UpdatedAt must be set (time comes from the
// caller's clock).
func (s *Store) SavePullCursor(ctx context.Context, q Querier, c PullCursor) error {
	switch {
	case c.Stream == "":
		return errors.New("save pull cursor: no stream")
	case !c.State.Valid():
		return fmt.Errorf("save pull cursor %q: unknown state %q", c.Stream, c.State)
	case c.UpdatedAt.IsZero():
		return fmt.Errorf("save pull cursor %q: no update time", c.Stream)
	case c.Cursor != nil && !json.Valid(c.Cursor):
		return fmt.Errorf("save pull cursor %q: cursor is not JSON", c.Stream)
	}
	var cursor sql.NullString
	if c.Cursor != nil {
		cursor = sql.NullString{String: string(c.Cursor), Valid: true}
	}
	_, err := q.ExecContext(ctx, `INSERT INTO pull_cursors (`+pullCursorColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (stream) DO UPDATE SET cursor = excluded.cursor, state = excluded.state,
			total_pulled = excluded.total_pulled, job_id = excluded.job_id, started_at = excluded.started_at,
			updated_at = excluded.updated_at, completed_at = excluded.completed_at`,
		c.Stream, cursor, string(c.State), c.TotalPulled, nullID(c.JobID),
		nullMillis(c.StartedAt), Millis(c.UpdatedAt), nullMillis(c.CompletedAt))
	if err != nil {
		return fmt.Errorf("save pull cursor %q: %w", c.Stream, err)
	}
	return nil
}

// LockPullCursor reads a stream's cursor in q, a transaction, locking its
// row on PostgreSQL until the transaction ends, so two claims of one stream
// take turns (SQLite write transactions already do: they hold the only
// writer). It returns ErrNotFound when the stream has no cursor.
func (s *Store) LockPullCursor(ctx context.Context, q Querier, stream string) (PullCursor, error) {
	if s.dialect == Postgres {
		var locked string
		err := q.QueryRowContext(ctx, `SELECT stream FROM pull_cursors WHERE stream = $1 FOR UPDATE`, stream).Scan(&locked)
		if errors.Is(err, sql.ErrNoRows) {
			return PullCursor{}, fmt.Errorf("pull cursor %q: %w", stream, ErrNotFound)
		}
		if err != nil {
			return PullCursor{}, fmt.Errorf("lock pull cursor %q: %w", stream, err)
		}
	}
	return s.PullCursor(ctx, q, stream)
}

// PullStreamOwner returns the job that owns a stream's cursor (0 when the
// row names none), locking the row on PostgreSQL like LockPullCursor. ok is
// false when the stream has no cursor.
func (s *Store) PullStreamOwner(ctx context.Context, q Querier, stream string) (jobID int64, ok bool, err error) {
	query := `SELECT job_id FROM pull_cursors WHERE stream = $1`
	if s.dialect == Postgres {
		query += ` FOR UPDATE`
	}
	var owner sql.NullInt64
	err = q.QueryRowContext(ctx, query, stream).Scan(&owner)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("owner of pull stream %q: %w", stream, err)
	}
	return owner.Int64, true, nil
}

// PausePullStream marks a running stream paused, if jobID still owns it;
// otherwise it changes nothing.
func (s *Store) PausePullStream(ctx context.Context, q Querier, stream string, jobID int64, now time.Time) error {
	_, err := q.ExecContext(ctx, `UPDATE pull_cursors SET state = $1, updated_at = $2
		WHERE stream = $3 AND job_id = $4 AND state = $5`,
		string(PullPaused), Millis(now), stream, jobID, string(PullRunning))
	if err != nil {
		return fmt.Errorf("pause pull stream %q: %w", stream, err)
	}
	return nil
}

// ResetPullCursor forgets a stream's cursor so its next pull starts from the
// beginning. Resetting a stream that has none is not an error.
func (s *Store) ResetPullCursor(ctx context.Context, q Querier, stream string) error {
	if _, err := q.ExecContext(ctx, `DELETE FROM pull_cursors WHERE stream = $1`, stream); err != nil {
		return fmt.Errorf("reset pull cursor %q: %w", stream, err)
	}
	return nil
}

// ListPullCursors returns every stored cursor, by stream name.
func (s *Store) ListPullCursors(ctx context.Context, q Querier) ([]PullCursor, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+pullCursorColumns+` FROM pull_cursors ORDER BY stream`)
	if err != nil {
		return nil, fmt.Errorf("list pull cursors: %w", err)
	}
	defer func() { _ = rows.Close() }()
	var out []PullCursor
	for rows.Next() {
		c, err := scanPullCursor(rows)
		if err != nil {
			return nil, fmt.Errorf("scan pull cursor: %w", err)
		}
		out = append(out, c)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("list pull cursors: %w", err)
	}
	return out, nil
}

// Watermark reads a named high-water mark (e.g. the largest remote updatedAt
// an incremental pull has stored) through q; ok is false when it is unset.
func (s *Store) Watermark(ctx context.Context, q Querier, name string) (value int64, ok bool, err error) {
	err = q.QueryRowContext(ctx, `SELECT value FROM watermarks WHERE name = $1`, name).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("watermark %q: %w", name, err)
	}
	return value, true, nil
}

// SetWatermark sets a named high-water mark in q. It does not refuse to go
// backwards: a reset may lower it on purpose.
func (s *Store) SetWatermark(ctx context.Context, q Querier, name string, value int64, now time.Time) error {
	if name == "" {
		return errors.New("set watermark: no name")
	}
	_, err := q.ExecContext(ctx, `INSERT INTO watermarks (name, value, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		name, value, Millis(now))
	if err != nil {
		return fmt.Errorf("set watermark %q: %w", name, err)
	}
	return nil
}
