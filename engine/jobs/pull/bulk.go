package pull

// A full Shopify pull of a large shop goes through a bulk export, which
// Shopify runs on its side for as long as it needs (minutes to hours): far
// longer than one attempt. The export is a resumable part of the job:
//
//	lane ──> start ──[checkpoint: operation id]──> poll … (attempts end, the
//	  │                                             job resumes polling the
//	  │                                             same operation)
//	  │                                           ──COMPLETED──> read JSONL in
//	  │                  batches [rows + line position + checkpoint], resumable
//	  │                                           ──last batch──> done, lane free
//	  └── held by a running job: wait (metadata bulkStatus says for whom);
//	      held by a job that ended: cancel the operation it left, take over
//
// The operation id and the number of result lines stored are in the job's
// checkpoint, so a later attempt, or another process after a crash, polls the
// same operation and reads on after the last stored line: one operation per
// pull, and every row stored once. The lane (store.BulkLane, one per shop)
// lets one bulk operation run per shop across jobs and instances. An
// operation that ends FAILED, CANCELED or EXPIRED, or whose result link has
// expired, is forgotten and the next attempt starts a new one.

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"syncops/clients/apierr"
	"syncops/clients/shopify"
	"syncops/engine"
	"syncops/store"
)

// Settings and defaults of the choice between pages and a bulk export.
const (
	// SettingBulkThreshold is the smallest number of records (as Shopify's
	// count query reports them) for which a full Shopify pull without an
	// explicit bulk parameter uses a bulk export instead of pages.
	SettingBulkThreshold = "shopify_bulk_threshold"
	// DefaultBulkThreshold is SettingBulkThreshold's default: at about 20
	// customers a second, 10,000 customers page for over 8 minutes, while an
	// export costs a few requests. Shopify's count queries stop counting at
	// 10,000 by default, which this threshold does not exceed.
	DefaultBulkThreshold = 10000
)

// Settings are the pull family's settings.
func Settings() []engine.SettingSpec {
	return []engine.SettingSpec{
		{Key: SettingBulkThreshold, Default: strconv.Itoa(DefaultBulkThreshold),
			Help: "smallest number of records (Shopify's count) for which a full Shopify pull without a bulk " +
				"parameter uses a bulk export instead of pages",
			Validate: engine.WholeNumberSetting(1, 1<<31)},
	}
}

// bulkLaneWait is how long a pull waits before looking at a busy bulk lane
// again.
const bulkLaneWait = time.Second

// Bulk statuses of the pull's metadata (bulkStatus), beside Shopify's own
// (CREATED, RUNNING, COMPLETED...).
const (
	bulkStatusStarting  = "STARTING"
	bulkStatusImporting = "IMPORTING"
	bulkStatusDone      = "IMPORTED"
)

// bulkSource is how a pull exports its rows in bulk.
type bulkSource[R any] struct {
	// count counts the records the pull would read, for the choice of mode.
	count func(ctx context.Context) (shopify.Count, error)
	// start starts the export and returns its operation id.
	start func(ctx context.Context) (string, error)
	// read streams the rows of the result url after its first skip lines;
	// fn gets each row and the lines read up to and including it.
	read func(ctx context.Context, url string, skip int64, fn func(seen int64, row R) error) error
}

// bulkThreshold reads SettingBulkThreshold.
func (d Deps) bulkThreshold(ctx context.Context) (int64, error) {
	text, ok, err := d.Store.Setting(ctx, d.Store.Reader(), SettingBulkThreshold)
	if err != nil {
		return 0, err
	}
	if !ok || text == "" {
		return DefaultBulkThreshold, nil
	}
	v, err := strconv.ParseInt(text, 10, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("setting %s is %q, not a whole number of records >= 0: fix it (default %d)",
			SettingBulkThreshold, text, DefaultBulkThreshold)
	}
	return v, nil
}

// chooseMode decides between pages and a bulk export for a new pull:
// explicit when the bulk parameter is set, else by Shopify's count against
// the threshold (a count that stopped early is taken as large).
// The exact count is returned too (0 when not counted or not exact).
func chooseMode[R any](ctx context.Context, r *engine.Run, d Deps, bulk *bool, src *bulkSource[R]) (string, int64, error) {
	if bulk != nil {
		if *bulk {
			return pullModeBulk, 0, nil
		}
		return pullModePages, 0, nil
	}
	threshold, err := d.bulkThreshold(ctx)
	if err != nil {
		return "", 0, err
	}
	n, err := src.count(ctx)
	if err != nil {
		return "", 0, fmt.Errorf("count the records to choose between pages and a bulk export (set bulk to choose yourself): %w", err)
	}
	r.SetMeta("counted", n.N)
	exact := n.N
	if n.AtLeast {
		exact = 0
	}
	if n.N >= threshold || (n.AtLeast && n.N < threshold) {
		r.Logger().InfoContext(ctx, "large pull: using a bulk export", slog.Int64("count", n.N), slog.Int64("threshold", threshold))
		return pullModeBulk, exact, nil
	}
	return pullModePages, exact, nil
}

// runExport stores a bulk export: it takes the shop's bulk lane and starts
// an operation unless the checkpoint already names one, polls it to the end
// and stores its result in batches of bulkBatchRows from the last stored
// line.
func (sp *streamPull[R]) runExport(ctx context.Context, st *streamPullState) error {
	if st.BulkOp == "" {
		if err := sp.takeBulkLane(ctx); err != nil {
			return err
		}
		sp.r.SetMeta("bulkStatus", bulkStatusStarting)
		id, err := sp.spec.bulk.start(ctx)
		if err != nil {
			sp.releaseBulkLane(ctx)
			return err
		}
		if err := sp.saveBulkOp(ctx, st, id); err != nil {
			// The operation runs without a checkpoint naming it: cancel it
			// rather than leave it to block the shop's bulk lane.
			sp.cancelBulk(ctx, id)
			sp.releaseBulkLane(ctx)
			return err
		}
		sp.r.Logger().InfoContext(ctx, "bulk export started", slog.String("operation", id))
	}
	sp.r.SetMeta("bulkOperation", st.BulkOp)
	op, err := sp.d.Shopify.AwaitBulk(ctx, st.BulkOp, func(op shopify.BulkOperation) {
		sp.r.SetMeta("bulkStatus", op.Status)
		sp.r.SetMeta("bulkObjects", op.ObjectCount)
	})
	if err != nil {
		if ctx.Err() == nil && op.ID != "" && !op.Running() {
			// The operation ended without a result: the next attempt
			// starts a new one.
			sp.forgetBulkOp(ctx, st)
		}
		return err
	}
	sp.r.SetMeta("bulkStatus", bulkStatusImporting)
	err = sp.importBulk(ctx, st, op.URL)
	if apierr.ClassOf(err) == apierr.ClassNotFound && ctx.Err() == nil {
		// The result link expired (after 7 days): export again.
		sp.forgetBulkOp(ctx, st)
	}
	return err
}

// importBulk stores the result lines after st.BulkLines in batches, each
// batch's rows, its line position and the checkpoint committing together;
// the last batch ends the pass and frees the lane.
func (sp *streamPull[R]) importBulk(ctx context.Context, st *streamPullState, url string) error {
	batch := make([]R, 0, bulkBatchRows)
	var seen int64
	if url != "" { // no file: nothing matched
		err := sp.spec.bulk.read(ctx, url, st.BulkLines, func(lines int64, row R) error {
			batch, seen = append(batch, row), lines
			if len(batch) < bulkBatchRows {
				return nil
			}
			err := sp.storeRows(ctx, st, batch, nil, false, 1, func(_ *sql.Tx, after *streamPullState) error {
				after.BulkLines = seen
				return nil
			})
			batch = batch[:0] // the store keeps none of the rows it was given
			return err
		})
		if err != nil {
			return err
		}
	}
	return sp.storeRows(ctx, st, batch, nil, true, 1, func(tx *sql.Tx, after *streamPullState) error {
		after.BulkLines = max(seen, after.BulkLines)
		return sp.d.Store.ReleaseBulkLane(ctx, tx, sp.d.Shopify.ShopDomain(), int64(sp.r.ID()), sp.d.Clock.Now())
	})
}

// takeBulkLane waits until the shop's bulk lane is free (or held by a job
// that ended, whose operation it cancels) and takes it for this job.
func (sp *streamPull[R]) takeBulkLane(ctx context.Context) error {
	shop, me := sp.d.Shopify.ShopDomain(), int64(sp.r.ID())
	for {
		var holder int64
		var abandoned store.BulkLane
		err := sp.d.Store.InTx(ctx, func(tx *sql.Tx) error {
			holder, abandoned = 0, store.BulkLane{}
			lane, err := sp.d.Store.LockBulkLane(ctx, tx, shop)
			if err != nil {
				return err
			}
			if lane.JobID != 0 && lane.JobID != me {
				active, err := jobActive(ctx, tx, sp.d.Store, lane.JobID)
				if err != nil {
					return err
				}
				if active {
					holder = lane.JobID
					return nil
				}
				abandoned = lane
			}
			return sp.d.Store.SetBulkLane(ctx, tx, store.BulkLane{Shop: shop, JobID: me, UpdatedAt: sp.d.Clock.Now()})
		})
		if err != nil {
			return fmt.Errorf("take the bulk lane of %s: %w", shop, err)
		}
		if holder == 0 {
			if abandoned.OperationID != "" {
				sp.r.Logger().InfoContext(ctx, "cancelling the bulk operation of a job that ended",
					slog.Int64("job", abandoned.JobID), slog.String("operation", abandoned.OperationID))
				sp.cancelBulk(ctx, abandoned.OperationID)
			}
			return nil
		}
		sp.r.SetMeta("bulkStatus", fmt.Sprintf("WAITING: job %d is running a bulk operation on %s; one runs per shop at a time", holder, shop))
		if err := sleepOn(ctx, sp.d.Clock, bulkLaneWait); err != nil {
			return err
		}
	}
}

// saveBulkOp records a started operation in the checkpoint and the lane,
// in one transaction.
func (sp *streamPull[R]) saveBulkOp(ctx context.Context, st *streamPullState, id string) error {
	after := *st
	after.BulkOp, after.BulkLines = id, 0
	after.Exports++
	err := sp.r.CheckpointTx(ctx, &after, func(tx *sql.Tx, _ *engine.Tally) error {
		return sp.d.Store.SetBulkLane(ctx, tx, store.BulkLane{Shop: sp.d.Shopify.ShopDomain(), JobID: int64(sp.r.ID()),
			OperationID: id, UpdatedAt: sp.d.Clock.Now()})
	})
	if err != nil {
		return fmt.Errorf("checkpoint bulk operation %s: %w", id, err)
	}
	*st = after
	sp.publish(st)
	return nil
}

// forgetBulkOp drops an operation that can give nothing more from the
// checkpoint and frees the lane; the rows it stored stay.
func (sp *streamPull[R]) forgetBulkOp(ctx context.Context, st *streamPullState) {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), pullStopTimeout)
	defer cancel()
	after := *st
	after.BulkOp, after.BulkLines = "", 0
	err := sp.r.CheckpointTx(wctx, &after, func(tx *sql.Tx, _ *engine.Tally) error {
		return sp.d.Store.ReleaseBulkLane(wctx, tx, sp.d.Shopify.ShopDomain(), int64(sp.r.ID()), sp.d.Clock.Now())
	})
	if err != nil {
		sp.r.Logger().WarnContext(wctx, "could not forget the ended bulk operation", slog.Any("error", err))
		return
	}
	*st = after
}

// abandonBulk cancels the operation of a job an operator cancelled and
// frees the lane, so the shop's next bulk pull need not wait for it.
func (sp *streamPull[R]) abandonBulk(ctx context.Context, st *streamPullState) {
	if st.BulkOp == "" {
		return
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), pullStopTimeout)
	defer cancel()
	rec, err := sp.d.Store.Job(wctx, sp.d.Store.Reader(), int64(sp.r.ID()))
	if err != nil || rec.Status != store.JobCancelled {
		return // stopped for another reason: a later attempt resumes the operation
	}
	sp.cancelBulk(wctx, st.BulkOp)
	sp.releaseBulkLane(wctx)
}

// cancelBulk asks Shopify to cancel operation id; a failure is logged (the
// operation then runs to its end unread, blocking nothing of ours).
func (sp *streamPull[R]) cancelBulk(ctx context.Context, id string) {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), pullStopTimeout)
	defer cancel()
	if err := sp.d.Shopify.CancelBulk(wctx, id); err != nil {
		sp.r.Logger().WarnContext(wctx, "could not cancel a bulk operation", slog.String("operation", id), slog.Any("error", err))
	}
}

// releaseBulkLane frees the lane if this job holds it.
func (sp *streamPull[R]) releaseBulkLane(ctx context.Context) {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), pullStopTimeout)
	defer cancel()
	if err := sp.d.Store.ReleaseBulkLane(wctx, sp.d.Store.DB(), sp.d.Shopify.ShopDomain(), int64(sp.r.ID()), sp.d.Clock.Now()); err != nil {
		sp.r.Logger().WarnContext(wctx, "could not free the bulk lane", slog.Any("error", err))
	}
}

// sleepOn waits d on clock unless ctx ends first.
func sleepOn(ctx context.Context, clock interface {
	After(time.Duration) <-chan time.Time
}, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-clock.After(d):
		return nil
	}
}
