package pull

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

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

// checkStreamOwner fails with *streamTakenError when another job owns the
// stream now. A stream without a row (reset meanwhile) is this job's to
// write again.
func checkStreamOwner(ctx context.Context, tx *sql.Tx, s *store.Store, stream string, jobID int64) error {
	owner, ok, err := s.PullStreamOwner(ctx, tx, stream)
	switch {
	case err != nil:
		return fmt.Errorf("check owner of pull stream %q: %w", stream, err)
	case ok && owner != 0 && owner != jobID:
		return &streamTakenError{stream: stream, jobID: owner}
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
