package pull

// INCREMENTAL_PULL_CUSTOMERS asks each source only for the customers
// changed since that source's watermark: Nhanh with updatedAtFrom, Shopify
// with an updated_at search, both starting mirror.ChangeOverlap before the
// watermark so a change written while the last run was reading is not
// missed. Without a watermark (the first run) it pulls everything.
//
// Each source is one paged pass; every page is stored with the job's
// checkpoint, so an attempt that runs out of time continues where it
// stopped. Shopify's pass is a bulk export instead (bulk.go) when Shopify
// counts at least the bulk threshold of changed customers (a first run, or
// a run after a long pause), or when the bulk parameter says so; its
// operation and the result lines stored are in the side's checkpoint. A source whose pass completes moves its watermark, in the
// transaction of its last page, to the newest updatedAt it saw: the
// source's clock, never this host's (a host clock hours ahead would
// otherwise skip every change of those hours). A change written while the
// run was reading is newer than what it saw, or within the overlap. A
// source that fails or is cancelled keeps its watermark; a failure of one
// source does not stop the other.
//
// After Nhanh's pass, a third pass finds the customers whose spend may
// have changed without their updatedAt moving: the buyers of the Nhanh
// orders created or updated since the orders watermark (order/list, 31-day
// windows), re-read by id into the mirror. Deleted orders are not listed;
// the nightly full customer pull is the safety net for those.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"syncops/clients/extid"
	"syncops/clients/nhanh"
	"syncops/engine"
	"syncops/engine/jobs/mirror"
	"syncops/store"
)

// Incremental pull sources and their watermarks (unix seconds).
const (
	incrementalNhanh            = "nhanh"
	incrementalShopify          = "shopify"
	incrementalNhanhWatermark   = "incremental:nhanh_customers"
	incrementalShopifyWatermark = "incremental:shopify_customers"
	incrementalOrdersWatermark  = "incremental:nhanh_orders"
)

// incrementalParams are INCREMENTAL_PULL_CUSTOMERS' parameters.
type incrementalParams struct {
	Source string `json:"source"` // both (the default), nhanh or shopify
	// Bulk is Shopify's side: true a bulk export, false pages, unset the
	// count of changed customers decides.
	Bulk *bool `json:"bulk"`
}

// incrementalSide is one source's pass in an incremental pull.
type incrementalSide struct {
	Enabled bool `json:"enabled,omitempty"`
	// Watermark (unix seconds) is the stored watermark this run reads
	// from; FirstRun says there was none and everything is pulled.
	Watermark int64     `json:"watermark,omitempty"`
	FirstRun  bool      `json:"firstRun,omitempty"`
	Cursor    string    `json:"cursor,omitempty"` // as streamPullState.Cursor
	Tally     pullTally `json:"tally"`
	Done      bool      `json:"done,omitempty"`
	// Failed is why the pass stopped, when it failed.
	Failed string `json:"failed,omitempty"`
	// Newest is the newest updatedAt (unix seconds, the source's clock)
	// the pass has seen: its next watermark.
	Newest int64 `json:"newest,omitempty"`
	// Mode is pullModePages or pullModeBulk once chosen (Shopify's side);
	// Counted is the changed records Shopify counted then (0: not counted
	// or not exactly).
	Mode    string `json:"mode,omitempty"`
	Counted int64  `json:"counted,omitempty"`
	// Exports, BulkOp and BulkLines are the side's bulk export, as
	// streamPullState's.
	Exports   int    `json:"exports,omitempty"`
	BulkOp    string `json:"bulkOp,omitempty"`
	BulkLines int64  `json:"bulkLines,omitempty"`
}

// newWatermark is where a completed pass leaves its watermark: the newest
// source timestamp seen, never earlier than the one it read from; 0 (keep
// none) when a first run saw nothing.
func (s *incrementalSide) newWatermark() int64 {
	if s.FirstRun {
		return s.Newest
	}
	return max(s.Newest, s.Watermark)
}

// changedSince is where the pass starts (unix seconds), 0 for everything.
func (s *incrementalSide) changedSince() int64 {
	if s.FirstRun {
		return 0
	}
	return mirror.ChangedSince(s.Watermark)
}

// meta is the side's metadata.
func (s *incrementalSide) meta() map[string]any {
	m := map[string]any{"created": s.Tally.Created, "updated": s.Tally.Updated, "unchanged": s.Tally.Unchanged,
		"pages": s.Tally.Pages, "firstRun": s.FirstRun, "done": s.Done}
	if wm := s.newWatermark(); wm > 0 {
		m["watermarkTo"] = rfc3339(time.Unix(wm, 0))
	}
	if !s.FirstRun {
		m["watermarkFrom"] = rfc3339(time.Unix(s.Watermark, 0))
		m["changedSince"] = rfc3339(time.Unix(s.changedSince(), 0))
	}
	if s.Failed != "" {
		m["failed"] = s.Failed
	}
	if s.Mode != "" {
		m["mode"] = s.Mode
	}
	if s.Counted > 0 {
		m["counted"] = s.Counted
	}
	if s.Mode == pullModeBulk {
		m["exports"], m["bulkLines"] = s.Exports, s.BulkLines
	}
	return m
}

// incrementalState is the incremental pull's checkpoint. Sides are values,
// so a copy of the state is a snapshot.
type incrementalState struct {
	// RunStart (unix seconds) is when the run began, on this host's clock:
	// shown, never a watermark.
	RunStart int64            `json:"runStart"`
	Nhanh    incrementalSide  `json:"nhanh"`
	Shopify  incrementalSide  `json:"shopify"`
	Orders   incrementalOrder `json:"orders"`
}

// incrementalOrder is the orders pass: the buyers of changed orders.
type incrementalOrder struct {
	Enabled      bool  `json:"enabled,omitempty"`
	Watermark    int64 `json:"watermark,omitempty"`
	HasWatermark bool  `json:"hasWatermark,omitempty"`
	From         int64 `json:"from,omitempty"`
	To           int64 `json:"to,omitempty"`
	Listed       bool  `json:"listed,omitempty"`
	// Pending are the buyers not yet re-read.
	Pending []extid.NhanhCustomerID `json:"pending,omitempty"`
	Orders  int                     `json:"orders,omitempty"`
	Buyers  int                     `json:"buyers,omitempty"`
	// Newest is the newest order createdAt/updatedAt seen (Nhanh's clock).
	Newest int64     `json:"newest,omitempty"`
	Tally  pullTally `json:"tally"`
	Done   bool      `json:"done,omitempty"`
	Failed string    `json:"failed,omitempty"`
}

// meta is the orders pass's metadata.
func (o *incrementalOrder) meta() map[string]any {
	m := map[string]any{"orders": o.Orders, "buyers": o.Buyers, "reread": o.Tally.Created + o.Tally.Updated + o.Tally.Unchanged,
		"updated": o.Tally.Updated, "done": o.Done}
	if o.From > 0 {
		m["from"], m["to"] = rfc3339(time.Unix(o.From, 0)), rfc3339(time.Unix(o.To, 0))
	}
	if o.Failed != "" {
		m["failed"] = o.Failed
	}
	return m
}

// incrementalPass is one source's pass.
type incrementalPass[R any] struct {
	name      string
	watermark string
	side      func(*incrementalState) *incrementalSide
	fetch     func(since int64) pageFetcher[R]
	upsert    upsertFunc[R]
	// stamp is a row's updatedAt at the source (unix seconds).
	stamp func(*R) int64
	// bulk, when set, exports the changes in bulk instead (Shopify);
	// bulkParam is the operator's choice (nil: the count decides).
	bulk      func(since int64) *bulkSource[R]
	bulkParam *bool
}

// incrementalPullCustomers pulls the customers changed since the last
// complete run, from both sources or one (param source).
func (d Deps) incrementalPullCustomers(ctx context.Context, r *engine.Run) error {
	var p incrementalParams
	if err := r.Params(&p); err != nil {
		return err
	}
	st, err := d.startIncremental(ctx, r, p.Source)
	if err != nil {
		return err
	}
	r.SetMeta("source", p.Source)
	r.SetMeta("stoppedEarly", false)
	publishIncremental(r, st)

	nhanhPass := incrementalPass[store.NhanhCustomer]{name: incrementalNhanh, watermark: incrementalNhanhWatermark,
		side: func(s *incrementalState) *incrementalSide { return &s.Nhanh },
		fetch: func(since int64) pageFetcher[store.NhanhCustomer] {
			return d.nhanhCustomerPages(nhanh.CustomerFilter{UpdatedAtFrom: since})
		},
		upsert: d.Store.UpsertNhanhCustomers,
		stamp:  func(c *store.NhanhCustomer) int64 { return c.RemoteUpdatedAt }}
	shopifyPass := incrementalPass[store.ShopifyCustomer]{name: incrementalShopify, watermark: incrementalShopifyWatermark,
		side: func(s *incrementalState) *incrementalSide { return &s.Shopify },
		fetch: func(since int64) pageFetcher[store.ShopifyCustomer] {
			return d.shopifyCustomerPages(shopifyChangedSince(since))
		},
		upsert: d.Store.UpsertShopifyCustomers,
		stamp:  func(c *store.ShopifyCustomer) int64 { return c.RemoteUpdatedAt },
		bulk: func(since int64) *bulkSource[store.ShopifyCustomer] {
			return d.shopifyCustomerBulk(shopifyChangedSince(since))
		},
		bulkParam: p.Bulk}

	for _, run := range []func() error{
		func() error { return runIncrementalPass(ctx, r, d, st, nhanhPass) },
		func() error { return d.runOrdersPass(ctx, r, st) },
		func() error { return runIncrementalPass(ctx, r, d, st, shopifyPass) },
	} {
		if err := run(); err != nil && ctx.Err() != nil {
			stopIncremental(ctx, r, st)
			return ctx.Err()
		}
	}
	// Failures of this attempt and of earlier ones are on the sides.
	var failures []error
	for _, failed := range []string{st.Nhanh.Failed, st.Orders.Failed, st.Shopify.Failed} {
		if failed != "" {
			failures = append(failures, errors.New(failed))
		}
	}
	if len(failures) > 0 {
		stopIncremental(ctx, r, st)
		return errors.Join(failures...)
	}
	r.Logger().InfoContext(ctx, "incremental pull complete", slog.Int64("nhanh_pages", st.Nhanh.Tally.Pages),
		slog.Int64("shopify_pages", st.Shopify.Tally.Pages))
	return nil
}

// startIncremental resumes this job's checkpoint or reads the watermarks
// and fixes the run's start.
func (d Deps) startIncremental(ctx context.Context, r *engine.Run, source string) (*incrementalState, error) {
	var st incrementalState
	ok, err := r.Resume(&st)
	if err != nil || ok {
		return &st, err
	}
	st.RunStart = d.Clock.Now().Unix()
	for _, side := range []struct {
		name, watermark string
		s               *incrementalSide
	}{{incrementalNhanh, incrementalNhanhWatermark, &st.Nhanh}, {incrementalShopify, incrementalShopifyWatermark, &st.Shopify}} {
		if source != "" && source != "both" && source != side.name {
			continue
		}
		wm, has, err := d.Store.Watermark(ctx, d.Store.DB(), side.watermark)
		if err != nil {
			return nil, err
		}
		*side.s = incrementalSide{Enabled: true, Watermark: wm, FirstRun: !has}
	}
	if st.Nhanh.Enabled {
		wm, has, err := d.Store.Watermark(ctx, d.Store.DB(), incrementalOrdersWatermark)
		if err != nil {
			return nil, err
		}
		st.Orders = incrementalOrder{Enabled: true, Watermark: wm, HasWatermark: has}
	}
	return &st, nil
}

// runIncrementalPass pages through one source's changes. A failure is
// recorded on the side (and in a checkpoint), so a later attempt of the
// job does not pull it again and the job ends failed.
func runIncrementalPass[R any](ctx context.Context, r *engine.Run, d Deps, st *incrementalState, pass incrementalPass[R]) error {
	side := pass.side(st)
	if !side.Enabled || side.Done || side.Failed != "" {
		return nil
	}
	err := chooseIncrementalMode(ctx, r, d, st, pass)
	if err == nil {
		if pass.side(st).Mode == pullModeBulk {
			export := incrementalExport(r, d, st, pass)
			if err = export.run(ctx); err != nil {
				export.abandon(ctx)
			}
		} else {
			err = pipePages(ctx, pass.fetch(side.changedSince()), cursorOf(side.Cursor), side.Tally.Pages+1,
				func(ctx context.Context, rows []R, next json.RawMessage, last bool, pages int) error {
					return storeIncrementalRows(ctx, r, d, st, pass, rows, nil, func(side *incrementalSide) {
						side.Cursor, side.Done = string(next), last
						side.Tally.Pages += int64(pages)
					})
				})
		}
	}
	if err == nil || ctx.Err() != nil {
		return err
	}
	side = pass.side(st)
	failed := fmt.Errorf("%s customers changed since %s, after %d pages: %w; its watermark stays, so the next run asks again",
		pass.name, sinceText(side), side.Tally.Pages, err)
	side.Failed = failed.Error()
	publishIncremental(r, st)
	return failed
}

// chooseIncrementalMode decides, once per pass, between pages and a bulk
// export for a side that can export; the choice is kept in the checkpoint.
func chooseIncrementalMode[R any](ctx context.Context, r *engine.Run, d Deps, st *incrementalState, pass incrementalPass[R]) error {
	side := pass.side(st)
	if side.Mode != "" {
		return nil
	}
	if pass.bulk == nil {
		side.Mode = pullModePages
		return nil
	}
	mode, n, err := chooseMode(ctx, r, d, pass.bulkParam, pass.bulk(side.changedSince()))
	if err != nil {
		return err
	}
	side.Mode, side.Counted = mode, exactCount(n)
	publishIncremental(r, st)
	return nil
}

// incrementalExport is a side's bulk export: the operation and every batch
// of its result commit with the job's checkpoint; the last batch moves the
// source's watermark (storeIncrementalRows).
func incrementalExport[R any](r *engine.Run, d Deps, st *incrementalState, pass incrementalPass[R]) *bulkExport[R] {
	side := pass.side(st)
	return &bulkExport[R]{d: d, r: r, src: pass.bulk(side.changedSince()), op: side.BulkOp, lines: side.BulkLines,
		saveOp: func(ctx context.Context, op string, lane func(*sql.Tx) error) error {
			after := *st
			s := pass.side(&after)
			s.BulkOp, s.BulkLines = op, 0
			if op != "" {
				s.Exports++
			}
			err := r.CheckpointTx(ctx, &after, func(tx *sql.Tx, _ *engine.Tally) error { return lane(tx) })
			if err != nil {
				return err
			}
			*st = after
			publishIncremental(r, st)
			return nil
		},
		storeBatch: func(ctx context.Context, rows []R, lines int64, last bool, lane func(*sql.Tx) error) error {
			err := storeIncrementalRows(ctx, r, d, st, pass, rows, lane, func(side *incrementalSide) {
				side.BulkLines, side.Done = max(lines, side.BulkLines), last
				side.Tally.Pages++
			})
			if err == nil && last {
				r.SetMeta("bulkStatus", bulkStatusDone)
			}
			return err
		}}
}

// storeIncrementalRows stores rows (pages, or a batch of a bulk export)
// with the job's checkpoint, moved on by move; when move ends the side's
// pass, the source's watermark moves too, to the newest updatedAt seen.
// also, when set, joins the transaction.
func storeIncrementalRows[R any](ctx context.Context, r *engine.Run, d Deps, st *incrementalState, pass incrementalPass[R],
	rows []R, also func(*sql.Tx) error, move func(*incrementalSide)) error {
	now := d.Clock.Now()
	var after incrementalState
	err := r.CheckpointTx(ctx, &after, func(tx *sql.Tx, t *engine.Tally) error {
		// st moves only if the checkpoint commits.
		after = *st
		side := pass.side(&after)
		move(side)
		if also != nil {
			if err := also(tx); err != nil {
				return err
			}
		}
		for i := range rows {
			side.Newest = max(side.Newest, pass.stamp(&rows[i]))
		}
		counts, err := pass.upsert(ctx, tx, rows, now)
		if err != nil {
			return err
		}
		side.Tally.add(counts)
		countUpserts(t, counts)
		if !side.Done || side.newWatermark() <= 0 {
			return nil
		}
		return d.Store.SetWatermark(ctx, tx, pass.watermark, side.newWatermark(), now)
	})
	if err != nil {
		return err
	}
	*st = after
	publishIncremental(r, st)
	return nil
}

// stopIncremental takes the last checkpoint of a run that ends early, so
// stoppedEarly and the tallies are stored with it.
func stopIncremental(ctx context.Context, r *engine.Run, st *incrementalState) {
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), pullStopTimeout)
	defer cancel()
	r.SetMeta("stoppedEarly", true)
	publishIncremental(r, st)
	if err := r.Checkpoint(stopCtx, st); err != nil {
		r.Logger().WarnContext(stopCtx, "could not checkpoint the stopped incremental pull", slog.Any("error", err))
	}
}

// publishIncremental sets the run's metadata: totals, each source's part,
// and the watermarks (earliest source's start; the new one).
func publishIncremental(r *engine.Run, st *incrementalState) {
	var total pullTally
	firstRun := false
	var from int64
	for _, s := range []struct {
		name string
		side *incrementalSide
	}{{incrementalNhanh, &st.Nhanh}, {incrementalShopify, &st.Shopify}} {
		if !s.side.Enabled {
			continue
		}
		r.SetMeta(s.name, s.side.meta())
		total.Pages += s.side.Tally.Pages
		total.add(store.UpsertCounts{Created: int(s.side.Tally.Created), Updated: int(s.side.Tally.Updated),
			Unchanged: int(s.side.Tally.Unchanged)})
		firstRun = firstRun || s.side.FirstRun
		if !s.side.FirstRun && (from == 0 || s.side.Watermark < from) {
			from = s.side.Watermark
		}
	}
	r.SetMeta("created", total.Created)
	r.SetMeta("updated", total.Updated)
	r.SetMeta("unchanged", total.Unchanged)
	r.SetMeta("pages", total.Pages)
	r.SetMeta("firstRun", firstRun)
	if st.Orders.Enabled {
		r.SetMeta("orders", st.Orders.meta())
	}
	// The run's watermarkTo is the earliest a completed side moved to.
	var to int64
	for _, s := range []*incrementalSide{&st.Nhanh, &st.Shopify} {
		if wm := s.newWatermark(); s.Enabled && wm > 0 && (to == 0 || wm < to) {
			to = wm
		}
	}
	if to != 0 {
		r.SetMeta("watermarkTo", rfc3339(time.Unix(to, 0)))
	}
	if from != 0 {
		r.SetMeta("watermarkFrom", rfc3339(time.Unix(from, 0)))
	}
}

// runOrdersPass re-reads the buyers of the Nhanh orders created or updated
// since the orders watermark, after Nhanh's pass completed (a first run
// pulled every customer already and only sets the watermark). The
// watermark moves to the newest order timestamp seen, with the last
// re-read.
func (d Deps) runOrdersPass(ctx context.Context, r *engine.Run, st *incrementalState) error {
	o := &st.Orders
	if !o.Enabled || o.Done || o.Failed != "" || !st.Nhanh.Done {
		return nil
	}
	if !o.Listed {
		now := d.Clock.Now()
		o.From = mirror.OrdersFrom(o.Watermark, o.HasWatermark, st.Nhanh.newWatermark(), now)
		if !st.Nhanh.FirstRun || o.HasWatermark {
			found, err := mirror.ReadSpendChanges(ctx, d.Nhanh, o.From, now)
			if err != nil {
				if ctx.Err() == nil {
					o.Failed = fmt.Sprintf("nhanh orders: %v; its watermark stays, so the next run asks again", err)
					publishIncremental(r, st)
				}
				return err
			}
			o.To, o.Pending, o.Orders, o.Buyers, o.Newest = found.To, found.Customers, found.Orders, len(found.Customers), found.Newest
		}
		o.Listed = true
		if err := r.Checkpoint(ctx, st); err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
		publishIncremental(r, st)
	}
	for !st.Orders.Done {
		pending := st.Orders.Pending
		chunk := pending[:min(nhanh.CustomersByIDBatch, len(pending))]
		var rows []store.NhanhCustomer
		if len(chunk) > 0 {
			customers, err := d.Nhanh.CustomersByID(ctx, chunk)
			if err != nil {
				if ctx.Err() == nil {
					st.Orders.Failed = fmt.Sprintf("nhanh customers of changed orders: %v; the orders watermark stays, so the next run asks again", err)
					publishIncremental(r, st)
				}
				return err
			}
			for _, c := range customers {
				rows = append(rows, mirror.NhanhCustomer(c))
			}
		}
		now := d.Clock.Now()
		var after incrementalState
		err := r.CheckpointTx(ctx, &after, func(tx *sql.Tx, t *engine.Tally) error {
			after = *st
			ao := &after.Orders
			ao.Pending = pending[len(chunk):]
			ao.Done = len(ao.Pending) == 0
			counts, err := d.Store.UpsertNhanhCustomers(ctx, tx, rows, now)
			if err != nil {
				return err
			}
			ao.Tally.Pages++
			ao.Tally.add(counts)
			countUpserts(t, counts)
			mark := max(ao.Newest, ao.Watermark)
			if !ao.HasWatermark {
				// Without orders seen, Nhanh's newest customer updatedAt
				// is the best reading of its clock.
				mark = max(mark, after.Nhanh.newWatermark())
			}
			if !ao.Done || mark <= 0 {
				return nil
			}
			return d.Store.SetWatermark(ctx, tx, incrementalOrdersWatermark, mark, now)
		})
		if err != nil {
			return err
		}
		*st = after
		publishIncremental(r, st)
	}
	return nil
}

// shopifyChangedSince is the Shopify search for customers updated after
// since (unix seconds); "" (everything) for 0.
func shopifyChangedSince(since int64) string {
	if since == 0 {
		return ""
	}
	return "updated_at:>'" + time.Unix(since, 0).UTC().Format(time.RFC3339) + "'"
}

// sinceText describes where a side's pass started, for an error.
func sinceText(s *incrementalSide) string {
	if s.FirstRun {
		return "the beginning (first run)"
	}
	return rfc3339(time.Unix(s.changedSince(), 0))
}
