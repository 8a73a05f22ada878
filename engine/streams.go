package engine

import (
	"context"
	"time"
)

// StreamState is where one pull stream stands (issue 12: pull streams
// visible): a full pull of one side walks its stream page by page and
// keeps its cursor, so a pass that stopped resumes where it was.
type StreamState struct {
	Stream string `json:"stream"`
	// State is running, paused (stopped mid-pass; the next pull resumes)
	// or done (the last pass completed).
	State string `json:"state"`
	// RowsThisPass are the rows the current (or last) pass has read.
	RowsThisPass int64 `json:"rowsThisPass"`
	// JobID is the job that last moved the stream.
	JobID JobID `json:"jobId,omitempty"`
	// PassStarted is when the current (or last) pass started.
	PassStarted *time.Time `json:"passStarted,omitempty"`
	// CursorAge is how long ago the cursor last moved.
	CursorAge time.Duration `json:"cursorAgeNanos"`
	UpdatedAt time.Time     `json:"updatedAt"`
	// LastCompleted is when a pass last completed; nil if none has.
	LastCompleted *time.Time `json:"lastCompleted,omitempty"`
}

// Streams lists every pull stream that has run, by name.
func (e *Engine) Streams(ctx context.Context) ([]StreamState, error) {
	cs, err := e.store.ListPullCursors(ctx, e.store.Reader())
	if err != nil {
		return nil, err
	}
	now := e.clock.Now()
	out := make([]StreamState, len(cs))
	for i, c := range cs {
		out[i] = StreamState{Stream: c.Stream, State: string(c.State), RowsThisPass: c.TotalPulled, JobID: JobID(c.JobID),
			CursorAge: max(0, now.Sub(c.UpdatedAt)), UpdatedAt: c.UpdatedAt}
		if !c.StartedAt.IsZero() {
			t := c.StartedAt
			out[i].PassStarted = &t
		}
		if !c.CompletedAt.IsZero() {
			t := c.CompletedAt
			out[i].LastCompleted = &t
		}
	}
	return out, nil
}
