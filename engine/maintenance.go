package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

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
	if err := e.prune(ctx); err != nil {
		return err
	}
	if err := e.nudgeWebhooks(ctx); err != nil {
		return err
	}
	return e.reconcile(ctx)
}

// Timeout lets a pruning pass over a large backlog run longer than River's
// default job timeout; each of its batches has its own short timeout.
func (w *maintenanceWorker) Timeout(*river.Job[maintenanceArgs]) time.Duration {
	return maintenanceTimeout
}

// maintenanceTimeout bounds one maintenance run. A pass cut short keeps
// what it deleted and the next run goes on.
const maintenanceTimeout = 30 * time.Minute

// prune applies retention: history older than Config.Retention goes, in
// short batches (store.PruneHistory), so jobs writing meanwhile wait for one
// batch at most.
func (e *Engine) prune(ctx context.Context) error {
	res, err := e.store.PruneHistory(ctx, store.PruneOptions{Before: e.clock.Now().Add(-e.cfg.Retention)})
	if res.Jobs+res.FailedItems+res.SyncDiffs+res.SyncLog+res.ScheduledTicks+res.WebhookDeliveries > 0 {
		e.logger.InfoContext(ctx, "retention pruned history",
			slog.Int64("jobs", res.Jobs), slog.Int64("attempts", res.Attempts),
			slog.Int64("failed_items", res.FailedItems), slog.Int64("sync_diffs", res.SyncDiffs), slog.Int64("sync_log", res.SyncLog),
			slog.Int64("scheduled_ticks", res.ScheduledTicks), slog.Int64("webhook_deliveries", res.WebhookDeliveries),
			slog.Int("batches", res.Batches),
			slog.Duration("longest_hold", res.LongestHold), slog.Duration("older_than", e.cfg.Retention))
	}
	return err
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
