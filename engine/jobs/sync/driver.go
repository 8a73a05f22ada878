package sync

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"golang.org/x/sync/errgroup"

	"syncops/clients/apierr"
	"syncops/engine"
	"syncops/store"
)

// Sizes and limits of the sync jobs.
const (
	// customerBatchSize is the mappings per checkpoint of a customer sync:
	// ten metafieldsSet calls of 25.
	customerBatchSize = 250
	// customerBulkBatchSize is the mappings per checkpoint of a customer
	// sync that writes through bulk mutations: one operation each.
	customerBulkBatchSize = 5000
	// productBatchSize is the mappings per checkpoint of a product sync: one
	// Nhanh product/inventory call carries 100 ids.
	productBatchSize = 100
	// productBulkBatchSize is the mappings per checkpoint of a product sync
	// that writes through bulk mutations: one operation each, of one line
	// per written location. Every operation costs a staged upload, a start
	// and polls (the client's BulkPollInterval), so a batch is large; its
	// Nhanh stock is read live (ten product/inventory calls per status)
	// just before it is written, so it is smaller than a customer batch.
	productBulkBatchSize = 1000
	// shopifyWriteConcurrency is how many Shopify write calls one sync job
	// keeps in flight. The client's cost governor paces them against the
	// shop's bucket, so more calls never overdraw it; they only hide the
	// round trip. Keeping the bucket busy takes restore/10 calls/s x the
	// round trip in flight: BenchmarkMetafieldsSetConcurrency measured, at
	// 50 ms a round trip and 100 calls/s restored (1,000 points/s), 0.11 of
	// the restore rate with 1 call in flight, 0.67 with 4 and 0.96 with 8.
	// Eight covers the Standard plan (10 calls/s) up to 800 ms a call and a
	// Plus shop (100 calls/s) up to 80 ms.
	shopifyWriteConcurrency = 8
	// maxErrorsInMetadata bounds the per-item error list kept in a sync
	// job's metadata (the reference kept the same list); every failure is a
	// failed item regardless.
	maxErrorsInMetadata = 50
)

// Sync phases recorded in a checkpoint.
const (
	phaseRefresh = "refresh" // auto-sync: reading changed source values
	phaseSize    = "size"    // counting the scope
	phasePush    = "push"    // writing to Shopify, batch by batch
	phaseDone    = "done"
)

// syncMode says which mappings in scope are written.
type syncMode int

const (
	// syncForced writes every mapping in scope (manual syncs, retries).
	syncForced syncMode = iota
	// syncChanged writes only mappings whose value differs from the one last
	// written, or that are not SYNCED (auto-sync).
	syncChanged
)

// outcome is where one mapping of a batch stands.
type outcome int

const (
	outcomePush outcome = iota // a write is planned
	outcomeDone                // written
	outcomeSkip                // left alone: unchanged, or deferred by the push limit
	outcomeFail                // failed; message says why
)

// syncItem is one mapping of a batch.
type syncItem struct {
	mappingID int64
	name      string // the customer or product, for messages and the error list
	request   string // summary of the write, for the failed item
	outcome   outcome
	deferred  bool   // skipped because the push limit was reached
	message   string // why it failed
	// skipReason says why the item, or some of its locations, was skipped
	// for a reason the operator can act on (untracked, not stocked there):
	// shown in the job's metadata (skips), never a failure.
	skipReason string
	err        error        // the underlying error, for the failure class
	class      apierr.Class // the failure class when there is no error (a missing row, say)
	// recordable says the failure can be recorded on the mapping (it exists
	// and has a Shopify side).
	recordable bool

	// nhanhID and shopifyID name the mapping's two sides, and lines the
	// values its write sets, for a preview's diff (preview.go).
	nhanhID, shopifyID string
	lines              []diffLine
}

func (it *syncItem) fail(msg string, err error) {
	it.outcome, it.message, it.err = outcomeFail, msg, err
}

// failFound fails the item for a problem found before any request: a
// record missing or deleted on one side is not_found, anything else
// (no Shopify side) is validation.
func (it *syncItem) failFound(msg string, class apierr.Class) {
	it.outcome, it.message, it.class = outcomeFail, msg, class
}

// syncBatch is one batch of mappings, planned: some to write, some skipped
// or failed already.
type syncBatch struct {
	items  []*syncItem
	lastID int64 // the cursor after this batch
	pushes int64 // writes planned
	// send performs the planned writes and settles their items. It returns
	// an error only when the job cannot go on (auth, cancellation).
	send func(ctx context.Context) error
	// record stores every settled item on its mapping, in the checkpoint's
	// transaction.
	record func(ctx context.Context, tx *sql.Tx, at time.Time) error
}

// batchCursor is where planning stands.
type batchCursor struct {
	afterID, upToID int64
	pushBudget      int64 // writes still allowed; negative = no cap
}

// syncSource plans the batches of one kind of mapping.
type syncSource interface {
	kind() store.MappingKind
	batchSize() int
	// nextBatch plans the next batch after cur, or returns nil when done.
	nextBatch(ctx context.Context, cur batchCursor) (*syncBatch, error)
}

// syncErrorEntry is one entry of metadata results.errors.
type syncErrorEntry struct {
	MappingID    int64  `json:"mappingId"`
	CustomerName string `json:"customerName,omitempty"`
	ProductName  string `json:"productName,omitempty"`
	Error        string `json:"error"`
}

// refreshState is where an auto-sync's source refresh stands.
type refreshState struct {
	From int64 `json:"from"` // updatedAtFrom asked of Nhanh, unix seconds
	// Type is the customer type being read (nhanh.CustomerTypes, each asked
	// for explicitly); 0 is the first. Cursor is Nhanh's within it.
	Type      int             `json:"type,omitempty"`
	Cursor    json.RawMessage `json:"cursor,omitempty"`
	Pages     int             `json:"pages"`
	Read      int             `json:"read"`
	Created   int             `json:"created"`
	Updated   int             `json:"updated"`
	Unchanged int             `json:"unchanged"`
}

// meta is the refresh as metadata shows it (without the cursor).
func (rs *refreshState) meta() map[string]any {
	return map[string]any{"updatedAtFrom": rs.From, "pages": rs.Pages, "read": rs.Read,
		"created": rs.Created, "updated": rs.Updated, "unchanged": rs.Unchanged}
}

// syncState is a sync job's checkpoint.
type syncState struct {
	Phase        string           `json:"phase"`
	RunStart     int64            `json:"runStart,omitempty"` // unix seconds, the auto-sync watermark to set
	Refresh      *refreshState    `json:"refresh,omitempty"`
	Spend        spendState       `json:"spend,omitzero"` // customer auto-sync: orders, reconcile, watermarks
	UpToID       int64            `json:"upToId"`
	Passed       int64            `json:"passed,omitempty"` // settled mappings an unsettled scope passed by
	AfterID      int64            `json:"afterId"`
	Batch        int              `json:"batch"`
	TotalBatches int              `json:"totalBatches"`
	Pushed       int64            `json:"pushed"`
	Deferred     int64            `json:"deferred"`
	Errors       []syncErrorEntry `json:"errors,omitempty"`
	SkipNotices  int64            `json:"skipNotices,omitempty"`
	Skips        []syncErrorEntry `json:"skips,omitempty"` // the first maxErrorsInMetadata skip reasons
	// Bulk says the writes go through bulk mutations (the scope reached
	// the kind's bulk threshold when it was sized: SettingBulkWriteThreshold
	// or SettingProductBulkWriteThreshold).
	Bulk bool `json:"bulk,omitempty"`
}

// bulkWriter is a source that can write through Shopify bulk mutations.
type bulkWriter interface {
	useBulk(on bool)
}

// sourceJob is what both sync sources hold: the job's deps and id, and the
// way their batches write, paced calls or, once useBulk(true), one bulk
// mutation a batch (bulk).
type sourceJob struct {
	d     Deps
	jobID int64
	bulk  *bulkMutator
}

// useBulk switches the source to bulk mutations, or back to paced calls.
func (s *sourceJob) useBulk(on bool) {
	switch {
	case !on:
		s.bulk = nil
	case s.bulk == nil:
		s.bulk = newBulkMutator(s.d, s.jobID)
	}
}

// inflightBatch is a batch whose writes are under way.
type inflightBatch struct {
	batch  *syncBatch
	writes errgroup.Group
}

// startSend starts the batch's writes.
func startSend(ctx context.Context, b *syncBatch) *inflightBatch {
	f := &inflightBatch{batch: b}
	if b.send != nil && b.pushes > 0 {
		f.writes.Go(func() error { return b.send(ctx) })
	}
	return f
}

// wait waits for the batch's writes and returns what stopped them.
func (f *inflightBatch) wait() error { return f.writes.Wait() }

// runSync writes the mappings of scope batch by batch from st (a fresh or
// resumed checkpoint), checkpointing after every batch. Planning and
// recording of one batch overlap the writes of the next. finish, if set,
// runs in the transaction of the last checkpoint.
func (d Deps) runSync(ctx context.Context, r *engine.Run, src syncSource, scope syncScope, st *syncState,
	finish func(ctx context.Context, tx *sql.Tx) error) error {
	if st.Phase != phasePush && st.Phase != phaseDone {
		size, err := d.sizeScope(ctx, src.kind(), scope)
		if err != nil {
			return err
		}
		next := *st
		next.Phase, next.UpToID, next.Passed = phasePush, size.upTo, size.passed
		if _, ok := src.(bulkWriter); ok {
			threshold, err := d.bulkWriteThreshold(ctx, src.kind())
			if err != nil {
				return err
			}
			next.Bulk = size.visited() >= threshold
		}
		if bw, ok := src.(bulkWriter); ok {
			bw.useBulk(next.Bulk)
		}
		next.TotalBatches = int((size.visited() + int64(src.batchSize()) - 1) / int64(src.batchSize()))
		r.SetTotal(size.total)
		// The mappings passed by are skipped at once, in the checkpoint
		// that fixes the scope.
		err = r.CheckpointTx(ctx, &next, func(_ *sql.Tx, t *engine.Tally) error {
			t.Skipped(size.passed)
			d.publishSyncMeta(r, &next, t.Counters())
			return nil
		})
		if err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
		*st = next
	}
	if bw, ok := src.(bulkWriter); ok {
		bw.useBulk(st.Bulk)
		if st.Bulk {
			r.SetMeta("writeMode", "bulk")
		}
	}
	if st.Phase == phasePush {
		if err := d.pushBatches(ctx, r, src, scope, st); err != nil {
			if st.Bulk && ctx.Err() != nil {
				// A bulk mutation runs on Shopify's side past the attempt's
				// budget: checkpoint the place (unchanged) so the next attempt
				// plans the batch again and polls that operation.
				if cerr := r.Checkpoint(context.WithoutCancel(ctx), st); cerr != nil {
					r.Logger().WarnContext(ctx, "could not checkpoint a bulk write in progress", "error", cerr)
				}
			}
			return err
		}
	}
	// Mappings deleted (or unmapped) during the run were counted in total
	// but are no longer items; say so instead of ending short of 100%. A
	// mapping an unsettled scope passed by at sizing and that changed
	// before the run reached it was planned as well: it joined.
	switch c := r.Counters(); {
	case c.Processed < c.Total:
		r.SetMeta("vanished", c.Total-c.Processed)
		r.SetTotal(c.Processed)
	case c.Processed > c.Total:
		r.SetMeta("joined", c.Processed-c.Total)
		r.SetTotal(c.Processed)
	}
	st.Phase = phaseDone
	d.publishSyncMeta(r, st, r.Counters())
	err := r.CheckpointTx(context.WithoutCancel(ctx), st, func(tx *sql.Tx, _ *engine.Tally) error {
		if r.DryRun() {
			// A preview moves nothing finish would (watermarks).
			return d.publishPreviewTotals(context.WithoutCancel(ctx), r, tx)
		}
		if finish == nil {
			return nil
		}
		return finish(context.WithoutCancel(ctx), tx)
	})
	if err != nil {
		return fmt.Errorf("final checkpoint: %w", err)
	}
	return nil
}

func (d Deps) pushBatches(ctx context.Context, r *engine.Run, src syncSource, scope syncScope, st *syncState) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cur := batchCursor{afterID: st.AfterID, upToID: st.UpToID, pushBudget: -1}
	if scope.pushLimit > 0 {
		cur.pushBudget = max(scope.pushLimit-st.Pushed, 0)
	}
	var prev *inflightBatch
	abort := func(err error) error {
		cancel()
		if prev != nil {
			_ = prev.wait() // err says why the job stops; the writes only end
		}
		return err
	}
	for {
		b, err := src.nextBatch(ctx, cur)
		if err != nil {
			if prev != nil && ctx.Err() == nil {
				if ferr := d.finishBatch(ctx, r, src.kind(), prev, st); ferr != nil {
					return abort(errors.Join(err, ferr))
				}
				prev = nil
			}
			return abort(err)
		}
		if b == nil {
			break
		}
		if r.DryRun() {
			d.previewBatch(int64(r.ID()), b) // the sink: the diff instead of Shopify
		}
		cur.afterID = b.lastID
		if cur.pushBudget >= 0 {
			cur.pushBudget -= b.pushes
		}
		next := startSend(ctx, b)
		if prev != nil {
			if err := d.finishBatch(ctx, r, src.kind(), prev, st); err != nil {
				prev = next
				return abort(err)
			}
		}
		prev = next
	}
	if prev != nil {
		if err := d.finishBatch(ctx, r, src.kind(), prev, st); err != nil {
			return abort(err)
		}
	}
	return nil
}

// finishBatch waits for a batch's writes and records them with the
// checkpoint that moves the cursor past the batch: every item's outcome on
// its mapping, its failed item and its count commit together, so a resumed
// job neither counts a batch twice nor keeps a failure its redo fixed.
func (d Deps) finishBatch(ctx context.Context, r *engine.Run, kind store.MappingKind, f *inflightBatch, st *syncState) error {
	if err := f.wait(); err != nil {
		if apierr.ClassOf(err) == apierr.ClassCanceled && ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("write to Shopify: %w", err)
	}
	b := f.batch
	var after syncState
	// The batch is settled: keep it even if the attempt is ending.
	keep := context.WithoutCancel(ctx)
	err := r.CheckpointTx(keep, &after, func(tx *sql.Tx, t *engine.Tally) error {
		// st moves only if the checkpoint commits.
		after = *st
		after.Errors = slices.Clip(after.Errors)
		for _, it := range b.items {
			if it.skipReason != "" && it.outcome != outcomeFail {
				after.SkipNotices++
				if len(after.Skips) < maxErrorsInMetadata {
					after.Skips = append(slices.Clip(after.Skips), syncErrorEntry{MappingID: it.mappingID, ProductName: it.name, Error: it.skipReason})
				}
			}
			switch it.outcome {
			case outcomeDone:
				t.Succeeded(1)
			case outcomeSkip:
				t.Skipped(1)
				if it.deferred {
					after.Deferred++
				}
			case outcomeFail:
				if err := d.failItem(t, kind, it, &after); err != nil {
					return err
				}
			default:
				return fmt.Errorf("%s mapping %d was planned but never settled", kind, it.mappingID)
			}
		}
		after.AfterID = b.lastID
		after.Pushed += b.pushes
		after.Batch++
		if err := b.record(keep, tx, d.Clock.Now()); err != nil {
			return err
		}
		// The metadata stored with the checkpoint shows its counts.
		d.publishSyncMeta(r, &after, t.Counters())
		return nil
	})
	if err != nil {
		d.publishSyncMeta(r, st, r.Counters())
		return fmt.Errorf("record batch %d: %w", st.Batch+1, err)
	}
	*st = after
	return nil
}

func (d Deps) failItem(t *engine.Tally, kind store.MappingKind, it *syncItem, st *syncState) error {
	err := t.Fail(engine.Failure{Key: strconv.FormatInt(it.mappingID, 10), Message: it.message,
		Request: it.request, Err: it.err, Class: cmp.Or(it.class, classOrValidation(it.err))})
	if err != nil {
		return fmt.Errorf("record failed item: %w", err)
	}
	if len(st.Errors) < maxErrorsInMetadata {
		// The name field follows the reference's shape per kind.
		e := syncErrorEntry{MappingID: it.mappingID, Error: it.message}
		if kind == store.MappingKindProduct {
			e.ProductName = it.name
		} else {
			e.CustomerName = it.name
		}
		st.Errors = append(st.Errors, e)
	}
	return nil
}

// classOrValidation is the failure class of err, or validation when err
// carries none.
func classOrValidation(err error) apierr.Class {
	if c := apierr.ClassOf(err); c != "" && c != apierr.ClassUnknown {
		return c
	}
	return apierr.ClassValidation
}

// publishSyncMeta writes the progress metadata of the original request:
// currentBatch, totalBatches and results.
func (d Deps) publishSyncMeta(r *engine.Run, st *syncState, c engine.Counters) {
	errs := st.Errors
	if errs == nil {
		errs = []syncErrorEntry{}
	}
	r.SetMeta("currentBatch", st.Batch)
	r.SetMeta("totalBatches", max(st.TotalBatches, st.Batch))
	r.SetMeta("results", map[string]any{"total": c.Total, "successful": c.Successful, "failed": c.Failed,
		"skipped": c.Skipped, "errors": errs})
	if st.Deferred > 0 {
		r.SetMeta("deferredByLimit", st.Deferred)
	}
	if st.SkipNotices > 0 {
		r.SetMeta("skips", map[string]any{"count": st.SkipNotices, "items": st.Skips})
	}
	if st.Passed > 0 {
		r.SetMeta("unchanged", st.Passed)
	}
}

// bulkWriteThreshold reads the bulk threshold of kind's syncs:
// SettingBulkWriteThreshold (customers) or SettingProductBulkWriteThreshold.
func (d Deps) bulkWriteThreshold(ctx context.Context, kind store.MappingKind) (int64, error) {
	key, def := SettingBulkWriteThreshold, int64(DefaultBulkWriteThreshold)
	if kind == store.MappingKindProduct {
		key, def = SettingProductBulkWriteThreshold, DefaultProductBulkWriteThreshold
	}
	text, ok, err := d.Store.Setting(ctx, d.Store.Reader(), key)
	if err != nil {
		return 0, err
	}
	if !ok || text == "" {
		return def, nil
	}
	v, err := strconv.ParseInt(text, 10, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("setting %s is %q, not a whole number of items >= 0: fix it (default %d)", key, text, def)
	}
	return v, nil
}
