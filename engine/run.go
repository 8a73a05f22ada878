package engine

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"syncops/clients/apierr"
	"syncops/store"
)

// Run is what a job body gets: its parameters, a progress reporter, failed
// item recording and checkpoints. Counter and metadata changes are kept in
// memory and written about once per FlushInterval (and always at the end);
// failed items and checkpoints are written at once. Run is safe for
// concurrent use by the body's goroutines.
type Run struct {
	engine  *Engine
	kind    *Kind
	id      JobID
	attempt int
	params  json.RawMessage
	retryOf JobID
	logger  *slog.Logger

	// writeMu orders progress writes and checkpoints, so an older snapshot
	// is never written after a newer one.
	writeMu sync.Mutex

	mu              sync.Mutex
	counters        store.Counters
	meta            map[string]any
	dirty           bool
	resumeState     json.RawMessage
	checkpointed    bool // a checkpoint was written during this attempt
	attemptStart    time.Time
	attemptBaseline int64 // processed count when this attempt started
	writes          int64 // progress writes, for the coalescing benchmark
}

func newRun(e *Engine, k *Kind, rec store.JobRecord, attempt int) (*Run, error) {
	r := &Run{engine: e, kind: k, id: JobID(rec.ID), attempt: attempt, params: rec.Params,
		retryOf: JobID(rec.RetryOf), meta: map[string]any{}, attemptStart: e.clock.Now()}
	r.logger = e.logger.With(slog.Int64("job_id", rec.ID), slog.String("type", k.Type))
	if rec.Checkpoint != nil {
		var cp checkpointState
		if err := json.Unmarshal(rec.Checkpoint, &cp); err != nil {
			return nil, fmt.Errorf("read checkpoint of job %d: %w", rec.ID, err)
		}
		// Resume exactly where the checkpoint was taken: work done after it
		// is redone, so its counts must not be kept twice.
		r.counters = cp.Counters
		r.resumeState = cp.State
		if len(cp.Metadata) > 0 {
			if err := json.Unmarshal(cp.Metadata, &r.meta); err != nil {
				return nil, fmt.Errorf("read checkpoint metadata of job %d: %w", rec.ID, err)
			}
		}
	}
	r.attemptBaseline = r.counters.Processed
	r.dirty = true
	return r, nil
}

// ID is the job's id.
func (r *Run) ID() JobID { return r.id }

// Attempt is the attempt number (1 for the first run).
func (r *Run) Attempt() int { return r.attempt }

// Logger logs with the job's id and type attached.
func (r *Run) Logger() *slog.Logger { return r.logger }

// Clock is the engine's clock.
func (r *Run) Clock() clockwork.Clock { return r.engine.clock }

// Params decodes the job's validated parameters into v.
func (r *Run) Params(v any) error {
	if err := json.Unmarshal(r.params, v); err != nil {
		return fmt.Errorf("decode parameters: %w", err)
	}
	return nil
}

// RetryOf is the job whose failed items this job retries, or 0.
func (r *Run) RetryOf() JobID { return r.retryOf }

// RetryKeys are the failed item keys of the job this one retries.
func (r *Run) RetryKeys(ctx context.Context) ([]string, error) {
	if r.retryOf == 0 {
		return nil, nil
	}
	return r.engine.store.FailedItemKeys(ctx, r.engine.store.DB(), int64(r.retryOf))
}

// SetTotal sets how many items the job will process.
func (r *Run) SetTotal(n int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.counters.Total = n
	r.dirty = true
}

// AddTotal grows the total (for jobs that discover their size as they go).
func (r *Run) AddTotal(n int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.counters.Total += n
	r.dirty = true
}

// Succeeded counts n items done.
func (r *Run) Succeeded(n int64) { r.add(&r.counters.Successful, n) }

// Skipped counts n items left alone on purpose (unchanged, filtered).
func (r *Run) Skipped(n int64) { r.add(&r.counters.Skipped, n) }

func (r *Run) add(field *int64, n int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	*field += n
	r.counters.Processed += n
	r.dirty = true
}

// Failure describes one failed item.
type Failure struct {
	// Key identifies the item so a retry can find it again (a mapping id,
	// a customer id, a page cursor).
	Key string
	// Message says what went wrong, for an operator.
	Message string
	// Class is the error class; derived from Err when empty.
	Class ErrorClass
	// Request summarises the request that failed (never with secrets).
	Request string
	// Err is the underlying error, if any; its text is used when Message is empty.
	Err error
}

// Fail records a failed item at once and counts it. Work that commits
// with a checkpoint records its failures through the checkpoint's Tally
// instead, so they commit with it.
func (r *Run) Fail(ctx context.Context, f Failure) error {
	err := r.engine.store.UpsertFailedItem(context.WithoutCancel(ctx), r.engine.store.DB(), r.failedItem(f))
	if err != nil {
		return err
	}
	r.add(&r.counters.Failed, 1)
	return nil
}

// failedItem is f as the store keeps it, with its class and message
// filled in from its error where they are empty.
func (r *Run) failedItem(f Failure) store.FailedItem {
	if f.Class == "" {
		f.Class = apierr.ClassOf(f.Err)
		if f.Class == "" {
			f.Class = apierr.ClassValidation
		}
	}
	if f.Message == "" && f.Err != nil {
		f.Message = f.Err.Error()
	}
	return store.FailedItem{JobID: int64(r.id), ItemKey: f.Key, Message: f.Message, ErrorClass: string(f.Class),
		Request: f.Request, CreatedAt: r.engine.clock.Now()}
}

// SetMeta sets one metadata key. Metadata is merged key by key, never
// replaced as a whole, so keys set early survive later updates.
func (r *Run) SetMeta(key string, v any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.meta[key] = v
	r.dirty = true
}

// Counters returns the current counters.
func (r *Run) Counters() Counters {
	r.mu.Lock()
	defer r.mu.Unlock()
	return countersFromStore(r.counters)
}

// Resume decodes the state of the last checkpoint into v and reports
// whether there was one.
func (r *Run) Resume(v any) (bool, error) {
	r.mu.Lock()
	state := r.resumeState
	r.mu.Unlock()
	if len(state) == 0 || string(state) == "null" {
		return false, nil
	}
	if err := json.Unmarshal(state, v); err != nil {
		return false, fmt.Errorf("decode checkpoint: %w", err)
	}
	return true, nil
}

// Checkpoint records state with the current counters and metadata: if the
// attempt ends (crash, shutdown, time budget), the next one resumes here.
func (r *Run) Checkpoint(ctx context.Context, state any) error {
	return r.CheckpointTx(ctx, state, nil)
}

// Tally counts the items of the work one checkpoint commits (see
// CheckpointTx). Its counts join the run's counters in that checkpoint's
// transaction and reach the run only if the transaction commits, so a
// crash, a failed commit or a rollback never leaves work stored without its
// counts or counts without their work. A Tally is used by one goroutine, the
// one running the checkpoint's function.
type Tally struct {
	run   *Run
	ctx   context.Context
	tx    *sql.Tx
	delta store.Counters
}

// Succeeded counts n items done by this checkpoint's work.
func (t *Tally) Succeeded(n int64) {
	t.delta.Successful += n
	t.delta.Processed += n
}

// Skipped counts n items this checkpoint's work left alone on purpose.
func (t *Tally) Skipped(n int64) {
	t.delta.Skipped += n
	t.delta.Processed += n
}

// AddTotal grows the total by the n items this checkpoint's work found.
func (t *Tally) AddTotal(n int64) { t.delta.Total += n }

// Fail records a failed item in the checkpoint's transaction and counts it:
// if the checkpoint does not commit, neither does the failure, and the
// attempt that redoes the work finds it again (or finds it fixed).
func (t *Tally) Fail(f Failure) error {
	if err := t.run.engine.store.UpsertFailedItem(t.ctx, t.tx, t.run.failedItem(f)); err != nil {
		return err
	}
	t.delta.Failed++
	t.delta.Processed++
	return nil
}

// FailAll is Fail for many items, written in multi-row statements: a
// checkpoint that fails tens of thousands of items writes them in a few
// statements instead of one each.
func (t *Tally) FailAll(fs []Failure) error {
	if len(fs) == 0 {
		return nil
	}
	items := make([]store.FailedItem, len(fs))
	for i, f := range fs {
		items[i] = t.run.failedItem(f)
	}
	if err := t.run.engine.store.UpsertFailedItems(t.ctx, t.tx, items); err != nil {
		return err
	}
	t.delta.Failed += int64(len(fs))
	t.delta.Processed += int64(len(fs))
	return nil
}

// Counters returns the run's counters with this checkpoint's counts so far.
func (t *Tally) Counters() Counters {
	t.run.mu.Lock()
	defer t.run.mu.Unlock()
	return countersFromStore(addCounters(t.run.counters, t.delta))
}

func addCounters(a, b store.Counters) store.Counters {
	return store.Counters{Total: a.Total + b.Total, Processed: a.Processed + b.Processed,
		Successful: a.Successful + b.Successful, Failed: a.Failed + b.Failed, Skipped: a.Skipped + b.Skipped}
}

// CheckpointTx runs fn and records the checkpoint in the same transaction,
// so the work fn stores (a page of rows, a batch of writes), the counts fn
// makes for it on the Tally, and the checkpoint that says it is done commit
// together or not at all. state is encoded after fn returns, so fn may
// complete it (with what the stored work did, say). Counts made on the Run
// itself before the call are part of the checkpoint too.
func (r *Run) CheckpointTx(ctx context.Context, state any, fn func(tx *sql.Tx, t *Tally) error) error {
	r.writeMu.Lock()
	defer r.writeMu.Unlock()
	var (
		stateJSON json.RawMessage
		delta     store.Counters
	)
	txCtx := context.WithoutCancel(ctx)
	err := r.engine.store.InTx(txCtx, func(tx *sql.Tx) error {
		t := &Tally{run: r, ctx: txCtx, tx: tx}
		if fn != nil {
			if err := fn(tx, t); err != nil {
				return err
			}
		}
		var err error
		if stateJSON, err = json.Marshal(state); err != nil {
			return fmt.Errorf("encode checkpoint: %w", err)
		}
		counters, meta := r.snapshotWith(false, t.delta)
		cp, err := json.Marshal(checkpointState{State: stateJSON, Counters: counters, Metadata: meta})
		if err != nil {
			return fmt.Errorf("encode checkpoint: %w", err)
		}
		delta = t.delta
		return r.engine.store.SaveJobCheckpoint(txCtx, tx, int64(r.id), cp, counters, meta, r.engine.clock.Now())
	})
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.counters = addCounters(r.counters, delta)
	r.resumeState = stateJSON
	r.checkpointed = true
	r.writes++
	r.mu.Unlock()
	r.engine.hub.publishJob(ctx, r.id)
	return nil
}

func (r *Run) checkpointedThisAttempt() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.checkpointed
}

// snapshot returns counters and metadata with the derived rate and ETA.
func (r *Run) snapshot(final bool) (store.Counters, json.RawMessage) {
	return r.snapshotWith(final, store.Counters{})
}

// snapshotWith is snapshot with the counts of a checkpoint being written
// (delta) added to the run's.
func (r *Run) snapshotWith(final bool, delta store.Counters) (store.Counters, json.RawMessage) {
	r.mu.Lock()
	defer r.mu.Unlock()
	counters := addCounters(r.counters, delta)
	meta := maps.Clone(r.meta)
	elapsed := r.engine.clock.Since(r.attemptStart).Seconds()
	done := counters.Processed - r.attemptBaseline
	if elapsed > 0 && done > 0 {
		rate := float64(done) / elapsed
		meta["itemsPerSecond"] = math.Round(rate*10) / 10
		if left := counters.Total - counters.Processed; left > 0 && !final {
			meta["etaSeconds"] = math.Ceil(float64(left) / rate)
		} else {
			delete(meta, "etaSeconds")
		}
	}
	if final {
		delete(meta, "etaSeconds")
	}
	b, err := json.Marshal(meta)
	if err != nil {
		// Metadata values come from bodies; a value JSON cannot encode is a
		// bug there, and must not lose the counters.
		b = []byte(fmt.Sprintf(`{"metadataError":%q}`, err.Error()))
	}
	return counters, b
}

// flush writes counters and metadata if they changed (or always, if force).
func (r *Run) flush(ctx context.Context, force bool) {
	r.mu.Lock()
	dirty := r.dirty
	r.dirty = false
	r.mu.Unlock()
	if !dirty && !force {
		return
	}
	r.writeMu.Lock()
	defer r.writeMu.Unlock()
	counters, meta := r.snapshot(false)
	if err := r.engine.store.SaveJobProgress(ctx, r.engine.store.DB(), int64(r.id), counters, meta, r.engine.clock.Now()); err != nil {
		r.logger.WarnContext(ctx, "progress write failed; will retry at the next flush", slog.Any("error", err))
		r.mu.Lock()
		r.dirty = true
		r.mu.Unlock()
		return
	}
	r.mu.Lock()
	r.writes++
	r.mu.Unlock()
	r.engine.hub.publishJob(ctx, r.id)
}

// startFlusher writes progress every FlushInterval until the returned stop
// function is called. At each tick it also reads whether an operator
// cancelled the job and then calls cancelled: River's cancel signal travels
// by notification (PostgreSQL) or polling (SQLite), and a lost notification
// must not leave a cancelled body running, so the job row is the backstop.
func (r *Run) startFlusher(ctx context.Context, cancelled func()) (stop func()) {
	ticker := r.engine.clock.NewTicker(r.engine.cfg.FlushInterval)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		defer ticker.Stop()
		r.flush(ctx, true) // RUNNING with the restored counters, at once
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-ticker.Chan():
				r.flush(ctx, false)
				if r.cancelledInDB(ctx) {
					cancelled()
				}
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// cancelledInDB reports whether an operator cancelled the job (the row says
// CANCELLED), for the case where River's cancel signal has not arrived yet.
func (r *Run) cancelledInDB(ctx context.Context) bool {
	rec, err := r.engine.store.Job(ctx, r.engine.store.Reader(), int64(r.id))
	return err == nil && rec.Status == store.JobCancelled
}

func (r *Run) logAttrs() []any {
	return []any{slog.Int64("job_id", int64(r.id)), slog.String("type", r.kind.Type), slog.Int("attempt", r.attempt)}
}
