package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"syncops/store"
)

// maintenanceArgs is the periodic job that applies retention and reconciles
// tracked jobs with River (run by River's leader only).
type maintenanceArgs struct{}

func (maintenanceArgs) Kind() string { return "syncops_maintenance" }

type maintenanceWorker struct {
	river.WorkerDefaults[maintenanceArgs]
	engine *Engine
}

func (w *maintenanceWorker) Work(ctx context.Context, _ *river.Job[maintenanceArgs]) error {
	e := w.engine
	n, err := e.store.DeleteJobsFinishedBefore(ctx, e.clock.Now().Add(-e.cfg.Retention))
	if err != nil {
		return err
	}
	if n > 0 {
		e.logger.InfoContext(ctx, "retention removed finished jobs", slog.Int64("jobs", n), slog.Duration("older_than", e.cfg.Retention))
	}
	return e.reconcile(ctx)
}

// reconcile fails tracked jobs that are still active although River will
// never run them again (discarded after too many rescues, or deleted), so
// nothing stays PENDING or RUNNING without a worker to finish it.
func (e *Engine) reconcile(ctx context.Context) error {
	for _, status := range []store.JobStatus{store.JobPending, store.JobRunning} {
		recs, err := e.store.ListJobs(ctx, e.store.Reader(), store.JobFilter{Statuses: []store.JobStatus{status}, Limit: 1000})
		if err != nil {
			return err
		}
		for _, rec := range recs {
			rj, err := e.river.JobGet(ctx, rec.ID)
			var reason string
			switch {
			case errors.Is(err, river.ErrNotFound):
				reason = "its queue entry is gone"
			case err != nil:
				return fmt.Errorf("reconcile job %d: %w", rec.ID, err)
			case rj.State == rivertype.JobStateDiscarded:
				reason = fmt.Sprintf("it was abandoned after %d attempts", rj.Attempt)
			case rj.State == rivertype.JobStateCancelled || rj.State == rivertype.JobStateCompleted:
				reason = "its worker ended without recording an outcome"
			default:
				continue
			}
			msg := "job lost: " + reason
			if err := e.store.FinishJob(ctx, e.store.DB(), rec.ID, store.JobFailed, rec.Counters, rec.Metadata, msg, e.clock.Now()); err != nil {
				return err
			}
			e.logger.WarnContext(ctx, "reconciled lost job", slog.Int64("job_id", rec.ID), slog.String("reason", reason))
			e.hub.publishJob(ctx, JobID(rec.ID))
		}
	}
	return nil
}
