package pull

// INCREMENTAL_PULL_CUSTOMERS asks each source only for the customers
// changed since that source's watermark: Nhanh with updatedAtFrom, Shopify
// with an updated_at search, both starting mirror.ChangeOverlap before the
// watermark so a change written while the last run was reading is not
// missed. Without a watermark (the first run) it pulls everything.
//
// Each source is one paged pass; every page is stored with the job's
// checkpoint, so an attempt that runs out of time continues where it
// stopped. A source whose pass completes moves its watermark, in the
// transaction of its last page, to the time this run STARTED: anything
// changed while the run was reading is newer than that and is asked for
// again next time. A source that fails or is cancelled keeps its
// watermark; a failure of one source does not stop the other.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

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
)

// incrementalParams are INCREMENTAL_PULL_CUSTOMERS' parameters.
type incrementalParams struct {
	Source string `json:"source"` // both (the default), nhanh or shopify
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
}

// changedSince is where the pass starts (unix seconds), 0 for everything.
func (s *incrementalSide) changedSince() int64 {
	if s.FirstRun {
		return 0
	}
	return mirror.ChangedSince(s.Watermark)
}

// meta is the side's metadata.
func (s *incrementalSide) meta(runStart int64) map[string]any {
	m := map[string]any{"created": s.Tally.Created, "updated": s.Tally.Updated, "unchanged": s.Tally.Unchanged,
		"pages": s.Tally.Pages, "firstRun": s.FirstRun, "done": s.Done,
		"watermarkTo": rfc3339(time.Unix(runStart, 0))}
	if !s.FirstRun {
		m["watermarkFrom"] = rfc3339(time.Unix(s.Watermark, 0))
		m["changedSince"] = rfc3339(time.Unix(s.changedSince(), 0))
	}
	if s.Failed != "" {
		m["failed"] = s.Failed
	}
	return m
}

// incrementalState is the incremental pull's checkpoint. Sides are values,
// so a copy of the state is a snapshot.
type incrementalState struct {
	// RunStart (unix seconds) is when the run began: the new watermark.
	RunStart int64           `json:"runStart"`
	Nhanh    incrementalSide `json:"nhanh"`
	Shopify  incrementalSide `json:"shopify"`
}

// incrementalPass is one source's pass.
type incrementalPass[R any] struct {
	name      string
	watermark string
	side      func(*incrementalState) *incrementalSide
	fetch     func(since int64) pageFetcher[R]
	upsert    upsertFunc[R]
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
		upsert: d.Store.UpsertNhanhCustomers}
	shopifyPass := incrementalPass[store.ShopifyCustomer]{name: incrementalShopify, watermark: incrementalShopifyWatermark,
		side: func(s *incrementalState) *incrementalSide { return &s.Shopify },
		fetch: func(since int64) pageFetcher[store.ShopifyCustomer] {
			return d.shopifyCustomerPages(shopifyChangedSince(since))
		},
		upsert: d.Store.UpsertShopifyCustomers}

	for _, run := range []func() error{
		func() error { return runIncrementalPass(ctx, r, d, st, nhanhPass) },
		func() error { return runIncrementalPass(ctx, r, d, st, shopifyPass) },
	} {
		if err := run(); err != nil && ctx.Err() != nil {
			stopIncremental(ctx, r, st)
			return ctx.Err()
		}
	}
	// Failures of this attempt and of earlier ones are on the sides.
	var failures []error
	for _, s := range []*incrementalSide{&st.Nhanh, &st.Shopify} {
		if s.Failed != "" {
			failures = append(failures, errors.New(s.Failed))
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
	err := pipePages(ctx, pass.fetch(side.changedSince()), cursorOf(side.Cursor), side.Tally.Pages+1,
		func(ctx context.Context, rows []R, next json.RawMessage, last bool, pages int) error {
			return storeIncrementalPage(ctx, r, d, st, pass, rows, next, last, pages)
		})
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

// storeIncrementalPage stores pages with the job's checkpoint; the last
// page also moves the source's watermark to the run's start.
func storeIncrementalPage[R any](ctx context.Context, r *engine.Run, d Deps, st *incrementalState, pass incrementalPass[R],
	rows []R, next json.RawMessage, last bool, pages int) error {
	now := d.Clock.Now()
	var after incrementalState
	err := r.CheckpointTx(ctx, &after, func(tx *sql.Tx, t *engine.Tally) error {
		// st moves only if the checkpoint commits.
		after = *st
		side := pass.side(&after)
		side.Cursor, side.Done = string(next), last
		side.Tally.Pages += int64(pages)
		counts, err := pass.upsert(ctx, tx, rows, now)
		if err != nil {
			return err
		}
		side.Tally.add(counts)
		countUpserts(t, counts)
		if !side.Done {
			return nil
		}
		return d.Store.SetWatermark(ctx, tx, pass.watermark, after.RunStart, now)
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
		r.SetMeta(s.name, s.side.meta(st.RunStart))
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
	r.SetMeta("watermarkTo", rfc3339(time.Unix(st.RunStart, 0)))
	if from != 0 {
		r.SetMeta("watermarkFrom", rfc3339(time.Unix(from, 0)))
	}
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
