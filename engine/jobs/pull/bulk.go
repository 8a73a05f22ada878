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
// the threshold (a count that stopped early is taken as large). It returns
// the count too (nil when not counted).
func chooseMode[R any](ctx context.Context, r *engine.Run, d Deps, bulk *bool, src *bulkSource[R]) (string, *shopify.Count, error) {
	if bulk != nil {
		if *bulk {
			return pullModeBulk, nil, nil
		}
		return pullModePages, nil, nil
	}
	threshold, err := d.bulkThreshold(ctx)
	if err != nil {
		return "", nil, err
	}
	n, err := src.count(ctx)
	if err != nil {
		return "", nil, fmt.Errorf("count the records to choose between pages and a bulk export (set bulk to choose yourself): %w", err)
	}
	if n.N >= threshold || (n.AtLeast && n.N < threshold) {
		r.Logger().InfoContext(ctx, "large pull: using a bulk export", slog.Int64("count", n.N), slog.Int64("threshold", threshold))
		return pullModeBulk, &n, nil
	}
	return pullModePages, &n, nil
}

// exactCount is n when Shopify counted to the end, else 0 (not counted, or
// only a lower bound).
func exactCount(n *shopify.Count) int64 {
	if n == nil || n.AtLeast {
		return 0
	}
	return n.N
}

// bulkExport is one pull's bulk export. The lane, the operation's life and
// the reading of its result are the same for every pull; where the pull
// keeps its progress (the operation id and the result lines stored) is the
// pull's own checkpoint, which its hooks commit.
type bulkExport[R any] struct {
	d   Deps
	r   *engine.Run
	src *bulkSource[R]
	// op and lines are the operation the pull's checkpoint names ("" for
	// none) and the lines of its result stored already.
	op    string
	lines int64
	// saveOp commits op as the pull's operation ("" forgets it, with no
	// line stored), with lane in the same transaction.
	saveOp func(ctx context.Context, op string, lane func(*sql.Tx) error) error
	// storeBatch commits rows, the result read up to line lines; the last
	// batch ends the export and commits lane (freeing it) with it.
	storeBatch func(ctx context.Context, rows []R, lines int64, last bool, lane func(*sql.Tx) error) error
}

// run takes the shop's bulk lane and starts an operation unless the pull
// already has one, polls it to the end, and stores its result in batches
// of bulkBatchRows from the last stored line.
func (b *bulkExport[R]) run(ctx context.Context) error {
	if b.op == "" {
		if err := b.takeLane(ctx); err != nil {
			return err
		}
		b.r.SetMeta("bulkStatus", bulkStatusStarting)
		id, err := b.src.start(ctx)
		if err != nil {
			b.releaseLane(ctx)
			return err
		}
		if err := b.saveOp(ctx, id, b.holdLane(ctx, id)); err != nil {
			// The operation runs without a checkpoint naming it: cancel it
			// rather than leave it to block the shop's bulk lane.
			b.cancel(ctx, id)
			b.releaseLane(ctx)
			return fmt.Errorf("checkpoint bulk operation %s: %w", id, err)
		}
		b.op, b.lines = id, 0
		b.r.Logger().InfoContext(ctx, "bulk export started", slog.String("operation", id))
	}
	b.r.SetMeta("bulkOperation", b.op)
	op, err := b.d.Shopify.AwaitBulk(ctx, b.op, func(op shopify.BulkOperation) {
		b.r.SetMeta("bulkStatus", op.Status)
		b.r.SetMeta("bulkObjects", op.ObjectCount)
	})
	if err != nil {
		if ctx.Err() == nil && op.ID != "" && !op.Running() {
			// The operation ended without a result: the next attempt
			// starts a new one.
			b.forget(ctx)
		}
		return err
	}
	b.r.SetMeta("bulkStatus", bulkStatusImporting)
	err = b.importResult(ctx, op.URL)
	if apierr.ClassOf(err) == apierr.ClassNotFound && ctx.Err() == nil {
		// The result link expired (after 7 days): export again.
		b.forget(ctx)
	}
	return err
}

// importResult stores the result lines after b.lines in batches; the last
// batch frees the lane.
func (b *bulkExport[R]) importResult(ctx context.Context, url string) error {
	batch := make([]R, 0, bulkBatchRows)
	seen := b.lines
	if url != "" { // no file: nothing matched
		err := b.src.read(ctx, url, b.lines, func(lines int64, row R) error {
			batch, seen = append(batch, row), lines
			if len(batch) < bulkBatchRows {
				return nil
			}
			err := b.storeBatch(ctx, batch, seen, false, nil)
			batch = batch[:0] // the store keeps none of the rows it was given
			return err
		})
		if err != nil {
			return err
		}
	}
	return b.storeBatch(ctx, batch, seen, true, func(tx *sql.Tx) error {
		return b.d.Store.ReleaseBulkLane(ctx, tx, b.d.Shopify.ShopDomain(), int64(b.r.ID()), b.d.Clock.Now())
	})
}

// takeLane waits until the shop's bulk lane is free (or held by a job that
// ended, whose operation it cancels) and takes it for this job.
func (b *bulkExport[R]) takeLane(ctx context.Context) error {
	shop, me := b.d.Shopify.ShopDomain(), int64(b.r.ID())
	for {
		var holder int64
		var abandoned store.BulkLane
		err := b.d.Store.InTx(ctx, func(tx *sql.Tx) error {
			holder, abandoned = 0, store.BulkLane{}
			lane, err := b.d.Store.LockBulkLane(ctx, tx, shop)
			if err != nil {
				return err
			}
			if lane.JobID != 0 && lane.JobID != me {
				active, err := jobActive(ctx, tx, b.d.Store, lane.JobID)
				if err != nil {
					return err
				}
				if active {
					holder = lane.JobID
					return nil
				}
				abandoned = lane
			}
			return b.d.Store.SetBulkLane(ctx, tx, store.BulkLane{Shop: shop, JobID: me, UpdatedAt: b.d.Clock.Now()})
		})
		if err != nil {
			return fmt.Errorf("take the bulk lane of %s: %w", shop, err)
		}
		if holder == 0 {
			if abandoned.OperationID != "" {
				b.r.Logger().InfoContext(ctx, "cancelling the bulk operation of a job that ended",
					slog.Int64("job", abandoned.JobID), slog.String("operation", abandoned.OperationID))
				b.cancel(ctx, abandoned.OperationID)
			}
			return nil
		}
		b.r.SetMeta("bulkStatus", fmt.Sprintf("WAITING: job %d is running a bulk operation on %s; one runs per shop at a time", holder, shop))
		if err := sleepOn(ctx, b.d.Clock, bulkLaneWait); err != nil {
			return err
		}
	}
}

// holdLane is the lane write naming operation id as this job's.
func (b *bulkExport[R]) holdLane(ctx context.Context, id string) func(*sql.Tx) error {
	return func(tx *sql.Tx) error {
		return b.d.Store.SetBulkLane(ctx, tx, store.BulkLane{Shop: b.d.Shopify.ShopDomain(), JobID: int64(b.r.ID()),
			OperationID: id, UpdatedAt: b.d.Clock.Now()})
	}
}

// forget drops an operation that can give nothing more from the pull's
// checkpoint and frees the lane; the rows it stored stay.
func (b *bulkExport[R]) forget(ctx context.Context) {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), pullStopTimeout)
	defer cancel()
	err := b.saveOp(wctx, "", func(tx *sql.Tx) error {
		return b.d.Store.ReleaseBulkLane(wctx, tx, b.d.Shopify.ShopDomain(), int64(b.r.ID()), b.d.Clock.Now())
	})
	if err != nil {
		b.r.Logger().WarnContext(wctx, "could not forget the ended bulk operation", slog.Any("error", err))
		return
	}
	b.op, b.lines = "", 0
}

// abandon cancels the operation of a job an operator cancelled and frees
// the lane, so the shop's next bulk pull need not wait for it. A job that
// stopped for another reason keeps both: a later attempt resumes.
func (b *bulkExport[R]) abandon(ctx context.Context) {
	if b.op == "" {
		return
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), pullStopTimeout)
	defer cancel()
	rec, err := b.d.Store.Job(wctx, b.d.Store.Reader(), int64(b.r.ID()))
	if err != nil || rec.Status != store.JobCancelled {
		return
	}
	b.cancel(wctx, b.op)
	b.releaseLane(wctx)
}

// cancel asks Shopify to cancel operation id; a failure is logged (the
// operation then runs to its end unread, blocking nothing of ours).
func (b *bulkExport[R]) cancel(ctx context.Context, id string) {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), pullStopTimeout)
	defer cancel()
	if err := b.d.Shopify.CancelBulk(wctx, id); err != nil {
		b.r.Logger().WarnContext(wctx, "could not cancel a bulk operation", slog.String("operation", id), slog.Any("error", err))
	}
}

// releaseLane frees the lane if this job holds it.
func (b *bulkExport[R]) releaseLane(ctx context.Context) {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), pullStopTimeout)
	defer cancel()
	if err := b.d.Store.ReleaseBulkLane(wctx, b.d.Store.DB(), b.d.Shopify.ShopDomain(), int64(b.r.ID()), b.d.Clock.Now()); err != nil {
		b.r.Logger().WarnContext(wctx, "could not free the bulk lane", slog.Any("error", err))
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
