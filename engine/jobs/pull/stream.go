package pull

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"syncops/engine"
	"syncops/store"
)

// Sizes and bounds of the pull write path.
const (
	// bulkBatchRows is how many exported rows one transaction stores. A bulk
	// export streams rows much faster than pages arrive, so it is cut into
	// batches by size, each with its checkpoint.
	bulkBatchRows = 1000
	// pullMaxPagesPerTx caps the pages one transaction stores when pages
	// arrive faster than the database stores them one by one, and the
	// pages that may wait meanwhile (see pipePages).
	pullMaxPagesPerTx = 10
	// pullStopTimeout bounds the writes a stopping pull makes after its
	// context ended (pausing its stream, the last checkpoint).
	pullStopTimeout = 10 * time.Second
)

// Pull modes, as metadata shows them.
const (
	pullModePages = "pages"
	pullModeBulk  = "bulk"
)

// upsertFunc stores rows in the mirror through q (a store Upsert* method).
type upsertFunc[R any] func(ctx context.Context, q store.Querier, rows []R, now time.Time) (store.UpsertCounts, error)

// markDeletedFunc marks mirror rows not pulled since a time as deleted at
// the source (a store Mark*Deleted method).
type markDeletedFunc func(ctx context.Context, q store.Querier, notPulledSince, now time.Time) (int64, error)

// streamPullSpec says what a full pull reads and where it stores it.
type streamPullSpec[R any] struct {
	jobType string
	filters pullFilters
	restart bool
	// request summarises the requests, for an operator reading an error.
	request string
	fetch   pageFetcher[R]
	// bulk, when set, can export the rows in bulk instead (Shopify);
	// bulkParam is the operator's choice (nil: the count decides).
	bulk        *bulkSource[R]
	bulkParam   *bool
	upsert      upsertFunc[R]
	markDeleted markDeletedFunc
}

// pullTally is what a job's pages did to the mirror.
type pullTally struct {
	Pages     int64 `json:"pages"`
	Created   int64 `json:"created"`
	Updated   int64 `json:"updated"`
	Unchanged int64 `json:"unchanged"`
}

func (t *pullTally) add(c store.UpsertCounts) {
	t.Created += int64(c.Created)
	t.Updated += int64(c.Updated)
	t.Unchanged += int64(c.Unchanged)
}

// streamPullState is a full pull's checkpoint: where the stream stands and
// what this job did.
type streamPullState struct {
	Stream string `json:"stream"`
	// Cursor is the source's token for the next page, a JSON text kept as a
	// string: re-encoding it as JSON would compact and escape it, and Nhanh
	// wants its next object back byte for byte. "" is the first page.
	Cursor string `json:"cursor,omitempty"`
	// PassStart (unix ms) is when this pass over the stream began, perhaps in
	// an earlier job: rows not pulled since then are the ones a complete
	// pass marks deleted.
	PassStart int64 `json:"passStart"`
	// Pulled counts the rows this pass received, earlier jobs included.
	Pulled      int64            `json:"pulled"`
	Tally       pullTally        `json:"tally"`
	ResumedFrom *pullResumedFrom `json:"resumedFrom,omitempty"`
	// Counted is the source's exact count of the rows this pass reads,
	// taken when it began; 0 when not counted.
	Counted int64 `json:"counted,omitempty"`
	// Mode is how this job pulls: pullModePages or pullModeBulk.
	Mode string `json:"mode,omitempty"`
	// Exports counts the bulk operations this job started.
	Exports int `json:"exports,omitempty"`
	// BulkOp is the bulk operation this job is polling or reading; "" when
	// it has none (yet, or any more).
	BulkOp string `json:"bulkOp,omitempty"`
	// BulkLines counts the lines of BulkOp's result already stored.
	BulkLines int64 `json:"bulkLines,omitempty"`
	Done      bool  `json:"done,omitempty"`
}

// pullResumedFrom says where a job took a stopped stream over.
type pullResumedFrom struct {
	JobID         int64  `json:"jobId"`  // the job that stopped
	Pulled        int64  `json:"pulled"` // rows the pass had received by then
	PassStartedAt string `json:"passStartedAt"`
	StoppedAt     string `json:"stoppedAt"`
}

// streamPull runs one full pull.
type streamPull[R any] struct {
	d      Deps
	r      *engine.Run
	spec   streamPullSpec[R]
	stream string
	// unfiltered pulls see the whole source, so a complete pass knows what
	// the source no longer has.
	unfiltered bool
	// deletedAtSource is what the last page marked deleted; -1 until then.
	deletedAtSource int64
}

// runStreamPull runs a full pull: it resumes the job's own checkpoint or
// claims the stream, stores every page, and on a stop leaves the stream
// paused where its last page ended.
func runStreamPull[R any](ctx context.Context, r *engine.Run, d Deps, spec streamPullSpec[R]) error {
	sp := &streamPull[R]{d: d, r: r, spec: spec, stream: spec.filters.streamKey(spec.jobType),
		unfiltered: spec.filters.active() == nil, deletedAtSource: -1}
	st, err := sp.start(ctx)
	if err != nil {
		return err
	}
	r.SetMeta("stoppedEarly", false)
	sp.publish(st)
	switch {
	case st.Done: // an earlier attempt stored the last page
		return nil
	case st.Mode == pullModeBulk:
		err = sp.export(st).run(ctx)
	default:
		err = sp.runPages(ctx, st)
	}
	if err != nil {
		sp.stop(ctx, st)
		sp.export(st).abandon(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%s, after %d rows of this pass: %w; the stream is paused there and the next pull resumes from it",
			spec.request, st.Pulled, err)
	}
	r.Logger().InfoContext(ctx, "pull complete", slog.String("stream", sp.stream), slog.Int64("created", st.Tally.Created),
		slog.Int64("updated", st.Tally.Updated), slog.Int64("unchanged", st.Tally.Unchanged),
		slog.Int64("deleted_at_source", max(sp.deletedAtSource, 0)))
	return nil
}

// export is the pull's bulk export at st: its hooks commit the operation
// and the result's batches with the stream's checkpoint.
func (sp *streamPull[R]) export(st *streamPullState) *bulkExport[R] {
	return &bulkExport[R]{d: sp.d, r: sp.r, src: sp.spec.bulk, op: st.BulkOp, lines: st.BulkLines,
		saveOp: func(ctx context.Context, op string, lane func(*sql.Tx) error) error {
			after := *st
			after.BulkOp, after.BulkLines = op, 0
			if op != "" {
				after.Exports++
			}
			err := sp.r.CheckpointTx(ctx, &after, func(tx *sql.Tx, _ *engine.Tally) error { return lane(tx) })
			if err != nil {
				return err
			}
			*st = after
			sp.publish(st)
			return nil
		},
		storeBatch: func(ctx context.Context, rows []R, lines int64, last bool, lane func(*sql.Tx) error) error {
			return sp.storeRows(ctx, st, rows, nil, last, 1, func(tx *sql.Tx, after *streamPullState) error {
				after.BulkLines = max(lines, after.BulkLines)
				if lane == nil {
					return nil
				}
				return lane(tx)
			})
		}}
}

// start returns the state to continue from: this job's checkpoint in a
// later attempt, else a claim of the stream.
func (sp *streamPull[R]) start(ctx context.Context) (*streamPullState, error) {
	var st streamPullState
	ok, err := sp.r.Resume(&st)
	if err != nil {
		return nil, err
	}
	if ok && st.Stream == sp.stream {
		if st.Mode == "" { // a checkpoint from before modes were kept
			st.Mode = pullModePages
			if sp.spec.bulkParam != nil && *sp.spec.bulkParam {
				st.Mode = pullModeBulk
			}
		}
		return &st, nil
	}
	mode, counted := pullModePages, int64(0)
	if sp.spec.bulk != nil {
		m, n, err := chooseMode(ctx, sp.r, sp.d, sp.spec.bulkParam, sp.spec.bulk)
		if err != nil {
			return nil, err
		}
		if n != nil {
			sp.r.SetMeta("counted", n.N)
		}
		mode, counted = m, exactCount(n)
	}
	claimed, err := sp.claim(ctx, mode)
	if err == nil && claimed.Pulled == 0 {
		claimed.Counted = counted // a resumed pass began before this count
	}
	return claimed, err
}

// claim takes the stream for this job. It resumes the stream's cursor when
// a pass stopped before its end (unless restart, or a bulk export, which
// cannot start mid-way), else starts a new pass. A stream whose pass
// another job is still running is refused.
func (sp *streamPull[R]) claim(ctx context.Context, mode string) (*streamPullState, error) {
	me := int64(sp.r.ID())
	now := sp.d.Clock.Now()
	var st streamPullState
	err := sp.d.Store.InTx(ctx, func(tx *sql.Tx) error {
		st = streamPullState{Stream: sp.stream, PassStart: store.Millis(now), Mode: mode}
		prev, err := sp.d.Store.LockPullCursor(ctx, tx, sp.stream)
		if errors.Is(err, store.ErrNotFound) {
			return sp.d.Store.SavePullCursor(ctx, tx, sp.cursorRow(&st, store.PullRunning, now))
		}
		if err != nil {
			return err
		}
		if prev.State != store.PullDone && prev.JobID != 0 && prev.JobID != me {
			active, err := jobActive(ctx, tx, sp.d.Store, prev.JobID)
			if err != nil {
				return err
			}
			if active {
				return &streamBusyError{stream: sp.stream, jobID: prev.JobID}
			}
		}
		if !sp.spec.restart && mode != pullModeBulk && prev.State != store.PullDone && prev.Cursor != nil {
			st.Cursor, st.PassStart, st.Pulled = string(prev.Cursor), store.Millis(prev.StartedAt), prev.TotalPulled
			if prev.StartedAt.IsZero() {
				st.PassStart = 0 // unknown start: mark nothing deleted rather than guess
			}
			if prev.JobID != me {
				st.ResumedFrom = &pullResumedFrom{JobID: prev.JobID, Pulled: prev.TotalPulled,
					PassStartedAt: rfc3339(prev.StartedAt), StoppedAt: rfc3339(prev.UpdatedAt)}
			}
		}
		return sp.d.Store.SavePullCursor(ctx, tx, sp.cursorRow(&st, store.PullRunning, now))
	})
	var busy *streamBusyError
	if errors.As(err, &busy) {
		return nil, busy
	}
	if err != nil {
		return nil, fmt.Errorf("claim pull stream %q: %w", sp.stream, err)
	}
	if st.ResumedFrom != nil {
		sp.r.Logger().InfoContext(ctx, "pull resumes a stopped stream", slog.String("stream", sp.stream),
			slog.Int64("stopped_job", st.ResumedFrom.JobID), slog.Int64("pulled", st.Pulled))
	}
	return &st, nil
}

// runPages stores page after page until the source has no more.
func (sp *streamPull[R]) runPages(ctx context.Context, st *streamPullState) error {
	return pipePages(ctx, sp.spec.fetch, cursorOf(st.Cursor), st.Tally.Pages+1, func(ctx context.Context, rows []R, next json.RawMessage, last bool, pages int) error {
		err := sp.storeRows(ctx, st, rows, next, last, pages, nil)
		if err != nil && pages > 1 {
			return fmt.Errorf("store pages %d-%d: %w", st.Tally.Pages+1, st.Tally.Pages+int64(pages), err)
		}
		if err != nil {
			return fmt.Errorf("store page %d: %w", st.Tally.Pages+1, err)
		}
		return nil
	})
}

// storeRows is the write path of every page (several pages, when they
// queued up; or a bulk batch): it upserts rows and moves the stream past
// them, the rows, the stream's cursor, the job's checkpoint (with this
// page's tally) and its counters committing together. last ends the pass:
// the stream is done, and an unfiltered stream marks the rows it did not
// see deleted. also, when set, adds to the same transaction and may change
// the checkpoint (a bulk import's line position).
func (sp *streamPull[R]) storeRows(ctx context.Context, st *streamPullState, rows []R, next json.RawMessage, last bool, pages int,
	also func(tx *sql.Tx, after *streamPullState) error) error {
	now := sp.d.Clock.Now()
	var after streamPullState
	deleted, short := int64(-1), int64(0)
	err := sp.r.CheckpointTx(ctx, &after, func(tx *sql.Tx, t *engine.Tally) error {
		// st moves only if the checkpoint commits.
		after = *st
		after.Cursor, after.Done = string(next), last
		after.Pulled += int64(len(rows))
		after.Tally.Pages += int64(pages)
		if err := checkStreamOwner(ctx, tx, sp.d.Store, sp.stream, int64(sp.r.ID())); err != nil {
			return err
		}
		if also != nil {
			if err := also(tx, &after); err != nil {
				return err
			}
		}
		counts, err := sp.spec.upsert(ctx, tx, rows, now)
		if err != nil {
			return err
		}
		after.Tally.add(counts)
		countUpserts(t, counts)
		state := store.PullRunning
		if last {
			state = store.PullDone
			// A pass that received nothing marks nothing: an empty answer is
			// likelier a wrong grant or shop than a source emptied for real.
			// Nor does one that received fewer rows than the source counted
			// when it began: the source may have stopped paging early (a
			// paging cap) rather than lost those rows.
			if after.Counted > 0 && after.Pulled < after.Counted {
				short = after.Counted - after.Pulled
			}
			if sp.unfiltered && after.Pulled > 0 && short == 0 {
				if deleted, err = sp.spec.markDeleted(ctx, tx, store.FromMillis(after.PassStart), now); err != nil {
					return err
				}
			}
		}
		return sp.d.Store.SavePullCursor(ctx, tx, sp.cursorRow(&after, state, now))
	})
	if err != nil {
		return err
	}
	*st = after
	if deleted >= 0 {
		sp.deletedAtSource = deleted
	}
	if short > 0 {
		sp.r.SetMeta("shortOfCount", short)
		sp.r.Logger().WarnContext(ctx, "the pass received fewer rows than the source counted; nothing marked deleted "+
			"(a paging cap? try bulk=true)", slog.String("stream", sp.stream), slog.Int64("counted", after.Counted),
			slog.Int64("pulled", after.Pulled))
	}
	sp.publish(st)
	return nil
}

// stop takes the last checkpoint of a pull that ends early and pauses its
// stream (if it still owns it), with a context that outlives the job's.
func (sp *streamPull[R]) stop(ctx context.Context, st *streamPullState) {
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), pullStopTimeout)
	defer cancel()
	sp.r.SetMeta("stoppedEarly", true)
	err := sp.r.CheckpointTx(stopCtx, st, func(tx *sql.Tx, _ *engine.Tally) error {
		return sp.d.Store.PausePullStream(stopCtx, tx, sp.stream, int64(sp.r.ID()), sp.d.Clock.Now())
	})
	if err != nil {
		sp.r.Logger().WarnContext(stopCtx, "could not pause the pull stream; the next pull resumes from the last stored page",
			slog.String("stream", sp.stream), slog.Any("error", err))
	}
}

// cursorRow is the stream's pull_cursors row for st.
func (sp *streamPull[R]) cursorRow(st *streamPullState, state store.PullState, now time.Time) store.PullCursor {
	c := store.PullCursor{Stream: sp.stream, Cursor: cursorOf(st.Cursor), State: state, TotalPulled: st.Pulled,
		JobID: int64(sp.r.ID()), UpdatedAt: now}
	if st.PassStart > 0 {
		c.StartedAt = store.FromMillis(st.PassStart)
	}
	if state == store.PullDone {
		c.Cursor, c.CompletedAt = nil, now
	}
	return c
}

// publish sets the pull's metadata.
func (sp *streamPull[R]) publish(st *streamPullState) {
	r := sp.r
	r.SetMeta("stream", sp.stream)
	if st.Mode == pullModeBulk {
		r.SetMeta("exports", st.Exports)
		r.SetMeta("bulkLines", st.BulkLines)
		if st.BulkOp != "" {
			r.SetMeta("bulkOperation", st.BulkOp)
		}
		if st.Done {
			r.SetMeta("bulkStatus", bulkStatusDone)
		}
	}
	r.SetMeta("mode", st.Mode)
	if f := sp.spec.filters.active(); f != nil {
		r.SetMeta("filters", f)
	}
	r.SetMeta("created", st.Tally.Created)
	r.SetMeta("updated", st.Tally.Updated)
	r.SetMeta("unchanged", st.Tally.Unchanged)
	r.SetMeta("pages", st.Tally.Pages)
	r.SetMeta("pulledThisPass", st.Pulled)
	if st.PassStart > 0 {
		r.SetMeta("passStartedAt", rfc3339(store.FromMillis(st.PassStart)))
	}
	if st.ResumedFrom != nil {
		r.SetMeta("resumedFrom", st.ResumedFrom)
	}
	if sp.deletedAtSource >= 0 {
		r.SetMeta("deletedAtSource", sp.deletedAtSource)
	}
}

// countUpserts counts a page's rows in the checkpoint that stores them:
// created and updated ones succeeded, unchanged ones were skipped. Each
// distinct row is one item.
func countUpserts(r *engine.Tally, c store.UpsertCounts) {
	r.AddTotal(int64(c.Created + c.Updated + c.Unchanged))
	r.Succeeded(int64(c.Created + c.Updated))
	r.Skipped(int64(c.Unchanged))
}

// cursorOf is a stored cursor as the fetchers take it: nil for the first page.
func cursorOf(s string) json.RawMessage {
	if s == "" {
		return nil
	}
	return json.RawMessage(s)
}

// rfc3339 formats a time for metadata; the zero time is "".
func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
