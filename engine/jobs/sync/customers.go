package sync

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"

	"syncops/clients/apierr"
	"syncops/clients/extid"
	"syncops/clients/nhanh"
	"syncops/clients/shopify"
	"syncops/engine"
	"syncops/engine/jobs/mirror"
	"syncops/store"
)

// The customer metafield a sync writes (reference §8.1).
const (
	totalSpentNamespace = "custom"
	totalSpentKey       = "total_spent"
	totalSpentType      = "number_integer"
)

// autoSyncCustomersWatermark is the Nhanh updatedAt (unix seconds) up to
// which an auto-sync has read changed customers.
const autoSyncCustomersWatermark = "autosync:nhanh_customers"

// roundSpend turns Nhanh's lifetime spend into the integer Shopify stores:
// to the nearest VND, halves away from zero, as dataset.Truth's
// ExpectedTotalSpent (the reference rounded for the same reason: Shopify
// refuses decimals in a number_integer).
func roundSpend(v float64) int64 { return int64(math.Round(v)) }

// customerSource plans batches of customer mappings.
type customerSource struct {
	sourceJob
	scope     syncScope
	threshold int64 // syncChanged: smallest change of spend worth a write
	// writes bounds the job's metafieldsSet calls in flight, across the
	// batch being written and the next one, which starts while the last
	// calls of the first are still out.
	writes *semaphore.Weighted
}

func (d Deps) newCustomerSource(r *engine.Run, scope syncScope, threshold int64) *customerSource {
	return &customerSource{sourceJob: sourceJob{d: d, jobID: int64(r.ID())}, scope: scope, threshold: threshold,
		writes: semaphore.NewWeighted(shopifyWriteConcurrency)}
}

func (s *customerSource) kind() store.MappingKind { return store.MappingKindCustomer }
func (s *customerSource) batchSize() int {
	if s.bulk != nil {
		return customerBulkBatchSize
	}
	return customerBatchSize
}

// customerPush is one planned metafield write.
type customerPush struct {
	item  *syncItem
	nhanh extid.NhanhCustomerID
	owner extid.ShopifyCustomerGID
	value int64
	seen  store.InputVersion // the mapping's input version it was planned from
	// change is the write as the drop brake sees it: Shopify's value (or
	// the last one written) and value.
	change valueChange
}

func (s *customerSource) nextBatch(ctx context.Context, cur batchCursor) (*syncBatch, error) {
	b, _, err := s.planBatch(ctx, cur)
	return b, err
}

// planBatch plans the batch after cur and returns it with its writes, or
// nil when the scope is done.
func (s *customerSource) planBatch(ctx context.Context, cur batchCursor) (*syncBatch, []*customerPush, error) {
	ms, missing, lastID, err := mappingPage(ctx, s.d.Store.Reader(), s.scope, cur.afterID, cur.upToID, s.batchSize(),
		s.d.Store.CustomerMappings, func(m store.CustomerMapping) int64 { return m.ID })
	if err != nil || lastID == 0 {
		return nil, nil, err
	}
	nhanhIDs := make([]extid.NhanhCustomerID, 0, len(ms))
	shopifyIDs := make([]extid.ShopifyCustomerGID, 0, len(ms))
	for _, m := range ms {
		nhanhIDs = append(nhanhIDs, m.NhanhID)
		if m.ShopifyID != "" {
			shopifyIDs = append(shopifyIDs, m.ShopifyID)
		}
	}
	nhanhRows, err := s.d.Store.NhanhCustomerSpends(ctx, s.d.Store.DB(), nhanhIDs)
	if err != nil {
		return nil, nil, err
	}
	shopifyRows, err := s.d.Store.ShopifyCustomerSpends(ctx, s.d.Store.DB(), shopifyIDs)
	if err != nil {
		return nil, nil, err
	}
	b := &syncBatch{lastID: lastID}
	for _, id := range missing {
		b.items = append(b.items, missingItem(store.MappingKindCustomer, id))
	}
	var pushes []*customerPush
	settled := map[int64]store.InputVersion{}
	budget := cur.pushBudget
	for _, m := range ms {
		it, push, written := s.plan(m, nhanhRows, shopifyRows, &budget)
		b.items = append(b.items, it)
		if push != nil {
			pushes = append(pushes, push)
		}
		if written {
			settled[m.ID] = m.InputVersion
		}
	}
	slices.SortFunc(b.items, func(x, y *syncItem) int { return cmp.Compare(x.mappingID, y.mappingID) })
	b.pushes = int64(len(pushes))
	b.send = func(ctx context.Context) error { return s.send(ctx, pushes) }
	b.record = func(ctx context.Context, tx *sql.Tx, at time.Time) error {
		if err := s.d.Store.SettleCustomerMappings(ctx, tx, settled); err != nil {
			return err
		}
		return s.record(ctx, tx, b.items, pushes, at)
	}
	return b, pushes, nil
}

// plan decides what to do with one mapping. Nhanh's value is the truth;
// Shopify's current value (as last pulled, reconciled or written) is what
// a change is measured against: a hand edit there is drift and is
// corrected whatever the threshold, and a value Shopify already holds is
// not written again. written says the mapping is skipped because Nhanh's
// value is the one last written and Shopify has not drifted from it: the
// mapping is settled as planned (store.SettleCustomerMappings). A value
// skipped under the threshold is not: the next auto-sync weighs it again.
func (s *customerSource) plan(m store.CustomerMapping, nhanhRows map[extid.NhanhCustomerID]store.NhanhCustomerSpend,
	shopifyRows map[extid.ShopifyCustomerGID]store.ShopifyCustomerSpend, budget *int64) (it *syncItem, push *customerPush, written bool) {
	it = &syncItem{mappingID: m.ID, name: fmt.Sprintf("Nhanh customer %d", m.NhanhID), recordable: m.ShopifyID != "",
		nhanhID: strconv.FormatInt(int64(m.NhanhID), 10), shopifyID: string(m.ShopifyID)}
	row, inMirror := nhanhRows[m.NhanhID]
	if inMirror && row.Name != "" {
		it.name = row.Name
	}
	who := fmt.Sprintf("%s (Nhanh customer %d)", it.name, m.NhanhID)
	shop := shopifyRows[m.ShopifyID]
	switch {
	case m.ShopifyID == "":
		it.failFound(fmt.Sprintf("%s: mapping %d has no Shopify customer: map it first; nothing written", who, m.ID), apierr.ClassValidation)
		return it, nil, false
	case !inMirror:
		it.failFound(fmt.Sprintf("Nhanh customer %d is not in the local mirror: pull Nhanh customers; nothing written", m.NhanhID), apierr.ClassNotFound)
		return it, nil, false
	case row.Deleted:
		it.failFound(fmt.Sprintf("%s was deleted in Nhanh: nothing written; delete mapping %d if the customer is gone for good", who, m.ID), apierr.ClassNotFound)
		return it, nil, false
	case shop.Deleted:
		it.failFound(fmt.Sprintf("%s: Shopify customer %s was deleted in Shopify (per the last pull): nothing written; remap or delete mapping %d",
			who, m.ShopifyID, m.ID), apierr.ClassNotFound)
		return it, nil, false
	case row.Unknown:
		it.failFound(fmt.Sprintf("%s: Nhanh returned no totalAmount (null or missing): the spend is unknown, not 0; nothing written",
			who), apierr.ClassValidation)
		return it, nil, false
	}
	value := roundSpend(row.TotalAmount)
	it.request = fmt.Sprintf("metafieldsSet owner=%s %s.%s=%d", m.ShopifyID, totalSpentNamespace, totalSpentKey, value)
	current, currentKnown := shopifySpend(shop.TotalSpent)
	change := valueChange{new: value, old: current, known: currentKnown}
	if !currentKnown && m.LastSyncedValue != nil {
		change.old, change.known = *m.LastSyncedValue, true
	}
	it.lines = []diffLine{spendLine(shop.TotalSpent, m.LastSyncedValue, value)}
	if s.scope.mode == syncChanged && m.Status == store.MappingSynced && m.LastSyncedValue != nil {
		drifted := currentKnown && current != *m.LastSyncedValue
		switch {
		case drifted && current == value:
			it.outcome = outcomeSkip // Shopify already holds Nhanh's value
			return it, nil, false
		case !drifted && value == *m.LastSyncedValue:
			it.outcome = outcomeSkip
			return it, nil, true
		case !drifted && abs(value-*m.LastSyncedValue) < s.threshold:
			it.outcome = outcomeSkip
			it.lines[0].note = fmt.Sprintf("moved %+d since the last write, under the %d VND threshold", value-*m.LastSyncedValue, s.threshold)
			return it, nil, false
		}
	}
	if *budget == 0 {
		it.outcome, it.deferred = outcomeSkip, true
		return it, nil, false
	}
	if *budget > 0 {
		*budget--
	}
	return it, &customerPush{item: it, nhanh: m.NhanhID, owner: m.ShopifyID, value: value, seen: m.InputVersion, change: change}, false
}

// shopifySpend reads a mirrored custom.total_spent; a value that is not a
// whole number (a hand edit) is known but matches nothing Nhanh can hold,
// so it reads as -1: it differs from every value and never counts as a
// drop.
func shopifySpend(v *string) (int64, bool) {
	if v == nil {
		return 0, false
	}
	n, err := strconv.ParseInt(*v, 10, 64)
	if err != nil {
		return -1, true
	}
	return n, true
}

// spendLine is a customer's line of a preview's diff: Shopify's value as
// the mirror holds it (the last pull, reconcile or write), else the value
// last written, and the value to write.
func spendLine(mirrored *string, lastWritten *int64, value int64) diffLine {
	l := diffLine{new: value}
	switch {
	case mirrored != nil:
		if current, err := strconv.ParseInt(*mirrored, 10, 64); err == nil {
			l.old, l.oldSource = &current, engine.OldFromMirror
		} else {
			l.note = fmt.Sprintf("Shopify holds %q, not a whole number", *mirrored)
		}
	case lastWritten != nil:
		last := *lastWritten
		l.old, l.oldSource = &last, engine.OldFromLastWrite
	}
	return l
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// send writes the batch's metafields, shopify.MaxMetafieldsPerCall per
// call, several calls at once (bounded by s.writes, shared with the next
// batch), or, writing in bulk, a batch of more than one call's metafields
// with one bulk mutation (sendBulk). An auth failure or a cancellation
// stops every call of the batch and is returned; any other failure fails
// the items of its call.
func (s *customerSource) send(ctx context.Context, pushes []*customerPush) error {
	if s.bulk.takes(len(pushes), shopify.MaxMetafieldsPerCall) {
		return s.sendBulk(ctx, pushes)
	}
	g, gctx := errgroup.WithContext(ctx)
	for chunk := range slices.Chunk(pushes, shopify.MaxMetafieldsPerCall) {
		if s.writes.Acquire(gctx, 1) != nil {
			break // a call failed for good, or the job stops: start no more
		}
		g.Go(func() error {
			defer s.writes.Release(1)
			return s.sendChunk(gctx, chunk)
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

// sendChunk writes one call's metafields and settles their items; it
// returns only an error that must stop the job (auth, cancellation).
func (s *customerSource) sendChunk(ctx context.Context, chunk []*customerPush) error {
	inputs := make([]shopify.MetafieldInput, len(chunk))
	for k, p := range chunk {
		inputs[k] = shopify.MetafieldInput{OwnerID: string(p.owner), Namespace: totalSpentNamespace,
			Key: totalSpentKey, Type: totalSpentType, Value: strconv.FormatInt(p.value, 10)}
	}
	results, err := s.d.Shopify.SetMetafields(ctx, inputs)
	return settleCustomerPushes(chunk, results, err)
}

// sendBulk writes the batch's metafields with one bulk mutation (a staged
// upload, then bulkOperationRunMutation, polled to its end; bulkwrite.go)
// and settles each item from its line's result. A batch stopped while its
// operation runs resumes that operation when planned again with the same
// values; otherwise it is written again, and setting a metafield to the
// value it holds changes nothing.
func (s *customerSource) sendBulk(ctx context.Context, pushes []*customerPush) error {
	inputs := make([]shopify.MetafieldInput, len(pushes))
	for k, p := range pushes {
		inputs[k] = shopify.MetafieldInput{OwnerID: string(p.owner), Namespace: totalSpentNamespace,
			Key: totalSpentKey, Type: totalSpentType, Value: strconv.FormatInt(p.value, 10)}
	}
	results, err := s.bulk.write(ctx, bulkMutation{digest: inputsDigest(inputs), lines: len(inputs),
		start:   func(ctx context.Context) (string, error) { return s.d.Shopify.StartBulkMetafields(ctx, inputs) },
		results: s.d.Shopify.BulkMetafieldResults})
	return settleCustomerPushes(pushes, results, err)
}

// settleCustomerPushes settles each push from its result (or the call's
// error); it returns only an error that must stop the job (auth,
// cancellation).
func settleCustomerPushes(chunk []*customerPush, results []shopify.ItemResult, err error) error {
	if c := apierr.ClassOf(err); c == apierr.ClassAuth || c == apierr.ClassCanceled {
		return err
	}
	for k, p := range chunk {
		if k < len(results) && results[k].Err == nil {
			p.item.outcome = outcomeDone
			continue
		}
		itemErr := err
		if k < len(results) {
			itemErr = results[k].Err
		}
		p.item.fail(fmt.Sprintf("%s (Nhanh customer %d, Shopify %s): writing %s.%s=%d failed: %v",
			p.item.name, p.nhanh, p.owner, totalSpentNamespace, totalSpentKey, p.value, itemErr), itemErr)
	}
	return nil
}

// record stores each settled mapping: the value written, or why not.
func (s *customerSource) record(ctx context.Context, tx *sql.Tx, items []*syncItem, pushes []*customerPush, at time.Time) error {
	written := make(map[*syncItem]*customerPush, len(pushes))
	for _, p := range pushes {
		written[p.item] = p
	}
	for _, it := range items {
		var err error
		switch {
		case it.outcome == outcomeDone:
			// The mapping first: the mirror's new value then reads as the
			// value last written, not as a change (migration 0020).
			p := written[it]
			if err = s.d.Store.RecordCustomerSync(ctx, tx, it.mappingID, p.value, p.seen, at, s.jobID); err == nil {
				err = s.d.Store.SetShopifyTotalSpent(ctx, tx, p.owner, strconv.FormatInt(p.value, 10))
			}
		case it.outcome == outcomeFail && it.recordable:
			err = s.d.Store.RecordCustomerSyncFailure(ctx, tx, it.mappingID, it.message, at, s.jobID)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// customerThreshold reads the auto-sync threshold setting.
func (d Deps) customerThreshold(ctx context.Context) (int64, error) {
	text, ok, err := d.Store.Setting(ctx, d.Store.Reader(), SettingCustomerThreshold)
	if err != nil {
		return 0, err
	}
	if !ok || text == "" {
		return DefaultCustomerThreshold, nil
	}
	v, err := strconv.ParseInt(text, 10, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("setting %s is %q, not a whole number of VND >= 0: fix it (default %d)",
			SettingCustomerThreshold, text, DefaultCustomerThreshold)
	}
	return v, nil
}

// spendState is where an auto-sync's search for changed spend stands, and
// the source timestamps its watermarks move to.
type spendState struct {
	// NewestCustomer is the newest customer updatedAt the refresh saw (or
	// where it started, if it saw none): the next refresh watermark, on
	// Nhanh's clock.
	NewestCustomer int64 `json:"newestCustomer,omitempty"`
	// OrdersFrom and OrdersTo are the range of orders read (unix seconds).
	OrdersFrom int64 `json:"ordersFrom,omitempty"`
	OrdersTo   int64 `json:"ordersTo,omitempty"`
	// OrdersListed says the orders were read; Pending are the buyers not
	// yet re-read.
	OrdersListed bool                    `json:"ordersListed,omitempty"`
	Pending      []extid.NhanhCustomerID `json:"pending,omitempty"`
	Orders       int                     `json:"orders,omitempty"`
	Buyers       int                     `json:"buyers,omitempty"`
	Reread       int                     `json:"reread,omitempty"`
	Changed      int                     `json:"changed,omitempty"`
	NewestOrder  int64                   `json:"newestOrder,omitempty"` // the next orders watermark; 0: none seen
	Reconcile    bool                    `json:"reconcile,omitempty"`
	ShopifyAfter string                  `json:"shopifyAfter,omitempty"` // reconcile: the Shopify page cursor
	ShopifyRead  int                     `json:"shopifyRead,omitempty"`
}

// meta is the search as metadata shows it.
func (sp *spendState) meta() map[string]any {
	m := map[string]any{"orders": sp.Orders, "buyers": sp.Buyers, "reread": sp.Reread, "changed": sp.Changed}
	if sp.OrdersFrom > 0 {
		m["ordersFrom"] = time.Unix(sp.OrdersFrom, 0).UTC().Format(time.RFC3339)
		m["ordersTo"] = time.Unix(sp.OrdersTo, 0).UTC().Format(time.RFC3339)
	}
	if sp.Reconcile {
		m["shopifyRead"] = sp.ShopifyRead
	}
	return m
}

// autoSyncOrdersWatermark is the Nhanh order createdAt/updatedAt (unix
// seconds) up to which an auto-sync has read orders for spend changes.
const autoSyncOrdersWatermark = "autosync:nhanh_orders"

// Phases of an auto-sync before it sizes its scope.
const (
	phaseOrders    = "orders"    // re-reading the buyers of changed orders
	phaseReconcile = "reconcile" // reading Shopify's current metafields
)

// refreshNhanhCustomers reads the Nhanh customers changed since the
// auto-sync watermark (less mirror.ChangeOverlap) into the mirror, a page per
// checkpoint. Without a watermark it starts at the newest updatedAt the
// mirror holds, so a first auto-sync after a full pull reads only what
// changed since; with an empty mirror it reads everything. The newest
// updatedAt it sees becomes the next watermark: Nhanh's clock, never ours.
func (d Deps) refreshNhanhCustomers(ctx context.Context, r *engine.Run, st *syncState) error {
	if st.Refresh == nil {
		mark, ok, err := d.Store.Watermark(ctx, d.Store.DB(), autoSyncCustomersWatermark)
		if err != nil {
			return err
		}
		if !ok {
			if mark, err = d.Store.NewestNhanhCustomerUpdate(ctx, d.Store.DB()); err != nil {
				return err
			}
		}
		from := int64(0)
		if mark > 0 {
			from = mirror.ChangedSince(mark)
		}
		st.Refresh = &refreshState{From: from}
		st.Spend.NewestCustomer = mark
		r.SetMeta("refresh", st.Refresh.meta())
		if err := r.Checkpoint(ctx, st); err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
	}
	rs := st.Refresh
	for st.Phase == phaseRefresh {
		// Every customer type is asked for explicitly, one after the other:
		// whether leaving the type out means all types is not documented.
		typ := rs.Type
		if !slices.Contains(nhanh.CustomerTypes, typ) {
			typ = nhanh.CustomerTypes[0]
		}
		page, err := d.Nhanh.ListCustomers(ctx, nhanh.CustomerFilter{UpdatedAtFrom: rs.From, Type: typ}, rs.Cursor)
		if err != nil {
			return fmt.Errorf("read Nhanh customers (type %d) changed since %s: %w", typ,
				time.Unix(rs.From, 0).UTC().Format(time.RFC3339), err)
		}
		rows := make([]store.NhanhCustomer, len(page.Customers))
		newest := st.Spend.NewestCustomer
		for i, c := range page.Customers {
			rows[i] = mirror.NhanhCustomer(c)
			newest = max(newest, c.UpdatedAt)
		}
		// The page, the cursor past it and what it did to the mirror
		// commit together; st changes only if they do.
		after := *rs
		after.Pages++
		after.Read += len(rows)
		after.Type, after.Cursor = typ, page.Next
		phase := st.Phase
		if page.Next == nil {
			if i := slices.Index(nhanh.CustomerTypes, typ); i+1 < len(nhanh.CustomerTypes) {
				after.Type = nhanh.CustomerTypes[i+1] // the next type, from its first page
			} else {
				phase = phaseOrders
			}
		}
		next := *st
		next.Phase, next.Refresh = phase, &after
		next.Spend.NewestCustomer = newest
		err = r.CheckpointTx(ctx, &next, func(tx *sql.Tx, _ *engine.Tally) error {
			counts, err := d.Store.UpsertNhanhCustomers(ctx, tx, rows, d.Clock.Now())
			if err != nil {
				return err
			}
			after.Created = rs.Created + counts.Created
			after.Updated = rs.Updated + counts.Updated
			after.Unchanged = rs.Unchanged + counts.Unchanged
			return nil
		})
		if err != nil {
			return fmt.Errorf("store changed Nhanh customers: %w", err)
		}
		*st = next
		rs = st.Refresh
		r.SetMeta("refresh", rs.meta())
	}
	return nil
}

// refreshSpendFromOrders finds the customers whose spend may have changed
// from the orders created or updated since the orders watermark (a
// customer's updatedAt is not known to move with its totalAmount), re-reads
// them by id (nhanh.CustomersByIDBatch ids a checkpoint, 100 a call, type
// by type) and stores them in the mirror.
func (d Deps) refreshSpendFromOrders(ctx context.Context, r *engine.Run, st *syncState) error {
	sp := &st.Spend
	if !sp.OrdersListed {
		mark, ok, err := d.Store.Watermark(ctx, d.Store.DB(), autoSyncOrdersWatermark)
		if err != nil {
			return err
		}
		now := d.Clock.Now()
		from := mirror.OrdersFrom(mark, ok, st.Spend.NewestCustomer, now)
		found, err := mirror.ReadSpendChanges(ctx, d.Nhanh, from, now)
		if err != nil {
			return err
		}
		sp.OrdersFrom, sp.OrdersTo, sp.OrdersListed = from, found.To, true
		sp.Pending, sp.Orders, sp.Buyers, sp.NewestOrder = found.Customers, found.Orders, len(found.Customers), found.Newest
		r.SetMeta("spend", sp.meta())
		if err := r.Checkpoint(ctx, st); err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
	}
	for len(st.Spend.Pending) > 0 {
		chunk := st.Spend.Pending[:min(nhanh.CustomersByIDBatch, len(st.Spend.Pending))]
		customers, err := d.Nhanh.CustomersByID(ctx, chunk)
		if err != nil {
			return fmt.Errorf("re-read %d Nhanh customers whose orders changed: %w", len(chunk), err)
		}
		rows := make([]store.NhanhCustomer, len(customers))
		for i, c := range customers {
			rows[i] = mirror.NhanhCustomer(c)
		}
		next := *st
		next.Spend.Pending = st.Spend.Pending[len(chunk):]
		next.Spend.Reread += len(rows)
		err = r.CheckpointTx(ctx, &next, func(tx *sql.Tx, _ *engine.Tally) error {
			counts, err := d.Store.UpsertNhanhCustomers(ctx, tx, rows, d.Clock.Now())
			next.Spend.Changed = st.Spend.Changed + counts.Updated + counts.Created
			return err
		})
		if err != nil {
			return fmt.Errorf("store re-read Nhanh customers: %w", err)
		}
		*st = next
		r.SetMeta("spend", st.Spend.meta())
	}
	return nil
}

// reconcileShopifySpend reads every Shopify customer's current
// custom.total_spent (a paged customer read, a page per checkpoint) into
// the Shopify mirror, so the push compares Nhanh's values with what Shopify
// holds now (hand edits included) and writes only the differences.
func (d Deps) reconcileShopifySpend(ctx context.Context, r *engine.Run, st *syncState) error {
	for st.Phase == phaseReconcile {
		page, err := d.Shopify.ListCustomers(ctx, "", st.Spend.ShopifyAfter)
		if err != nil {
			return fmt.Errorf("reconcile: read Shopify customers: %w", err)
		}
		rows := make([]store.ShopifyCustomer, len(page.Customers))
		for i, c := range page.Customers {
			rows[i] = mirror.ShopifyCustomer(c)
		}
		next := *st
		next.Spend.ShopifyAfter, next.Spend.ShopifyRead = page.EndCursor, st.Spend.ShopifyRead+len(rows)
		if !page.HasNextPage {
			next.Phase = phaseSize
		}
		err = r.CheckpointTx(ctx, &next, func(tx *sql.Tx, _ *engine.Tally) error {
			_, err := d.Store.UpsertShopifyCustomers(ctx, tx, rows, d.Clock.Now())
			return err
		})
		if err != nil {
			return fmt.Errorf("reconcile: store Shopify customers: %w", err)
		}
		*st = next
		r.SetMeta("spend", st.Spend.meta())
	}
	return nil
}

// setSpendWatermarks moves the auto-sync's watermarks to the newest source
// timestamps it saw, in the transaction of its last checkpoint; a
// watermark with nothing newer seen stays where it is.
func (d Deps) setSpendWatermarks(ctx context.Context, tx *sql.Tx, sp spendState) error {
	now := d.Clock.Now()
	for _, w := range []struct {
		key    string
		newest int64
	}{{autoSyncCustomersWatermark, sp.NewestCustomer}, {autoSyncOrdersWatermark, sp.NewestOrder}} {
		if w.newest <= 0 {
			continue
		}
		old, ok, err := d.Store.Watermark(ctx, tx, w.key)
		if err != nil {
			return err
		}
		if ok && old >= w.newest {
			continue
		}
		if err := d.Store.SetWatermark(ctx, tx, w.key, w.newest, now); err != nil {
			return err
		}
	}
	return nil
}

// brakeCustomerSpend plans every write of the run (from the mirrors, no
// API call) and stops the run before its first write when too many of them
// would drop sharply (brake.go), unless accept. It runs once, before the
// push phase.
func (d Deps) brakeCustomerSpend(ctx context.Context, r *engine.Run, src *customerSource, scope syncScope, accept bool) error {
	changes, err := planChanges(ctx, d, store.MappingKindCustomer, scope, src.planBatch,
		func(p *customerPush) []valueChange { return []valueChange{p.change} })
	if err != nil {
		return err
	}
	return d.applyBrake(ctx, r, changes, "customer spend", accept)
}
