package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/riverqueue/river"

	"syncops/store"
)

// jobArgs is the River job that executes one tracked job. The tracked row
// (same id) holds everything else.
type jobArgs struct {
	Type string `json:"type"`
}

func (jobArgs) Kind() string { return "syncops_job" }

// jobWorker runs every job type: it resolves the kind from the args.
type jobWorker struct {
	river.WorkerDefaults[jobArgs]
	engine *Engine
}

// Timeout is the kind's attempt timeout, so River cancels a runaway attempt
// and its rescuer can tell a dead worker from a slow one.
func (w *jobWorker) Timeout(job *river.Job[jobArgs]) time.Duration {
	if k, ok := w.engine.kinds[job.Args.Type]; ok {
		return k.AttemptTimeout
	}
	return w.engine.cfg.AttemptTimeout
}

// checkpointState is what a checkpoint stores: the body's own state plus the
// counters and metadata as they were at that point.
type checkpointState struct {
	State    json.RawMessage `json:"state"`
	Counters store.Counters  `json:"counters"`
	Metadata json.RawMessage `json:"metadata"`
}

// Attempt outcomes recorded in the attempt history.
const (
	outcomeCompleted   = "completed"
	outcomeFailed      = "failed"
	outcomeCancelled   = "cancelled"
	outcomeContinued   = "continued"   // time budget used up after a checkpoint
	outcomeInterrupted = "interrupted" // the process is shutting down
)

func (w *jobWorker) Work(ctx context.Context, job *river.Job[jobArgs]) error {
	e := w.engine
	id := JobID(job.ID)
	k, ok := e.kinds[job.Args.Type]
	if !ok {
		// A job of a type this build does not know: fail it visibly.
		err := fmt.Errorf("job type %s is not known to this syncops build", job.Args.Type)
		_ = e.store.FinishJob(ctx, e.store.DB(), job.ID, StatusFailed, store.Counters{}, json.RawMessage(`{}`), err.Error(), e.clock.Now())
		return river.JobCancel(err)
	}
	rec, err := e.store.Job(ctx, e.store.Reader(), job.ID)
	if err != nil {
		return fmt.Errorf("load job %d: %w", id, err)
	}
	attempt, started, err := e.store.StartJobAttempt(ctx, e.store.DB(), job.ID, e.clock.Now())
	if err != nil {
		return err
	}
	if !started {
		// Cancelled (or otherwise finished) before a worker got to it.
		return river.JobCancel(fmt.Errorf("job %d is %s", id, rec.Status))
	}
	run, err := newRun(e, k, rec, attempt)
	if err != nil {
		_ = e.store.FinishJob(ctx, e.store.DB(), job.ID, StatusFailed, rec.Counters, rec.Metadata, err.Error(), e.clock.Now())
		e.hub.publishJob(ctx, id)
		return river.JobCancel(err)
	}
	e.logger.InfoContext(ctx, "job running", run.logAttrs()...)
	e.hub.publishJob(ctx, id)

	budget := time.Duration(float64(k.AttemptTimeout) * sliceFraction)
	cancelCtx, cancelByOperator := context.WithCancel(ctx)
	defer cancelByOperator()
	bodyCtx, cancelBody := clockwork.WithTimeout(cancelCtx, e.clock, budget)
	defer cancelBody()
	stopFlusher := run.startFlusher(ctx, cancelByOperator)
	bodyErr := runBody(bodyCtx, k, run)
	stopFlusher()

	// Always write the final counters with a context that outlives the
	// attempt's, so a cancelled or interrupted job keeps what it counted.
	finCtx, cancelFin := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancelFin()
	cause := context.Cause(ctx)
	switch {
	case bodyErr == nil:
		return w.finish(finCtx, run, StatusCompleted, outcomeCompleted, "")
	case errors.Is(cause, river.ErrJobCancelledRemotely) || run.cancelledInDB(finCtx):
		_ = w.finish(finCtx, run, StatusCancelled, outcomeCancelled, "")
		return river.JobCancel(errors.New("cancelled"))
	case ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded):
		// The process is stopping: keep the checkpoint, show the job as
		// waiting, and let the next start resume it.
		run.flush(finCtx, true)
		_ = e.store.FinishJobAttempt(finCtx, e.store.DB(), job.ID, attempt, outcomeInterrupted, "", e.clock.Now())
		_, _ = e.store.DB().ExecContext(finCtx, `UPDATE jobs SET status = 'PENDING', updated_at = $1 WHERE id = $2 AND status = 'RUNNING'`,
			store.Millis(e.clock.Now()), job.ID)
		e.logger.InfoContext(finCtx, "job interrupted by shutdown; it resumes on the next start", run.logAttrs()...)
		e.hub.publishJob(finCtx, id)
		return river.JobSnooze(0)
	case bodyCtx.Err() != nil && run.checkpointedThisAttempt():
		// Time budget used up after making progress: continue in a new attempt.
		run.flush(finCtx, true)
		_ = e.store.FinishJobAttempt(finCtx, e.store.DB(), job.ID, attempt, outcomeContinued, "", e.clock.Now())
		return river.JobSnooze(0)
	case bodyCtx.Err() != nil:
		return w.fail(finCtx, run, k, fmt.Errorf("attempt used its %s budget without reaching a checkpoint", budget))
	default:
		return w.fail(finCtx, run, k, bodyErr)
	}
}

// runBody runs the body, turning a panic into an error so one bad job never
// takes the worker process down.
func runBody(ctx context.Context, k *Kind, run *Run) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("job body panicked: %v", r)
		}
	}()
	return k.Run(ctx, run)
}

func (w *jobWorker) finish(ctx context.Context, run *Run, status Status, outcome, errMsg string) error {
	e := w.engine
	counters, meta := run.snapshot(true)
	if err := e.store.FinishJob(ctx, e.store.DB(), int64(run.id), status, counters, meta, errMsg, e.clock.Now()); err != nil {
		return err
	}
	if err := e.store.FinishJobAttempt(ctx, e.store.DB(), int64(run.id), run.attempt, outcome, errMsg, e.clock.Now()); err != nil {
		return err
	}
	attrs := append(run.logAttrs(), slog.String("status", string(status)), slog.Int64("total", counters.Total),
		slog.Int64("processed", counters.Processed), slog.Int64("successful", counters.Successful),
		slog.Int64("failed", counters.Failed), slog.Int64("skipped", counters.Skipped))
	if errMsg != "" {
		attrs = append(attrs, slog.String("error", errMsg))
	}
	e.logger.InfoContext(ctx, "job finished", attrs...)
	e.hub.publishJob(ctx, run.id)
	return nil
}

// fail ends the job FAILED: the body said it cannot go on. River is told not
// to retry; the checkpoint is kept, so starting the job again resumes.
func (w *jobWorker) fail(ctx context.Context, run *Run, k *Kind, cause error) error {
	if err := w.finish(ctx, run, StatusFailed, outcomeFailed, cause.Error()); err != nil {
		return err
	}
	return river.JobCancel(fmt.Errorf("%s failed: %w", k.Type, cause))
}
