package engine

import (
	"context"
	"database/sql"
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
		msg := err.Error()
		writeErr := w.finalWrite(ctx, id, "fail the job", func(tx *sql.Tx) error {
			return e.store.FinishJob(ctx, tx, job.ID, store.JobFailed, store.Counters{}, json.RawMessage(`{}`), msg, e.clock.Now())
		})
		return river.JobCancel(errors.Join(err, writeErr))
	}
	rec, err := e.store.Job(ctx, e.store.Reader(), job.ID)
	if err != nil {
		return fmt.Errorf("load job %d: %w", id, err)
	}
	if !rec.Status.Terminal() {
		// A job of a write lane runs only at the lane's head.
		if err := w.awaitLane(ctx, rec); err != nil {
			return err
		}
		rec.Metadata = deleteMetaKey(rec.Metadata, "waitingFor")
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
		msg := err.Error()
		writeErr := w.finalWrite(ctx, id, "fail the job", func(tx *sql.Tx) error {
			now := e.clock.Now()
			if err := e.store.FinishJob(ctx, tx, job.ID, store.JobFailed, rec.Counters, rec.Metadata, msg, now); err != nil {
				return err
			}
			return e.store.FinishJobAttempt(ctx, tx, job.ID, attempt, outcomeFailed, msg, now)
		})
		e.hub.publishJob(ctx, id)
		return river.JobCancel(errors.Join(err, writeErr))
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
		if err := w.finish(finCtx, run, StatusCancelled, outcomeCancelled, ""); err != nil {
			return river.JobCancel(fmt.Errorf("cancelled: %w", err))
		}
		return river.JobCancel(errors.New("cancelled"))
	case ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded):
		// The process is stopping: keep the checkpoint, show the job as
		// waiting, and let the next start resume it.
		if err := w.pause(finCtx, run, outcomeInterrupted); err != nil {
			return err
		}
		e.logger.InfoContext(finCtx, "job interrupted by shutdown; it resumes on the next start", run.logAttrs()...)
		return river.JobSnooze(0)
	case bodyCtx.Err() != nil && run.checkpointedThisAttempt():
		// Time budget used up after making progress: continue in a new attempt.
		if err := w.pause(finCtx, run, outcomeContinued); err != nil {
			return err
		}
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

// finalWrite commits the last writes of an attempt in one transaction, so
// the job row and its attempt history never disagree (a job COMPLETED with
// its attempt still open, an attempt closed on a job left RUNNING). A
// failure is logged with the job id and returned: the caller hands it to
// River, which records it on its job and retries where it retries.
func (w *jobWorker) finalWrite(ctx context.Context, id JobID, what string, fn func(tx *sql.Tx) error) error {
	if err := w.engine.store.InTx(ctx, fn); err != nil {
		err = fmt.Errorf("job %d: %s: %w", id, what, err)
		w.engine.logger.ErrorContext(ctx, "job's final write failed", slog.Int64("job_id", int64(id)),
			slog.String("write", what), slog.Any("error", err))
		return err
	}
	return nil
}

// pause ends an attempt that another attempt continues: its counters and
// the attempt's outcome, and for a shutdown the job shown PENDING again,
// commit together.
func (w *jobWorker) pause(ctx context.Context, run *Run, outcome string) error {
	e := w.engine
	run.writeMu.Lock()
	defer run.writeMu.Unlock()
	counters, meta := run.snapshot(false)
	err := w.finalWrite(ctx, run.id, "end attempt "+outcome, func(tx *sql.Tx) error {
		now := e.clock.Now()
		if err := e.store.SaveJobProgress(ctx, tx, int64(run.id), counters, meta, now); err != nil {
			return err
		}
		if err := e.store.FinishJobAttempt(ctx, tx, int64(run.id), run.attempt, outcome, "", now); err != nil {
			return err
		}
		if outcome == outcomeInterrupted {
			return e.store.RequeueInterruptedJob(ctx, tx, int64(run.id), now)
		}
		return nil
	})
	if err != nil {
		return err
	}
	e.hub.publishJob(ctx, run.id)
	return nil
}

func (w *jobWorker) finish(ctx context.Context, run *Run, status Status, outcome, errMsg string) error {
	e := w.engine
	counters, meta := run.snapshot(true)
	err := w.finalWrite(ctx, run.id, "finish "+string(status), func(tx *sql.Tx) error {
		now := e.clock.Now()
		if err := e.store.FinishJob(ctx, tx, int64(run.id), store.JobStatus(status), counters, meta, errMsg, now); err != nil {
			return err
		}
		return e.store.FinishJobAttempt(ctx, tx, int64(run.id), run.attempt, outcome, errMsg, now)
	})
	if err != nil {
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
