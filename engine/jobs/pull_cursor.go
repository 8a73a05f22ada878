package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"syncops/store"
)

// streamBusyError refuses a pull whose stream another live job is pulling.
type streamBusyError struct {
	stream string
	jobID  int64
}

func (e *streamBusyError) Error() string {
	return fmt.Sprintf("pull stream %q is being pulled by job %d; wait for it to finish or cancel it, then start this pull again",
		e.stream, e.jobID)
}

// streamTakenError stops a pull whose stream another job took over (this
// one was cancelled and a new pull of the same stream started meanwhile).
type streamTakenError struct {
	stream string
	jobID  int64
}

func (e *streamTakenError) Error() string {
	return fmt.Sprintf("pull stream %q was taken over by job %d", e.stream, e.jobID)
}

// lockPullCursor reads a stream's cursor row in tx, locking it on
// PostgreSQL until tx ends, so two claims of one stream take turns (SQLite
// write transactions already do: they hold the only writer).
func lockPullCursor(ctx context.Context, tx *sql.Tx, s *store.Store, stream string) (store.PullCursor, error) {
	if s.Dialect() == store.Postgres {
		var locked string
		err := tx.QueryRowContext(ctx, `SELECT stream FROM pull_cursors WHERE stream = $1 FOR UPDATE`, stream).Scan(&locked)
		if errors.Is(err, sql.ErrNoRows) {
			return store.PullCursor{}, fmt.Errorf("pull cursor %q: %w", stream, store.ErrNotFound)
		}
		if err != nil {
			return store.PullCursor{}, fmt.Errorf("lock pull cursor %q: %w", stream, err)
		}
	}
	return s.PullCursor(ctx, tx, stream)
}

// checkStreamOwner fails with *streamTakenError when another job owns the
// stream now. A stream without a row (reset meanwhile) is this job's to
// write again.
func checkStreamOwner(ctx context.Context, tx *sql.Tx, s *store.Store, stream string, jobID int64) error {
	query := `SELECT job_id FROM pull_cursors WHERE stream = $1`
	if s.Dialect() == store.Postgres {
		query += ` FOR UPDATE`
	}
	var owner sql.NullInt64
	err := tx.QueryRowContext(ctx, query, stream).Scan(&owner)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("check owner of pull stream %q: %w", stream, err)
	case owner.Valid && owner.Int64 != jobID:
		return &streamTakenError{stream: stream, jobID: owner.Int64}
	}
	return nil
}

// pauseStream marks a running stream paused, if jobID still owns it.
func pauseStream(ctx context.Context, tx *sql.Tx, stream string, jobID int64, now time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE pull_cursors SET state = $1, updated_at = $2
		WHERE stream = $3 AND job_id = $4 AND state = $5`,
		string(store.PullPaused), store.Millis(now), stream, jobID, string(store.PullRunning))
	if err != nil {
		return fmt.Errorf("pause pull stream %q: %w", stream, err)
	}
	return nil
}

// jobActive reports whether a job is pending or running (a job deleted by
// retention is not).
func jobActive(ctx context.Context, q store.Querier, s *store.Store, id int64) (bool, error) {
	rec, err := s.Job(ctx, q, id)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read job %d: %w", id, err)
	}
	return !rec.Status.Terminal(), nil
}
